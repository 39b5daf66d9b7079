//! The Redis side of the read-through cache: get, set with a TTL, delete, each bounded
//! by `CACHE_TIMEOUT_MS`. Any failure or timeout marks the cache down for a backoff
//! (250 ms doubling to 5 s) during which calls are skipped without touching the
//! network, so a dead or hung Redis costs requests nothing but a branch. Going down
//! and coming back are each logged once.
//!
//! Connections are plain (one command at a time each) and pooled: redis 0.22's
//! multiplexed connection panics when its driver task ends, and inside Wasm a panic
//! takes the whole instance down. A connection that failed or timed out is dropped,
//! never reused with a half-read answer on it.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use redis::aio::Connection;
use redis::{ConnectionAddr, ConnectionInfo, RedisConnectionInfo};

use crate::config::RedisUrl;

const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Idle connections kept for reuse; more may be open at once under load.
const MAX_IDLE: usize = 16;

/// Why a cache call did not happen.
#[derive(Debug, thiserror::Error)]
pub(super) enum CacheError {
    /// The cache failed recently; it is skipped until the backoff ends.
    #[error("cache is down, retrying in {0} ms")]
    Down(u128),
    /// Redis answered with an error or the connection failed.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// Redis did not answer within `CACHE_TIMEOUT_MS`.
    #[error("redis did not answer within {0} ms")]
    Timeout(u128),
}

#[derive(Default)]
struct Link {
    /// Connections waiting for the next call.
    idle: Vec<Connection>,
    /// While set, calls are skipped until this instant.
    down_until: Option<Instant>,
    /// The next backoff after another failure.
    backoff: Option<Duration>,
}

/// A Redis connection that repairs itself.
pub(super) struct RedisCache {
    client: redis::Client,
    /// `CACHE_TIMEOUT_MS`.
    timeout: Duration,
    link: Mutex<Link>,
    /// For log lines (masked URL).
    shown_url: String,
}

impl RedisCache {
    /// Prepares the client; no connection is opened until the first call.
    pub fn new(url: &RedisUrl, timeout: Duration) -> Result<Self, redis::RedisError> {
        let info = ConnectionInfo {
            addr: ConnectionAddr::Tcp(url.host.clone(), url.port),
            redis: RedisConnectionInfo {
                db: url.db,
                username: url.user.clone(),
                password: url.password.as_ref().map(|p| p.expose().to_owned()),
            },
        };
        Ok(Self {
            client: redis::Client::open(info)?,
            timeout,
            link: Mutex::new(Link::default()),
            shown_url: url.to_string(),
        })
    }

    /// `GET key`.
    pub async fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        self.call(redis::cmd("GET").arg(key)).await
    }

    /// `SET key value EX ttl`.
    pub async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), CacheError> {
        let secs = ttl.as_secs().max(1);
        self.call(redis::cmd("SET").arg(key).arg(value).arg("EX").arg(secs)).await
    }

    /// `DEL key...`.
    pub async fn delete(&self, keys: &[String]) -> Result<(), CacheError> {
        if keys.is_empty() {
            return Ok(());
        }
        let _deleted: i64 = self.call(redis::cmd("DEL").arg(keys)).await?;
        Ok(())
    }

    /// Runs `command` with the timeout, managing the connection and the down state.
    async fn call<T: redis::FromRedisValue>(&self, command: &redis::Cmd) -> Result<T, CacheError> {
        let connection = {
            let mut link = self.link();
            match link.down_until {
                Some(until) if Instant::now() < until => {
                    return Err(CacheError::Down(until.saturating_duration_since(Instant::now()).as_millis()))
                }
                _ => link.idle.pop(),
            }
        };
        let attempt = async {
            let mut connection = match connection {
                Some(connection) => connection,
                None => self.client.get_async_connection().await?,
            };
            let value = command.query_async::<_, T>(&mut connection).await?;
            let mut link = self.link();
            if link.idle.len() < MAX_IDLE {
                link.idle.push(connection);
            }
            Ok(value)
        };
        let result = match tokio::time::timeout(self.timeout, attempt).await {
            Ok(result) => result,
            Err(_) => Err(CacheError::Timeout(self.timeout.as_millis())),
        };
        match &result {
            Ok(_) => self.succeeded(),
            Err(error) => self.failed(error),
        }
        result
    }

    fn succeeded(&self) {
        let mut link = self.link();
        if link.backoff.take().is_some() {
            link.down_until = None;
            tracing::info!(cache = %self.shown_url, "cache is reachable again");
        }
    }

    fn failed(&self, error: &CacheError) {
        let mut link = self.link();
        // The failed connection was dropped with its call; the idle ones are likely dead too.
        link.idle.clear();
        let backoff = link.backoff.map_or(FIRST_BACKOFF, |b| b.saturating_mul(2).min(MAX_BACKOFF));
        if link.backoff.is_none() {
            tracing::warn!(cache = %self.shown_url, %error, "cache unavailable; bypassing it (requests are served from the database)");
        } else {
            tracing::debug!(cache = %self.shown_url, %error, retry_in_ms = backoff.as_millis() as u64, "cache still unavailable");
        }
        link.backoff = Some(backoff);
        link.down_until = Instant::now().checked_add(backoff);
    }

    fn link(&self) -> MutexGuard<'_, Link> {
        // The link is plain data, valid even if a holder panicked.
        self.link.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
