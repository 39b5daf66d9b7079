//! One request/response exchange around the router: the framing check, the request
//! id, CORS headers, the in-flight gauge, metrics by route template, and the
//! request's log line.
//! Everything a response gets regardless of which endpoint produced it is added here.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;

use hyper::header::ORIGIN;
use hyper::{Body, Request, Response};

use super::framing;
use super::request_id::{RequestId, X_REQUEST_ID};
use crate::api::{self, routes, ErrorReport, Routed};
use crate::app::App;
use crate::telemetry::metrics::MethodLabel;

/// Answers one request; never fails (every error is already a JSON response).
pub async fn serve(app: Arc<App>, request: Request<Body>) -> Result<Response<Body>, Infallible> {
    let started = Instant::now();
    let _in_flight = app.metrics.request_started();
    let request_id = RequestId::from_headers(request.headers());
    let method = request.method().clone();
    // Cloning a `Uri` or a header value shares the received bytes; nothing is copied.
    let uri = request.uri().clone();
    let origin = if app.cors.is_enabled() { request.headers().get(ORIGIN).cloned() } else { None };

    // Ambiguous framing is refused before any handler sees the request.
    let Routed { route, mut response } = match framing::check(&request) {
        Ok(()) => api::respond(&app, request, &request_id).await,
        Err(refused) => Routed { route: routes::UNMATCHED, response: refused.into_response() },
    };
    if let Some(report) = ErrorReport::take(&mut response) {
        report.log(&request_id);
    }

    let headers = response.headers_mut();
    headers.insert(&X_REQUEST_ID, request_id.header_value().clone());
    app.cors.apply(origin.as_ref(), headers);
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    app.metrics.record_request(route, MethodLabel::from(&method), status, elapsed);
    tracing::info!(
        request_id = request_id.as_str(),
        method = method.as_str(),
        path = uri.path(),
        route,
        status,
        // Whole seconds and the sub-second part: no 128-bit arithmetic (slow in Wasm).
        duration_us =
            elapsed.as_secs().saturating_mul(1_000_000).saturating_add(u64::from(elapsed.subsec_micros())),
        "request"
    );
    Ok(response)
}
