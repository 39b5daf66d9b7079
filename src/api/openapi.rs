//! `GET /api/openapi.json`: the OpenAPI 3.1 description of the whole API, compiled
//! into the module. The route tests check it against the route table, so it cannot
//! drift from what the router does.

use hyper::{Body, Response, StatusCode};

use crate::http::response;

/// The document, as served.
pub const DOCUMENT: &str = include_str!("openapi.json");

/// 200 with the document.
pub fn get() -> Response<Body> {
    response::with_json_body(StatusCode::OK, DOCUMENT)
}
