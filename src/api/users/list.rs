//! `GET /api/users?limit=&after=`: users ordered by id, one page at a time.
//! A full page carries `Link: <...>; rel="next"` pointing at the following page.

use hyper::header::{HeaderValue, LINK};
use hyper::{Body, Response, StatusCode};

use crate::api::error::ApiError;
use crate::app::App;
use crate::domain::UserId;
use crate::http::query::Query;
use crate::http::response;

/// Users per page unless `limit` says otherwise.
pub const DEFAULT_LIMIT: u64 = 100;
/// The largest page.
pub const MAX_LIMIT: u64 = 1000;

/// 200 with a JSON array of at most `limit` users with ids greater than `after`.
pub async fn handle(app: &App, query: &Query<'_>) -> Result<Response<Body>, ApiError> {
    let limit = query.integer("limit", 1, MAX_LIMIT, DEFAULT_LIMIT, "must be an integer from 1 to 1000")?;
    let after = query.integer(
        "after",
        0,
        UserId::MAX,
        0,
        "must be a user id: an integer from 0 (the start) to 9223372036854775807",
    )?;
    // `after=0` means "from the start"; every other value is a valid id by the range check.
    let after = UserId::new(after).ok();
    let page_size = u32::try_from(limit).unwrap_or(u32::MAX);
    let users = app.store.list(after, page_size).await?;
    let mut response = response::json(StatusCode::OK, &users);
    if let Some(last) = users.last().filter(|_| users.len() >= usize::try_from(limit).unwrap_or(usize::MAX)) {
        let link = format!("</api/users?after={}&limit={limit}>; rel=\"next\"", last.id);
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(LINK, value);
        }
    }
    Ok(response)
}
