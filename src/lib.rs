//! edge-service: a JSON API microservice built for `wasm32-wasip1` and WasmEdge.
//!
//! The same source builds natively (upstream tokio/hyper) for unit tests and the
//! native-vs-Wasm benchmark; inside WasmEdge it opens its own listening socket through
//! the WasmEdge socket extension (`tokio_wasi`/`hyper_wasi` underneath).
//!
//! Map of the crate:
//! - [`config`]: the environment, parsed once at start into typed [`config::Config`].
//! - [`telemetry`]: structured logging on stderr (`tracing`).
//! - [`http`]: the server loop (accept, one task per connection, HTTP/1.1 keep-alive)
//!   and the JSON response helpers every handler uses.
//! - [`api`]: the router and one module per endpoint.
//! - [`domain`]: validated types (user id, name, email); a value that exists is valid.
//! - [`store`]: the [`store::UserStore`] trait and its backends (memory is the default).
//! - [`app`]: the application state shared by every request.

pub mod api;
pub mod app;
pub mod config;
pub mod domain;
pub mod http;
pub mod store;
pub mod telemetry;

/// The service's version, reported in the start log line.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
