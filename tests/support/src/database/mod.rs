//! Databases for the services under test. The API suite runs once per backend
//! (`EDGE_TEST_BACKEND`: `memory`, `sqlite`, `mysql`, `postgres`, `mysql+redis`,
//! `postgres+redis`); on a database backend every service it starts gets its own fresh
//! database ([`fresh`]) on the servers scripts/test-backends.sh runs under
//! `EDGE_DB_ROOT`, or its own SQLite file in a directory granted to it ([`SqliteDir`]),
//! so each test sees an empty store as it would on the memory store. The database tests
//! start private servers instead ([`DbServer`]) to stop, kill and freeze them.

mod fresh;
mod server;
mod sqlite_dir;

pub use fresh::FreshDatabase;
pub use server::{database_name, DbServer, Server};
pub use sqlite_dir::SqliteDir;

/// A kind of database server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// MariaDB, the service's `mysql://` store.
    Mysql,
    /// PostgreSQL 15, the `postgres://` store.
    Postgres,
    /// Redis, the read-through cache (`REDIS_URL`).
    Redis,
}

impl Backend {
    /// Its directory name under `EDGE_DB_ROOT`, and its kind for `dbservers.sh`.
    pub fn server_name(self) -> &'static str {
        match self {
            Backend::Mysql => "mariadb",
            Backend::Postgres => "postgres",
            Backend::Redis => "redis",
        }
    }

    /// The variable the service reads this backend's URL from.
    pub fn variable(self) -> &'static str {
        match self {
            Backend::Mysql | Backend::Postgres => "DATABASE_URL",
            Backend::Redis => "REDIS_URL",
        }
    }
}

/// A fresh database on the test run's server of `backend`, dropped with the guard.
pub fn fresh(backend: Backend) -> FreshDatabase {
    Server::shared(backend).fresh_database()
}

/// The servers `EDGE_TEST_BACKEND` names (none for `memory`, `sqlite` or when unset).
pub fn run_backends() -> Vec<Backend> {
    let named = std::env::var("EDGE_TEST_BACKEND").unwrap_or_default();
    named
        .split('+')
        .map(str::trim)
        .filter(|part| !part.is_empty() && *part != "memory" && *part != "sqlite")
        .map(|part| match part {
            "mysql" => Backend::Mysql,
            "postgres" => Backend::Postgres,
            "redis" => Backend::Redis,
            other => panic!(
                "EDGE_TEST_BACKEND={named}: unknown backend '{other}' \
                 (memory, sqlite, mysql, postgres, mysql+redis, postgres+redis)"
            ),
        })
        .collect()
}

/// The store kind the service reports (`/api/ready`, `edge_service_build_info`) on the
/// backend this run names: `memory`, `sqlite`, `mysql` or `postgres` (a cache in front
/// reports the store behind it).
pub fn run_store_kind() -> &'static str {
    if run_on_sqlite() {
        return "sqlite";
    }
    let servers = run_backends();
    if servers.contains(&Backend::Mysql) {
        "mysql"
    } else if servers.contains(&Backend::Postgres) {
        "postgres"
    } else {
        "memory"
    }
}

/// True when `EDGE_TEST_BACKEND` is `sqlite`: the embedded store in a granted directory.
pub fn run_on_sqlite() -> bool {
    std::env::var("EDGE_TEST_BACKEND").is_ok_and(|named| named.trim() == "sqlite")
}

/// The fresh databases of one service: one per backend of the run whose variable the
/// test did not set itself; dropped after the service.
#[derive(Debug)]
pub struct ServiceDatabases {
    /// Held to drop the databases when the service is gone.
    _databases: Vec<FreshDatabase>,
    /// Held to remove the SQLite directory when the service is gone.
    sqlite: Option<SqliteDir>,
    variables: Vec<(&'static str, String)>,
}

impl ServiceDatabases {
    /// Creates the databases for a service started with `env`.
    pub fn for_service(env: &[(&str, &str)]) -> Self {
        let mut databases = Vec::new();
        let mut variables = Vec::new();
        for backend in run_backends() {
            if env.iter().any(|(name, _)| *name == backend.variable()) {
                continue;
            }
            let database = fresh(backend);
            variables.push((backend.variable(), database.url().to_owned()));
            databases.push(database);
        }
        let sqlite = (run_on_sqlite() && !env.iter().any(|(name, _)| *name == "DATABASE_URL")).then(|| {
            let dir = SqliteDir::new();
            variables.push(("DATABASE_URL", dir.url()));
            dir
        });
        Self { _databases: databases, sqlite, variables }
    }

    /// The runner's `--dir` grants the service needs (its SQLite directory, if any).
    pub fn grants(&self) -> Vec<String> {
        self.sqlite.iter().map(SqliteDir::grant).collect()
    }

    /// The service's environment: the databases' URLs, then `env`.
    pub fn env<'a>(&'a self, env: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        let mut all: Vec<(&str, &str)> =
            self.variables.iter().map(|(name, url)| (*name, url.as_str())).collect();
        all.extend_from_slice(env);
        all
    }
}
