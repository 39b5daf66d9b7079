//! The MySQL/MariaDB store: `mysql_async` (the `mysql_async_wasi` fork inside
//! WasmEdge) behind the service's own [connection pool](super::connection_pool)
//! (the driver's pool can stall under bursts; see there).
//!
//! Every statement is a prepared statement with bound parameters, prepared once per
//! connection (the driver's statement cache). Each call runs in autocommit mode, so
//! when it returns `Ok` the server has committed the row. Every operation, the wait
//! for a pooled connection included, is bounded by `DB_TIMEOUT_MS`; a connection whose
//! query ran out of time is closed and killed on the server, never handed to the next
//! request with an unread answer on it.

mod connector;
mod errors;
mod schema;

use std::sync::Arc;

use async_trait::async_trait;
use mysql_async::prelude::*;
use mysql_async::{Conn, Opts, OptsBuilder};

use self::connector::MySqlConnector;
use super::connection_pool::ConnectionPool;
use super::probe::{Probe, ProbeError};
use super::rows::user_from_columns;
use super::sql_driver;
use super::sql_guard::SqlGuard;
use super::{Cause, StoreError, StoreFigures, UserStore};
use crate::config::{DatabaseConfig, ServerUrl};
use crate::domain::{NewUser, User, UserChanges, UserId};

/// A query on a borrowed connection, as the boxed future `run` can time out.
type QueryFuture<'c, T> = sql_driver::QueryFuture<'c, T, mysql_async::Error>;

/// Users in a MySQL/MariaDB `users` table.
pub struct MySqlStore {
    inner: Arc<Inner>,
}

struct Inner {
    /// Up to `DB_POOL_SIZE` connections, opened on demand.
    pool: ConnectionPool<MySqlConnector>,
    /// Availability, the time budget, the migration flag and the counters.
    guard: SqlGuard,
}

impl MySqlStore {
    /// Creates the pool (no connection is opened yet) and starts the supervisor that
    /// connects, migrates, and reconnects after failures. Call inside the runtime.
    pub(crate) fn start(url: &ServerUrl, config: &DatabaseConfig) -> Self {
        let opts = OptsBuilder::default()
            .ip_or_hostname(url.host.clone())
            .tcp_port(url.port)
            .user(Some(url.user.clone()))
            .pass(url.password.as_ref().map(|p| p.expose().to_owned()))
            .db_name(Some(url.database.clone()))
            // Never switch to a Unix socket: there is none inside the sandbox.
            .prefer_socket(false)
            // UPDATE reports matched rows, so an unchanged row still counts as found.
            .client_found_rows(true)
            .stmt_cache_size(32);
        let inner = Arc::new(Inner {
            pool: ConnectionPool::new(MySqlConnector { opts: Opts::from(opts) }, config.pool_size),
            guard: SqlGuard::new("MySQL", config),
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
        let conn = lease.connection().ok_or(ProbeError::NoConnection)?;
        if self.guard.needs_migration() {
            schema::migrate(conn).await.map_err(ProbeError::Migrate)?;
            self.guard.migrated();
        }
        conn.ping().await.map_err(ProbeError::ping)?;
        lease.reusable();
        Ok(())
    }
}

impl Inner {
    /// Runs `query` on a pooled connection within `DB_TIMEOUT_MS`.
    async fn run<T, F>(&self, query: F) -> Result<T, StoreError>
    where
        F: for<'c> FnOnce(&'c mut Conn) -> QueryFuture<'c, T>,
    {
        self.guard.run(&self.pool, query).await
    }
}

/// Forces the higher-ranked signature onto a query closure.
fn query<T, F>(f: F) -> F
where
    F: for<'c> FnOnce(&'c mut Conn) -> QueryFuture<'c, T>,
{
    f
}

type UserRow = (u64, String, String);

#[async_trait]
impl UserStore for MySqlStore {
    fn kind(&self) -> &'static str {
        "mysql"
    }

    fn is_durable(&self) -> bool {
        true
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.inner.run(query(|conn| Box::pin(conn.ping()))).await
    }

    fn figures(&self) -> StoreFigures {
        self.inner.guard.figures(self.inner.pool.idle_count())
    }

    async fn list(&self, after: Option<UserId>, limit: u32) -> Result<Vec<User>, StoreError> {
        let after = after.map_or(0, UserId::get);
        let rows: Vec<UserRow> = self
            .inner
            .run(query(move |conn| {
                Box::pin(conn.exec(
                    "SELECT id, name, email FROM users WHERE id > ? ORDER BY id LIMIT ?",
                    (after, limit),
                ))
            }))
            .await?;
        rows.iter().map(|(id, name, email)| user_from_columns(*id, name, email)).collect()
    }

    async fn get(&self, id: UserId) -> Result<Option<User>, StoreError> {
        let row: Option<UserRow> = self
            .inner
            .run(query(move |conn| {
                Box::pin(conn.exec_first("SELECT id, name, email FROM users WHERE id = ?", (id.get(),)))
            }))
            .await?;
        row.map(|(id, name, email)| user_from_columns(id, &name, &email)).transpose()
    }

    async fn create(&self, new: NewUser) -> Result<User, StoreError> {
        let params = (
            new.id.map(UserId::get),
            new.name.as_str().to_owned(),
            new.email.as_str().to_owned(),
            new.email.unique_key(),
        );
        let assigned = self
            .inner
            .run(query(move |conn| {
                Box::pin(async move {
                    conn.exec_drop(
                        "INSERT INTO users (id, name, email, email_key) VALUES (?, ?, ?, ?)",
                        params,
                    )
                    .await?;
                    Ok(conn.last_insert_id())
                })
            }))
            .await?;
        let id = match new.id {
            Some(id) => id,
            None => assigned.and_then(|id| UserId::new(id).ok()).ok_or_else(|| {
                StoreError::internal_because("MySQL returned no usable id for the new user")
            })?,
        };
        Ok(User { id, name: new.name, email: new.email })
    }

    async fn update(&self, id: UserId, changes: UserChanges) -> Result<Option<User>, StoreError> {
        let params = (
            changes.name.as_str().to_owned(),
            changes.email.as_str().to_owned(),
            changes.email.unique_key(),
            id.get(),
        );
        let matched = self
            .inner
            .run(query(move |conn| {
                Box::pin(async move {
                    conn.exec_drop(
                        "UPDATE users SET name = ?, email = ?, email_key = ? WHERE id = ?",
                        params,
                    )
                    .await?;
                    Ok(conn.affected_rows())
                })
            }))
            .await?;
        Ok((matched > 0).then_some(User { id, name: changes.name, email: changes.email }))
    }

    async fn delete(&self, id: UserId) -> Result<bool, StoreError> {
        let deleted = self
            .inner
            .run(query(move |conn| {
                Box::pin(async move {
                    conn.exec_drop("DELETE FROM users WHERE id = ?", (id.get(),)).await?;
                    Ok(conn.affected_rows())
                })
            }))
            .await?;
        Ok(deleted > 0)
    }
}
