//! Why bringing a SQL schema up to date failed, for both SQL stores; each step keeps
//! the driver's error so the log shows what the database said.

use super::Cause;

/// A failed step of a migration run.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SchemaError {
    /// The advisory lock that serialises migrations across instances.
    #[error("cannot take the migration lock")]
    Lock(#[source] Cause),
    /// Another instance kept the lock too long.
    #[error("another instance held the migration lock for over {0} s")]
    LockBusy(u64),
    /// Creating the `schema_migrations` table.
    #[error("cannot create schema_migrations")]
    CreateTable(#[source] Cause),
    /// Reading which migrations were applied.
    #[error("cannot read schema_migrations")]
    ReadApplied(#[source] Cause),
    /// Applying one migration.
    #[error("migration {version} failed")]
    Apply {
        /// The migration's version.
        version: i64,
        /// What the database said.
        #[source]
        source: Cause,
    },
    /// Recording an applied migration.
    #[error("cannot record migration {version}")]
    Record {
        /// The migration's version.
        version: i64,
        /// What the database said.
        #[source]
        source: Cause,
    },
    /// Reading the database's encoding (PostgreSQL).
    #[error("cannot read the database encoding")]
    ReadEncoding(#[source] Cause),
    /// The database's encoding cannot store every name and email (PostgreSQL).
    #[error("the database encoding is {0}; it must be UTF8 (createdb -E UTF8)")]
    Encoding(String),
}

/// Wraps a driver error as a shared [`Cause`].
pub(crate) fn cause(error: impl std::error::Error + Send + Sync + 'static) -> Cause {
    std::sync::Arc::new(error)
}
