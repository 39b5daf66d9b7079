//! Databases for the services under test. The API suite runs once per backend
//! (`EDGE_TEST_BACKEND`: `memory`, `mysql`, `postgres`, `mysql+redis`, `postgres+redis`);
//! on a database backend every service it starts gets its own fresh database
//! ([`fresh`]) on the servers scripts/test-backends.sh runs under `EDGE_DB_ROOT`, so each
//! test sees an empty store as it would on the memory store. The database tests start
//! private servers instead ([`DbServer`]) to stop, kill and freeze them.

mod fresh;
mod server;

pub use fresh::FreshDatabase;
pub use server::{database_name, DbServer, Server};

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

/// The backends `EDGE_TEST_BACKEND` names (none for `memory` or when unset).
pub fn run_backends() -> Vec<Backend> {
    let named = std::env::var("EDGE_TEST_BACKEND").unwrap_or_default();
    named
        .split('+')
        .map(str::trim)
        .filter(|part| !part.is_empty() && *part != "memory")
        .map(|part| match part {
            "mysql" => Backend::Mysql,
            "postgres" => Backend::Postgres,
            "redis" => Backend::Redis,
            other => panic!(
                "EDGE_TEST_BACKEND={named}: unknown backend '{other}' \
                 (memory, mysql, postgres, mysql+redis, postgres+redis)"
            ),
        })
        .collect()
}

/// The fresh databases of one service: one per backend of the run whose variable the
/// test did not set itself; dropped after the service.
#[derive(Debug)]
pub struct ServiceDatabases {
    /// Held to drop the databases when the service is gone.
    _databases: Vec<FreshDatabase>,
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
        Self { _databases: databases, variables }
    }

    /// The service's environment: the databases' URLs, then `env`.
    pub fn env<'a>(&'a self, env: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        let mut all: Vec<(&str, &str)> =
            self.variables.iter().map(|(name, url)| (*name, url.as_str())).collect();
        all.extend_from_slice(env);
        all
    }
}
