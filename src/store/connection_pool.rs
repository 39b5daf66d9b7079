//! The connection pool both SQL stores use: at most `DB_POOL_SIZE` connections,
//! handed out in the order requests asked for them.
//!
//! Neither driver's own pool fits. `tokio-postgres` has none, and the pool crates are
//! tied to upstream tokio's runtime, which does not run inside WasmEdge. `mysql_async`
//! 0.33's pool returns a connection through a background recycler (a
//! `COM_RESET_CONNECTION` round trip, then the prepared statements prepared again), and
//! under bursts its waiters can miss that return: every request then stalls until
//! `DB_TIMEOUT_MS` runs out although all connections sit idle. Here the only queue is
//! a tokio semaphore; a lease puts its connection back before it gives its permit up,
//! so a woken waiter always finds it.
//!
//! A connection goes back to the pool only when its user said its last operation
//! finished cleanly ([`Lease::reusable`]). A lease dropped without that (the request
//! was cancelled mid-query, say because the client went away) closes its connection:
//! a MySQL connection may still have that query's answer on the wire. Idle
//! connections wait on a stack (the most recently used first, so a quiet period lets
//! the oldest age out, closed after [`IDLE_TTL`]). A connection idle for a while is
//! checked before it is lent ([`Connector::usable`]); one whose query timed out is
//! [taken](Lease::take) out to be closed by its store.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::{Semaphore, SemaphorePermit};

/// How long a connection may sit idle before the pool closes it.
pub(crate) const IDLE_TTL: Duration = Duration::from_secs(60);

/// How a pool opens and checks connections to one database.
#[async_trait]
pub(crate) trait Connector: Send + Sync + 'static {
    /// An open connection.
    type Connection: Send + 'static;
    /// Why a connection could not be opened.
    type Error: Send;

    /// Opens a new connection.
    async fn connect(&self) -> Result<Self::Connection, Self::Error>;

    /// Whether `connection`, idle for `idle_for`, can be lent (it may ask the server).
    async fn usable(&self, connection: &mut Self::Connection, idle_for: Duration) -> bool;
}

/// An idle connection and when it was returned.
struct Idle<T> {
    connection: T,
    since: Instant,
}

/// Connections to one database.
pub(crate) struct ConnectionPool<C: Connector> {
    connector: C,
    /// Oldest first; lent from the end.
    idle: Mutex<Vec<Idle<C::Connection>>>,
    /// One per connection that may exist; requests queue here.
    permits: Semaphore,
}

impl<C: Connector> ConnectionPool<C> {
    /// A pool of at most `max` connections; none is opened until needed.
    pub(crate) fn new(connector: C, max: usize) -> Self {
        Self { connector, idle: Mutex::new(Vec::new()), permits: Semaphore::new(max) }
    }

    /// How this pool connects.
    pub(crate) fn connector(&self) -> &C {
        &self.connector
    }

    /// Idle connections right now.
    pub(crate) fn idle_count(&self) -> usize {
        self.idle().len()
    }

    /// Lends a connection: an idle one that is still usable, or a new one.
    pub(crate) async fn get(&self) -> Result<Lease<'_, C>, C::Error> {
        // The semaphore is never closed, so acquiring only fails if it were.
        let permit = self.permits.acquire().await.ok();
        while let Some((mut connection, idle_for)) = self.take_idle() {
            if self.connector.usable(&mut connection, idle_for).await {
                return Ok(Lease {
                    connection: Some(connection),
                    reusable: false,
                    pool: self,
                    _permit: permit,
                });
            }
        }
        let connection = self.connector.connect().await?;
        Ok(Lease { connection: Some(connection), reusable: false, pool: self, _permit: permit })
    }

    /// The most recently returned idle connection and how long it was idle; closes
    /// those idle longer than [`IDLE_TTL`] on the way.
    fn take_idle(&self) -> Option<(C::Connection, Duration)> {
        let now = Instant::now();
        let (expired, newest) = {
            let mut idle = self.idle();
            let old = idle.iter().take_while(|c| now.saturating_duration_since(c.since) >= IDLE_TTL).count();
            let expired: Vec<_> = idle.drain(..old).collect();
            (expired, idle.pop())
        };
        // Closed outside the lock.
        drop(expired);
        newest.map(|c| (c.connection, now.saturating_duration_since(c.since)))
    }

    fn idle(&self) -> MutexGuard<'_, Vec<Idle<C::Connection>>> {
        // A Vec of connections stays valid even if a holder panicked.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A lent connection. Dropping it returns the connection to the pool if it was marked
/// [reusable](Lease::reusable) (else closes it), and only then the permit, so whoever
/// the permit wakes finds the connection idle.
pub(crate) struct Lease<'a, C: Connector> {
    connection: Option<C::Connection>,
    /// Set when the last operation on the connection finished and left it clean.
    reusable: bool,
    pool: &'a ConnectionPool<C>,
    _permit: Option<SemaphorePermit<'a>>,
}

impl<C: Connector> Lease<'_, C> {
    /// The connection (`None` only after [`Lease::take`]).
    pub(crate) fn connection(&mut self) -> Option<&mut C::Connection> {
        self.connection.as_mut()
    }

    /// Marks the connection fit for the next request: the operation on it finished and
    /// left nothing unread. Until this is called, dropping the lease closes it.
    pub(crate) fn reusable(&mut self) {
        self.reusable = true;
    }

    /// Takes the connection out of the pool for good (it is broken, or its query
    /// timed out and it may still receive that answer); its permit frees a place for
    /// a new one.
    pub(crate) fn take(mut self) -> Option<C::Connection> {
        self.connection.take()
    }
}

impl<C: Connector> Drop for Lease<'_, C> {
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            if self.reusable {
                self.pool.idle().push(Idle { connection, since: Instant::now() });
            }
        }
        // `_permit` is released after this body: the connection is already idle.
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;

    /// Connections numbered in opening order; a shared flag says whether idle ones
    /// are still usable.
    #[derive(Default)]
    struct Numbered {
        opened: AtomicUsize,
        broken: AtomicBool,
        checked_after: Mutex<Vec<Duration>>,
    }

    #[async_trait]
    impl Connector for Arc<Numbered> {
        type Connection = usize;
        type Error = String;

        async fn connect(&self) -> Result<usize, String> {
            tokio::task::yield_now().await;
            Ok(self.opened.fetch_add(1, Ordering::SeqCst))
        }

        async fn usable(&self, _connection: &mut usize, idle_for: Duration) -> bool {
            self.checked_after.lock().unwrap_or_else(PoisonError::into_inner).push(idle_for);
            !self.broken.load(Ordering::SeqCst)
        }
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime").block_on(future)
    }

    fn pool(max: usize) -> (Arc<ConnectionPool<Arc<Numbered>>>, Arc<Numbered>) {
        let connector = Arc::new(Numbered::default());
        (Arc::new(ConnectionPool::new(connector.clone(), max)), connector)
    }

    #[test]
    fn a_returned_connection_is_lent_again_instead_of_opening_one() {
        let (pool, connector) = pool(4);
        block_on(async {
            let mut first = pool.get().await.expect("lease");
            assert_eq!(first.connection().copied(), Some(0));
            first.reusable();
            drop(first);
            assert_eq!(pool.idle_count(), 1);
            let mut again = pool.get().await.expect("lease");
            assert_eq!(again.connection().copied(), Some(0));
        });
        assert_eq!(connector.opened.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_burst_of_requests_never_opens_more_than_max_and_nobody_stalls() {
        let (pool, connector) = pool(3);
        let served = Arc::new(AtomicUsize::new(0));
        block_on(async {
            let tasks: Vec<_> = (0..200)
                .map(|_| {
                    let (pool, served) = (pool.clone(), served.clone());
                    tokio::spawn(async move {
                        for _ in 0..20 {
                            let mut lease = pool.get().await.expect("lease");
                            tokio::task::yield_now().await;
                            lease.reusable();
                            drop(lease);
                            served.fetch_add(1, Ordering::SeqCst);
                        }
                    })
                })
                .collect();
            let all = async {
                for task in tasks {
                    task.await.expect("task");
                }
            };
            tokio::time::timeout(Duration::from_secs(10), all).await.expect("every request was served");
        });
        assert_eq!(served.load(Ordering::SeqCst), 4000);
        assert_eq!(connector.opened.load(Ordering::SeqCst), 3);
        assert_eq!(pool.idle_count(), 3);
    }

    #[test]
    fn an_idle_connection_that_is_no_longer_usable_is_replaced() {
        let (pool, connector) = pool(2);
        block_on(async {
            pool.get().await.expect("lease").reusable();
            connector.broken.store(true, Ordering::SeqCst);
            let mut lease = pool.get().await.expect("lease");
            assert_eq!(lease.connection().copied(), Some(1), "a new connection, not the broken one");
        });
        let checks = connector.checked_after.lock().unwrap_or_else(PoisonError::into_inner);
        assert_eq!(checks.len(), 1, "the idle connection was checked once");
    }

    #[test]
    fn a_taken_connection_is_not_returned_and_frees_its_place() {
        let (pool, connector) = pool(1);
        block_on(async {
            let lease = pool.get().await.expect("lease");
            assert_eq!(lease.take(), Some(0));
            assert_eq!(pool.idle_count(), 0);
            let mut next = tokio::time::timeout(Duration::from_secs(1), pool.get())
                .await
                .expect("the permit was freed")
                .expect("lease");
            assert_eq!(next.connection().copied(), Some(1));
        });
        assert_eq!(connector.opened.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_lease_dropped_mid_operation_closes_its_connection() {
        let (pool, connector) = pool(2);
        block_on(async {
            // A request cancelled while its query runs: the future holding the lease
            // is dropped before it could mark the connection reusable.
            let cancelled = async {
                let _lease = pool.get().await.expect("lease");
                std::future::pending::<()>().await;
            };
            assert!(tokio::time::timeout(Duration::from_millis(10), cancelled).await.is_err());
            assert_eq!(pool.idle_count(), 0, "not returned");
            let mut next = pool.get().await.expect("lease");
            assert_eq!(next.connection().copied(), Some(1), "a new connection");
        });
        assert_eq!(connector.opened.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn connections_idle_past_the_ttl_are_closed_and_the_newest_is_lent() {
        let (pool, connector) = pool(3);
        block_on(async {
            let (mut a, mut b) = (pool.get().await.expect("lease"), pool.get().await.expect("lease"));
            a.reusable();
            b.reusable();
            drop(a);
            drop(b);
            // Age the older one past the TTL.
            if let Some(oldest) = pool.idle().first_mut() {
                oldest.since = Instant::now().checked_sub(IDLE_TTL + Duration::from_secs(1)).expect("clock");
            }
            let mut lease = pool.get().await.expect("lease");
            assert_eq!(lease.connection().copied(), Some(1), "the most recently used");
            assert_eq!(pool.idle_count(), 0, "the expired one was closed, not kept");
        });
        assert_eq!(connector.opened.load(Ordering::SeqCst), 2);
    }
}
