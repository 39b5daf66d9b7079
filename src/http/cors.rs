//! CORS, as configured by `CORS_ALLOW_ORIGIN`: which browser origins may read our
//! responses. Unset means no CORS headers at all; `*` allows every origin; a list
//! allows exactly those origins (echoed back, with `Vary: Origin`).

use hyper::header::{
    HeaderValue, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, VARY,
};
use hyper::HeaderMap;

use crate::config::CorsOrigins;

/// Request headers a browser may send cross-origin besides the safelisted ones.
const ALLOW_HEADERS: &str = "content-type, x-request-id";
/// Response headers a browser script may read besides the safelisted ones.
const EXPOSE_HEADERS: &str = "x-request-id, location, link, allow";
/// How long (seconds) a browser may cache a preflight answer.
const MAX_AGE: &str = "600";

/// The prepared CORS rules.
#[derive(Debug, Clone)]
pub enum CorsPolicy {
    /// No CORS headers.
    Disabled,
    /// `Access-Control-Allow-Origin: *`.
    Any,
    /// These exact origins (as header values, ready to echo).
    List(Vec<HeaderValue>),
}

impl CorsPolicy {
    /// Prepares the rules from the configuration.
    pub fn new(origins: &CorsOrigins) -> Self {
        match origins {
            CorsOrigins::Disabled => Self::Disabled,
            CorsOrigins::Any => Self::Any,
            CorsOrigins::List(list) => {
                Self::List(list.iter().filter_map(|origin| HeaderValue::from_str(origin).ok()).collect())
            }
        }
    }

    /// Whether any CORS header is ever sent (the request's `Origin` is only needed then).
    pub fn is_enabled(&self) -> bool {
        !matches!(self, Self::Disabled)
    }

    /// The `Access-Control-Allow-Origin` value for a request from `origin`, if allowed.
    fn allowed_origin(&self, origin: Option<&HeaderValue>) -> Option<HeaderValue> {
        match self {
            Self::Disabled => None,
            Self::Any => Some(HeaderValue::from_static("*")),
            Self::List(allowed) => {
                let origin = origin?;
                allowed.iter().any(|candidate| candidate == origin).then(|| origin.clone())
            }
        }
    }

    /// Adds the CORS headers of an ordinary response to a request from `origin`.
    pub fn apply(&self, origin: Option<&HeaderValue>, headers: &mut HeaderMap) {
        if matches!(self, Self::List(_)) {
            headers.insert(VARY, HeaderValue::from_static("origin"));
        }
        if let Some(allowed) = self.allowed_origin(origin) {
            headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, allowed);
            headers.insert(ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(EXPOSE_HEADERS));
        }
    }

    /// Adds the preflight headers (an `OPTIONS` answer) for a path allowing `methods`.
    pub fn apply_preflight(
        &self,
        origin: Option<&HeaderValue>,
        methods: &HeaderValue,
        headers: &mut HeaderMap,
    ) {
        if matches!(self, Self::List(_)) {
            headers.insert(VARY, HeaderValue::from_static("origin"));
        }
        if let Some(allowed) = self.allowed_origin(origin) {
            headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, allowed);
            headers.insert(ACCESS_CONTROL_ALLOW_METHODS, methods.clone());
            headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static(ALLOW_HEADERS));
            headers.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static(MAX_AGE));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(text: &'static str) -> HeaderValue {
        HeaderValue::from_static(text)
    }

    #[test]
    fn disabled_adds_nothing() {
        let mut headers = HeaderMap::new();
        CorsPolicy::new(&CorsOrigins::Disabled).apply(Some(&origin("https://a.example")), &mut headers);
        assert!(headers.is_empty());
    }

    #[test]
    fn star_allows_any_origin() {
        let mut headers = HeaderMap::new();
        CorsPolicy::new(&CorsOrigins::Any).apply(None, &mut headers);
        assert_eq!(headers.get(ACCESS_CONTROL_ALLOW_ORIGIN), Some(&origin("*")));
    }

    #[test]
    fn a_list_echoes_only_listed_origins_and_varies_on_origin() {
        let policy = CorsPolicy::new(&CorsOrigins::List(vec!["https://a.example".into()]));
        let mut allowed = HeaderMap::new();
        policy.apply(Some(&origin("https://a.example")), &mut allowed);
        assert_eq!(allowed.get(ACCESS_CONTROL_ALLOW_ORIGIN), Some(&origin("https://a.example")));
        assert_eq!(allowed.get(VARY), Some(&origin("origin")));
        let mut refused = HeaderMap::new();
        policy.apply(Some(&origin("https://evil.example")), &mut refused);
        assert_eq!(refused.get(ACCESS_CONTROL_ALLOW_ORIGIN), None);
        assert_eq!(refused.get(VARY), Some(&origin("origin")));
    }

    #[test]
    fn preflight_names_methods_and_headers() {
        let mut headers = HeaderMap::new();
        let methods = HeaderValue::from_static("GET, POST");
        CorsPolicy::new(&CorsOrigins::Any).apply_preflight(None, &methods, &mut headers);
        assert_eq!(headers.get(ACCESS_CONTROL_ALLOW_METHODS), Some(&methods));
        assert_eq!(headers.get(ACCESS_CONTROL_ALLOW_HEADERS), Some(&origin(ALLOW_HEADERS)));
        assert_eq!(headers.get(ACCESS_CONTROL_MAX_AGE), Some(&origin(MAX_AGE)));
    }
}
