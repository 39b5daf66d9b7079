//! Structured logging on stderr through `tracing`: one line at start, one per request,
//! and one per internal error (with the request id and the cause chain).
//!
//! stderr because stdout belongs to the runtime's user, and because WasmEdge's
//! `fd_write` to fd 2 is an unbuffered `writev`: each line reaches the log collector whole.

use tracing_subscriber::filter::LevelFilter;

use crate::config::{LogConfig, LogFormat, LogLevel};

/// Installs the global subscriber. Calling it twice (as tests may) keeps the first one.
pub fn init(config: &LogConfig) {
    let level = level_filter(config.level);
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .with_target(false)
        .with_ansi(false);
    // `try_init` fails only when a subscriber is already set, which is fine.
    let _ = match config.format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(false).try_init(),
    };
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
