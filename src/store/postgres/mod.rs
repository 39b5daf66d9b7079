//! The PostgreSQL store: `tokio-postgres` (the `tokio-postgres_wasi` fork inside
//! WasmEdge) behind the service's own
//! [connection pool](super::connection_pool).
//!
//! Every statement is prepared once per connection and run with bound parameters.
//! Each write is a single statement in autocommit mode (id allocation and insert in one
//! statement), so when it returns `Ok` the server has committed it. Every operation,
//! the wait for a pooled connection included, is bounded by `DB_TIMEOUT_MS`; a
//! connection whose query ran out of time is closed and the query cancelled.

mod connection;
mod errors;
mod schema;

use std::sync::Arc;

use async_trait::async_trait;

use self::connection::{PgConnection, PgConnector};
use super::connection_pool::ConnectionPool;
use super::probe::{Probe, ProbeError};
use super::rows::{id_to_i64, user_from_columns};
use super::sql_driver;
use super::sql_guard::SqlGuard;
use super::{Cause, Conflict, StoreError, StoreFigures, UserStore};
use crate::config::{DatabaseConfig, ServerUrl};
use crate::domain::{NewUser, User, UserChanges, UserId};

/// A query on a borrowed connection, as the boxed future `run` can time out.
type QueryFuture<'c, T> = sql_driver::QueryFuture<'c, T, tokio_postgres::Error>;

const SELECT_ONE: &str = "SELECT id, name, email FROM users WHERE id = $1";
const SELECT_PAGE: &str = "SELECT id, name, email FROM users WHERE id > $1 ORDER BY id LIMIT $2";
/// Takes the next id from the counter and inserts in one statement: one round trip,
/// one implicit transaction, and the counter row lock orders concurrent creators.
const INSERT_NEXT_ID: &str = "WITH next AS (
        UPDATE user_id_counter SET highest = highest + 1
        WHERE highest < 9223372036854775807 RETURNING highest)
    INSERT INTO users (id, name, email, email_key) SELECT highest, $1, $2, $3 FROM next RETURNING id";
/// Inserts with a client-chosen id and moves the counter past it.
const INSERT_WITH_ID: &str = "WITH bumped AS (
        UPDATE user_id_counter SET highest = GREATEST(highest, $1::BIGINT) RETURNING highest)
    INSERT INTO users (id, name, email, email_key) SELECT $1::BIGINT, $2, $3, $4 FROM bumped RETURNING id";
const UPDATE: &str = "UPDATE users SET name = $1, email = $2, email_key = $3 WHERE id = $4";
const DELETE: &str = "DELETE FROM users WHERE id = $1";

/// Users in a PostgreSQL `users` table.
pub struct PostgresStore {
    inner: Arc<Inner>,
}

struct Inner {
    /// Up to `DB_POOL_SIZE` connections.
    pool: ConnectionPool<PgConnector>,
    /// Availability, the time budget, the migration flag and the counters.
    guard: SqlGuard,
}

impl PostgresStore {
    /// Sets up the pool (no connection yet) and starts the supervisor that connects,
    /// migrates, and reconnects after failures. Call inside the runtime.
    pub(crate) fn start(url: &ServerUrl, config: &DatabaseConfig) -> Self {
        let mut pg = tokio_postgres::Config::new();
        pg.host(&url.host)
            .port(url.port)
            .user(&url.user)
            .dbname(&url.database)
            .application_name("edge-service")
            .connect_timeout(config.timeout);
        if let Some(password) = &url.password {
            pg.password(password.expose());
        }
        let inner = Arc::new(Inner {
            pool: ConnectionPool::new(PgConnector { config: pg }, config.pool_size),
            guard: SqlGuard::new("PostgreSQL", config),
        });
        inner.guard.supervise(inner.clone());
        Self { inner }
    }

    /// Makes one connection attempt now (bounded by `DB_TIMEOUT_MS`), so a reachable
    /// database is ready before the service starts listening.
    pub(crate) async fn first_attempt(&self) -> Result<(), Cause> {
        self.inner.guard.first_attempt(self.inner.as_ref()).await
    }
}

#[async_trait]
impl Probe for Inner {
    /// Connects, migrates once, and pings.
    async fn probe(&self) -> Result<(), ProbeError> {
        let mut lease = self.pool.get().await.map_err(ProbeError::connect)?;
        let connection = lease.connection().ok_or(ProbeError::NoConnection)?;
        if self.guard.needs_migration() {
            schema::migrate(&mut connection.client).await.map_err(ProbeError::Migrate)?;
            self.guard.migrated();
        }
        connection.client.simple_query("SELECT 1").await.map_err(ProbeError::ping)?;
        lease.reusable();
        Ok(())
    }
}

impl Inner {
    /// Runs `query` on a pooled connection within `DB_TIMEOUT_MS`.
    async fn run<T, F>(&self, query: F) -> Result<T, StoreError>
    where
        F: for<'c> FnOnce(&'c mut PgConnection) -> QueryFuture<'c, T>,
    {
        self.guard.run(&self.pool, query).await
    }
}

/// Forces the higher-ranked signature onto a query closure.
fn query<T, F>(f: F) -> F
where
    F: for<'c> FnOnce(&'c mut PgConnection) -> QueryFuture<'c, T>,
{
    f
}

/// The user in a `SELECT id, name, email` row.
fn user_from_row(row: &tokio_postgres::Row) -> Result<User, StoreError> {
    let columns: Result<(i64, &str, &str), _> =
        (|| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)))();
    let (id, name, email) =
        columns.map_err(|e: tokio_postgres::Error| StoreError::internal("unexpected users row", e))?;
    let id =
        u64::try_from(id).map_err(|e| StoreError::internal(format!("stored user id {id} is negative"), e))?;
    user_from_columns(id, name, email)
}

#[async_trait]
impl UserStore for PostgresStore {
    fn kind(&self) -> &'static str {
        "postgres"
    }

    fn is_durable(&self) -> bool {
        true
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.inner
            .run(query(|conn| Box::pin(async move { conn.client.simple_query("SELECT 1").await.map(drop) })))
            .await
    }

    fn figures(&self) -> StoreFigures {
        self.inner.guard.figures(self.inner.pool.idle_count())
    }

    async fn list(&self, after: Option<UserId>, limit: u32) -> Result<Vec<User>, StoreError> {
        let after = after.map_or(0, id_to_i64);
        let limit = i64::from(limit);
        let rows = self
            .inner
            .run(query(move |conn| {
                Box::pin(async move {
                    let statement = conn.statement(SELECT_PAGE).await?;
                    conn.client.query(&statement, &[&after, &limit]).await
                })
            }))
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    async fn get(&self, id: UserId) -> Result<Option<User>, StoreError> {
        let id = id_to_i64(id);
        let row = self
            .inner
            .run(query(move |conn| {
                Box::pin(async move {
                    let statement = conn.statement(SELECT_ONE).await?;
                    conn.client.query_opt(&statement, &[&id]).await
                })
            }))
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn create(&self, new: NewUser) -> Result<User, StoreError> {
        let (name, email, key) =
            (new.name.as_str().to_owned(), new.email.as_str().to_owned(), new.email.unique_key());
        let requested = new.id.map(id_to_i64);
        let row = self
            .inner
            .run(query(move |conn| {
                Box::pin(async move {
                    match requested {
                        Some(id) => {
                            let statement = conn.statement(INSERT_WITH_ID).await?;
                            conn.client.query_opt(&statement, &[&id, &name, &email, &key]).await
                        }
                        None => {
                            let statement = conn.statement(INSERT_NEXT_ID).await?;
                            conn.client.query_opt(&statement, &[&name, &email, &key]).await
                        }
                    }
                })
            }))
            .await?;
        // No row: the counter is at i64::MAX, so no id is left to assign.
        let row = row.ok_or(StoreError::Conflict(Conflict::IdsExhausted))?;
        let id: i64 = row.try_get(0).map_err(|e| StoreError::internal("insert returned no id", e))?;
        let id = u64::try_from(id)
            .ok()
            .and_then(|id| UserId::new(id).ok())
            .ok_or_else(|| StoreError::internal_because(format!("insert returned an invalid id {id}")))?;
        Ok(User { id, name: new.name, email: new.email })
    }

    async fn update(&self, id: UserId, changes: UserChanges) -> Result<Option<User>, StoreError> {
        let key = changes.email.unique_key();
        let (name, email, db_id) =
            (changes.name.as_str().to_owned(), changes.email.as_str().to_owned(), id_to_i64(id));
        let updated = self
            .inner
            .run(query(move |conn| {
                Box::pin(async move {
                    let statement = conn.statement(UPDATE).await?;
                    conn.client.execute(&statement, &[&name, &email, &key, &db_id]).await
                })
            }))
            .await?;
        Ok((updated > 0).then_some(User { id, name: changes.name, email: changes.email }))
    }

    async fn delete(&self, id: UserId) -> Result<bool, StoreError> {
        let id = id_to_i64(id);
        let deleted = self
            .inner
            .run(query(move |conn| {
                Box::pin(async move {
                    let statement = conn.statement(DELETE).await?;
                    conn.client.execute(&statement, &[&id]).await
                })
            }))
            .await?;
        Ok(deleted > 0)
    }
}
