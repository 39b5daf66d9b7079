//! Store failures, shared by every backend; the API layer maps them to HTTP statuses
//! in one place. A failure keeps what caused it (the driver's error, a timeout) as its
//! source, so the one log line written for it shows the whole chain.

use std::borrow::Cow;
use std::sync::Arc;

/// What lies under a store failure, kept whole. Shared, because one outage is the
/// cause of every request the store refuses while it lasts.
pub type Cause = Arc<dyn std::error::Error + Send + Sync + 'static>;

/// Which uniqueness rule a write broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// The requested id is taken.
    Id,
    /// The email is taken (case-insensitively) by another user.
    Email,
    /// No id is left to assign.
    IdsExhausted,
}

/// Why a store operation failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The write would break a uniqueness rule (HTTP 409).
    #[error("conflict: {0:?}")]
    Conflict(Conflict),
    /// The backend cannot be reached or did not answer in time (HTTP 503). Logged
    /// only; clients never see the context or the cause.
    #[error("store unavailable: {context}")]
    Unavailable {
        /// What the store was doing or found.
        context: Cow<'static, str>,
        /// The error underneath, if any.
        #[source]
        cause: Option<Cause>,
    },
    /// The write cannot be kept: the module's memory is exhausted (see
    /// [`crate::headroom`]) or the database's disk is full (HTTP 507). Reads, deletes
    /// and health still work. Logged; clients see only that storage is full.
    #[error("store full: {context}")]
    Full {
        /// What was full.
        context: Cow<'static, str>,
        /// The error underneath, if any.
        #[source]
        cause: Option<Cause>,
    },
    /// Anything else the backend reported (HTTP 500, details logged only).
    #[error("store failure: {context}")]
    Internal {
        /// What the store was doing or found.
        context: Cow<'static, str>,
        /// The error underneath, if any.
        #[source]
        cause: Option<Cause>,
    },
}

impl StoreError {
    /// A 503 caused by `cause` while doing `context`.
    pub fn unavailable(
        context: impl Into<Cow<'static, str>>,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::Unavailable { context: context.into(), cause: Some(Arc::new(cause)) }
    }

    /// A 503 with nothing underneath (a timeout, a closed connection).
    pub fn unavailable_because(context: impl Into<Cow<'static, str>>) -> Self {
        Self::Unavailable { context: context.into(), cause: None }
    }

    /// A 507 with nothing underneath: the module's memory is exhausted.
    pub fn memory_exhausted() -> Self {
        Self::Full { context: "the module's memory is exhausted; writes are refused".into(), cause: None }
    }

    /// A 507 caused by `cause` (a full disk) while doing `context`.
    pub fn full(
        context: impl Into<Cow<'static, str>>,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::Full { context: context.into(), cause: Some(Arc::new(cause)) }
    }

    /// A 500 caused by `cause` while doing `context`.
    pub fn internal(
        context: impl Into<Cow<'static, str>>,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::Internal { context: context.into(), cause: Some(Arc::new(cause)) }
    }

    /// A 500 with nothing underneath (an impossible row, a lost invariant).
    pub fn internal_because(context: impl Into<Cow<'static, str>>) -> Self {
        Self::Internal { context: context.into(), cause: None }
    }
}

/// `error: cause: cause...`: an error with its whole source chain, for log lines.
pub struct ErrorChain<'a>(pub &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_shows_the_driver_error_under_the_context() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
        let error = StoreError::unavailable("MySQL connection failed", io);
        assert_eq!(
            ErrorChain(&error).to_string(),
            "store unavailable: MySQL connection failed: connection refused"
        );
        assert!(std::error::Error::source(&error).is_some());
    }

    #[test]
    fn a_cause_shared_by_many_errors_keeps_its_own_chain() {
        let first = StoreError::unavailable_because("MySQL closed the connection");
        let shared: Cause = Arc::new(first);
        let refused = StoreError::Unavailable { context: "MySQL is unreachable".into(), cause: Some(shared) };
        assert_eq!(
            ErrorChain(&refused).to_string(),
            "store unavailable: MySQL is unreachable: store unavailable: MySQL closed the connection"
        );
    }
}
