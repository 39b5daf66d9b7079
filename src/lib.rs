//! edge-service: a JSON API microservice built for `wasm32-wasip1` and WasmEdge.
//!
//! The same source builds natively (upstream tokio/hyper) for unit tests and the
//! native-vs-Wasm benchmark; inside WasmEdge it opens its own listening socket through
//! the WasmEdge socket extension (`tokio_wasi`/`hyper_wasi` underneath).
//!
//! Map of the crate:
//! - [`config`]: the environment, parsed once at start into typed [`config::Config`].
//! - [`telemetry`]: structured logging on stderr (`tracing`) and Prometheus metrics.
//! - [`http`]: the server loop (accept, connection limit with shedding, first-byte and
//!   idle timeouts, lingering close, one task per connection), what every exchange
//!   gets (request id, CORS, metrics, log line), and bounded body and query parsing.
//! - [`api`]: the route table, the router and one module per endpoint.
//! - [`domain`]: validated types (user id, name, email); a value that exists is valid.
//! - [`headroom`]: the process's allocator, holding back a reserve so that exhausted
//!   memory refuses writes (507) instead of aborting the module.
//! - [`store`]: the [`store::UserStore`] trait and its backends (memory is the default).
//! - [`app`]: the application state shared by every request.
//!
//! No request may panic the service: in Wasm a panic aborts the whole instance and
//! every connection with it. The lints below make that a rule the compiler checks:
//! no `unwrap`/`expect`, no indexing or slicing that can go out of bounds, no
//! explicit panics, and no arithmetic that can overflow, outside of tests.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::string_slice,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented,
        clippy::arithmetic_side_effects,
        clippy::exit
    )
)]

pub mod api;
pub mod app;
pub mod config;
pub mod domain;
pub mod headroom;
pub mod http;
pub mod store;
pub mod telemetry;

/// The service's version, reported in the start log line and in the metrics.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
