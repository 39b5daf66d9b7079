//! The embedded SQLite store for the API suite (`EDGE_TEST_BACKEND=sqlite`): every
//! service gets its own empty directory holding its database file, granted to the
//! module as `/data` (`--dir /data:DIR`, as `scripts/run.sh` does), or named by its host
//! path for the native build; the directory is removed with the guard.

use std::path::PathBuf;

use crate::random::random_u64;

/// Where the module sees the granted directory.
const GUEST_DIR: &str = "/data";
/// The database file's name in it.
const FILE: &str = "edge-service.db";

/// A fresh directory for one service's SQLite file.
#[derive(Debug)]
pub struct SqliteDir {
    host: PathBuf,
}

impl SqliteDir {
    /// Creates an empty directory under the system's temporary directory.
    pub fn new() -> Self {
        let host = std::env::temp_dir().join(format!("edge-sqlite-{:016x}", random_u64()));
        std::fs::create_dir_all(&host).expect("create the SQLite directory");
        Self { host }
    }

    /// `DATABASE_URL` for the service: the file under `/data`, or under its host path
    /// when the service runs natively (it sees the host's file system).
    pub fn url(&self) -> String {
        if std::env::var("EDGE_RUNTIME").as_deref() == Ok("native") {
            format!("sqlite://{}/{FILE}", self.host.display())
        } else {
            format!("sqlite://{GUEST_DIR}/{FILE}")
        }
    }

    /// The runner's `--dir` value granting the directory (`/data:HOST`).
    pub fn grant(&self) -> String {
        format!("{GUEST_DIR}:{}", self.host.display())
    }
}

impl Default for SqliteDir {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for SqliteDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.host);
    }
}
