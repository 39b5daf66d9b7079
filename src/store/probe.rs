//! A SQL store's health check (connect, migrate if not done yet, ping) and why it
//! can fail. The supervisor runs it while the database is not up; its error becomes
//! the cause of every 503 the store answers until a probe succeeds.

use async_trait::async_trait;

use super::schema_error::SchemaError;
use super::Cause;

/// A store's health check.
#[async_trait]
pub(crate) trait Probe: Send + Sync + 'static {
    /// `Ok` when the database is usable.
    async fn probe(&self) -> Result<(), ProbeError>;
}

/// Why a health check failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ProbeError {
    /// No connection could be opened.
    #[error("cannot connect")]
    Connect(#[source] Cause),
    /// The pool lent a lease without a connection.
    #[error("the pool lent no connection")]
    NoConnection,
    /// The schema could not be brought up to date.
    #[error("cannot migrate the schema")]
    Migrate(#[source] SchemaError),
    /// The connection did not answer a ping.
    #[error("no answer to a ping")]
    Ping(#[source] Cause),
    /// The whole check took longer than `DB_TIMEOUT_MS`.
    #[error("no answer within {0} ms")]
    TimedOut(u128),
}

impl ProbeError {
    /// A failed connect, keeping the driver's error.
    pub(crate) fn connect(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Connect(std::sync::Arc::new(error))
    }

    /// A failed ping, keeping the driver's error.
    pub(crate) fn ping(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Ping(std::sync::Arc::new(error))
    }
}
