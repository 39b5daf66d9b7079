//! A fresh database per service: a uniquely named database on MariaDB or PostgreSQL,
//! or a Redis database index nobody else holds, emptied when taken and dropped (or
//! emptied and released) when the guard goes, so every service starts on an empty
//! store as the memory store would give it.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use super::server::{database_name, Server};
use super::Backend;
use crate::random::random_u64;
use crate::wait::wait_until;

/// Redis database indexes handed out (0 stays for whoever uses the server's own URL;
/// Debian's redis-server has 16).
const REDIS_INDEXES: std::ops::RangeInclusive<u32> = 1..=15;

/// How long a test waits for a free Redis index.
const REDIS_INDEX_WAIT: Duration = Duration::from_secs(120);

/// A database only one service uses; dropped from its server when this goes.
#[derive(Debug)]
pub struct FreshDatabase {
    server: Server,
    /// The URL the service is given.
    url: String,
    /// What to drop: a database name, or a Redis index and its claim file.
    name: Name,
    /// False once [`FreshDatabase::keep`] disarmed the drop.
    drop_on_drop: bool,
}

#[derive(Debug)]
enum Name {
    Sql(String),
    RedisIndex { index: u32, claim: PathBuf },
}

impl FreshDatabase {
    /// Creates the database on `server`.
    pub(super) fn create(server: Server) -> Self {
        let (url, name) = match server.backend {
            Backend::Mysql | Backend::Postgres => {
                let name = format!("t_{:016x}", random_u64());
                let create = match server.backend {
                    Backend::Mysql => {
                        format!("CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
                    }
                    _ => format!("CREATE DATABASE {name} OWNER {}", user_of(&server.url)),
                };
                server.sql(admin_database(server.backend), &create);
                (with_path(&server.url, &name), Name::Sql(name))
            }
            Backend::Redis => {
                let (index, claim) = claim_redis_index(&server);
                flush_redis(&server, index).unwrap_or_else(|e| panic!("{e}"));
                (with_path(&server.url, &index.to_string()), Name::RedisIndex { index, claim })
            }
        };
        Self { server, url, name, drop_on_drop: true }
    }

    /// The URL the service is given (credentials included).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's name on its server (a Redis index as a number).
    pub fn name(&self) -> &str {
        database_name(&self.url)
    }

    /// The URL, leaving the database on its server (for a server that goes as a whole).
    pub fn keep(mut self) -> String {
        self.drop_on_drop = false;
        std::mem::take(&mut self.url)
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        if !self.drop_on_drop {
            return;
        }
        let dropped = match &self.name {
            // FORCE: connections of the killed service may not have ended yet.
            Name::Sql(name) => match self.server.backend {
                Backend::Postgres => {
                    self.server.try_sql("postgres", &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                }
                _ => self.server.try_sql("mysql", &format!("DROP DATABASE IF EXISTS {name}")),
            }
            .map(drop),
            Name::RedisIndex { index, claim } => {
                let flushed = flush_redis(&self.server, *index);
                let _ = std::fs::remove_file(claim);
                flushed
            }
        };
        if let Err(error) = dropped {
            eprintln!("could not drop the test database {}: {error}", self.name());
        }
    }
}

/// The database the administrator's client connects to for CREATE/DROP DATABASE.
fn admin_database(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "postgres",
        _ => "mysql",
    }
}

/// `url` with its path (database name or Redis index) replaced by `path`.
fn with_path(url: &str, path: &str) -> String {
    let base = url.rsplit_once('/').map_or(url, |(base, _)| base);
    format!("{base}/{path}")
}

/// The user name in `scheme://user:password@host...`.
fn user_of(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    after_scheme.split([':', '@']).next().unwrap_or_default()
}

/// Claims a Redis index no other test holds: a claim file with our process id in the
/// server's directory; a claim whose process is gone (a killed test run) is taken over.
fn claim_redis_index(server: &Server) -> (u32, PathBuf) {
    let mut claimed = None;
    let free = wait_until(REDIS_INDEX_WAIT, || {
        claimed = REDIS_INDEXES.clone().find_map(|index| {
            let claim = server.dir().join(format!("test-index-{index}"));
            try_claim(&claim).then_some((index, claim))
        });
        claimed.is_some()
    });
    assert!(free, "no free Redis database index within {REDIS_INDEX_WAIT:?}");
    claimed.expect("claimed when free")
}

fn try_claim(claim: &PathBuf) -> bool {
    if let Ok(pid) = std::fs::read_to_string(claim) {
        let alive = PathBuf::from(format!("/proc/{}", pid.trim())).exists();
        if alive || std::fs::remove_file(claim).is_err() {
            return false;
        }
    }
    match OpenOptions::new().write(true).create_new(true).open(claim) {
        Ok(mut file) => file.write_all(std::process::id().to_string().as_bytes()).is_ok(),
        Err(_) => false,
    }
}

fn flush_redis(server: &Server, index: u32) -> Result<(), String> {
    let output =
        server.redis_cli(index).arg("FLUSHDB").output().map_err(|e| format!("run redis-cli: {e}"))?;
    let reply = String::from_utf8_lossy(&output.stdout);
    if output.status.success() && reply.trim() == "OK" {
        Ok(())
    } else {
        Err(format!("FLUSHDB on index {index}: {reply}{}", String::from_utf8_lossy(&output.stderr)))
    }
}
