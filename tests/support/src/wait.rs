//! Polling with a deadline, for states a test cannot be told about (a server back up,
//! a log line, a counter reached), so no test sleeps a fixed time and hopes.

use std::time::{Duration, Instant};

/// Polls `condition` every 50 ms until it holds or `timeout` passes; true if it held.
pub fn wait_until(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
