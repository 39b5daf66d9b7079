//! Observability: structured logs on stderr and Prometheus metrics.
//!
//! - [`logging`]: the `tracing` subscriber (`LOG_FORMAT`, `LOG_LEVEL`).
//! - [`metrics`]: the registry served at `GET /metrics`, with the HTTP and store
//!   figures this crate records; other components register their own collectors.
//! - [`metered_store`]: a [`crate::store::UserStore`] wrapper that counts store errors.
//! - [`store_figures`]: the store's pool and cache figures, read at each scrape.
//! - [`memory_figures`]: the module's memory and its reserve, read at each scrape.

pub mod logging;
pub mod memory_figures;
pub mod metered_store;
pub mod metrics;
pub mod store_figures;

pub use logging::init;
pub use memory_figures::MemoryFiguresCollector;
pub use metered_store::MeteredStore;
pub use metrics::{Metrics, MetricsFormat};
pub use store_figures::StoreFiguresCollector;
