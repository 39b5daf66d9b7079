//! Store failures, shared by every backend; the API layer maps them to HTTP statuses
//! in one place.

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
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The write would break a uniqueness rule (HTTP 409).
    #[error("conflict: {0:?}")]
    Conflict(Conflict),
    /// The backend cannot be reached or did not answer in time (HTTP 503). The text is
    /// for logs only; it never reaches clients.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Anything else the backend reported (HTTP 500, details logged only).
    #[error("store failure: {0}")]
    Internal(String),
}
