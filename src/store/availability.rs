//! Whether a database can be used right now, and the background task that brings it
//! back. A store starts `Connecting` (schema not yet migrated); a connection-class
//! failure moves it to `Down`. In both states requests fail at once with
//! [`StoreError::Unavailable`] instead of each waiting on a dead server, while one
//! supervisor task probes the database with bounded exponential backoff and flips the
//! state back to `Up` as soon as a probe succeeds.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use super::probe::ProbeError;
use super::{Cause, ErrorChain, StoreError};

/// First wait between two failed probes.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// The longest wait between two probes, so recovery is noticed within this time.
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// A failed probe is logged as a warning on the first attempt and then every this many.
const WARN_EVERY: u32 = 10;

#[derive(Debug, Clone)]
enum State {
    /// Not connected and migrated yet; why the last attempt failed, if one did.
    Connecting(Option<Cause>),
    /// Usable.
    Up,
    /// Was usable, then failed; why.
    Down(Cause),
}

/// The shared state of one database's availability.
#[derive(Debug)]
pub(crate) struct Availability {
    /// `MySQL` or `PostgreSQL`, for messages.
    name: &'static str,
    state: Mutex<State>,
    /// Mirrors `state == Up` for the lock-free fast path.
    up: AtomicBool,
    /// Wakes the supervisor when the state leaves `Up`.
    wake: Notify,
}

impl Availability {
    /// A database that has not been reached yet.
    pub(crate) fn new(name: &'static str) -> Arc<Self> {
        Arc::new(Self {
            name,
            state: Mutex::new(State::Connecting(None)),
            up: AtomicBool::new(false),
            wake: Notify::new(),
        })
    }

    /// `Ok` when the database may be used; else the `Unavailable` error to answer with.
    pub(crate) fn check(&self) -> Result<(), StoreError> {
        if self.up.load(Ordering::Acquire) {
            return Ok(());
        }
        let (context, cause) = match &*self.lock() {
            State::Up => return Ok(()),
            State::Connecting(None) => (format!("{} is not connected yet", self.name), None),
            State::Connecting(Some(cause)) => {
                (format!("{} is not reachable yet", self.name), Some(cause.clone()))
            }
            State::Down(cause) => {
                (format!("{} is unreachable, reconnecting", self.name), Some(cause.clone()))
            }
        };
        Err(StoreError::Unavailable { context: context.into(), cause })
    }

    /// Whether the database answered the last attempt.
    pub(crate) fn is_up(&self) -> bool {
        self.up.load(Ordering::Acquire)
    }

    /// Records a connection-class failure seen by a request; the supervisor takes over.
    pub(crate) fn mark_down(&self, cause: Cause) {
        let mut state = self.lock();
        if matches!(*state, State::Up) {
            tracing::warn!(database = self.name, error = %ErrorChain(cause.as_ref()), "database connection lost; requests get 503 until it is back");
            *state = State::Down(cause);
            self.up.store(false, Ordering::Release);
            self.wake.notify_one();
        }
    }

    fn mark_up(&self) {
        *self.lock() = State::Up;
        self.up.store(true, Ordering::Release);
    }

    fn record_failure(&self, cause: Cause) {
        let mut state = self.lock();
        *state = match &*state {
            State::Connecting(_) => State::Connecting(Some(cause)),
            _ => State::Down(cause),
        };
        self.up.store(false, Ordering::Release);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is a plain enum, valid even if a holder panicked.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `probe` once (bounded by `timeout`) and records the outcome.
    pub(crate) async fn attempt<F>(&self, probe: F, timeout: Duration) -> Result<(), Cause>
    where
        F: Future<Output = Result<(), ProbeError>>,
    {
        let outcome = match tokio::time::timeout(timeout, probe).await {
            Ok(outcome) => outcome,
            Err(_) => Err(ProbeError::TimedOut(timeout.as_millis())),
        };
        match outcome {
            Ok(()) => {
                self.mark_up();
                Ok(())
            }
            Err(error) => {
                let cause: Cause = Arc::new(error);
                self.record_failure(cause.clone());
                Err(cause)
            }
        }
    }

    /// Logs a failed probe: a warning on the first and then every `WARN_EVERY`th.
    fn log_failed_probe(&self, failures: u32, cause: &Cause, backoff: Duration) {
        let error = ErrorChain(cause.as_ref());
        let attempt = failures.saturating_add(1);
        if failures % WARN_EVERY == 0 {
            tracing::warn!(database = self.name, attempt, %error, retry_in_ms = backoff.as_millis() as u64, "database not reachable; retrying");
        } else {
            tracing::debug!(database = self.name, attempt, %error, "database still not reachable");
        }
    }

    /// Forever: sleeps while the database is up; when it is not, probes with backoff
    /// (100 ms doubling to 2 s) until a probe succeeds. Spawned once per store.
    pub(crate) async fn supervise<P, F>(self: Arc<Self>, mut probe: P, timeout: Duration)
    where
        P: FnMut() -> F,
        F: Future<Output = Result<(), ProbeError>>,
    {
        loop {
            while self.is_up() {
                self.wake.notified().await;
            }
            let mut backoff = FIRST_BACKOFF;
            let mut failures: u32 = 0;
            loop {
                match self.attempt(probe(), timeout).await {
                    Ok(()) => {
                        tracing::info!(
                            database = self.name,
                            attempts = failures.saturating_add(1),
                            "database is reachable; serving requests"
                        );
                        break;
                    }
                    Err(cause) => {
                        self.log_failed_probe(failures, &cause, backoff);
                        failures = failures.saturating_add(1);
                        tokio::time::sleep(backoff).await;
                        backoff = backoff.saturating_mul(2).min(MAX_BACKOFF);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 503 a request would get now, as its log line would show it.
    fn refusal(availability: &Availability) -> String {
        match availability.check() {
            Err(error) => ErrorChain(&error).to_string(),
            Ok(()) => "usable".to_owned(),
        }
    }

    fn refused(text: &str) -> ProbeError {
        ProbeError::connect(std::io::Error::other(text.to_owned()))
    }

    fn block_on<F: Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime").block_on(future)
    }

    #[test]
    fn starts_unavailable_and_reports_the_last_reason() {
        let availability = Availability::new("MySQL");
        assert_eq!(refusal(&availability), "store unavailable: MySQL is not connected yet");
        block_on(async {
            let result =
                availability.attempt(async { Err(refused("refused")) }, Duration::from_secs(1)).await;
            assert!(result.is_err());
        });
        assert_eq!(
            refusal(&availability),
            "store unavailable: MySQL is not reachable yet: cannot connect: refused"
        );
    }

    #[test]
    fn a_slow_probe_counts_as_a_failure() {
        let availability = Availability::new("PostgreSQL");
        let result = block_on(availability.attempt(std::future::pending(), Duration::from_millis(10)));
        assert_eq!(result.map_err(|cause| cause.to_string()), Err("no answer within 10 ms".to_owned()));
        assert!(!availability.is_up());
    }

    #[test]
    fn supervisor_recovers_after_failures_and_down_marks_stop_requests() {
        block_on(async {
            let availability = Availability::new("MySQL");
            let attempts = Arc::new(std::sync::atomic::AtomicU32::new(0));
            let counter = attempts.clone();
            let probe = move || {
                let n = counter.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n < 2 {
                        Err(refused(&format!("attempt {n} refused")))
                    } else {
                        Ok(())
                    }
                }
            };
            tokio::spawn(availability.clone().supervise(probe, Duration::from_secs(1)));
            while !availability.is_up() {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            assert_eq!(attempts.load(Ordering::SeqCst), 3);
            availability.mark_down(Arc::new(std::io::Error::other("connection reset")));
            assert_eq!(
                refusal(&availability),
                "store unavailable: MySQL is unreachable, reconnecting: connection reset"
            );
            while !availability.is_up() {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            assert_eq!(attempts.load(Ordering::SeqCst), 4);
        });
    }
}
