//! The MySQL/MariaDB store: `mysql_async` (the `mysql_async_wasi` fork inside
//! WasmEdge) with its connection pool.
//!
//! Every statement is a prepared statement with bound parameters. Each call runs in
//! autocommit mode, so when it returns `Ok` the server has committed the row. Every
//! operation, the wait for a pooled connection included, is bounded by
//! `DB_TIMEOUT_MS`; a connection whose query ran out of time is closed and killed on
//! the server, never handed to the next request with an unread answer on it.

mod errors;
mod schema;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use mysql_async::prelude::*;
use mysql_async::{Conn, OptsBuilder, Pool, PoolConstraints, PoolOpts};
use tokio::sync::Semaphore;

use super::availability::Availability;
use super::rows::user_from_columns;
use super::usage::PoolUsage;
use super::{PoolFigures, StoreError, StoreFigures, UserStore};
use crate::config::{DatabaseConfig, DatabaseUrl};
use crate::domain::{NewUser, User, UserChanges, UserId};

/// A query on a borrowed connection, as the boxed future `run` can time out.
type QueryFuture<'c, T> = Pin<Box<dyn Future<Output = Result<T, mysql_async::Error>> + Send + 'c>>;

/// Users in a MySQL/MariaDB `users` table.
pub struct MySqlStore {
    inner: Arc<Inner>,
}

struct Inner {
    /// The driver's pool: opens connections on demand up to `DB_POOL_SIZE`.
    pool: Pool,
    /// One permit per pooled connection. Requests queue here, never inside the driver's
    /// pool: under a burst of more requests than connections, mysql_async 0.33's waiter
    /// queue can miss a wake-up and leave a request stalled until some other pool event.
    permits: Semaphore,
    /// Up, down or still connecting; requests fail fast while it is not up.
    availability: Arc<Availability>,
    /// `DB_TIMEOUT_MS`: the bound on every operation.
    timeout: Duration,
    /// Whether this instance has brought the schema up to date.
    migrated: AtomicBool,
    /// Lent connections and timeouts, for `/metrics`.
    usage: PoolUsage,
    /// `DB_POOL_SIZE`.
    max_connections: usize,
}

impl MySqlStore {
    /// Creates the pool (no connection is opened yet) and starts the supervisor that
    /// connects, migrates, and reconnects after failures. Call inside the runtime.
    pub(crate) fn start(url: &DatabaseUrl, config: &DatabaseConfig) -> Self {
        let constraints = PoolConstraints::new(0, config.pool_size).unwrap_or_default();
        let pool_opts = PoolOpts::default()
            .with_constraints(constraints)
            .with_inactive_connection_ttl(Duration::from_secs(60));
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
            .stmt_cache_size(32)
            .pool_opts(pool_opts);
        let inner = Arc::new(Inner {
            pool: Pool::new(opts),
            permits: Semaphore::new(config.pool_size),
            availability: Availability::new("MySQL"),
            timeout: config.timeout,
            migrated: AtomicBool::new(false),
            usage: PoolUsage::default(),
            max_connections: config.pool_size,
        });
        let probe_target = inner.clone();
        let supervisor = inner.availability.clone().supervise(
            move || {
                let inner = probe_target.clone();
                async move { inner.probe().await }
            },
            config.timeout,
        );
        tokio::spawn(supervisor);
        Self { inner }
    }

    /// Makes one connection attempt now (bounded by `DB_TIMEOUT_MS`), so a reachable
    /// database is ready before the service starts listening.
    pub(crate) async fn first_attempt(&self) -> Result<(), String> {
        self.inner.availability.attempt(self.inner.probe(), self.inner.timeout).await
    }
}

impl Inner {
    /// Connects, migrates once, and pings: the supervisor's health check.
    async fn probe(&self) -> Result<(), String> {
        let mut conn = self.pool.get_conn().await.map_err(|e| e.to_string())?;
        if !self.migrated.load(Ordering::Acquire) {
            schema::migrate(&mut conn).await?;
            self.migrated.store(true, Ordering::Release);
        }
        conn.ping().await.map_err(|e| e.to_string())
    }

    /// Runs `query` on a pooled connection within `DB_TIMEOUT_MS`.
    async fn run<T, F>(&self, query: F) -> Result<T, StoreError>
    where
        F: for<'c> FnOnce(&'c mut Conn) -> QueryFuture<'c, T>,
    {
        self.availability.check()?;
        let started = Instant::now();
        let acquire = async {
            // The semaphore is never closed, so acquiring cannot fail; `ok()` keeps it total.
            let permit = self.permits.acquire().await.ok();
            self.pool.get_conn().await.map(|conn| (conn, permit))
        };
        let (mut conn, _permit) = match tokio::time::timeout(self.timeout, acquire).await {
            Ok(Ok(acquired)) => acquired,
            Ok(Err(error)) => return Err(self.failed(error)),
            Err(_) => {
                self.usage.record_timeout();
                return Err(StoreError::Unavailable(format!(
                    "no MySQL connection within {} ms",
                    self.timeout.as_millis()
                )));
            }
        };
        let _lent = self.usage.lend();
        let left = self.timeout.saturating_sub(started.elapsed());
        match tokio::time::timeout(left, query(&mut conn)).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(self.failed(error)),
            Err(_) => {
                self.usage.record_timeout();
                self.discard(conn);
                Err(StoreError::Unavailable(format!(
                    "MySQL did not answer within {} ms",
                    self.timeout.as_millis()
                )))
            }
        }
    }

    fn failed(&self, error: mysql_async::Error) -> StoreError {
        let classified = errors::classify(error);
        if classified.connection_lost {
            self.availability.mark_down(&classified.error.to_string());
        }
        classified.error
    }

    /// Takes a connection whose query timed out out of service: it may still receive
    /// that query's answer, so it is closed (never returned to the pool as usable) and
    /// the query is killed on the server so it stops holding locks and a thread.
    fn discard(&self, conn: Conn) {
        let id = conn.id();
        let pool = self.pool.clone();
        tokio::spawn(async move {
            // `disconnect` marks the connection closed first, so even if it is cut short
            // the pool drops it instead of reusing it.
            let _ = tokio::time::timeout(Duration::from_secs(1), conn.disconnect()).await;
            let kill = async {
                let mut other = pool.get_conn().await?;
                other.query_drop(format!("KILL {id}")).await
            };
            match tokio::time::timeout(Duration::from_secs(2), kill).await {
                Ok(Ok(())) => tracing::debug!(connection = id, "killed a timed-out MySQL connection"),
                Ok(Err(error)) => {
                    tracing::debug!(connection = id, %error, "could not kill a timed-out MySQL connection")
                }
                Err(_) => tracing::debug!(connection = id, "timed out killing a timed-out MySQL connection"),
            }
        });
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
        StoreFigures {
            pool: Some(PoolFigures {
                in_use: self.inner.usage.in_use(),
                idle: 0,
                max: u64::try_from(self.inner.max_connections).unwrap_or(u64::MAX),
                reachable: self.inner.availability.is_up(),
                timeouts_total: self.inner.usage.timeouts(),
            }),
            cache: None,
        }
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
                StoreError::Internal("MySQL returned no usable id for the new user".to_owned())
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
