//! `POST /api/users`: creates a user; 201 with the stored user and its `Location`.

use hyper::{Body, HeaderMap, Response, StatusCode};

use super::payload::{CreateUser, CREATE_EXPECTED};
use crate::api::error::ApiError;
use crate::api::json;
use crate::app::App;
use crate::http::{body, response};

/// Reads, validates and stores the new user.
pub async fn handle(app: &App, headers: &HeaderMap, body: Body) -> Result<Response<Body>, ApiError> {
    let limits = &app.config.http;
    let bytes =
        body::read_json(headers, body, limits.max_body_bytes, limits.read_timeout, &app.body_budget).await?;
    let new_user = json::decode::<CreateUser>(&bytes, CREATE_EXPECTED)?.validate()?;
    let user = app.store.create(new_user).await?;
    let mut response = response::json(StatusCode::CREATED, &user);
    super::set_location(&mut response, user.id);
    Ok(response)
}
