//! HTTP limits and CORS: `MAX_BODY_BYTES`, `MAX_BUFFERED_BODY_BYTES`, `MAX_CONNECTIONS`,
//! `FIRST_BYTE_TIMEOUT_SECS`, `READ_TIMEOUT_SECS`, `IDLE_TIMEOUT_SECS` and
//! `CORS_ALLOW_ORIGIN`.
//!
//! Every limit has a safe default, so a service started with no settings already
//! refuses huge bodies, slow clients and connection floods.

use std::time::Duration;

use super::ConfigError;

/// Which browser origins may call the API (`CORS_ALLOW_ORIGIN`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CorsOrigins {
    /// Unset or empty: no CORS headers at all (browsers block cross-origin calls).
    #[default]
    Disabled,
    /// `*`: any origin.
    Any,
    /// A comma-separated list of exact origins such as `https://app.example.com`.
    List(Vec<String>),
}

/// The HTTP part of the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// `MAX_BODY_BYTES`: the largest request body accepted; larger ones get 413.
    pub max_body_bytes: usize,
    /// `MAX_BUFFERED_BODY_BYTES`: the memory all bodies being read may use together;
    /// a body that cannot get its share within a second is answered 503.
    pub max_buffered_body_bytes: usize,
    /// `MAX_CONNECTIONS`: connections served at once; at the limit, connections doing no
    /// useful work are closed to make room, and when every one is busy, more wait (up
    /// to four times as many, waiting for their first byte or a slot).
    pub max_connections: usize,
    /// `FIRST_BYTE_TIMEOUT_SECS`: a new connection that sends nothing for this long is closed.
    pub first_byte_timeout: Duration,
    /// `READ_TIMEOUT_SECS`: a request head, and then its body, must each arrive within it.
    pub read_timeout: Duration,
    /// `IDLE_TIMEOUT_SECS`: a keep-alive connection with no request for this long is closed.
    pub idle_timeout: Duration,
    /// `CORS_ALLOW_ORIGIN`: the origins browsers may call the API from.
    pub cors: CorsOrigins,
}

impl HttpConfig {
    /// Default `MAX_BODY_BYTES`: 1 MiB, far more than any user document needs.
    pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
    /// Upper bound for `MAX_BODY_BYTES`: bodies are held in memory, and Wasm memory is small.
    pub const MAX_MAX_BODY_BYTES: usize = 64 * 1024 * 1024;
    /// Default `MAX_BUFFERED_BODY_BYTES`: 32 MiB (or `MAX_BODY_BYTES`, if larger).
    pub const DEFAULT_MAX_BUFFERED_BODY_BYTES: usize = 32 * 1024 * 1024;
    /// Upper bound for `MAX_BUFFERED_BODY_BYTES`: 1 GiB of a 4 GiB linear memory.
    pub const MAX_MAX_BUFFERED_BODY_BYTES: usize = 1024 * 1024 * 1024;
    /// Default `MAX_CONNECTIONS`: a served connection costs the module about 12 KiB
    /// (head not complete) to 20 KiB (keep-alive after a request) of linear memory,
    /// which never shrinks, so 2,048 of them stay within about 40 MiB (a connection
    /// waiting for its first byte, about 2 KiB, does not count).
    pub const DEFAULT_MAX_CONNECTIONS: usize = 2048;
    /// Default `FIRST_BYTE_TIMEOUT_SECS`: a client that connects sends its request at once.
    pub const DEFAULT_FIRST_BYTE_TIMEOUT_SECS: u64 = 10;
    /// Default `READ_TIMEOUT_SECS`.
    pub const DEFAULT_READ_TIMEOUT_SECS: u64 = 30;
    /// Default `IDLE_TIMEOUT_SECS`.
    pub const DEFAULT_IDLE_TIMEOUT_SECS: u64 = 60;

    /// Reads the HTTP variables through `get`.
    pub(super) fn from_env<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Result<Self, ConfigError> {
        let mut config = Self::default();
        if let Some(value) = get("MAX_BODY_BYTES") {
            config.max_body_bytes = parse_in_range(
                "MAX_BODY_BYTES",
                value,
                1,
                Self::MAX_MAX_BODY_BYTES,
                "a number of bytes from 1 to 67108864 (64 MiB)",
            )?;
        }
        config.max_buffered_body_bytes = match get("MAX_BUFFERED_BODY_BYTES") {
            Some(value) => {
                let bytes = parse_in_range(
                    "MAX_BUFFERED_BODY_BYTES",
                    value,
                    1,
                    Self::MAX_MAX_BUFFERED_BODY_BYTES,
                    "a number of bytes from 1 to 1073741824 (1 GiB)",
                )?;
                if bytes < config.max_body_bytes {
                    return Err(ConfigError::invalid(
                        "MAX_BUFFERED_BODY_BYTES",
                        value,
                        "at least MAX_BODY_BYTES, or no body of the largest allowed size could be read",
                    ));
                }
                bytes
            }
            None => Self::DEFAULT_MAX_BUFFERED_BODY_BYTES.max(config.max_body_bytes),
        };
        if let Some(value) = get("MAX_CONNECTIONS") {
            config.max_connections =
                parse_in_range("MAX_CONNECTIONS", value, 1, 65_536, "a number from 1 to 65536")?;
        }
        if let Some(value) = get("FIRST_BYTE_TIMEOUT_SECS") {
            let secs = parse_in_range("FIRST_BYTE_TIMEOUT_SECS", value, 1, 3600, "seconds from 1 to 3600")?;
            config.first_byte_timeout = Duration::from_secs(secs);
        }
        if let Some(value) = get("READ_TIMEOUT_SECS") {
            let secs = parse_in_range("READ_TIMEOUT_SECS", value, 1, 3600, "seconds from 1 to 3600")?;
            config.read_timeout = Duration::from_secs(secs);
        }
        if let Some(value) = get("IDLE_TIMEOUT_SECS") {
            let secs = parse_in_range("IDLE_TIMEOUT_SECS", value, 1, 3600, "seconds from 1 to 3600")?;
            config.idle_timeout = Duration::from_secs(secs);
        }
        if let Some(value) = get("CORS_ALLOW_ORIGIN") {
            config.cors = parse_cors(value)?;
        }
        Ok(config)
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: Self::DEFAULT_MAX_BODY_BYTES,
            max_buffered_body_bytes: Self::DEFAULT_MAX_BUFFERED_BODY_BYTES,
            max_connections: Self::DEFAULT_MAX_CONNECTIONS,
            first_byte_timeout: Duration::from_secs(Self::DEFAULT_FIRST_BYTE_TIMEOUT_SECS),
            read_timeout: Duration::from_secs(Self::DEFAULT_READ_TIMEOUT_SECS),
            idle_timeout: Duration::from_secs(Self::DEFAULT_IDLE_TIMEOUT_SECS),
            cors: CorsOrigins::Disabled,
        }
    }
}

/// Parses a decimal integer in `min..=max` (no sign, no spaces).
fn parse_in_range<T>(
    name: &'static str,
    value: &str,
    min: T,
    max: T,
    expected: &'static str,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd,
{
    let all_digits = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
    match value.parse::<T>() {
        Ok(parsed) if all_digits && parsed >= min && parsed <= max => Ok(parsed),
        _ => Err(ConfigError::invalid(name, value, expected)),
    }
}

/// `*`, or comma-separated origins of the form `scheme://host[:port]` (no path).
fn parse_cors(value: &str) -> Result<CorsOrigins, ConfigError> {
    const EXPECTED: &str = "`*` or comma-separated origins such as https://app.example.com";
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Ok(CorsOrigins::Disabled);
    }
    if trimmed == "*" {
        return Ok(CorsOrigins::Any);
    }
    let mut origins = Vec::new();
    for origin in trimmed.split(',').map(str::trim) {
        if !is_origin(origin) {
            return Err(ConfigError::invalid("CORS_ALLOW_ORIGIN", value, EXPECTED));
        }
        origins.push(origin.to_owned());
    }
    Ok(CorsOrigins::List(origins))
}

/// Whether `text` is a serialized origin: `http(s)://host[:port]`, visible ASCII, no path.
fn is_origin(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once("://") else { return false };
    let scheme_ok = !scheme.is_empty() && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+');
    let rest_ok = !rest.is_empty()
        && rest.bytes().all(|b| b.is_ascii_graphic() && !matches!(b, b'/' | b'?' | b'#' | b',' | b'*'));
    scheme_ok && rest_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&'static str, &'static str)]) -> Result<HttpConfig, ConfigError> {
        HttpConfig::from_env(|name| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| *v))
    }

    #[test]
    fn defaults_are_one_mebibyte_2048_connections_and_no_cors() {
        let config = read(&[]).expect("defaults");
        assert_eq!(config.max_body_bytes, 1024 * 1024);
        assert_eq!(config.max_buffered_body_bytes, 32 * 1024 * 1024);
        assert_eq!(config.max_connections, 2048);
        assert_eq!(config.first_byte_timeout, Duration::from_secs(10));
        assert_eq!(config.read_timeout, Duration::from_secs(30));
        assert_eq!(config.idle_timeout, Duration::from_secs(60));
        assert_eq!(config.cors, CorsOrigins::Disabled);
    }

    #[test]
    fn limits_are_read() {
        let config = read(&[
            ("MAX_BODY_BYTES", "2048"),
            ("MAX_CONNECTIONS", "8"),
            ("FIRST_BYTE_TIMEOUT_SECS", "2"),
            ("READ_TIMEOUT_SECS", "5"),
            ("IDLE_TIMEOUT_SECS", "7"),
        ])
        .expect("valid");
        assert_eq!(config.max_body_bytes, 2048);
        assert_eq!(config.max_connections, 8);
        assert_eq!(config.first_byte_timeout, Duration::from_secs(2));
        assert_eq!(config.read_timeout, Duration::from_secs(5));
        assert_eq!(config.idle_timeout, Duration::from_secs(7));
    }

    #[test]
    fn zero_negative_and_oversized_limits_name_the_variable() {
        for (name, value) in [
            ("MAX_BODY_BYTES", "0"),
            ("MAX_BODY_BYTES", "-1"),
            ("MAX_BODY_BYTES", "1e6"),
            ("MAX_BODY_BYTES", "67108865"),
            ("MAX_CONNECTIONS", "0"),
            ("FIRST_BYTE_TIMEOUT_SECS", "0"),
            ("FIRST_BYTE_TIMEOUT_SECS", "3601"),
            ("FIRST_BYTE_TIMEOUT_SECS", "1.5"),
            ("READ_TIMEOUT_SECS", "+5"),
            ("IDLE_TIMEOUT_SECS", "99999999999999999999999"),
        ] {
            let error = read(&[(name, value)]).expect_err("invalid");
            let message = error.to_string();
            assert!(message.contains(name) && message.contains(value), "{message}");
        }
    }

    #[test]
    fn cors_accepts_star_and_origin_lists() {
        assert_eq!(read(&[("CORS_ALLOW_ORIGIN", "*")]).expect("star").cors, CorsOrigins::Any);
        assert_eq!(read(&[("CORS_ALLOW_ORIGIN", "")]).expect("empty").cors, CorsOrigins::Disabled);
        let list = read(&[("CORS_ALLOW_ORIGIN", "https://a.example, http://localhost:3000")]).expect("list");
        assert_eq!(
            list.cors,
            CorsOrigins::List(vec!["https://a.example".into(), "http://localhost:3000".into()])
        );
    }

    #[test]
    fn cors_rejects_paths_and_bare_hosts() {
        for bad in ["example.com", "https://a.example/app", "https://", "https://a.example,,"] {
            let error = read(&[("CORS_ALLOW_ORIGIN", bad)]).expect_err(bad);
            assert!(error.to_string().contains("CORS_ALLOW_ORIGIN"), "{error}");
        }
    }

    #[test]
    fn body_budget_defaults_to_at_least_the_body_limit() {
        let config = read(&[("MAX_BODY_BYTES", "67108864")]).expect("valid");
        assert_eq!(config.max_buffered_body_bytes, 64 * 1024 * 1024);
        let config = read(&[("MAX_BUFFERED_BODY_BYTES", "2048"), ("MAX_BODY_BYTES", "1024")]).expect("valid");
        assert_eq!(config.max_buffered_body_bytes, 2048);
    }

    #[test]
    fn body_budget_below_the_body_limit_is_refused() {
        let error = read(&[("MAX_BUFFERED_BODY_BYTES", "1000")]).expect_err("below 1 MiB");
        let message = error.to_string();
        assert!(
            message.contains("MAX_BUFFERED_BODY_BYTES") && message.contains("MAX_BODY_BYTES"),
            "{message}"
        );
    }
}
