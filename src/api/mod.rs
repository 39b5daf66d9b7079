//! The router and one module per endpoint.

mod health;
mod hello;

use hyper::{Body, Method, Request, Response, StatusCode};

use crate::app::App;
use crate::http::response;

/// Dispatches `request` to its endpoint; unknown paths get the JSON 404.
pub async fn route(_app: &App, request: Request<Body>) -> Response<Body> {
    match (request.method(), request.uri().path()) {
        (&Method::GET, "/api/hello") => hello::get(),
        (&Method::GET, "/api/health") => health::get(),
        (_, path) => not_found(path),
    }
}

fn not_found(path: &str) -> Response<Body> {
    response::error(StatusCode::NOT_FOUND, "not_found", &format!("no route for {path}"))
}
