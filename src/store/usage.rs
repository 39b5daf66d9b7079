//! Connection accounting shared by the SQL stores: how many connections are lent to
//! requests right now and how many operations timed out, for `/metrics`.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of one pool.
#[derive(Debug, Default)]
pub(crate) struct PoolUsage {
    in_use: AtomicU64,
    timeouts: AtomicU64,
}

impl PoolUsage {
    /// Counts a connection as lent until the returned guard is dropped.
    pub(crate) fn lend(&self) -> Lent<'_> {
        self.in_use.fetch_add(1, Ordering::Relaxed);
        Lent(self)
    }

    /// Records an operation that ran past `DB_TIMEOUT_MS`.
    pub(crate) fn record_timeout(&self) {
        self.timeouts.fetch_add(1, Ordering::Relaxed);
    }

    /// Connections lent right now.
    pub(crate) fn in_use(&self) -> u64 {
        self.in_use.load(Ordering::Relaxed)
    }

    /// Operations that timed out so far.
    pub(crate) fn timeouts(&self) -> u64 {
        self.timeouts.load(Ordering::Relaxed)
    }
}

/// A lent connection; returning it (dropping this) updates the count.
#[derive(Debug)]
pub(crate) struct Lent<'a>(&'a PoolUsage);

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        self.0.in_use.fetch_sub(1, Ordering::Relaxed);
    }
}
