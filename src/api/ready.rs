//! `GET /api/ready`: readiness. 200 when the store answers a ping, 503 otherwise, so
//! a load balancer or Kubernetes sends traffic only to instances that can serve it.
//! (`/api/health` stays a pure liveness check that never touches the store.)

use hyper::{Body, Response, StatusCode};
use serde::Serialize;

use super::error::ApiError;
use crate::app::App;
use crate::http::response;

#[derive(Serialize)]
struct Ready {
    status: &'static str,
    store: &'static str,
}

/// 200 `{"status":"ready","store":"memory"}` or 503 `unavailable`.
pub async fn get(app: &App) -> Result<Response<Body>, ApiError> {
    let store = app.store.kind();
    match app.store.ping().await {
        Ok(()) => Ok(response::json(StatusCode::OK, &Ready { status: "ready", store })),
        Err(cause) => Err(ApiError::NotReady { store, cause }),
    }
}
