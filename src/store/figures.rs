//! Pool and cache figures a store reports for `/metrics`: a plain snapshot, so the
//! telemetry layer needs no knowledge of any backend.

/// What a store can say about its connections and cache at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreFigures {
    /// Database connection pool; `None` for the memory store.
    pub pool: Option<PoolFigures>,
    /// Read-through cache; `None` when `REDIS_URL` is unset.
    pub cache: Option<CacheFigures>,
}

/// A database connection pool.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolFigures {
    /// Connections currently lent to a request.
    pub in_use: u64,
    /// Connections open and waiting in the pool (0 where the driver does not tell).
    pub idle: u64,
    /// The most connections the pool opens (`DB_POOL_SIZE`).
    pub max: u64,
    /// Whether the database answered the last attempt (0 while it is unreachable).
    pub reachable: bool,
    /// Operations that ran past `DB_TIMEOUT_MS`; their connections were discarded.
    pub timeouts_total: u64,
}

/// The read-through cache in front of the database.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheFigures {
    /// Reads answered from the cache.
    pub hits: u64,
    /// Reads the cache did not have (served by the database, then cached).
    pub misses: u64,
    /// Cache calls that failed, timed out, or were skipped while the cache is down.
    pub errors: u64,
}
