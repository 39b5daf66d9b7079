//! Choosing the store from the configuration: the one call `main` makes.
//!
//! `DATABASE_URL` unset → the memory store; `sqlite:///path` → [`SqliteStore`];
//! `mysql://…` → [`MySqlStore`]; `postgres://…` → [`PostgresStore`]; with `REDIS_URL`
//! the database store is wrapped in a [`CachedStore`]. A database server that is down
//! at start leaves the service running (data routes and `/api/ready` answer 503) while
//! the store reconnects in the background, and never makes opening wait long; a SQLite
//! file that cannot be used is the one reason opening fails (the service does not
//! start rather than serve from a store that is not the one asked for).

use std::sync::Arc;

use super::{
    CachedStore, ErrorChain, MemoryStore, MySqlStore, PostgresStore, SqliteOpenError, SqliteStore, UserStore,
};
use crate::config::{DatabaseConfig, DatabaseKind, DatabaseUrl};

/// Builds the configured store. Call inside the runtime (it spawns the reconnecting
/// supervisor); it waits at most `DB_TIMEOUT_MS` for a first connection and migration.
pub async fn open(config: &DatabaseConfig) -> Result<Arc<dyn UserStore>, SqliteOpenError> {
    let Some(url) = &config.url else {
        if let Some(redis) = &config.redis {
            tracing::warn!(cache = %redis, "REDIS_URL is ignored: the memory store needs no cache (set DATABASE_URL)");
        }
        return Ok(Arc::new(MemoryStore::new()));
    };
    let server = match url {
        DatabaseUrl::Sqlite(file) => {
            let store = Arc::new(SqliteStore::open(file, config.sqlite_sync)?);
            store.keep_ownership(file.path.clone());
            tracing::info!(database = %file, sync = config.sqlite_sync.as_str(), "SQLite database ready: schema up to date");
            return Ok(with_cache(store, url, config));
        }
        DatabaseUrl::Server(server) => server,
    };
    tracing::info!(
        database = %url,
        pool_size = config.pool_size,
        timeout_ms = config.timeout.as_millis() as u64,
        "connecting to the database"
    );
    let (store, first): (Arc<dyn UserStore>, _) = match server.kind {
        DatabaseKind::MySql => {
            let store = MySqlStore::start(server, config);
            let first = store.first_attempt().await;
            (Arc::new(store), first)
        }
        DatabaseKind::Postgres => {
            let store = PostgresStore::start(server, config);
            let first = store.first_attempt().await;
            (Arc::new(store), first)
        }
    };
    match first {
        Ok(()) => tracing::info!(database = %url, "database ready: connected and schema up to date"),
        Err(cause) => tracing::warn!(
            database = %url,
            error = %ErrorChain(cause.as_ref()),
            "database not reachable at start; data routes answer 503 until it is (reconnecting in the background)"
        ),
    }
    Ok(with_cache(store, url, config))
}

/// `store` behind the read-through cache when `REDIS_URL` is set.
fn with_cache(store: Arc<dyn UserStore>, url: &DatabaseUrl, config: &DatabaseConfig) -> Arc<dyn UserStore> {
    let Some(redis) = &config.redis else { return store };
    match CachedStore::new(store.clone(), redis, &url.location(), config.cache_ttl, config.cache_timeout) {
        Ok(cached) => {
            tracing::info!(cache = %redis, ttl_secs = config.cache_ttl.as_secs(), "read-through cache enabled for GET /api/users/{{id}}");
            Arc::new(cached)
        }
        Err(error) => {
            tracing::warn!(cache = %redis, %error, "cache disabled: REDIS_URL cannot be used");
            store
        }
    }
}
