//! `GET /api/hello`: the greeting that shows the module answers from inside Wasm.

use hyper::{Body, Response, StatusCode};
use serde::Serialize;

use crate::http::response;

#[derive(Serialize)]
struct Greeting {
    message: &'static str,
}

/// 200 `{"message":"Hello from Wasm!"}`.
pub fn get() -> Response<Body> {
    response::json(StatusCode::OK, &Greeting { message: "Hello from Wasm!" })
}
