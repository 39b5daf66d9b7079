//! A small pool of `tokio_postgres` connections. The driver has none, and the pool
//! crates are tied to upstream tokio's runtime, which does not run inside WasmEdge.
//!
//! A semaphore bounds the connections to `DB_POOL_SIZE`; idle clients wait in a
//! stack (the most recently used first, so a quiet period lets the oldest age out);
//! a client whose connection has closed is dropped instead of lent; a client that a
//! request gives up on is [discarded](PooledClient::discard), never returned.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::{Semaphore, SemaphorePermit};
use tokio_postgres::{Client, Config, NoTls, Statement};

/// A connection with the statements it has prepared, so each query is parsed once
/// per connection rather than once per request.
pub(super) struct PgConnection {
    /// The driver's client; its connection task runs on the runtime.
    pub client: Client,
    statements: HashMap<&'static str, Statement>,
}

impl PgConnection {
    /// The prepared statement for `sql`, preparing it on first use.
    pub async fn statement(&mut self, sql: &'static str) -> Result<Statement, tokio_postgres::Error> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql).await?;
        self.statements.insert(sql, statement.clone());
        Ok(statement)
    }
}

/// Connections to one PostgreSQL database.
pub(super) struct PgPool {
    config: Config,
    idle: Mutex<Vec<PgConnection>>,
    permits: Semaphore,
}

impl PgPool {
    /// A pool of at most `max` connections; none is opened until needed.
    pub fn new(config: Config, max: usize) -> Self {
        Self { config, idle: Mutex::new(Vec::new()), permits: Semaphore::new(max) }
    }

    /// Idle connections right now.
    pub fn idle_count(&self) -> usize {
        self.idle().len()
    }

    /// Lends a connection: an idle one that is still open, or a new one.
    pub async fn get(&self) -> Result<PooledClient<'_>, tokio_postgres::Error> {
        // The semaphore is never closed, so acquiring only fails if it were.
        let permit = self.permits.acquire().await.ok();
        loop {
            let candidate = self.idle().pop();
            match candidate {
                Some(connection) if !connection.client.is_closed() => {
                    return Ok(PooledClient { connection: Some(connection), pool: self, _permit: permit });
                }
                Some(_closed) => continue,
                None => break,
            }
        }
        let (client, connection) = self.config.connect(NoTls).await?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "PostgreSQL connection ended");
            }
        });
        let connection = PgConnection { client, statements: HashMap::new() };
        Ok(PooledClient { connection: Some(connection), pool: self, _permit: permit })
    }

    fn idle(&self) -> MutexGuard<'_, Vec<PgConnection>> {
        // A Vec of connections stays valid even if a holder panicked.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A lent connection; dropping it returns it to the pool if it is still open.
pub(super) struct PooledClient<'a> {
    connection: Option<PgConnection>,
    pool: &'a PgPool,
    _permit: Option<SemaphorePermit<'a>>,
}

impl PooledClient<'_> {
    /// The connection.
    pub fn connection(&mut self) -> Option<&mut PgConnection> {
        self.connection.as_mut()
    }

    /// Closes the connection instead of returning it (its last query timed out), and
    /// asks the server to cancel that query.
    pub fn discard(mut self) {
        if let Some(connection) = self.connection.take() {
            let cancel = connection.client.cancel_token();
            drop(connection);
            tokio::spawn(async move {
                if let Err(error) = cancel.cancel_query(NoTls).await {
                    tracing::debug!(%error, "could not cancel a timed-out PostgreSQL query");
                }
            });
        }
    }
}

impl Drop for PooledClient<'_> {
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            if !connection.client.is_closed() {
                self.pool.idle().push(connection);
            }
        }
    }
}
