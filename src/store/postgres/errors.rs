//! What a PostgreSQL client error means for the service: a uniqueness conflict (409),
//! a lost or unreachable server (503, and the store stops sending queries until it is
//! back), a cancelled query (503), or anything else (500).

use tokio_postgres::error::SqlState;

use crate::store::sql_driver::Failure;
use crate::store::{Conflict, StoreError};

/// Sorts `error` from an operation on the `users` table. After a server error the
/// connection stays usable (the driver's connection task reads every answer whole).
pub(super) fn classify(error: tokio_postgres::Error) -> Failure {
    let lost = |error: StoreError| Failure { error, connection_lost: true, connection_fine: false };
    let plain = |error: StoreError| Failure { error, connection_lost: false, connection_fine: true };
    let Some(db) = error.as_db_error() else {
        // No server error: I/O, a closed connection, or a failed connect.
        return lost(StoreError::unavailable("PostgreSQL connection failed", error));
    };
    let code = db.code();
    if *code == SqlState::UNIQUE_VIOLATION {
        let conflict = if db.constraint() == Some("users_pkey") { Conflict::Id } else { Conflict::Email };
        return plain(StoreError::Conflict(conflict));
    }
    let going_away = [
        SqlState::ADMIN_SHUTDOWN,
        SqlState::CRASH_SHUTDOWN,
        SqlState::CANNOT_CONNECT_NOW,
        SqlState::TOO_MANY_CONNECTIONS,
    ];
    if going_away.contains(code) {
        return lost(StoreError::unavailable("PostgreSQL is going away or refuses connections", error));
    }
    if *code == SqlState::QUERY_CANCELED {
        return plain(StoreError::unavailable("PostgreSQL cancelled the query", error));
    }
    plain(StoreError::internal(format!("PostgreSQL error {}", code.code()), error))
}
