//! Structured logging on stderr through `tracing`: one line at start, one per request,
//! and one per internal error (with the request id and the cause chain).
//!
//! stderr because stdout belongs to the runtime's user, and because WasmEdge's
//! `fd_write` to fd 2 is an unbuffered `writev`: each line reaches the log collector whole.
//!
//! The code logs with `tracing`'s macros; the subscriber is our own. The per-request
//! line is on every request's path, and `tracing-subscriber`'s general formatter
//! (date arithmetic per line, `Debug` formatting of every field through `core::fmt`,
//! style wrappers even with colours off) cost ~40% of a request's instructions. The
//! lines are the same byte for byte, in both formats (the tests compare them with
//! `tracing-subscriber`'s):
//!
//! - [`subscriber`]: level filter, a reused per-thread buffer, one write per line.
//! - [`line`]: an event as a text or JSON line.
//! - [`timestamp`]: RFC 3339 timestamps, the date and time formatted once a second.

pub mod line;
pub mod subscriber;
pub mod timestamp;

use tracing::level_filters::LevelFilter;

pub use subscriber::{LineSink, LineSubscriber, Stderr};

use crate::config::{LogConfig, LogLevel};

/// Installs the global subscriber. Calling it twice (as tests may) keeps the first one.
pub fn init(config: &LogConfig) {
    let subscriber = LineSubscriber::new(level_filter(config.level), config.format, Stderr);
    // Fails only when a subscriber is already set, which is fine.
    let _ = tracing::subscriber::set_global_default(subscriber);
}

fn level_filter(level: LogLevel) -> LevelFilter {
    match level {
        LogLevel::Error => LevelFilter::ERROR,
        LogLevel::Warn => LevelFilter::WARN,
        LogLevel::Info => LevelFilter::INFO,
        LogLevel::Debug => LevelFilter::DEBUG,
        LogLevel::Trace => LevelFilter::TRACE,
    }
}
