//! The API: the route table, the router that dispatches from it, and one module
//! per endpoint.
//!
//! - [`routes`]: methods, path templates, handlers, query parameters and statuses.
//! - [`error`]: [`ApiError`], turned into a response in exactly one function.
//! - [`json`]: request bodies decoded with field-level messages.
//! - [`users`]: the users resource; [`hello`], [`health`], [`ready`], [`metrics`],
//!   [`openapi`]: the other endpoints.
//!
//! [`respond`] is a plain async function of the app state and a request, so tests
//! call it in-process as well as over a socket.

pub mod error;
pub mod error_report;
pub mod health;
pub mod hello;
pub mod json;
pub mod metrics;
pub mod openapi;
pub mod ready;
pub mod routes;
pub mod users;

#[cfg(test)]
mod tests;

use hyper::header::ORIGIN;
use hyper::http::request::Parts;
use hyper::{Body, Request, Response, StatusCode};

pub use error::ApiError;
pub use error_report::ErrorReport;
use routes::{Endpoint, Resolution, Route};

use crate::app::App;
use crate::http::query::Query;
use crate::http::request_id::RequestId;
use crate::http::response;

/// A response and the route template it was produced under (for metrics and logs).
#[derive(Debug)]
pub struct Routed {
    /// The matched template, or [`routes::UNMATCHED`].
    pub route: &'static str,
    /// What to send.
    pub response: Response<Body>,
}

/// The longest piece of a client's path repeated in a 404 message.
const MAX_ECHOED_PATH: usize = 200;

/// Answers `request`: finds its route, runs the handler, and turns any error into
/// its JSON response. Never fails and never panics.
pub async fn respond(app: &App, request: Request<Body>, request_id: &RequestId) -> Routed {
    let (parts, body) = request.into_parts();
    match routes::resolve(&parts.method, parts.uri.path()) {
        Resolution::Route { route, param } => {
            let response = match dispatch(app, route, param, &parts, body).await {
                Ok(response) => response,
                Err(error) => error.into_response(request_id),
            };
            Routed { route: route.template, response }
        }
        Resolution::Options(template) => {
            let allow = routes::allowed_methods(template);
            let mut response = response::empty(StatusCode::NO_CONTENT);
            let headers = response.headers_mut();
            app.cors.apply_preflight(parts.headers.get(ORIGIN), &allow, headers);
            headers.insert(hyper::header::ALLOW, allow);
            Routed { route: template, response }
        }
        Resolution::MethodNotAllowed(template) => {
            let error = ApiError::MethodNotAllowed {
                method: parts.method.clone(),
                allow: routes::allowed_methods(template),
            };
            Routed { route: template, response: error.into_response(request_id) }
        }
        Resolution::NotFound => {
            let path: String = parts.uri.path().chars().take(MAX_ECHOED_PATH).collect();
            Routed { route: routes::UNMATCHED, response: ApiError::NoRoute(path).into_response(request_id) }
        }
    }
}

/// Runs the handler of `route`; query parameters are checked first, then the `{id}`.
async fn dispatch(
    app: &App,
    route: &Route,
    param: Option<&str>,
    parts: &Parts,
    body: Body,
) -> Result<Response<Body>, ApiError> {
    let query = Query::parse(parts.uri.query(), route.query)?;
    let id = || users::path_id(param.unwrap_or(""));
    match route.endpoint {
        Endpoint::Hello => Ok(hello::get()),
        Endpoint::Health => Ok(health::get()),
        Endpoint::Ready => ready::get(app).await,
        Endpoint::OpenApi => Ok(openapi::get()),
        Endpoint::Metrics => metrics::get(app, &parts.headers),
        Endpoint::ListUsers => users::list::handle(app, &query).await,
        Endpoint::CreateUser => users::create::handle(app, &parts.headers, body).await,
        Endpoint::GetUser => users::get::handle(app, id()?).await,
        Endpoint::UpdateUser => users::update::handle(app, id()?, &parts.headers, body).await,
        Endpoint::DeleteUser => users::delete::handle(app, id()?).await,
    }
}
