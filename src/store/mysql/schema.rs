//! The MySQL/MariaDB schema as versioned migrations, applied at start under
//! `GET_LOCK`, so several instances starting at once apply each version exactly once.
//!
//! MySQL commits DDL implicitly, so every statement is written to be safe to run again
//! (`IF NOT EXISTS`): an instance that dies half-way leaves nothing the next one trips
//! over. A migration is recorded in `schema_migrations` after its statements succeed.

use mysql_async::prelude::*;
use mysql_async::Conn;

use crate::store::schema_error::{cause, SchemaError};
use crate::store::sql_guard::warn_if_schema_is_newer;

/// The name of the advisory lock that serialises migrations across instances.
const LOCK_NAME: &str = "edge_service.schema_migrations";
/// How long an instance waits for another one's migrations, in seconds.
const LOCK_WAIT_SECS: u32 = 60;

/// One schema version.
struct Migration {
    version: u32,
    description: &'static str,
    statements: &'static [&'static str],
}

/// Every version, oldest first. Append only: a released migration never changes.
const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    description: "users with a database-enforced, case-insensitive unique email",
    statements: &[
        // `email_key` is the lowercase address (`Email::unique_key`); its unique index is
        // what makes two instances unable to store the same address twice. Binary
        // collation: values round-trip byte for byte, 4-byte UTF-8 included.
        "CREATE TABLE IF NOT EXISTS users (
            id BIGINT NOT NULL AUTO_INCREMENT,
            name VARCHAR(100) NOT NULL,
            email VARCHAR(254) NOT NULL,
            email_key VARCHAR(254) NOT NULL,
            created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
            PRIMARY KEY (id),
            UNIQUE KEY users_email_key (email_key)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
    ],
}];

/// The newest version this build knows.
pub(super) fn latest_version() -> u32 {
    MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Brings the schema up to date on `conn`, holding the migration lock meanwhile.
pub(super) async fn migrate(conn: &mut Conn) -> Result<(), SchemaError> {
    let locked: Option<Option<i64>> = conn
        .exec_first("SELECT GET_LOCK(?, ?)", (LOCK_NAME, LOCK_WAIT_SECS))
        .await
        .map_err(|e| SchemaError::Lock(cause(e)))?;
    if locked.flatten() != Some(1) {
        return Err(SchemaError::LockBusy(LOCK_WAIT_SECS.into()));
    }
    let result = apply_missing(conn).await;
    // Released explicitly; the server also drops it if this connection dies.
    let released: Result<Option<Option<i64>>, _> =
        conn.exec_first("SELECT RELEASE_LOCK(?)", (LOCK_NAME,)).await;
    if let Err(error) = released {
        tracing::warn!(%error, "could not release the migration lock (the server drops it with the connection)");
    }
    result
}

async fn apply_missing(conn: &mut Conn) -> Result<(), SchemaError> {
    conn.query_drop(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version INT NOT NULL PRIMARY KEY,
            description VARCHAR(200) NOT NULL,
            applied_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
    )
    .await
    .map_err(|e| SchemaError::CreateTable(cause(e)))?;
    let applied: Vec<u32> = conn
        .query("SELECT version FROM schema_migrations")
        .await
        .map_err(|e| SchemaError::ReadApplied(cause(e)))?;
    warn_if_schema_is_newer(&applied, latest_version());
    for migration in MIGRATIONS.iter().filter(|m| !applied.contains(&m.version)) {
        for statement in migration.statements {
            conn.query_drop(*statement)
                .await
                .map_err(|e| SchemaError::Apply { version: migration.version.into(), source: cause(e) })?;
        }
        conn.exec_drop(
            "INSERT INTO schema_migrations (version, description) VALUES (?, ?)",
            (migration.version, migration.description),
        )
        .await
        .map_err(|e| SchemaError::Record { version: migration.version.into(), source: cause(e) })?;
        tracing::info!(
            version = migration.version,
            description = migration.description,
            "applied MySQL migration"
        );
    }
    Ok(())
}
