//! JSON responses: every body this service sends is JSON with
//! `content-type: application/json`, errors included.

use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Body, Response, StatusCode};
use serde::Serialize;

/// The `content-type` of every response.
pub const APPLICATION_JSON: &str = "application/json";

/// A response with `status` and `value` encoded as the JSON body.
pub fn json<T: Serialize + ?Sized>(status: StatusCode, value: &T) -> Response<Body> {
    match serde_json::to_vec(value) {
        Ok(bytes) => with_json_body(status, bytes),
        // Our own types always serialize; if one ever does not, say so without panicking.
        Err(_) => with_json_body(
            StatusCode::INTERNAL_SERVER_ERROR,
            br#"{"error":{"code":"internal","message":"internal error"}}"#.to_vec(),
        ),
    }
}

/// A response whose body is already-encoded JSON.
pub fn with_json_body(status: StatusCode, bytes: Vec<u8>) -> Response<Body> {
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(APPLICATION_JSON));
    response
}

/// The error body: `{"error":{"code":...,"message":...}}`.
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    /// The error object.
    pub error: ErrorDetail<'a>,
}

/// The inside of an error body.
#[derive(Debug, Serialize)]
pub struct ErrorDetail<'a> {
    /// A stable, machine-readable code such as `not_found`.
    pub code: &'a str,
    /// A human-readable sentence.
    pub message: &'a str,
}

/// An error response with `status`, `code` and `message`.
pub fn error(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    json(status, &ErrorBody { error: ErrorDetail { code, message } })
}
