//! `PUT /api/users/{id}`: replaces name and email; 200 with the stored user, 404 if
//! there is no such user, 409 if another user has the email.

use hyper::{Body, HeaderMap, Response, StatusCode};

use super::payload::{UpdateUser, UPDATE_EXPECTED};
use crate::api::error::ApiError;
use crate::api::json;
use crate::app::App;
use crate::domain::UserId;
use crate::http::{body, response};

/// Reads and validates the changes, then applies them.
pub async fn handle(
    app: &App,
    id: UserId,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response<Body>, ApiError> {
    let limits = &app.config.http;
    let bytes =
        body::read_json(headers, body, limits.max_body_bytes, limits.read_timeout, &app.body_budget).await?;
    let changes = json::decode::<UpdateUser>(&bytes, UPDATE_EXPECTED)?.validate(id)?;
    match app.store.update(id, changes).await? {
        Some(user) => Ok(response::json(StatusCode::OK, &user)),
        None => Err(ApiError::UserNotFound(id)),
    }
}
