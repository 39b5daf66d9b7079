//! A Redis read-through cache in front of a database store, for `GET /api/users/{id}`.
//!
//! - A hit is served from Redis; a miss reads the database and stores the user with
//!   `CACHE_TTL_SECS`.
//! - `update` and `delete` delete the cached entry after the database write and before
//!   returning. If Redis cannot be told, the id is remembered as dirty: it is not read
//!   from or written to the cache until a later delete succeeds, so this instance never
//!   serves the old value.
//! - A fill never writes a value read before an invalidation that happened meanwhile
//!   (an epoch counter), so a slow read cannot put back what a write just removed.
//! - Redis being down or slow is logged and bypassed; it never fails a request.
//!
//! Keys carry a hash of the database location (`edge-service:v1:<hash>:user:<id>`),
//! so services on different databases can share one Redis.

mod redis_cache;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;

use self::redis_cache::RedisCache;
use super::{CacheFigures, StoreError, StoreFigures, UserStore};
use crate::config::RedisUrl;
use crate::domain::{NewUser, User, UserChanges, UserId};

/// The JSON a user is cached as.
#[derive(serde::Serialize, serde::Deserialize)]
struct CachedUser {
    id: u64,
    name: String,
    email: String,
}

/// A store with a Redis read-through cache for single-user reads.
pub struct CachedStore {
    inner: Arc<dyn UserStore>,
    cache: RedisCache,
    /// `CACHE_TTL_SECS`.
    ttl: Duration,
    /// `edge-service:v1:<hash of the database location>:user:`.
    key_prefix: String,
    /// Ids whose invalidation did not reach Redis yet.
    dirty: Mutex<BTreeSet<u64>>,
    /// Bumped by every invalidation; a fill is skipped if it moved during the read.
    epoch: AtomicU64,
    hits: AtomicU64,
    misses: AtomicU64,
    errors: AtomicU64,
}

impl CachedStore {
    /// Wraps `inner`; `location` identifies its data set (no credentials).
    pub(crate) fn new(
        inner: Arc<dyn UserStore>,
        url: &RedisUrl,
        location: &str,
        ttl: Duration,
        timeout: Duration,
    ) -> Result<Self, redis::RedisError> {
        Ok(Self {
            inner,
            cache: RedisCache::new(url, timeout)?,
            ttl,
            key_prefix: format!("edge-service:v1:{:016x}:user:", fnv1a(location)),
            dirty: Mutex::new(BTreeSet::new()),
            epoch: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            errors: AtomicU64::new(0),
        })
    }

    fn key(&self, id: u64) -> String {
        format!("{}{id}", self.key_prefix)
    }

    fn dirty(&self) -> MutexGuard<'_, BTreeSet<u64>> {
        // A set of ids stays valid even if a holder panicked.
        self.dirty.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn count_error(&self, operation: &str, error: &dyn std::fmt::Display) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(operation, %error, "cache bypassed");
    }

    /// Deletes the cached entries of `id` and of every id still dirty; on failure they
    /// all stay dirty.
    async fn invalidate(&self, id: u64) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        let ids: Vec<u64> = {
            let mut dirty = self.dirty();
            dirty.insert(id);
            dirty.iter().copied().collect()
        };
        let keys: Vec<String> = ids.iter().map(|id| self.key(*id)).collect();
        match self.cache.delete(&keys).await {
            Ok(()) => {
                let mut dirty = self.dirty();
                for id in &ids {
                    dirty.remove(id);
                }
            }
            Err(error) => self.count_error("invalidate", &error),
        }
    }

    /// Retries pending invalidations before the cache is trusted for a read.
    async fn flush_dirty(&self) -> bool {
        let first = self.dirty().iter().next().copied();
        match first {
            None => true,
            Some(id) => {
                self.invalidate(id).await;
                self.dirty().is_empty()
            }
        }
    }

    async fn read_through(&self, id: UserId) -> Result<Option<User>, StoreError> {
        let key = self.key(id.get());
        match self.cache.get(&key).await {
            Ok(Some(json)) => match decode(&json) {
                Some(user) if user.id == id => {
                    self.hits.fetch_add(1, Ordering::Relaxed);
                    return Ok(Some(user));
                }
                _ => self.count_error("decode", &"unreadable cached user; reading the database"),
            },
            Ok(None) => {
                self.misses.fetch_add(1, Ordering::Relaxed);
            }
            Err(error) => self.count_error("get", &error),
        }
        let epoch = self.epoch.load(Ordering::Acquire);
        let user = self.inner.get(id).await?;
        if let Some(user) = &user {
            if self.epoch.load(Ordering::Acquire) == epoch && !self.dirty().contains(&id.get()) {
                if let Err(error) = self.cache.set(&key, &encode(user), self.ttl).await {
                    self.count_error("set", &error);
                }
            }
        }
        Ok(user)
    }
}

fn encode(user: &User) -> String {
    let cached = CachedUser {
        id: user.id.get(),
        name: user.name.as_str().to_owned(),
        email: user.email.as_str().to_owned(),
    };
    serde_json::to_string(&cached).unwrap_or_default()
}

fn decode(json: &str) -> Option<User> {
    let cached: CachedUser = serde_json::from_str(json).ok()?;
    super::rows::user_from_columns(cached.id, &cached.name, &cached.email).ok()
}

/// 64-bit FNV-1a: a stable, dependency-free hash for key prefixes.
fn fnv1a(text: &str) -> u64 {
    text.bytes()
        .fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}

#[async_trait]
impl UserStore for CachedStore {
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }

    fn is_durable(&self) -> bool {
        self.inner.is_durable()
    }

    fn release(&self) {
        self.inner.release();
    }

    async fn ping(&self) -> Result<(), StoreError> {
        // Readiness is the database's: the service serves without its cache.
        self.inner.ping().await
    }

    /// Pool figures of the store underneath plus this cache's.
    fn figures(&self) -> StoreFigures {
        StoreFigures {
            cache: Some(CacheFigures {
                hits: self.hits.load(Ordering::Relaxed),
                misses: self.misses.load(Ordering::Relaxed),
                errors: self.errors.load(Ordering::Relaxed),
            }),
            ..self.inner.figures()
        }
    }

    async fn list(&self, after: Option<UserId>, limit: u32) -> Result<Vec<User>, StoreError> {
        self.inner.list(after, limit).await
    }

    async fn get(&self, id: UserId) -> Result<Option<User>, StoreError> {
        // Pending invalidations first: until they reach Redis, it is not trusted.
        if !self.flush_dirty().await {
            return self.inner.get(id).await;
        }
        self.read_through(id).await
    }

    async fn create(&self, new: NewUser) -> Result<User, StoreError> {
        // Only found users are cached, and ids are never reused, so a new user cannot
        // have a stale entry.
        self.inner.create(new).await
    }

    async fn update(&self, id: UserId, changes: UserChanges) -> Result<Option<User>, StoreError> {
        let result = self.inner.update(id, changes).await;
        // Also after a failed write: the outcome may be unknown (timeout), so drop the entry.
        self.invalidate(id.get()).await;
        result
    }

    async fn delete(&self, id: UserId) -> Result<bool, StoreError> {
        let result = self.inner.delete(id).await;
        self.invalidate(id.get()).await;
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_json_round_trips_exactly() {
        let user = super::super::rows::user_from_columns(9, "Zoë 🦀 '; DROP TABLE users; --", "a\\b\"c@x")
            .expect("valid user");
        assert_eq!(decode(&encode(&user)), Some(user));
    }

    #[test]
    fn key_prefix_depends_on_the_database_location() {
        assert_ne!(fnv1a("mysql://h:1/a"), fnv1a("mysql://h:1/b"));
        assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325);
    }
}
