//! What the MySQL and PostgreSQL stores share around their drivers: the availability
//! state and its supervisor, the path of every operation (a pooled connection, the
//! `DB_TIMEOUT_MS` budget, what happens to the connection afterwards), the
//! once-per-instance migration flag and the newer-schema warning, and the counters
//! `/metrics` reports.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::availability::Availability;
use super::connection_pool::ConnectionPool;
use super::probe::Probe;
use super::sql_driver::{Failure, QueryFuture, SqlDriver};
use super::usage::{Lent, PoolUsage};
use super::{Cause, PoolFigures, StoreError, StoreFigures};
use crate::config::DatabaseConfig;

/// Which part of an operation ran out of time.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Waiting for a pooled connection (or opening one).
    Connect,
    /// Waiting for the answer to a query.
    Answer,
}

/// The shared state of one SQL store.
pub(crate) struct SqlGuard {
    /// `MySQL` or `PostgreSQL`, for messages.
    name: &'static str,
    /// Up, down or still connecting; requests fail fast while it is not up.
    pub(crate) availability: Arc<Availability>,
    /// `DB_TIMEOUT_MS`: the bound on every operation.
    timeout: Duration,
    /// Whether this instance has brought the schema up to date.
    migrated: AtomicBool,
    /// Lent connections and timeouts.
    usage: PoolUsage,
    /// `DB_POOL_SIZE`.
    max_connections: usize,
}

impl SqlGuard {
    /// The state of a database not reached yet.
    pub(crate) fn new(name: &'static str, config: &DatabaseConfig) -> Self {
        Self {
            name,
            availability: Availability::new(name),
            timeout: config.timeout,
            migrated: AtomicBool::new(false),
            usage: PoolUsage::default(),
            max_connections: config.pool_size,
        }
    }

    /// Spawns the supervisor that probes `target` while the database is not up.
    pub(crate) fn supervise<P: Probe>(&self, target: Arc<P>) {
        let probe = move || {
            let target = target.clone();
            async move { target.probe().await }
        };
        tokio::spawn(self.availability.clone().supervise(probe, self.timeout));
    }

    /// One probe now, bounded by `DB_TIMEOUT_MS`, with its outcome recorded.
    pub(crate) async fn first_attempt<P: Probe>(&self, target: &P) -> Result<(), Cause> {
        self.availability.attempt(target.probe(), self.timeout).await
    }

    /// Whether the schema still has to be migrated by this instance.
    pub(crate) fn needs_migration(&self) -> bool {
        !self.migrated.load(Ordering::Acquire)
    }

    /// Records that the schema is up to date.
    pub(crate) fn migrated(&self) {
        self.migrated.store(true, Ordering::Release);
    }

    /// Starts an operation: fails at once while the database is not up; else returns
    /// the instant its time budget started.
    fn begin(&self) -> Result<Instant, StoreError> {
        self.availability.check().map(|()| Instant::now())
    }

    /// Runs `future` within what is left of the budget of an operation begun at
    /// `started`; `None` when the time ran out.
    async fn within<F: Future>(&self, started: Instant, future: F) -> Option<F::Output> {
        let left = self.timeout.saturating_sub(started.elapsed());
        tokio::time::timeout(left, future).await.ok()
    }

    /// Runs `query` on a connection from `pool` within `DB_TIMEOUT_MS`. The connection
    /// goes back to the pool only if the query finished with a result or a server
    /// error; after a lost connection, a driver error or a cancelled request it is
    /// closed, and after a timeout it is [abandoned](SqlDriver::abandon).
    pub(crate) async fn run<D, T, F>(&self, pool: &ConnectionPool<D>, query: F) -> Result<T, StoreError>
    where
        D: SqlDriver,
        F: for<'c> FnOnce(&'c mut D::Connection) -> QueryFuture<'c, T, D::Error>,
    {
        let started = self.begin()?;
        let mut lease = match self.within(started, pool.get()).await {
            Some(Ok(lease)) => lease,
            Some(Err(error)) => return Err(self.failed(pool.connector().classify(error))),
            None => return Err(self.timed_out(Phase::Connect)),
        };
        let _lent = self.lend();
        let connection = lease.connection().ok_or_else(|| {
            StoreError::internal_because(format!("pooled {} connection missing", self.name))
        })?;
        match self.within(started, query(connection)).await {
            Some(Ok(value)) => {
                lease.reusable();
                Ok(value)
            }
            Some(Err(error)) => {
                let failure = pool.connector().classify(error);
                if failure.connection_fine {
                    // A server error (a duplicate key, say): the exchange completed.
                    lease.reusable();
                }
                Err(self.failed(failure))
            }
            None => {
                if let Some(connection) = lease.take() {
                    pool.connector().abandon(connection);
                }
                Err(self.timed_out(Phase::Answer))
            }
        }
    }

    /// Counts a connection as lent until the guard is dropped.
    fn lend(&self) -> Lent<'_> {
        self.usage.lend()
    }

    /// Records a timeout and builds the 503 for it.
    fn timed_out(&self, phase: Phase) -> StoreError {
        self.usage.record_timeout();
        let ms = self.timeout.as_millis();
        StoreError::unavailable_because(match phase {
            Phase::Connect => format!("no {} connection within {ms} ms", self.name),
            Phase::Answer => format!("{} did not answer within {ms} ms", self.name),
        })
    }

    /// Passes the failure's error on, marking the database down first when the
    /// connection was lost.
    fn failed(&self, failure: Failure) -> StoreError {
        if failure.connection_lost {
            self.availability.mark_down(std::sync::Arc::new(failure.error.clone()));
        }
        failure.error
    }

    /// Pool figures for `/metrics`; `idle` where the driver tells it, else 0.
    pub(crate) fn figures(&self, idle: usize) -> StoreFigures {
        let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        StoreFigures {
            pool: Some(PoolFigures {
                in_use: self.usage.in_use(),
                idle: count(idle),
                max: count(self.max_connections),
                reachable: self.availability.is_up(),
                timeouts_total: self.usage.timeouts(),
            }),
            cache: None,
        }
    }
}

/// Warns when the database already holds a schema version newer than `known`, the
/// newest this build has: it keeps running, since migrations only ever add.
pub(crate) fn warn_if_schema_is_newer<V: Copy + Ord>(applied: &[V], known: V)
where
    i64: From<V>,
{
    if let Some(newest) = applied.iter().copied().max().filter(|v| *v > known) {
        tracing::warn!(
            database_version = i64::from(newest),
            known_version = i64::from(known),
            "the database schema is newer than this build knows; continuing (migrations only add)"
        );
    }
}
