//! What SQLite's errors mean for the service: at start, why the file cannot be used
//! (the service does not start); per request, a conflict (409), a full disk or no memory
//! left for SQLite (507: the write is not kept, reads go on), a file that cannot be read
//! or written right now (503), or anything else (500).

use rusqlite::ffi::ErrorCode;

use crate::store::{Cause, Conflict, StoreError};

/// Why the SQLite file cannot be used; the service stops at start with it.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Another instance owns the file, or the owner file cannot be used.
    #[error(transparent)]
    Owner(#[from] super::owner_file::OwnerError),
    /// The file cannot be opened or created.
    #[error(
        "cannot open the SQLite database {path} (is its directory granted to the module, \
         e.g. `wasmedge --dir /data:HOSTDIR` or edge-host `--dir /data:HOSTDIR`, and writable?)"
    )]
    Open {
        /// The file's path inside the module.
        path: String,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// The file is not a SQLite database, or cannot be read as one.
    #[error("{path} is not a usable SQLite database (not a database file, damaged, or not readable)")]
    NotUsable {
        /// The file's path inside the module.
        path: String,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// SQLite refused the write-ahead log.
    #[error("{path}: SQLite kept journal mode {mode:?}, the store needs \"wal\"")]
    NoWal {
        /// The file's path inside the module.
        path: String,
        /// The journal mode SQLite reported.
        mode: String,
    },
    /// `PRAGMA quick_check` found damage.
    #[error("{path} is damaged (PRAGMA quick_check: {report}); restore it from a backup")]
    Damaged {
        /// The file's path inside the module.
        path: String,
        /// The first line of SQLite's report.
        report: String,
    },
    /// The schema could not be brought up to date.
    #[error("{path}: the schema could not be brought up to date")]
    Schema {
        /// The file's path inside the module.
        path: String,
        /// The failed step (a `SchemaError`).
        #[source]
        source: Cause,
    },
}

impl OpenError {
    pub(super) fn open(path: &str, source: rusqlite::Error) -> Self {
        match sqlite_code(&source) {
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => Self::not_usable(path, source),
            _ => Self::Open { path: path.to_owned(), source },
        }
    }

    pub(super) fn not_usable(path: &str, source: rusqlite::Error) -> Self {
        Self::NotUsable { path: path.to_owned(), source }
    }
}

fn sqlite_code(error: &rusqlite::Error) -> Option<ErrorCode> {
    match error {
        rusqlite::Error::SqliteFailure(failure, _) => Some(failure.code),
        _ => None,
    }
}

/// SQLite's extended result code for a primary-key violation.
const CONSTRAINT_PRIMARYKEY: i32 = 1555;

/// Sorts the error of a failed operation (`doing` names it for the log).
pub(super) fn classify(doing: &'static str, error: rusqlite::Error) -> StoreError {
    let rusqlite::Error::SqliteFailure(failure, _) = &error else {
        return StoreError::internal(format!("SQLite: cannot {doing}"), error);
    };
    match failure.code {
        ErrorCode::ConstraintViolation if failure.extended_code == CONSTRAINT_PRIMARYKEY => {
            StoreError::Conflict(Conflict::Id)
        }
        ErrorCode::ConstraintViolation if error.to_string().contains("users.email_key") => {
            StoreError::Conflict(Conflict::Email)
        }
        ErrorCode::DiskFull | ErrorCode::OutOfMemory => {
            StoreError::full(format!("SQLite: cannot {doing}"), error)
        }
        ErrorCode::SystemIoFailure
        | ErrorCode::CannotOpen
        | ErrorCode::ReadOnly
        | ErrorCode::DatabaseBusy
        | ErrorCode::DatabaseLocked
        | ErrorCode::DatabaseCorrupt
        | ErrorCode::NotADatabase => StoreError::unavailable(format!("SQLite: cannot {doing}"), error),
        _ => StoreError::internal(format!("SQLite: cannot {doing}"), error),
    }
}
