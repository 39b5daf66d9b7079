//! The route table: every method and path template the API answers, the handler for
//! each, the query parameters it accepts and every status it can produce. The router
//! dispatches from this table, and the tests iterate it to prove the OpenAPI document
//! describes exactly what the router does.

use hyper::header::HeaderValue;
use hyper::Method;

/// Which handler answers a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `GET /api/hello`
    Hello,
    /// `GET /api/health`
    Health,
    /// `GET /api/ready`
    Ready,
    /// `GET /api/openapi.json`
    OpenApi,
    /// `GET /metrics`
    Metrics,
    /// `GET /api/users`
    ListUsers,
    /// `POST /api/users`
    CreateUser,
    /// `GET /api/users/{id}`
    GetUser,
    /// `PUT /api/users/{id}`
    UpdateUser,
    /// `DELETE /api/users/{id}`
    DeleteUser,
}

/// One row of the table.
#[derive(Debug)]
pub struct Route {
    /// The method (a `GET` route also answers `HEAD`, without the body).
    pub method: Method,
    /// The path, with `{id}` standing for one non-empty segment.
    pub template: &'static str,
    /// The handler.
    pub endpoint: Endpoint,
    /// Query parameters the route accepts; any other is a 400.
    pub query: &'static [&'static str],
    /// Every status this route can answer with (kept exact by the route tests).
    pub statuses: &'static [u16],
}

/// The label and log value for requests that matched no path.
pub const UNMATCHED: &str = "unmatched";

/// Statuses the router itself produces rather than a route: 404 for an unknown path,
/// 405 for a known path with a method none of its routes has.
pub const ROUTER_STATUSES: &[u16] = &[404, 405];

/// The status of an `OPTIONS` answer on a known path (with `Allow`, and the CORS
/// preflight headers when CORS is enabled).
pub const OPTIONS_STATUS: u16 = 204;

const USERS: &str = "/api/users";
const USER: &str = "/api/users/{id}";

/// The whole API.
pub static ROUTES: &[Route] = &[
    route(Method::GET, "/api/hello", Endpoint::Hello, &[], &[200, 400]),
    route(Method::GET, "/api/health", Endpoint::Health, &[], &[200, 400]),
    route(Method::GET, "/api/ready", Endpoint::Ready, &[], &[200, 400, 503]),
    route(Method::GET, "/api/openapi.json", Endpoint::OpenApi, &[], &[200, 400]),
    route(Method::GET, "/metrics", Endpoint::Metrics, &[], &[200, 400, 500]),
    route(Method::GET, USERS, Endpoint::ListUsers, &["limit", "after"], &[200, 400, 500, 503]),
    route(Method::POST, USERS, Endpoint::CreateUser, &[], &[201, 400, 409, 413, 415, 500, 503, 507]),
    route(Method::GET, USER, Endpoint::GetUser, &[], &[200, 400, 404, 500, 503]),
    route(Method::PUT, USER, Endpoint::UpdateUser, &[], &[200, 400, 404, 409, 413, 415, 500, 503, 507]),
    route(Method::DELETE, USER, Endpoint::DeleteUser, &[], &[204, 400, 404, 500, 503]),
];

const fn route(
    method: Method,
    template: &'static str,
    endpoint: Endpoint,
    query: &'static [&'static str],
    statuses: &'static [u16],
) -> Route {
    Route { method, template, endpoint, query, statuses }
}

/// What the table says about a request's method and path.
#[derive(Debug)]
pub enum Resolution<'p> {
    /// A route answers it; `param` is the `{id}` segment, if the template has one.
    Route {
        /// The matched row.
        route: &'static Route,
        /// The raw `{id}` segment.
        param: Option<&'p str>,
    },
    /// `OPTIONS` on a known path.
    Options(&'static str),
    /// A known path, but no route has this method.
    MethodNotAllowed(&'static str),
    /// No template matches the path.
    NotFound,
}

/// Finds what answers `method` on `path`.
pub fn resolve<'p>(method: &Method, path: &'p str) -> Resolution<'p> {
    let wanted = if method == Method::HEAD { &Method::GET } else { method };
    let mut known: Option<&'static str> = None;
    for route in ROUTES {
        let Some(param) = match_template(route.template, path) else { continue };
        if route.method == *wanted {
            return Resolution::Route { route, param };
        }
        known = Some(route.template);
    }
    match known {
        Some(template) if method == Method::OPTIONS => Resolution::Options(template),
        Some(template) => Resolution::MethodNotAllowed(template),
        None => Resolution::NotFound,
    }
}

/// The `Allow` value for `template`: its methods, `HEAD` with `GET`, and `OPTIONS`.
pub fn allowed_methods(template: &str) -> HeaderValue {
    let mut allow = String::with_capacity(40);
    for route in ROUTES.iter().filter(|route| route.template == template) {
        allow.push_str(route.method.as_str());
        allow.push_str(", ");
        if route.method == Method::GET {
            allow.push_str("HEAD, ");
        }
    }
    allow.push_str("OPTIONS");
    HeaderValue::from_str(&allow).unwrap_or_else(|_| HeaderValue::from_static("OPTIONS"))
}

/// Matches `path` against `template` segment by segment. `Some(param)` on a match,
/// where `param` is the segment standing for `{...}` (never empty).
fn match_template<'p>(template: &str, path: &'p str) -> Option<Option<&'p str>> {
    let mut param = None;
    let mut wanted = template.split('/');
    let mut given = path.split('/');
    loop {
        match (wanted.next(), given.next()) {
            (None, None) => return Some(param),
            (Some(pattern), Some(segment)) if pattern.starts_with('{') => {
                if segment.is_empty() {
                    return None;
                }
                param = Some(segment);
            }
            (Some(pattern), Some(segment)) if pattern == segment => {}
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(method: Method, path: &str) -> Option<(Endpoint, Option<&str>)> {
        match resolve(&method, path) {
            Resolution::Route { route, param } => Some((route.endpoint, param)),
            _ => None,
        }
    }

    #[test]
    fn paths_resolve_to_their_endpoints() {
        assert_eq!(endpoint(Method::GET, "/api/users"), Some((Endpoint::ListUsers, None)));
        assert_eq!(endpoint(Method::POST, "/api/users"), Some((Endpoint::CreateUser, None)));
        assert_eq!(endpoint(Method::GET, "/api/users/42"), Some((Endpoint::GetUser, Some("42"))));
        assert_eq!(endpoint(Method::PUT, "/api/users/x"), Some((Endpoint::UpdateUser, Some("x"))));
        assert_eq!(endpoint(Method::DELETE, "/api/users/7"), Some((Endpoint::DeleteUser, Some("7"))));
        assert_eq!(endpoint(Method::GET, "/metrics"), Some((Endpoint::Metrics, None)));
    }

    #[test]
    fn head_is_answered_by_the_get_route() {
        assert_eq!(endpoint(Method::HEAD, "/api/users/1"), Some((Endpoint::GetUser, Some("1"))));
    }

    #[test]
    fn near_misses_are_not_found() {
        for path in [
            "/api/users/",
            "/api/users/1/",
            "/api/users//",
            "/api//users",
            "/API/users",
            "/api/users/1/x",
            "",
            "/",
        ] {
            assert!(matches!(resolve(&Method::GET, path), Resolution::NotFound), "{path}");
        }
    }

    #[test]
    fn known_path_with_other_method_is_405_and_options_is_answered() {
        assert!(matches!(resolve(&Method::PATCH, "/api/users/1"), Resolution::MethodNotAllowed(USER)));
        assert!(matches!(resolve(&Method::DELETE, "/api/users"), Resolution::MethodNotAllowed(USERS)));
        assert!(matches!(resolve(&Method::OPTIONS, "/api/users"), Resolution::Options(USERS)));
        assert!(matches!(resolve(&Method::OPTIONS, "/nowhere"), Resolution::NotFound));
    }

    #[test]
    fn allow_lists_the_path_methods_with_head_and_options() {
        assert_eq!(allowed_methods(USERS), "GET, HEAD, POST, OPTIONS");
        assert_eq!(allowed_methods(USER), "GET, HEAD, PUT, DELETE, OPTIONS");
        assert_eq!(allowed_methods("/api/hello"), "GET, HEAD, OPTIONS");
    }

    #[test]
    fn every_route_is_reachable_and_declares_its_success_status() {
        for route in ROUTES {
            let path = route.template.replace("{id}", "1");
            match resolve(&route.method, &path) {
                Resolution::Route { route: found, .. } => assert_eq!(found.endpoint, route.endpoint),
                other => panic!("{} {} resolves to {other:?}", route.method, route.template),
            }
            assert!(route.statuses.iter().any(|s| (200..300).contains(s)), "{}", route.template);
        }
    }
}
