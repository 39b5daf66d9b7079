//! The end-to-end test harness of edge-service, shared by the API suite (`tests/api`)
//! and the database tests (`tests/backends`). Every test starts the real service as a
//! process, talks HTTP to it over loopback, and stops it when done, also on failure.
//!
//! Map:
//! - [`runner`]: which program runs the service (edge-host, `wasmedge` or the native
//!   build), chosen by `EDGE_RUNTIME`, and the module it runs.
//! - [`app`]: [`TestApp`], one running service on a free port, with its log.
//! - [`client`]: a small HTTP/1.1 client that controls every byte it sends.
//! - [`users`]: requests and assertions of the users API, unique emails and ids.
//! - [`database`]: a fresh database per service on the test run's MariaDB, PostgreSQL or
//!   Redis (`EDGE_TEST_BACKEND`), and private servers a test can stop, kill or freeze.
//! - [`proxy`]: Debian's nginx on loopback as a reverse proxy in front of a service.
//! - [`random`]: random numbers for names no other test uses.
//! - [`wait`]: polling a condition with a deadline.
//!
//! Environment (set by scripts/test.sh and scripts/test-backends.sh; the defaults suit a
//! local `cargo test`):
//! - `EDGE_SERVICE_WASM`: the module (default `target/wasm32-wasip1/release/edge_service.wasm`).
//! - `EDGE_RUNTIME`: `edge-host` (default), `wasmedge`, or `native` (the service built for
//!   this machine, `EDGE_SERVICE_NATIVE` or `target/<triple>/release/edge_service`, given only
//!   the listed environment like a Wasm runtime would: for comparing against the module).
//! - `EDGE_HOST_BIN`: edge-host's path (default: the release build beside the test binary).
//! - `EDGE_TEST_BACKEND`: the store every service gets unless a test chooses its own:
//!   `memory` (default), `mysql`, `postgres`, `mysql+redis` or `postgres+redis`, on the
//!   servers under `EDGE_DB_ROOT` (see [`database`]).
//! - `EDGE_TEST_VERBOSE`: when set, every line the services log is copied to stderr.

pub mod app;
pub mod client;
pub mod database;
pub mod proxy;
pub mod random;
pub mod runner;
pub mod users;
pub mod wait;

use std::path::{Path, PathBuf};

pub use app::TestApp;
pub use client::{HttpConnection, HttpResponse};
pub use runner::run_to_exit;
pub use users::{
    assert_error, assert_json, create_user, create_user_with_id, id_of, random_id_base, send_json,
    unique_email,
};
pub use wait::wait_until;

/// The repository root (this crate lives in `tests/support`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
