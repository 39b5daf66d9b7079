//! Storage settings: `DATABASE_URL` (which store: a database server, or a SQLite file
//! inside the module), `SQLITE_SYNC` (what an acknowledged SQLite write survives),
//! `REDIS_URL` (optional read-through cache), `CACHE_TTL_SECS`, `CACHE_TIMEOUT_MS`,
//! `DB_TIMEOUT_MS` and `DB_POOL_SIZE`.
//!
//! URLs are parsed completely here, so a typo stops the service at start (exit 2)
//! instead of at the first request. Passwords live in [`Secret`], whose `Debug` and
//! `Display` print `***`, and every URL prints masked, so credentials never reach a log
//! line or an error message.

use std::fmt;
use std::time::Duration;

use percent_encoding::percent_decode_str;

use super::ConfigError;

/// A password: usable by the store, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that sends it to a server.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Which database server a [`ServerUrl`] names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    /// `mysql://`: MySQL or MariaDB.
    MySql,
    /// `postgres://` or `postgresql://`.
    Postgres,
}

impl DatabaseKind {
    /// The port used when the URL names none.
    pub fn default_port(self) -> u16 {
        match self {
            Self::MySql => 3306,
            Self::Postgres => 5432,
        }
    }

    fn scheme(self) -> &'static str {
        match self {
            Self::MySql => "mysql",
            Self::Postgres => "postgres",
        }
    }
}

/// A parsed `DATABASE_URL`: a database server, or a SQLite file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `mysql://…`, `postgres://…`: a server reached over the network.
    Server(ServerUrl),
    /// `sqlite:///path/file.db`: a file in a directory the runtime grants the module.
    Sqlite(SqliteFile),
}

impl DatabaseUrl {
    /// Identifies the data set without credentials, e.g. to keep cache keys of two
    /// databases apart.
    pub fn location(&self) -> String {
        match self {
            Self::Server(server) => server.location(),
            Self::Sqlite(file) => file.to_string(),
        }
    }
}

impl fmt::Display for DatabaseUrl {
    /// The URL with any password replaced by `***`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Server(server) => server.fmt(f),
            Self::Sqlite(file) => file.fmt(f),
        }
    }
}

/// A SQLite database file, by its absolute path as the module sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteFile {
    /// The absolute path, such as `/data/edge-service.db`.
    pub path: String,
}

impl fmt::Display for SqliteFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sqlite://{}", self.path)
    }
}

/// `SQLITE_SYNC`: when a SQLite write is on the disk, relative to its response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqliteSync {
    /// `full` (default): every acknowledged write was fsync'd before its response, so
    /// it survives a crash of the process, the runtime and the machine (power loss).
    Full,
    /// `normal`: every acknowledged write survives a crash of the process or the
    /// runtime; after a power loss the writes since the last WAL checkpoint may be
    /// lost (the database stays consistent). Faster: no fsync per write.
    Normal,
}

impl SqliteSync {
    /// The setting's value, as SQLite's `PRAGMA synchronous` takes it too.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Normal => "normal",
        }
    }
}

/// A database server's URL: `scheme://user[:password]@host[:port]/database`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerUrl {
    /// MySQL/MariaDB or PostgreSQL.
    pub kind: DatabaseKind,
    /// Host name or IP address (IPv6 without brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// User name (percent-decoded).
    pub user: String,
    /// Password (percent-decoded), if the URL has one.
    pub password: Option<Secret>,
    /// Database name.
    pub database: String,
}

impl ServerUrl {
    /// `host:port/database` without credentials: identifies the data set.
    pub fn location(&self) -> String {
        format!("{}://{}:{}/{}", self.kind.scheme(), bracket_ipv6(&self.host), self.port, self.database)
    }
}

impl fmt::Display for ServerUrl {
    /// The URL with the password replaced by `***`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let password = if self.password.is_some() { ":***" } else { "" };
        write!(
            f,
            "{}://{}{}@{}:{}/{}",
            self.kind.scheme(),
            self.user,
            password,
            bracket_ipv6(&self.host),
            self.port,
            self.database
        )
    }
}

/// A parsed `REDIS_URL`: `redis://[[user]:password@]host[:port][/db]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisUrl {
    /// Host name or IP address (IPv6 without brackets).
    pub host: String,
    /// TCP port (default 6379).
    pub port: u16,
    /// ACL user name, if any.
    pub user: Option<String>,
    /// Password, if any.
    pub password: Option<Secret>,
    /// Logical database number (default 0).
    pub db: i64,
}

impl fmt::Display for RedisUrl {
    /// The URL with the password replaced by `***`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let user = self.user.as_deref().unwrap_or("");
        let credentials = match (&self.user, &self.password) {
            (_, Some(_)) => format!("{user}:***@"),
            (Some(user), None) => format!("{user}@"),
            (None, None) => String::new(),
        };
        write!(f, "redis://{credentials}{}:{}/{}", bracket_ipv6(&self.host), self.port, self.db)
    }
}

/// The storage part of the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseConfig {
    /// `DATABASE_URL`: unset or empty → the in-memory store.
    pub url: Option<DatabaseUrl>,
    /// `SQLITE_SYNC`: what an acknowledged write to a SQLite store survives.
    pub sqlite_sync: SqliteSync,
    /// `REDIS_URL`: unset or empty → no cache.
    pub redis: Option<RedisUrl>,
    /// `CACHE_TTL_SECS`: how long a cached user may be served (default 60).
    pub cache_ttl: Duration,
    /// `CACHE_TIMEOUT_MS`: how long a cache call may take before it is bypassed (default 100).
    pub cache_timeout: Duration,
    /// `DB_TIMEOUT_MS`: the longest a database operation may take, waiting for a pooled
    /// connection included, before the request gets 503 (default 5000).
    pub timeout: Duration,
    /// `DB_POOL_SIZE`: the most connections the service opens to the database (default 8).
    pub pool_size: usize,
}

impl DatabaseConfig {
    /// Default `CACHE_TTL_SECS`.
    pub const DEFAULT_CACHE_TTL_SECS: u64 = 60;
    /// Default `CACHE_TIMEOUT_MS`.
    pub const DEFAULT_CACHE_TIMEOUT_MS: u64 = 100;
    /// Default `DB_TIMEOUT_MS`.
    pub const DEFAULT_TIMEOUT_MS: u64 = 5000;
    /// Default `DB_POOL_SIZE`.
    pub const DEFAULT_POOL_SIZE: usize = 8;

    /// Reads the storage variables through `get`.
    pub(super) fn from_env<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Result<Self, ConfigError> {
        let mut config = Self::default();
        if let Some(value) = get("DATABASE_URL").filter(|v| !v.trim().is_empty()) {
            config.url = Some(parse_database_url(value)?);
        }
        if let Some(value) = get("SQLITE_SYNC") {
            config.sqlite_sync = match value {
                "full" => SqliteSync::Full,
                "normal" => SqliteSync::Normal,
                _ => return Err(ConfigError::invalid("SQLITE_SYNC", value, "full or normal")),
            };
        }
        if let Some(value) = get("REDIS_URL").filter(|v| !v.trim().is_empty()) {
            config.redis = Some(parse_redis_url(value)?);
        }
        if let Some(value) = get("CACHE_TTL_SECS") {
            let secs = number_in("CACHE_TTL_SECS", value, 1, 86_400, "seconds from 1 to 86400")?;
            config.cache_ttl = Duration::from_secs(secs);
        }
        if let Some(value) = get("CACHE_TIMEOUT_MS") {
            let ms = number_in("CACHE_TIMEOUT_MS", value, 1, 10_000, "milliseconds from 1 to 10000")?;
            config.cache_timeout = Duration::from_millis(ms);
        }
        if let Some(value) = get("DB_TIMEOUT_MS") {
            let ms = number_in("DB_TIMEOUT_MS", value, 1, 600_000, "milliseconds from 1 to 600000")?;
            config.timeout = Duration::from_millis(ms);
        }
        if let Some(value) = get("DB_POOL_SIZE") {
            let size = number_in("DB_POOL_SIZE", value, 1, 100, "a number of connections from 1 to 100")?;
            config.pool_size = usize::try_from(size).unwrap_or(Self::DEFAULT_POOL_SIZE);
        }
        Ok(config)
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: None,
            sqlite_sync: SqliteSync::Full,
            redis: None,
            cache_ttl: Duration::from_secs(Self::DEFAULT_CACHE_TTL_SECS),
            cache_timeout: Duration::from_millis(Self::DEFAULT_CACHE_TIMEOUT_MS),
            timeout: Duration::from_millis(Self::DEFAULT_TIMEOUT_MS),
            pool_size: Self::DEFAULT_POOL_SIZE,
        }
    }
}

/// A decimal integer in `min..=max` (digits only: no sign, no spaces).
fn number_in(
    name: &'static str,
    value: &str,
    min: u64,
    max: u64,
    expected: &'static str,
) -> Result<u64, ConfigError> {
    let digits = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
    match value.parse::<u64>() {
        Ok(n) if digits && (min..=max).contains(&n) => Ok(n),
        _ => Err(ConfigError::invalid(name, value, expected)),
    }
}

const DATABASE_URL_SHAPE: &str = "mysql://user:password@host:port/database, \
     postgres://user:password@host:port/database or sqlite:///absolute/path.db";

/// Parses `DATABASE_URL`; errors carry the masked value and what was wrong.
fn parse_database_url(raw: &str) -> Result<DatabaseUrl, ConfigError> {
    match raw.strip_prefix("sqlite:") {
        Some(path) => parse_sqlite_path(raw, path).map(DatabaseUrl::Sqlite),
        None => parse_server_url(raw).map(DatabaseUrl::Server),
    }
}

/// `sqlite:///absolute/path`: the path as the module sees it (inside a directory the
/// runtime grants, such as `wasmedge --dir /data:/srv/edge`).
fn parse_sqlite_path(raw: &str, after_scheme: &str) -> Result<SqliteFile, ConfigError> {
    let invalid = |expected: &'static str| ConfigError::invalid("DATABASE_URL", raw, expected);
    let path = after_scheme.strip_prefix("//").filter(|path| path.starts_with('/')).ok_or_else(|| {
        invalid("sqlite:// followed by an absolute path, such as sqlite:///data/edge-service.db")
    })?;
    let name = path.rsplit('/').next().unwrap_or_default();
    if name.is_empty() || name == "." || name == ".." {
        return Err(invalid("a path that ends in a file name, such as sqlite:///data/edge-service.db"));
    }
    if path.contains(['?', '#', '\0']) {
        return Err(invalid("a plain file path (no query, fragment or NUL)"));
    }
    Ok(SqliteFile { path: path.to_owned() })
}

/// Parses a database server's URL.
fn parse_server_url(raw: &str) -> Result<ServerUrl, ConfigError> {
    let invalid =
        |expected: &'static str| ConfigError::invalid("DATABASE_URL", &mask_credentials(raw), expected);
    let url = url::Url::parse(raw).map_err(|_| invalid(DATABASE_URL_SHAPE))?;
    let kind = match url.scheme() {
        "mysql" => DatabaseKind::MySql,
        "postgres" | "postgresql" => DatabaseKind::Postgres,
        _ => return Err(invalid("a URL whose scheme is mysql://, postgres://, postgresql:// or sqlite://")),
    };
    let host = url_host(&url).ok_or_else(|| invalid("a host name or IP address after the credentials"))?;
    if url.username().is_empty() {
        return Err(invalid("a user name before the host (user:password@host)"));
    }
    let user =
        decode(url.username()).ok_or_else(|| invalid("a user name that is valid percent-encoded UTF-8"))?;
    let password = match url.password() {
        Some(password) => Some(Secret::new(
            decode(password).ok_or_else(|| invalid("a password that is valid percent-encoded UTF-8"))?,
        )),
        None => None,
    };
    let database = url.path().strip_prefix('/').unwrap_or_default();
    if database.is_empty() || database.contains('/') {
        return Err(invalid("a database name as the URL's path, such as /edge"));
    }
    let database =
        decode(database).ok_or_else(|| invalid("a database name that is valid percent-encoded UTF-8"))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("no query parameters (TLS and other options are not supported)"));
    }
    let port = url.port().unwrap_or(kind.default_port());
    Ok(ServerUrl { kind, host, port, user, password, database })
}

/// Parses `REDIS_URL`.
fn parse_redis_url(raw: &str) -> Result<RedisUrl, ConfigError> {
    const SHAPE: &str = "redis://[[user]:password@]host[:port][/db]";
    let invalid =
        |expected: &'static str| ConfigError::invalid("REDIS_URL", &mask_credentials(raw), expected);
    let url = url::Url::parse(raw).map_err(|_| invalid(SHAPE))?;
    if url.scheme() != "redis" {
        return Err(invalid("a URL whose scheme is redis:// (TLS is not supported)"));
    }
    let host = url_host(&url).ok_or_else(|| invalid(SHAPE))?;
    let user = match url.username() {
        "" => None,
        name => Some(decode(name).ok_or_else(|| invalid(SHAPE))?),
    };
    let password = match url.password() {
        Some(password) => Some(Secret::new(decode(password).ok_or_else(|| invalid(SHAPE))?)),
        None => None,
    };
    let db = match url.path().trim_start_matches('/') {
        "" => 0,
        number => number_in("REDIS_URL", number, 0, 1_000_000, "a database number as the path, such as /0")
            .map_err(|_| invalid("a database number as the path, such as /0"))?
            .try_into()
            .map_err(|_| invalid(SHAPE))?,
    };
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("no query parameters"));
    }
    Ok(RedisUrl { host, port: url.port().unwrap_or(6379), user, password, db })
}

/// The URL's host without IPv6 brackets, if it has a non-empty one.
fn url_host(url: &url::Url) -> Option<String> {
    let host = url.host_str().filter(|h| !h.is_empty())?;
    Some(host.trim_start_matches('[').trim_end_matches(']').to_owned())
}

fn decode(text: &str) -> Option<String> {
    percent_decode_str(text).decode_utf8().ok().map(|s| s.into_owned())
}

fn bracket_ipv6(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    }
}

/// `raw` with any password replaced by `***`, also when the URL does not parse:
/// whatever sits between `scheme://user:` and the last `@` is hidden.
pub fn mask_credentials(raw: &str) -> String {
    let (scheme, rest) = match raw.find("://") {
        Some(at) => raw.split_at(at.saturating_add(3)),
        None => ("", raw),
    };
    let Some(at) = rest.rfind('@') else { return raw.to_owned() };
    let (userinfo, host) = rest.split_at(at);
    match userinfo.split_once(':') {
        Some((user, _password)) => format!("{scheme}{user}:***{host}"),
        // Without `scheme://` a lone userinfo may itself be a secret (`token@host`).
        None if scheme.is_empty() => format!("***{host}"),
        None => raw.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&'static str, &'static str)]) -> Result<DatabaseConfig, ConfigError> {
        DatabaseConfig::from_env(|name| pairs.iter().rev().find(|(n, _)| *n == name).map(|(_, v)| *v))
    }

    #[test]
    fn unset_or_empty_url_means_the_memory_store_with_defaults() {
        for pairs in [&[][..], &[("DATABASE_URL", ""), ("REDIS_URL", " ")][..]] {
            let config = read(pairs).expect("valid");
            assert_eq!(config, DatabaseConfig::default());
        }
        let config = DatabaseConfig::default();
        assert_eq!(config.timeout, Duration::from_millis(5000));
        assert_eq!(config.cache_ttl, Duration::from_secs(60));
    }

    #[test]
    fn mysql_url_is_parsed_and_decoded() {
        let config =
            read(&[("DATABASE_URL", "mysql://edge:p%40ss%3Aw@127.0.0.1:3307/users")]).expect("valid");
        let Some(DatabaseUrl::Server(url)) = config.url else { panic!("a server URL") };
        assert_eq!(url.kind, DatabaseKind::MySql);
        assert_eq!((url.host.as_str(), url.port), ("127.0.0.1", 3307));
        assert_eq!(url.user, "edge");
        assert_eq!(url.password.as_ref().map(Secret::expose), Some("p@ss:w"));
        assert_eq!(url.database, "users");
    }

    #[test]
    fn postgres_schemes_default_ports_and_ipv6_hosts() {
        let server = |raw: &'static str| match read(&[("DATABASE_URL", raw)]).expect("valid").url {
            Some(DatabaseUrl::Server(url)) => url,
            other => panic!("a server URL, not {other:?}"),
        };
        let url = server("postgresql://edge@[::1]/db");
        assert_eq!((url.kind, url.host.as_str(), url.port), (DatabaseKind::Postgres, "::1", 5432));
        assert_eq!(url.to_string(), "postgres://edge@[::1]:5432/db");
        assert_eq!(server("postgres://a:b@db.internal/x").host, "db.internal");
    }

    #[test]
    fn sqlite_urls_name_an_absolute_file_path() {
        let url = read(&[("DATABASE_URL", "sqlite:///data/edge-service.db")]).expect("valid").url;
        assert_eq!(url, Some(DatabaseUrl::Sqlite(SqliteFile { path: "/data/edge-service.db".into() })));
        assert_eq!(url.map(|u| u.to_string()).as_deref(), Some("sqlite:///data/edge-service.db"));
        for bad in [
            "sqlite://data.db",
            "sqlite:/data.db",
            "sqlite:///data/",
            "sqlite:///data/..",
            "sqlite:///a.db?mode=ro",
        ] {
            let error = read(&[("DATABASE_URL", bad)]).expect_err(bad).to_string();
            assert!(error.contains("DATABASE_URL") && error.contains("sqlite:///"), "{error}");
        }
    }

    #[test]
    fn sqlite_sync_is_full_unless_normal_is_asked_for() {
        assert_eq!(read(&[]).expect("valid").sqlite_sync, SqliteSync::Full);
        assert_eq!(read(&[("SQLITE_SYNC", "normal")]).expect("valid").sqlite_sync, SqliteSync::Normal);
        let error = read(&[("SQLITE_SYNC", "off")]).expect_err("off").to_string();
        assert!(error.contains("SQLITE_SYNC") && error.contains("full or normal"), "{error}");
    }

    #[test]
    fn printed_urls_and_debug_output_never_show_the_password() {
        let config = read(&[
            ("DATABASE_URL", "mysql://edge:hunter2@127.0.0.1/edge"),
            ("REDIS_URL", "redis://:hunter2@127.0.0.1:6380/2"),
        ])
        .expect("valid");
        let url = config.url.as_ref().expect("db");
        assert_eq!(url.to_string(), "mysql://edge:***@127.0.0.1:3306/edge");
        let redis = config.redis.as_ref().expect("redis");
        assert_eq!(redis.to_string(), "redis://:***@127.0.0.1:6380/2");
        assert_eq!(redis.password.as_ref().map(Secret::expose), Some("hunter2"));
        assert!(!format!("{config:?}").contains("hunter2"));
    }

    #[test]
    fn bad_urls_exit_with_a_masked_message() {
        for bad in [
            "http://edge:hunter2@127.0.0.1/edge",
            "mysql://edge:hunter2@127.0.0.1",
            "mysql://edge:hunter2@127.0.0.1/a/b",
            "mysql://:hunter2@127.0.0.1/edge",
            "postgres://edge:hunter2@127.0.0.1:99999/edge",
            "postgres://edge:hunter2@127.0.0.1/edge?sslmode=require",
            "edge:hunter2@127.0.0.1",
            "mysql//edge:hunter2@127.0.0.1/edge",
        ] {
            let error = read(&[("DATABASE_URL", bad)]).expect_err(bad).to_string();
            assert!(error.contains("DATABASE_URL"), "{error}");
            assert!(!error.contains("hunter2"), "password leaked for {bad}: {error}");
        }
        let error = read(&[("REDIS_URL", "rediss://:hunter2@h/0")]).expect_err("tls").to_string();
        assert!(error.contains("REDIS_URL") && !error.contains("hunter2"), "{error}");
    }

    #[test]
    fn masking_handles_unparsable_values() {
        assert_eq!(mask_credentials("mysql://u:p@ss@h/db"), "mysql://u:***@h/db");
        assert_eq!(mask_credentials("u:p@h"), "u:***@h");
        assert_eq!(mask_credentials("token@h"), "***@h");
        assert_eq!(mask_credentials("mysql://h/db"), "mysql://h/db");
    }

    #[test]
    fn numbers_are_range_checked() {
        let config = read(&[
            ("DB_TIMEOUT_MS", "250"),
            ("CACHE_TTL_SECS", "5"),
            ("CACHE_TIMEOUT_MS", "20"),
            ("DB_POOL_SIZE", "3"),
        ])
        .expect("valid");
        assert_eq!(config.timeout, Duration::from_millis(250));
        assert_eq!(config.cache_ttl, Duration::from_secs(5));
        assert_eq!(config.cache_timeout, Duration::from_millis(20));
        assert_eq!(config.pool_size, 3);
        for (name, value) in [("DB_TIMEOUT_MS", "0"), ("CACHE_TTL_SECS", "-1"), ("DB_POOL_SIZE", "101")] {
            let error = read(&[(name, value)]).expect_err(value).to_string();
            assert!(error.contains(name) && error.contains(value), "{error}");
        }
    }

    #[test]
    fn redis_url_defaults() {
        let redis = read(&[("REDIS_URL", "redis://127.0.0.1")]).expect("valid").redis.expect("redis");
        assert_eq!((redis.port, redis.db, redis.user, redis.password), (6379, 0, None, None));
    }
}
