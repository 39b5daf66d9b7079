//! The `tracing` subscriber behind every log line: a level check, then the event
//! formatted into a per-thread buffer that is reused from line to line, then one
//! write of the whole line.
//!
//! Spans are not recorded (the service opens none, and a line carries only its
//! event's own fields), so the subscriber keeps no per-span state and needs no
//! registry.

use std::cell::RefCell;
use std::io::Write;
use std::time::SystemTime;

use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};

use super::line::write_event;
use super::timestamp::TimestampWriter;
use crate::config::LogFormat;

/// A buffer that grew past this (a huge field) is dropped after its line rather than
/// kept for ever.
const MAX_KEPT_CAPACITY: usize = 16 * 1024;

/// Where finished lines go: one call per line, with the line's `\n`.
pub trait LineSink: Send + Sync + 'static {
    /// Writes one whole line.
    fn write_line(&self, line: &[u8]);
}

/// The process's stderr: unbuffered, so each line is one `write(2)` (natively) or one
/// `fd_write` (in WasmEdge), and lines from different threads never interleave.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stderr;

impl LineSink for Stderr {
    fn write_line(&self, line: &[u8]) {
        // Nowhere to report a failed log write; the service goes on.
        let _ = std::io::stderr().write_all(line);
    }
}

/// One thread's line buffer and timestamp cache.
#[derive(Default)]
struct LineBuffer {
    bytes: Vec<u8>,
    timestamp: TimestampWriter,
}

thread_local! {
    static LINE: RefCell<LineBuffer> = RefCell::new(LineBuffer::default());
}

/// Writes every enabled event as one line in `format` to `sink`.
pub struct LineSubscriber<S = Stderr> {
    /// `LOG_LEVEL`: the most verbose level written.
    max_level: LevelFilter,
    /// `LOG_FORMAT`.
    format: LogFormat,
    /// Where lines go.
    sink: S,
    /// The wall clock (tests fix it).
    clock: fn() -> SystemTime,
}

impl<S: LineSink> LineSubscriber<S> {
    /// A subscriber writing `format` lines for events up to `max_level` into `sink`.
    pub fn new(max_level: LevelFilter, format: LogFormat, sink: S) -> Self {
        Self { max_level, format, sink, clock: SystemTime::now }
    }

    /// The same with a fixed clock, for tests that compare whole lines.
    #[cfg(test)]
    pub fn with_clock(mut self, clock: fn() -> SystemTime) -> Self {
        self.clock = clock;
        self
    }

    fn emit(&self, line: &mut LineBuffer, event: &Event<'_>) {
        line.bytes.clear();
        write_event(&mut line.bytes, self.format, &line.timestamp, (self.clock)(), event);
        self.sink.write_line(&line.bytes);
        if line.bytes.capacity() > MAX_KEPT_CAPACITY {
            line.bytes = Vec::new();
        }
    }
}

impl<S: LineSink> Subscriber for LineSubscriber<S> {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        // Decided once per call site: a disabled `info!` then costs one load and branch.
        if self.enabled(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.is_event() && *metadata.level() <= self.max_level
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(self.max_level)
    }

    fn new_span(&self, _span: &Attributes<'_>) -> Id {
        // Spans are never enabled; one made without asking still needs a valid id.
        Id::from_u64(1)
    }

    fn record(&self, _span: &Id, _values: &Record<'_>) {}

    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let written = LINE.try_with(|line| match line.try_borrow_mut() {
            Ok(mut line) => self.emit(&mut line, event),
            // An event logged while another is being formatted (from inside a field's
            // `Debug`), or after this thread's buffer is gone: a buffer of its own.
            Err(_) => self.emit(&mut LineBuffer::default(), event),
        });
        if written.is_err() {
            self.emit(&mut LineBuffer::default(), event);
        }
    }

    fn enter(&self, _span: &Id) {}

    fn exit(&self, _span: &Id) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, UNIX_EPOCH};

    /// Collects lines in memory.
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<Vec<u8>>>>);

    impl LineSink for Lines {
        fn write_line(&self, line: &[u8]) {
            self.0.lock().expect("lines").push(line.to_vec());
        }
    }

    impl Lines {
        fn text(&self) -> Vec<String> {
            self.0.lock().expect("lines").iter().map(|l| String::from_utf8_lossy(l).into_owned()).collect()
        }
    }

    fn fixed_clock() -> SystemTime {
        UNIX_EPOCH + Duration::new(1_795_555_322, 698_375_000)
    }

    fn capture(level: LevelFilter, format: LogFormat, f: impl FnOnce()) -> Vec<String> {
        let lines = Lines::default();
        let subscriber = LineSubscriber::new(level, format, lines.clone()).with_clock(fixed_clock);
        tracing::subscriber::with_default(subscriber, f);
        lines.text()
    }

    /// The events of the comparison with tracing-subscriber: every kind of field value.
    fn sample_events() {
        tracing::info!(
            request_id = "485a170ef32c7add",
            method = "GET",
            path = "/api/h%C3%A9llo\"x\\",
            route = "/api/users/{id}",
            status = 200u16,
            duration_us = 50u64,
            "request"
        );
        tracing::warn!(delta = -7i64, ok = true, ratio = 0.5f64, "mixed \u{1b}[31m values");
        tracing::error!(error = %"store failure: disk on fire", id = ?Some(3), "internal error");
        tracing::info!(text = "tab\tnew\nline caf\u{e9} \u{1}", "escapes");
        tracing::info!(only = 1u64);
        let cause = std::io::Error::other("inner cause");
        let outer = std::io::Error::other(OuterError(cause));
        tracing::warn!(error = &outer as &(dyn std::error::Error + 'static), "with sources");
        tracing::debug!("dropped at info");
    }

    #[derive(Debug)]
    struct OuterError(std::io::Error);

    impl std::fmt::Display for OuterError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("outer \u{7} failure")
        }
    }

    impl std::error::Error for OuterError {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    /// What tracing-subscriber prints for the same events (its timestamp replaced).
    fn reference(format: LogFormat) -> Vec<String> {
        #[derive(Clone, Default)]
        struct Buffer(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buffer {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().expect("buffer").extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        struct Fixed;
        impl tracing_subscriber::fmt::time::FormatTime for Fixed {
            fn format_time(&self, w: &mut tracing_subscriber::fmt::format::Writer<'_>) -> std::fmt::Result {
                w.write_str("2026-11-24T21:22:02.698375Z")
            }
        }
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let builder = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_max_level(LevelFilter::INFO)
            .with_target(false)
            .with_ansi(false)
            .with_timer(Fixed);
        match format {
            LogFormat::Text => tracing::subscriber::with_default(builder.finish(), sample_events),
            LogFormat::Json => tracing::subscriber::with_default(
                builder.json().flatten_event(true).with_current_span(false).finish(),
                sample_events,
            ),
        }
        let bytes = buffer.0.lock().expect("buffer").clone();
        String::from_utf8(bytes).expect("UTF-8").split_inclusive('\n').map(str::to_owned).collect()
    }

    #[test]
    fn text_lines_are_what_tracing_subscriber_printed() {
        let ours = capture(LevelFilter::INFO, LogFormat::Text, sample_events);
        assert_eq!(ours, reference(LogFormat::Text));
        assert_eq!(
            ours.first().map(String::as_str),
            Some(
                "2026-11-24T21:22:02.698375Z  INFO request request_id=\"485a170ef32c7add\" method=\"GET\" \
                 path=\"/api/h%C3%A9llo\\\"x\\\\\" route=\"/api/users/{id}\" status=200 duration_us=50\n"
            )
        );
    }

    #[test]
    fn json_lines_are_what_tracing_subscriber_printed() {
        let ours = capture(LevelFilter::INFO, LogFormat::Json, sample_events);
        assert_eq!(ours, reference(LogFormat::Json));
        for line in &ours {
            serde_json::from_str::<serde_json::Value>(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        }
    }

    #[test]
    fn levels_above_the_configured_one_are_not_written() {
        let lines = capture(LevelFilter::WARN, LogFormat::Text, || {
            tracing::info!("hidden");
            tracing::warn!("shown");
            tracing::error!("also shown");
        });
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines.iter().all(|l| !l.contains("hidden")), "{lines:?}");
    }

    #[test]
    fn an_event_logged_while_formatting_another_leaves_that_line_whole() {
        // tracing does not dispatch an event raised inside a subscriber's own call, so
        // the inner one is dropped; the outer line must still come out intact.
        struct LogsWhenFormatted;
        impl std::fmt::Debug for LogsWhenFormatted {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                tracing::info!("inner");
                f.write_str("outer value")
            }
        }
        let lines = capture(LevelFilter::INFO, LogFormat::Text, || {
            tracing::info!(value = ?LogsWhenFormatted, "outer");
        });
        assert_eq!(lines, ["2026-11-24T21:22:02.698375Z  INFO outer value=outer value\n"]);
    }

    #[test]
    fn a_huge_line_is_written_whole_and_its_buffer_not_kept() {
        let big = "x".repeat(100_000);
        let lines = capture(LevelFilter::INFO, LogFormat::Json, || tracing::info!(big = big.as_str(), "big"));
        assert_eq!(lines.len(), 1);
        assert!(lines.first().is_some_and(|l| l.len() > 100_000 && l.ends_with("\"}\n")));
        assert!(LINE.with(|line| line.borrow().bytes.capacity()) <= MAX_KEPT_CAPACITY);
    }
}
