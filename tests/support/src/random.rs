//! Random numbers for names and ids no other test, service or earlier run has used:
//! the suite runs tests in parallel, against shared durable databases.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A random number, different at every call (random keys, the clock and a counter).
pub fn random_u64() -> u64 {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    RandomState::new().hash_one((nanos, COUNTER.fetch_add(1, Ordering::Relaxed), std::process::id()))
}
