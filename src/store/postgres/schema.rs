//! The PostgreSQL schema as versioned migrations, applied at start under
//! `pg_advisory_lock`, so several instances starting at once apply each version
//! exactly once. PostgreSQL DDL is transactional: a migration and its record in
//! `schema_migrations` commit together or not at all.

use tokio_postgres::Client;

use crate::store::schema_error::{cause, SchemaError};
use crate::store::sql_guard::warn_if_schema_is_newer;

/// The advisory lock key that serialises migrations ("edge_mig" in ASCII).
const LOCK_KEY: i64 = 0x6564_6765_5f6d_6967;

/// One schema version.
struct Migration {
    version: i32,
    description: &'static str,
    /// Run with the simple query protocol (several statements, no parameters).
    sql: &'static str,
}

/// Every version, oldest first. Append only: a released migration never changes.
const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    description: "users with a database-enforced, case-insensitive unique email",
    // `email_key` is the lowercase address (`Email::unique_key`); its unique constraint
    // is what keeps two instances from storing the same address twice. Ids come from
    // a one-row counter (locked per insert) rather than a sequence, so explicit ids move
    // it forward and deleted ids are never handed out again, as in every store.
    sql: "CREATE TABLE IF NOT EXISTS users (
              id BIGINT PRIMARY KEY CHECK (id > 0),
              name VARCHAR(100) NOT NULL,
              email VARCHAR(254) NOT NULL,
              email_key VARCHAR(254) NOT NULL,
              created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
              CONSTRAINT users_email_key UNIQUE (email_key)
          );
          CREATE TABLE IF NOT EXISTS user_id_counter (
              singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
              highest BIGINT NOT NULL CHECK (highest >= 0)
          );
          INSERT INTO user_id_counter (singleton, highest)
              SELECT TRUE, COALESCE(MAX(id), 0) FROM users
              ON CONFLICT (singleton) DO NOTHING;",
}];

/// The newest version this build knows.
fn latest_version() -> i32 {
    MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Brings the schema up to date, holding the advisory lock meanwhile.
pub(super) async fn migrate(client: &mut Client) -> Result<(), SchemaError> {
    let encoding: String = client
        .query_one("SHOW server_encoding", &[])
        .await
        .and_then(|row| row.try_get(0))
        .map_err(|e| SchemaError::ReadEncoding(cause(e)))?;
    if encoding != "UTF8" {
        return Err(SchemaError::Encoding(encoding));
    }
    client
        .execute("SELECT pg_advisory_lock($1)", &[&LOCK_KEY])
        .await
        .map_err(|e| SchemaError::Lock(cause(e)))?;
    let result = apply_missing(client).await;
    if let Err(error) = client.execute("SELECT pg_advisory_unlock($1)", &[&LOCK_KEY]).await {
        tracing::warn!(%error, "could not release the migration lock (the server drops it with the connection)");
    }
    result
}

async fn apply_missing(client: &mut Client) -> Result<(), SchemaError> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version INTEGER PRIMARY KEY,
                 description TEXT NOT NULL,
                 applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
             )",
        )
        .await
        .map_err(|e| SchemaError::CreateTable(cause(e)))?;
    let applied: Vec<i32> = client
        .query("SELECT version FROM schema_migrations", &[])
        .await
        .map_err(|e| SchemaError::ReadApplied(cause(e)))?
        .iter()
        .filter_map(|row| row.try_get(0).ok())
        .collect();
    warn_if_schema_is_newer(&applied, latest_version());
    for migration in MIGRATIONS.iter().filter(|m| !applied.contains(&m.version)) {
        let failed = |e: tokio_postgres::Error| SchemaError::Apply {
            version: migration.version.into(),
            source: cause(e),
        };
        let transaction = client.transaction().await.map_err(failed)?;
        transaction.batch_execute(migration.sql).await.map_err(failed)?;
        transaction
            .execute(
                "INSERT INTO schema_migrations (version, description) VALUES ($1, $2)",
                &[&migration.version, &migration.description],
            )
            .await
            .map_err(failed)?;
        transaction.commit().await.map_err(failed)?;
        tracing::info!(
            version = migration.version,
            description = migration.description,
            "applied PostgreSQL migration"
        );
    }
    Ok(())
}
