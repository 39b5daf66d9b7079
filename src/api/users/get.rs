//! `GET /api/users/{id}`: one user, or 404.

use hyper::{Body, Response, StatusCode};

use crate::api::error::ApiError;
use crate::app::App;
use crate::domain::UserId;
use crate::http::response;

/// 200 with the user, or 404.
pub async fn handle(app: &App, id: UserId) -> Result<Response<Body>, ApiError> {
    match app.store.get(id).await? {
        Some(user) => Ok(response::json(StatusCode::OK, &user)),
        None => Err(ApiError::UserNotFound(id)),
    }
}
