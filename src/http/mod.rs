//! HTTP plumbing shared by every endpoint: the accept loop and JSON responses.

pub mod response;
pub mod server;
