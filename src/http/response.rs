//! JSON responses: every body this service sends is JSON with
//! `content-type: application/json`, errors included (only `/metrics` is text).

use hyper::header::{HeaderMap, HeaderValue, CONNECTION, CONTENT_TYPE};
use hyper::{Body, Response, StatusCode};
use serde::Serialize;

/// The `content-type` of every JSON response.
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
pub fn with_json_body(status: StatusCode, bytes: impl Into<Body>) -> Response<Body> {
    with_body(status, APPLICATION_JSON, bytes)
}

/// A response with a body of any content type.
pub fn with_body(status: StatusCode, content_type: &'static str, bytes: impl Into<Body>) -> Response<Body> {
    let mut response = Response::new(bytes.into());
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// A response without a body (`204 No Content`).
pub fn empty(status: StatusCode) -> Response<Body> {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}

/// Marks a response as the last one on its connection (`connection: close`): hyper
/// closes the connection after sending it and reads nothing more from it as a request.
pub fn close_connection(headers: &mut HeaderMap) {
    headers.insert(CONNECTION, HeaderValue::from_static("close"));
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
