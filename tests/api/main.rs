//! The end-to-end API suite: the real module (or the native build) started as a process
//! by `edge_service_test_support`, one module per area. scripts/test.sh runs it on the
//! memory store and scripts/test-backends.sh once per database backend
//! (`EDGE_TEST_BACKEND`), each service on a fresh database.

mod behind_proxy;
mod concurrent_writers;
mod connection_limits;
mod framing;
mod graceful_shutdown;
mod hostile_load;
mod http_basics;
mod malformed_requests;
mod observability;
mod openapi;
mod paging;
mod store_unavailable;
mod users_api;
mod validation;
