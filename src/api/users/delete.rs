//! `DELETE /api/users/{id}`: 204 when the user was deleted, 404 if there was none.

use hyper::{Body, Response, StatusCode};

use crate::api::error::ApiError;
use crate::app::App;
use crate::domain::UserId;
use crate::http::response;

/// Deletes the user.
pub async fn handle(app: &App, id: UserId) -> Result<Response<Body>, ApiError> {
    if app.store.delete(id).await? {
        Ok(response::empty(StatusCode::NO_CONTENT))
    } else {
        Err(ApiError::UserNotFound(id))
    }
}
