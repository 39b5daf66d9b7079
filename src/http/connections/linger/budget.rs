//! The read budget every lingering close shares: a token bucket of bytes per second.
//!
//! A lingering close reads and throws away what a client still sends. Without a
//! shared bound, many naive clients uploading large bodies over a fast link make the
//! server read gigabytes per second of bytes it discards, and the CPU that takes is
//! missing for everyone else. With the bucket, a lingering read that finds it empty
//! waits on a timer (never on a waker) until it refills; meanwhile the client's
//! unread bytes fill the socket buffers and TCP slows the uploader down too.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// Nanoseconds in a second.
const NANOS_PER_SECOND: u128 = 1_000_000_000;

/// A token bucket of bytes that readers reserve from in advance: a reservation the
/// bucket cannot pay at once puts it in debt, and the reader waits until the debt is
/// paid off at the rate. Readers are served in the order they reserve, and each wakes
/// once, at its turn (no thundering herd of timers polling an empty bucket).
#[derive(Debug)]
pub struct Bucket {
    /// Bytes added per second.
    rate: u64,
    /// The most bytes it holds.
    burst: i64,
    /// Bytes available now; negative while reservations are waiting.
    balance: i64,
    /// When `balance` was last topped up (none before the first use).
    refilled: Option<Instant>,
}

impl Bucket {
    /// A full bucket adding `rate` bytes per second and holding at most `burst`.
    pub const fn new(rate: u64, burst: u64) -> Self {
        let burst = if burst > i64::MAX as u64 { i64::MAX } else { burst as i64 };
        Self { rate, burst, balance: burst, refilled: None }
    }

    fn refill(&mut self, now: Instant) {
        let Some(then) = self.refilled else {
            self.refilled = Some(now);
            return;
        };
        let elapsed = now.saturating_duration_since(then);
        let earned = elapsed.as_nanos().saturating_mul(u128::from(self.rate)) / NANOS_PER_SECOND;
        if earned > 0 {
            let earned = i64::try_from(earned).unwrap_or(i64::MAX);
            self.balance = self.balance.saturating_add(earned).min(self.burst);
            self.refilled = Some(now);
        }
    }

    /// Reserves `bytes` at `now` and says how long the reader waits before reading
    /// them; `None` (and nothing reserved) if that wait would be longer than `patience`.
    pub fn reserve(&mut self, now: Instant, bytes: u64, patience: Duration) -> Option<Duration> {
        self.refill(now);
        let bytes = i64::try_from(bytes).unwrap_or(i64::MAX);
        let after = self.balance.saturating_sub(bytes);
        let wait = if after >= 0 {
            Duration::ZERO
        } else {
            let missing = u128::from(after.unsigned_abs());
            let rate = u128::from(self.rate.max(1));
            let nanos = missing.saturating_mul(NANOS_PER_SECOND).div_ceil(rate);
            Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
        };
        if wait > patience {
            return None;
        }
        self.balance = after;
        Some(wait)
    }

    /// Gives back the part of a reservation that was not read.
    pub fn give_back(&mut self, unused: u64) {
        let unused = i64::try_from(unused).unwrap_or(i64::MAX);
        self.balance = self.balance.saturating_add(unused).min(self.burst);
    }
}

/// What all lingering closes of the process may read together: 128 MiB/s, with a burst
/// of 4 MiB. Under 200 naive clients uploading 2 MiB each as fast as loopback allows
/// (`scripts/bench-attack.sh`), this keeps lingering from starving normal requests,
/// while nearly every upload still ends within its lingering time and its client sees
/// its response (64 MiB/s cut off about one in nine of them).
pub static SHARED: Budget = Budget::new(Bucket::new(128 * 1024 * 1024, 4 * 1024 * 1024));

/// A [`Bucket`] behind a lock, held only while reserving or giving back, never across an
/// await.
#[derive(Debug)]
pub struct Budget(Mutex<Bucket>);

impl Budget {
    /// A budget drawing on `bucket`.
    pub const fn new(bucket: Bucket) -> Self {
        Self(Mutex::new(bucket))
    }

    /// See [`Bucket::reserve`], at the current time.
    pub fn reserve(&self, bytes: u64, patience: Duration) -> Option<Duration> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).reserve(Instant::now(), bytes, patience)
    }

    /// See [`Bucket::give_back`].
    pub fn give_back(&self, unused: u64) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).give_back(unused);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;
    const LONG: Duration = Duration::from_secs(3600);

    #[test]
    fn a_full_bucket_pays_up_to_the_burst_at_once_then_goes_into_debt() {
        let now = Instant::now();
        // 1,000,000 bytes per second: 1 byte per microsecond.
        let mut bucket = Bucket::new(1_000_000, 100_000);
        assert_eq!(bucket.reserve(now, 64_000, LONG), Some(Duration::ZERO));
        assert_eq!(bucket.reserve(now, 36_000, LONG), Some(Duration::ZERO), "the rest of the burst");
        assert_eq!(bucket.reserve(now, 4000, LONG), Some(Duration::from_micros(4000)));
        assert_eq!(bucket.reserve(now, 4000, LONG), Some(Duration::from_micros(8000)), "served in order");
    }

    #[test]
    fn debt_is_paid_off_at_the_rate() {
        let now = Instant::now();
        let mut bucket = Bucket::new(1_000_000, 10_000);
        assert_eq!(bucket.reserve(now, 30_000, LONG), Some(Duration::from_micros(20_000)));
        let later = now + Duration::from_micros(5000);
        assert_eq!(
            bucket.reserve(later, 1000, LONG),
            Some(Duration::from_micros(16_000)),
            "15,000 still owed"
        );
        let paid = now + Duration::from_micros(21_000);
        assert_eq!(bucket.reserve(paid, 0, LONG), Some(Duration::ZERO));
    }

    #[test]
    fn refilling_stops_at_the_burst() {
        let now = Instant::now();
        let mut bucket = Bucket::new(MIB, 2 * MIB);
        assert_eq!(bucket.reserve(now, 2 * MIB, LONG), Some(Duration::ZERO));
        let much_later = now + Duration::from_secs(60);
        assert_eq!(bucket.reserve(much_later, 2 * MIB, LONG), Some(Duration::ZERO));
        assert_eq!(
            bucket.reserve(much_later, MIB, LONG),
            Some(Duration::from_secs(1)),
            "only the burst was saved"
        );
    }

    #[test]
    fn over_a_second_of_steady_reads_it_pays_about_the_rate() {
        let start = Instant::now();
        let mut bucket = Bucket::new(MIB, 64 * 1024);
        let mut paid = 0u64;
        let mut now = start;
        loop {
            let wait = bucket.reserve(now, 16 * 1024, LONG).expect("patient enough");
            now += wait;
            if now > start + Duration::from_secs(1) {
                break;
            }
            paid += 16 * 1024;
        }
        // The initial burst plus one second at the rate, give or take one reservation.
        let expected = 64 * 1024 + MIB;
        assert!(paid.abs_diff(expected) <= 16 * 1024, "paid {paid}, expected about {expected}");
    }

    #[test]
    fn an_impatient_reader_reserves_nothing() {
        let now = Instant::now();
        let mut bucket = Bucket::new(1_000_000, 10_000);
        assert_eq!(bucket.reserve(now, 20_000, Duration::from_millis(5)), None, "it would wait 10 ms");
        assert_eq!(bucket.reserve(now, 10_000, Duration::ZERO), Some(Duration::ZERO), "nothing was taken");
    }

    #[test]
    fn unused_reservations_come_back_never_above_the_burst() {
        let now = Instant::now();
        let mut bucket = Bucket::new(1_000_000, 50_000);
        assert_eq!(bucket.reserve(now, 80_000, LONG), Some(Duration::from_micros(30_000)));
        bucket.give_back(60_000);
        assert_eq!(bucket.reserve(now, 30_000, LONG), Some(Duration::ZERO));
        bucket.give_back(u64::MAX);
        assert_eq!(bucket.reserve(now, 50_000, LONG), Some(Duration::ZERO));
        assert_eq!(bucket.reserve(now, 1, LONG), Some(Duration::from_micros(1)), "never above the burst");
    }

    #[test]
    fn extreme_values_neither_overflow_nor_pay() {
        let now = Instant::now();
        let mut bucket = Bucket::new(0, u64::MAX);
        assert_eq!(bucket.reserve(now, u64::MAX, LONG), Some(Duration::ZERO));
        assert_eq!(bucket.reserve(now + LONG, u64::MAX, LONG), None, "a zero rate never pays a debt");
        let mut bucket = Bucket::new(u64::MAX, 0);
        assert_eq!(bucket.reserve(now, 1, LONG), Some(Duration::from_nanos(1)));
    }
}
