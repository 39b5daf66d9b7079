//! `GET /api/health`: liveness. It answers as long as the event loop runs and
//! never looks at the store, so an orchestrator does not restart a healthy
//! process because its database is down.

use hyper::{Body, Response, StatusCode};
use serde::Serialize;

use crate::http::response;

#[derive(Serialize)]
struct Health {
    status: &'static str,
}

/// 200 `{"status":"ok"}`.
pub fn get() -> Response<Body> {
    response::json(StatusCode::OK, &Health { status: "ok" })
}
