//! Configuration from the environment, parsed once at start into typed settings.
//!
//! Inside WasmEdge the environment is exactly the `--env NAME=VALUE` flags given to the
//! runtime. Every variable has a default, and every bad value is reported with the
//! variable, the value and what was expected, so `main` can print one line and exit 2.
//! The variables themselves are declared once, in [`variables`].

mod database;
mod error;
mod http;
mod log;
pub mod variables;

use std::ffi::OsString;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

pub use database::{
    DatabaseConfig, DatabaseKind, DatabaseUrl, RedisUrl, Secret, ServerUrl, SqliteFile, SqliteSync,
};
pub use error::ConfigError;
pub use http::{CorsOrigins, HttpConfig};
pub use log::{LogConfig, LogFormat, LogLevel};

/// Default TCP port, the same one WasmEdge's examples and our deployment files use.
pub const DEFAULT_PORT: u16 = 8080;

/// The service's settings, valid by construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Address to listen on (`HOST`); `0.0.0.0` so the port is reachable from outside a container.
    pub host: IpAddr,
    /// TCP port to listen on (`PORT`); 0 asks the OS for a free one.
    pub port: u16,
    /// How and how much to log (`LOG_FORMAT`, `LOG_LEVEL`).
    pub log: LogConfig,
    /// Request limits, timeouts and CORS (`MAX_BODY_BYTES`, `CORS_ALLOW_ORIGIN`, ...).
    pub http: HttpConfig,
    /// Which store, cache and database limits (`DATABASE_URL`, `REDIS_URL`, ...).
    pub database: DatabaseConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            host: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            port: DEFAULT_PORT,
            log: LogConfig::default(),
            http: HttpConfig::default(),
            database: DatabaseConfig::default(),
        }
    }
}

impl Config {
    /// Reads the settings from environment variables (pass `std::env::vars_os()`).
    /// Unknown variables are ignored; the first invalid one is the error.
    pub fn from_env<I>(vars: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = (OsString, OsString)>,
    {
        let env = Environment::collect(vars)?;
        Self::from_lookup(|name| env.get(name))
    }

    /// Reads the settings through `get`, which gives a variable's value by name.
    fn from_lookup<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Result<Self, ConfigError> {
        let mut config = Config::default();
        if let Some(value) = get("HOST") {
            config.host = value
                .parse()
                .map_err(|_| ConfigError::invalid("HOST", value, "an IP address such as 0.0.0.0 or ::"))?;
        }
        if let Some(value) = get("PORT") {
            config.port = value
                .parse()
                .map_err(|_| ConfigError::invalid("PORT", value, "a TCP port number from 0 to 65535"))?;
        }
        config.log = LogConfig::from_env(&get)?;
        config.http = HttpConfig::from_env(&get)?;
        config.database = DatabaseConfig::from_env(&get)?;
        Ok(config)
    }

    /// The socket address the server binds.
    pub fn listen_addr(&self) -> SocketAddr {
        SocketAddr::new(self.host, self.port)
    }
}

/// The variables this service reads, as UTF-8 strings.
struct Environment {
    vars: Vec<(String, String)>,
}

impl Environment {
    fn collect<I>(vars: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = (OsString, OsString)>,
    {
        let mut collected = Vec::new();
        for (name, value) in vars {
            // A non-UTF-8 value of a declared variable is an error; other variables
            // are none of our business.
            let Some(name) = name.to_str() else { continue };
            if !variables::is_declared(name) {
                continue;
            }
            let value = value.into_string().map_err(|raw| ConfigError::NotUnicode {
                name: name.to_owned(),
                value: database::mask_credentials(&raw.to_string_lossy()),
            })?;
            collected.push((name.to_owned(), value));
        }
        Ok(Self { vars: collected })
    }

    /// The value of `name`; later definitions win, as in a shell. Surrounding
    /// whitespace is kept, so `PORT=" 80"` is reported rather than guessed at.
    fn get(&self, name: &str) -> Option<&str> {
        self.vars.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
        pairs.iter().map(|(k, v)| (OsString::from(k), OsString::from(v))).collect()
    }

    #[test]
    fn defaults_listen_on_all_interfaces_port_8080() {
        let config = Config::from_env(env(&[])).expect("empty environment is valid");
        assert_eq!(config.listen_addr(), "0.0.0.0:8080".parse().expect("literal"));
    }

    #[test]
    fn port_and_host_are_read() {
        let config = Config::from_env(env(&[("PORT", "9000"), ("HOST", "127.0.0.1")])).expect("valid");
        assert_eq!(config.listen_addr(), "127.0.0.1:9000".parse().expect("literal"));
    }

    #[test]
    fn ipv6_host_is_accepted() {
        let config = Config::from_env(env(&[("HOST", "::1")])).expect("valid");
        assert_eq!(config.host, "::1".parse::<IpAddr>().expect("literal"));
    }

    #[test]
    fn non_numeric_port_names_variable_value_and_expectation() {
        let error = Config::from_env(env(&[("PORT", "abc")])).expect_err("abc is not a port");
        let message = error.to_string();
        assert!(message.contains("PORT"), "{message}");
        assert!(message.contains("abc"), "{message}");
        assert!(message.contains("0 to 65535"), "{message}");
    }

    #[test]
    fn out_of_range_port_is_rejected() {
        let error = Config::from_env(env(&[("PORT", "70000")])).expect_err("too large");
        assert!(error.to_string().contains("70000"));
    }

    #[test]
    fn hostname_is_not_an_ip_address() {
        let error = Config::from_env(env(&[("HOST", "example.com")])).expect_err("not an IP");
        assert!(error.to_string().contains("HOST"));
    }

    #[test]
    fn unrelated_variables_are_ignored() {
        let config = Config::from_env(env(&[("PATH", "/bin"), ("PORTX", "x")])).expect("valid");
        assert_eq!(config, Config::default());
    }
}
