//! HTTP plumbing shared by every endpoint, independent of what the API does.
//!
//! - [`server`]: bind, the accept loop with the connection limit, hyper's settings.
//! - [`timeouts`]: closes connections whose request head stalls or that stay idle.
//! - [`connections`]: the connection registry, shedding at the limit, lingering close.
//! - [`shutdown`]: the drain signal connections watch, and the OS signals natively.
//! - [`exchange`]: what every request gets: request id, CORS, metrics, the log line.
//! - [`framing`]: RFC 9112 framing rules hyper does not enforce (no smuggling).
//! - [`deadline`]: timeouts that read the clock only when a future has to wait.
//! - [`body`]: bounded reading of JSON request bodies (415, 413, read timeout).
//! - [`query`]: strict query-string parsing.
//! - [`cors`]: the `CORS_ALLOW_ORIGIN` rules.
//! - [`request_id`]: `x-request-id`, kept or generated.
//! - [`response`]: JSON responses and the error body.

pub mod body;
pub mod connections;
pub mod cors;
pub mod deadline;
pub mod exchange;
pub mod framing;
pub mod query;
pub mod request_id;
pub mod response;
pub mod server;
pub mod shutdown;
pub mod timeouts;
