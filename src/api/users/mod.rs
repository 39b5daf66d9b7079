//! The users resource: one module per endpoint, plus the request bodies.
//!
//! `GET /api/users` ([`list`]), `POST /api/users` ([`create`]),
//! `GET /api/users/{id}` ([`get`]), `PUT /api/users/{id}` ([`update`]),
//! `DELETE /api/users/{id}` ([`delete`]); bodies and their validation in [`payload`].

pub mod create;
pub mod delete;
pub mod get;
pub mod list;
pub mod payload;
pub mod update;

use hyper::header::{HeaderValue, LOCATION};
use hyper::{Body, Response};

use super::error::ApiError;
use crate::domain::UserId;

/// Parses the `{id}` path segment.
pub fn path_id(segment: &str) -> Result<UserId, ApiError> {
    UserId::parse(segment).map_err(|e| ApiError::invalid("id", format_args!("in the path {e}")))
}

/// Adds `Location: /api/users/{id}`.
fn set_location(response: &mut Response<Body>, id: UserId) {
    if let Ok(value) = HeaderValue::from_str(&format!("/api/users/{id}")) {
        response.headers_mut().insert(LOCATION, value);
    }
}
