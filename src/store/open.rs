//! Choosing the store from the configuration: the one call `main` makes.
//!
//! `DATABASE_URL` unset → the memory store; `mysql://…` → [`MySqlStore`];
//! `postgres://…` → [`PostgresStore`]; with `REDIS_URL` the database store is wrapped
//! in a [`CachedStore`]. Opening never fails and never waits long: a database that is
//! down at start leaves the service running (data routes and `/api/ready` answer 503)
//! while the store reconnects in the background.

use std::sync::Arc;

use super::{CachedStore, ErrorChain, MemoryStore, MySqlStore, PostgresStore, UserStore};
use crate::config::{DatabaseConfig, DatabaseKind};

/// Builds the configured store. Call inside the runtime (it spawns the reconnecting
/// supervisor); it waits at most `DB_TIMEOUT_MS` for a first connection and migration.
pub async fn open(config: &DatabaseConfig) -> Arc<dyn UserStore> {
    let Some(url) = &config.url else {
        if let Some(redis) = &config.redis {
            tracing::warn!(cache = %redis, "REDIS_URL is ignored: the memory store needs no cache (set DATABASE_URL)");
        }
        return Arc::new(MemoryStore::new());
    };
    tracing::info!(
        database = %url,
        pool_size = config.pool_size,
        timeout_ms = config.timeout.as_millis() as u64,
        "connecting to the database"
    );
    let (store, first): (Arc<dyn UserStore>, _) = match url.kind {
        DatabaseKind::MySql => {
            let store = MySqlStore::start(url, config);
            let first = store.first_attempt().await;
            (Arc::new(store), first)
        }
        DatabaseKind::Postgres => {
            let store = PostgresStore::start(url, config);
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
