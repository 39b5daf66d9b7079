//! The SQLite schema as versioned migrations, applied at start in one transaction
//! each, so a migration and its record in `schema_migrations` commit together or not
//! at all (SQLite DDL is transactional). The same tables as the server backends: ids
//! from a one-row counter that explicit ids move forward (deleted ids never come
//! back), and the case-insensitive email uniqueness enforced by a unique column.

use rusqlite::{params, Connection};

use crate::store::schema_error::{cause, SchemaError};
use crate::store::sql_guard::warn_if_schema_is_newer;

/// One schema version.
struct Migration {
    version: i64,
    description: &'static str,
    sql: &'static str,
}

/// Every version, oldest first. Append only: a released migration never changes.
const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    description: "users with a database-enforced, case-insensitive unique email",
    sql: "CREATE TABLE users (
              id INTEGER PRIMARY KEY CHECK (id > 0),
              name TEXT NOT NULL,
              email TEXT NOT NULL,
              email_key TEXT NOT NULL UNIQUE,
              created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
          );
          CREATE TABLE user_id_counter (
              singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
              highest INTEGER NOT NULL CHECK (highest >= 0)
          );
          INSERT INTO user_id_counter (singleton, highest) VALUES (1, 0);",
}];

/// The newest version this build knows.
fn latest_version() -> i64 {
    MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Brings the schema up to date.
pub(super) fn migrate(connection: &mut Connection) -> Result<(), SchemaError> {
    connection
        .execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version INTEGER PRIMARY KEY,
                 description TEXT NOT NULL,
                 applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
             )",
        )
        .map_err(|e| SchemaError::CreateTable(cause(e)))?;
    let applied: Vec<i64> = {
        let mut statement = connection
            .prepare("SELECT version FROM schema_migrations")
            .map_err(|e| SchemaError::ReadApplied(cause(e)))?;
        let rows =
            statement.query_map([], |row| row.get(0)).map_err(|e| SchemaError::ReadApplied(cause(e)))?;
        rows.collect::<Result<_, _>>().map_err(|e| SchemaError::ReadApplied(cause(e)))?
    };
    warn_if_schema_is_newer(&applied, latest_version());
    for migration in MIGRATIONS.iter().filter(|m| !applied.contains(&m.version)) {
        let failed = |e: rusqlite::Error| SchemaError::Apply { version: migration.version, source: cause(e) };
        let transaction = connection.transaction().map_err(failed)?;
        transaction.execute_batch(migration.sql).map_err(failed)?;
        transaction
            .execute(
                "INSERT INTO schema_migrations (version, description) VALUES (?1, ?2)",
                params![migration.version, migration.description],
            )
            .map_err(failed)?;
        transaction.commit().map_err(failed)?;
        tracing::info!(
            version = migration.version,
            description = migration.description,
            "applied SQLite migration"
        );
    }
    Ok(())
}
