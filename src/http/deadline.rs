//! `tokio::time::timeout` that reads the clock only when the future has to wait.
//!
//! Setting up a timeout reads the clock for its deadline, and inside a Wasm runtime
//! every clock reading is a host call. On the request path the awaited thing is usually
//! ready at once (a small body is already in hyper's buffer, the body budget has room),
//! so the future is polled once first and the timeout is only set up if it is pending.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

/// Runs `future` for at most `limit`: `None` if the limit passed first.
pub async fn within<F: Future>(limit: Duration, future: F) -> Option<F::Output> {
    let mut future = pin!(future);
    let first = poll_fn(|cx| {
        Poll::Ready(match future.as_mut().poll(cx) {
            Poll::Ready(output) => Some(output),
            Poll::Pending => None,
        })
    })
    .await;
    match first {
        Some(output) => Some(output),
        None => tokio::time::timeout(limit, future).await.ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
    }

    #[test]
    fn a_ready_future_is_returned_without_a_timer() {
        runtime().block_on(async {
            assert_eq!(within(Duration::ZERO, async { 7 }).await, Some(7));
        });
    }

    #[test]
    fn a_future_that_waits_but_finishes_in_time_is_returned() {
        runtime().block_on(async {
            let later = async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                8
            };
            assert_eq!(within(Duration::from_secs(5), later).await, Some(8));
        });
    }

    #[test]
    fn a_future_that_takes_too_long_is_cut_at_the_limit() {
        runtime().block_on(async {
            let started = std::time::Instant::now();
            let never = std::future::pending::<()>();
            assert_eq!(within(Duration::from_millis(50), never).await, None);
            assert!(started.elapsed() >= Duration::from_millis(50));
        });
    }
}
