//! Server-side failures travel with their response to the edge of the exchange and are
//! logged there, once, with the request id and the whole cause chain. Turning an error
//! into a response stays a pure function; the one place that writes request log lines
//! also writes this one (axum's response-extension pattern).

use hyper::{Body, Response};

use super::ApiError;
use crate::http::request_id::RequestId;
use crate::store::ErrorChain;

/// How loud the log line for a failure is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The service answered 503: a dependency is down or busy; it heals by itself.
    Warn,
    /// The service answered 500: something is wrong that an operator must look at.
    Error,
}

/// A failure the client saw only as a generic 5xx, kept for the log.
#[derive(Debug)]
pub struct ErrorReport {
    severity: Severity,
    error: ApiError,
}

impl ErrorReport {
    /// Attaches `error` to `response` for the edge to log.
    pub(crate) fn attach(response: &mut Response<Body>, severity: Severity, error: ApiError) {
        response.extensions_mut().insert(Self { severity, error });
    }

    /// Takes the report out of `response`, if it carries one.
    pub fn take(response: &mut Response<Body>) -> Option<Self> {
        response.extensions_mut().remove::<Self>()
    }

    /// How loud the line is.
    pub fn severity(&self) -> Severity {
        self.severity
    }

    /// The failure itself.
    pub fn error(&self) -> &ApiError {
        &self.error
    }

    /// Writes the one log line for this failure.
    pub fn log(&self, request_id: &RequestId) {
        let error = ErrorChain(&self.error);
        match self.severity {
            Severity::Warn => {
                tracing::warn!(request_id = request_id.as_str(), %error, "request failed: unavailable")
            }
            Severity::Error => {
                tracing::error!(request_id = request_id.as_str(), %error, "request failed: internal error")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreError;

    /// Runs `f` with a subscriber that writes into the returned buffer.
    fn capture_logs(f: impl FnOnce()) -> String {
        #[derive(Clone, Default)]
        struct Buffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl std::io::Write for Buffer {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().expect("log buffer").extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber =
            tracing_subscriber::fmt().with_writer(move || writer.clone()).with_ansi(false).finish();
        tracing::subscriber::with_default(subscriber, f);
        let bytes = buffer.0.lock().expect("log buffer").clone();
        String::from_utf8(bytes).expect("UTF-8 logs")
    }

    #[test]
    fn internal_errors_are_logged_once_with_request_id_and_the_whole_chain() {
        let id = RequestId::generate();
        let disk = std::io::Error::other("disk on fire");
        let mut response =
            ApiError::Store(StoreError::internal("cannot read users", disk)).into_response(&id);
        let report = ErrorReport::take(&mut response).expect("a 500 carries its report");
        assert!(ErrorReport::take(&mut response).is_none(), "taken once");
        let logs = capture_logs(|| report.log(&id));
        assert!(logs.contains("ERROR") && logs.contains(id.as_str()), "{logs}");
        assert!(logs.contains("store failure: cannot read users: disk on fire"), "{logs}");
    }

    #[test]
    fn not_ready_is_a_warning_with_its_cause() {
        let id = RequestId::generate();
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
        let cause = StoreError::unavailable("MySQL connection failed", refused);
        let mut response = ApiError::NotReady { store: "mysql", cause }.into_response(&id);
        let report = ErrorReport::take(&mut response).expect("a 503 carries its report");
        assert_eq!(report.severity(), Severity::Warn);
        let logs = capture_logs(|| report.log(&id));
        assert!(logs.contains("WARN") && logs.contains(id.as_str()), "{logs}");
        assert!(
            logs.contains(
                "the mysql store is not ready: store unavailable: MySQL connection failed: connection refused"
            ),
            "{logs}"
        );
    }

    #[test]
    fn client_errors_carry_no_report() {
        let mut response =
            ApiError::invalid("name", "must not be empty").into_response(&RequestId::generate());
        assert!(ErrorReport::take(&mut response).is_none());
    }
}
