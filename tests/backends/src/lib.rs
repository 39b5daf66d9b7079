//! Private database servers for the backend tests: each [`DbServer`] is a real
//! MariaDB, PostgreSQL or Redis from Debian's packages, started on a free loopback port
//! in its own temporary directory by `scripts/lib/dbservers.sh`, and stopped (and its
//! directory removed) when dropped, also when a test fails.
//!
//! The tests live in `tests/databases.rs`; scripts/test-backends.sh runs them.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Which server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// MariaDB (the service's `mysql://` store).
    MariaDb,
    /// PostgreSQL 15.
    Postgres,
    /// Redis (the cache).
    Redis,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::MariaDb => "mariadb",
            Kind::Postgres => "postgres",
            Kind::Redis => "redis",
        }
    }
}

/// The repository root (this crate lives in tests/backends).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn script() -> PathBuf {
    repo_root().join("scripts/lib/dbservers.sh")
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

/// A running private server; dropping it stops it and deletes its directory.
pub struct DbServer {
    /// Which server.
    pub kind: Kind,
    dir: PathBuf,
    /// The URL the service is given (credentials included).
    pub url: String,
}

impl DbServer {
    /// Starts a new server in a fresh temporary directory (under `EDGE_DB_ROOT` when
    /// set, so the calling script can clean up after a crash).
    pub fn start(kind: Kind) -> Self {
        let parent = std::env::var_os("EDGE_DB_ROOT").map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
        let unique = format!(
            "edge-db-{}-{}-{}",
            kind.name(),
            std::process::id(),
            Instant::now().elapsed().as_nanos() ^ u128::from(rand_u32())
        );
        // Built before starting, so a failed start is cleaned up by `Drop` too.
        let mut server = Self { kind, dir: parent.join(unique), url: String::new() };
        server.url = dbservers(&["start", kind.name(), server.dir_str()]);
        server
    }

    /// The URL of a new, empty database on this server (MariaDB and PostgreSQL).
    pub fn fresh_database(&self) -> String {
        dbservers(&["fresh", self.dir_str()])
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
        dbservers(&["start", self.kind.name(), self.dir_str()]);
    }

    /// Freezes (SIGSTOP) or thaws (SIGCONT) the server's processes: a hung server.
    pub fn freeze(&self, frozen: bool) {
        let pid = std::fs::read_to_string(self.dir.join("pid")).expect("server pid file");
        let signal = if frozen { "-STOP" } else { "-CONT" };
        let status = Command::new("kill").arg(signal).arg("--").arg(format!("-{}", pid.trim())).status();
        assert!(status.is_ok_and(|s| s.success()), "kill {signal} the server");
    }

    /// Runs `sql` as the administrator on `database` through the server's own client
    /// (`mariadb` or `psql`, over its Unix socket); returns the output rows,
    /// tab-separated.
    pub fn sql(&self, database: &str, sql: &str) -> String {
        let output = self.sql_command(database, sql).output().expect("run the SQL client");
        assert!(output.status.success(), "SQL failed: {sql}\n{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
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
        match self.kind {
            Kind::MariaDb => {
                command = Command::new("mariadb");
                command
                    .arg("--no-defaults")
                    .arg("--default-character-set=utf8mb4")
                    .arg(format!("--socket={}", self.dir.join("mysqld.sock").display()))
                    .args(["-uroot", "--batch", "--skip-column-names", "-D", database, "-e", sql]);
            }
            Kind::Postgres => {
                let port = std::fs::read_to_string(self.dir.join("port")).expect("port file");
                command = Command::new("psql");
                command
                    .arg("-h")
                    .arg(&self.dir)
                    .args(["-p", port.trim(), "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1"])
                    .args(["-AtqF", "\t", "-c", sql]);
            }
            Kind::Redis => {
                let port = std::fs::read_to_string(self.dir.join("port")).expect("port file");
                let password = self.redis_password();
                command = Command::new("redis-cli");
                command.args(["-h", "127.0.0.1", "-p", port.trim(), "-a", &password, "--no-auth-warning"]);
                command.args(sql.split_whitespace());
            }
        }
        command.stdin(Stdio::null());
        command
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

/// The database name at the end of a `mysql://` or `postgres://` URL.
pub fn database_name(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or_default()
}

/// Polls `condition` every 50 ms until it holds or `timeout` passes; true if it held.
pub fn wait_until(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn rand_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(u64::from(std::process::id()));
    hasher.finish() as u32
}
