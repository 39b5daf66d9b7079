//! `GET /metrics`: every registered figure in the Prometheus text format, or in
//! OpenMetrics when the scraper asks for it in `Accept`.

use hyper::header::ACCEPT;
use hyper::{Body, HeaderMap, Response, StatusCode};

use super::error::ApiError;
use crate::app::App;
use crate::http::response;
use crate::telemetry::MetricsFormat;

/// 200 with the scrape.
pub fn get(app: &App, headers: &HeaderMap) -> Result<Response<Body>, ApiError> {
    let wants_openmetrics = headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.contains("application/openmetrics-text"));
    let format = if wants_openmetrics { MetricsFormat::OpenMetrics } else { MetricsFormat::Prometheus };
    // Only a registered collector can fail to encode; its error says nothing more.
    let text = app
        .metrics
        .encode(format)
        .map_err(|_| ApiError::Internal("a metrics collector failed to encode".into()))?;
    Ok(response::with_body(StatusCode::OK, format.content_type(), text))
}
