//! Database servers the tests talk to: real MariaDB, PostgreSQL and Redis from Debian's
//! packages, each in its own directory on a free loopback port, managed by
//! `scripts/lib/dbservers.sh`. A [`Server`] is a handle on one (the test run's shared
//! servers under `EDGE_DB_ROOT`, see [`Server::shared`]); a [`DbServer`] is a private
//! server a test starts, stops, kills or freezes, removed with its directory when dropped.

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::fresh::FreshDatabase;
use super::Backend;
use crate::random::random_u64;

/// A running (or stopped) server in `dir`; the handle does not stop it.
#[derive(Debug, Clone)]
pub struct Server {
    /// Which server.
    pub backend: Backend,
    /// Its directory: data, socket, logs, and `port`, `pid` and `url` files.
    dir: PathBuf,
    /// The URL the service is given (credentials included).
    pub url: String,
}

impl Server {
    /// The test run's server of `backend`, which scripts/test-backends.sh started in
    /// `$EDGE_DB_ROOT/<mariadb|postgres|redis>`.
    pub fn shared(backend: Backend) -> Self {
        let root = std::env::var_os("EDGE_DB_ROOT").unwrap_or_else(|| {
            panic!("{backend:?} needs the database servers of scripts/test-backends.sh (EDGE_DB_ROOT is not set)")
        });
        let dir = Path::new(&root).join(backend.server_name());
        let url = std::fs::read_to_string(dir.join("url"))
            .unwrap_or_else(|e| panic!("no {backend:?} server in {} ({e})", dir.display()));
        Self { backend, dir, url: url.trim().to_owned() }
    }

    /// A new, empty database on this server, dropped again with the returned guard.
    pub fn fresh_database(&self) -> FreshDatabase {
        FreshDatabase::create(self.clone())
    }

    /// The server's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Runs `sql` as the administrator on `database` through the server's own client
    /// (`mariadb` or `psql`, over its Unix socket; for Redis a `redis-cli` command on
    /// database 0); returns the output rows, tab-separated.
    pub fn sql(&self, database: &str, sql: &str) -> String {
        self.try_sql(database, sql).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`Server::sql`], returning the failure instead of panicking.
    pub fn try_sql(&self, database: &str, sql: &str) -> Result<String, String> {
        let output =
            self.sql_command(database, sql).output().map_err(|e| format!("run the SQL client: {e}"))?;
        if !output.status.success() {
            return Err(format!("SQL failed: {sql}\n{}", String::from_utf8_lossy(&output.stderr)));
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }

    /// Starts `sql` in the background (e.g. a session that holds a lock and sleeps).
    pub fn sql_in_background(&self, database: &str, sql: &str) -> Child {
        self.sql_command(database, sql)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the SQL client")
    }

    fn sql_command(&self, database: &str, sql: &str) -> Command {
        let mut command;
        match self.backend {
            Backend::Mysql => {
                command = Command::new("mariadb");
                command
                    .arg("--no-defaults")
                    .arg("--default-character-set=utf8mb4")
                    .arg(format!("--socket={}", self.dir.join("mysqld.sock").display()))
                    .args(["-uroot", "--batch", "--skip-column-names", "-D", database, "-e", sql]);
            }
            Backend::Postgres => {
                command = Command::new("psql");
                command
                    .arg("-h")
                    .arg(&self.dir)
                    .args(["-p", &self.port(), "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1"])
                    .args(["-AtqF", "\t", "-c", sql]);
            }
            Backend::Redis => {
                command = self.redis_cli(0);
                command.args(sql.split_whitespace());
            }
        }
        command.stdin(Stdio::null());
        command
    }

    /// `redis-cli` on database `index` of this Redis server.
    pub(super) fn redis_cli(&self, index: u32) -> Command {
        let password = self.redis_password();
        let mut command = Command::new("redis-cli");
        command.args(["-h", "127.0.0.1", "-p", &self.port(), "-a", &password, "--no-auth-warning"]);
        command.arg("-n").arg(index.to_string());
        command.stdin(Stdio::null());
        command
    }

    fn port(&self) -> String {
        let port = std::fs::read_to_string(self.dir.join("port")).expect("the server's port file");
        port.trim().to_owned()
    }

    fn redis_password(&self) -> String {
        // redis://:PASSWORD@host:port/0, percent-encoded.
        let encoded = self.url.trim_start_matches("redis://:").split('@').next().unwrap_or_default();
        encoded.replace("%2F", "/").replace("%40", "@")
    }

    fn dir_str(&self) -> &str {
        self.dir.to_str().expect("temp path is UTF-8")
    }
}

/// A private server; dropping it stops it and deletes its directory.
pub struct DbServer {
    server: Server,
}

impl DbServer {
    /// Starts a new server in a fresh temporary directory (under `EDGE_DB_ROOT` when
    /// set, so the calling script can clean up after a crash).
    pub fn start(backend: Backend) -> Self {
        let parent = std::env::var_os("EDGE_DB_ROOT").map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
        let unique =
            format!("edge-db-{}-{}-{:016x}", backend.server_name(), std::process::id(), random_u64());
        // Built before starting, so a failed start is cleaned up by `Drop` too.
        let mut private = Self { server: Server { backend, dir: parent.join(unique), url: String::new() } };
        private.server.url = dbservers(&["start", backend.server_name(), private.dir_str()]);
        private
    }

    /// The URL of a new, empty database on this server (MariaDB and PostgreSQL); it is
    /// kept until the whole server goes.
    pub fn fresh_database(&self) -> String {
        self.server.fresh_database().keep()
    }

    /// Stops the server cleanly (data kept).
    pub fn stop(&self) {
        dbservers(&["stop", self.dir_str()]);
    }

    /// Kills the server with SIGKILL, as a crash would (data kept).
    pub fn kill(&self) {
        dbservers(&["kill", self.dir_str()]);
    }

    /// Starts the server again on the same port with the same data.
    pub fn restart(&self) {
        dbservers(&["start", self.backend.server_name(), self.dir_str()]);
    }

    /// Freezes (SIGSTOP) or thaws (SIGCONT) the server's processes: a hung server.
    pub fn freeze(&self, frozen: bool) {
        let pid = std::fs::read_to_string(self.dir.join("pid")).expect("server pid file");
        let signal = if frozen { "-STOP" } else { "-CONT" };
        let status = Command::new("kill").arg(signal).arg("--").arg(format!("-{}", pid.trim())).status();
        assert!(status.is_ok_and(|s| s.success()), "kill {signal} the server");
    }
}

impl Deref for DbServer {
    type Target = Server;

    fn deref(&self) -> &Server {
        &self.server
    }
}

impl Drop for DbServer {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(script())
            .args(["stop", self.dir_str()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn script() -> PathBuf {
    crate::repo_root().join("scripts/lib/dbservers.sh")
}

/// Runs `dbservers.sh ARGS...`; panics with its output if it fails. Returns stdout.
fn dbservers(args: &[&str]) -> String {
    let output = Command::new("bash")
        .arg(script())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run dbservers.sh {args:?}: {e}"));
    assert!(
        output.status.success(),
        "dbservers.sh {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// The database name at the end of a `mysql://` or `postgres://` URL.
pub fn database_name(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or_default()
}
