//! The API's one error type and the one function that turns an error into an HTTP
//! response. Client mistakes get a precise message; store outages get 503; anything
//! unexpected is logged here with the request id and its whole cause chain, and the
//! client sees only a generic 500.

use hyper::header::{HeaderValue, ALLOW, RETRY_AFTER};
use hyper::{Body, Method, Response, StatusCode};

use super::error_report::{ErrorReport, Severity};
use super::json::JsonError;
use crate::domain::UserId;
use crate::http::body::BodyError;
use crate::http::query::QueryError;
use crate::http::request_id::RequestId;
use crate::http::response;
use crate::store::{Conflict, StoreError};

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A bad query string.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// The body was refused or could not be read.
    #[error(transparent)]
    Body(#[from] BodyError),
    /// The body is not the JSON the route expects.
    #[error(transparent)]
    Json(#[from] JsonError),
    /// A field, or the `{id}` in the path, failed validation.
    #[error("`{field}` {reason}")]
    Invalid {
        /// The field (`name`, `email`, `id`).
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// No route has this path.
    #[error("no route for {0}")]
    NoRoute(String),
    /// The path is known but not with this method.
    #[error("method {method} is not allowed here; allowed: {}", allow.to_str().unwrap_or("?"))]
    MethodNotAllowed {
        /// The method that was used.
        method: Method,
        /// The `Allow` header value.
        allow: HeaderValue,
    },
    /// No user has this id.
    #[error("no user with id {0}")]
    UserNotFound(UserId),
    /// The store refused or failed the operation.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// `/api/ready`: the store does not answer.
    #[error("the {store} store is not ready")]
    NotReady {
        /// The store kind.
        store: &'static str,
        /// Why (logged only).
        #[source]
        cause: StoreError,
    },
    /// A failure of our own (logged only).
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    /// A validation failure of `field`.
    pub fn invalid(field: &'static str, reason: impl std::fmt::Display) -> Self {
        Self::Invalid { field, reason: reason.to_string() }
    }

    /// The response for this error: status, `{"error":{"code","message"}}` and any
    /// headers the status calls for. The one place errors become HTTP. A 5xx carries
    /// the error itself as an [`ErrorReport`], which the exchange logs once with the
    /// whole cause chain; clients see only a generic message.
    pub fn into_response(self, request_id: &RequestId) -> Response<Body> {
        let (status, code) = self.status_and_code();
        let message = match &self {
            Self::Store(StoreError::Conflict(conflict)) => conflict_message(*conflict).to_owned(),
            Self::Store(StoreError::Unavailable { .. }) => {
                "the store is unavailable; try again shortly".to_owned()
            }
            Self::Store(StoreError::Internal { .. }) | Self::Internal(_) => {
                format!("internal error (request id {request_id})")
            }
            Self::Store(StoreError::Full { .. }) => {
                "storage is full: this write cannot be kept (reads and deletes still work)".to_owned()
            }
            _ => self.to_string(),
        };
        let mut response = response::error(status, code, &message);
        let headers = response.headers_mut();
        match &self {
            Self::MethodNotAllowed { allow, .. } => {
                headers.insert(ALLOW, allow.clone());
            }
            // The rest of the body is unread: the connection cannot carry another request.
            Self::Body(BodyError::TooLarge { .. } | BodyError::Timeout(_) | BodyError::Unreadable(_)) => {
                response::close_connection(headers);
            }
            Self::Body(BodyError::Busy) => {
                response::close_connection(headers);
                headers.insert(RETRY_AFTER, HeaderValue::from_static("1"));
            }
            Self::Store(StoreError::Unavailable { .. }) | Self::NotReady { .. } => {
                headers.insert(RETRY_AFTER, HeaderValue::from_static("1"));
            }
            _ => {}
        }
        match &self {
            Self::Store(StoreError::Unavailable { .. } | StoreError::Full { .. }) | Self::NotReady { .. } => {
                ErrorReport::attach(&mut response, Severity::Warn, self);
            }
            Self::Store(StoreError::Internal { .. }) | Self::Internal(_) => {
                ErrorReport::attach(&mut response, Severity::Error, self);
            }
            _ => {}
        }
        response
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::Query(_) | Self::Json(_) | Self::Invalid { .. } => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::Body(BodyError::NotJson) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            Self::Body(BodyError::TooLarge { .. }) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Self::Body(BodyError::Timeout(_) | BodyError::Unreadable(_)) => {
                (StatusCode::BAD_REQUEST, "bad_request")
            }
            Self::NoRoute(_) | Self::UserNotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::MethodNotAllowed { .. } => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            Self::Store(StoreError::Conflict(_)) => (StatusCode::CONFLICT, "conflict"),
            Self::Store(StoreError::Unavailable { .. })
            | Self::NotReady { .. }
            | Self::Body(BodyError::Busy) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Self::Store(StoreError::Full { .. }) => {
                (StatusCode::INSUFFICIENT_STORAGE, "insufficient_storage")
            }
            Self::Store(StoreError::Internal { .. }) | Self::Internal(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        }
    }
}

fn conflict_message(conflict: Conflict) -> &'static str {
    match conflict {
        Conflict::Id => "a user with this id already exists",
        Conflict::Email => {
            "a user with this email address already exists (emails are compared case-insensitively)"
        }
        Conflict::IdsExhausted => "no user id is left to assign; choose an id explicitly",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::CONNECTION;

    fn body_of(response: Response<Body>) -> serde_json::Value {
        let bytes = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(hyper::body::to_bytes(response.into_body()))
            .expect("body");
        serde_json::from_slice(&bytes).expect("JSON")
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let id = RequestId::generate();
        let response =
            ApiError::Store(StoreError::internal_because("password=hunter2 at db:5432")).into_response(&id);
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = body_of(response);
        assert_eq!(body["error"]["code"], "internal");
        let message = body["error"]["message"].as_str().expect("message");
        assert!(!message.contains("hunter2") && message.contains(id.as_str()), "{message}");
    }

    #[test]
    fn unavailable_store_is_503_with_retry_after() {
        let response = ApiError::Store(StoreError::unavailable_because("connect refused"))
            .into_response(&RequestId::generate());
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers().get(RETRY_AFTER).map(|v| v.as_bytes()), Some(&b"1"[..]));
        let body = body_of(response);
        assert_eq!(body["error"]["code"], "unavailable");
        assert!(!body.to_string().contains("refused"), "{body}");
    }

    #[test]
    fn too_large_closes_the_connection() {
        let response =
            ApiError::Body(BodyError::TooLarge { limit: 10 }).into_response(&RequestId::generate());
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(response.headers().get(CONNECTION).map(|v| v.as_bytes()), Some(&b"close"[..]));
    }
}
