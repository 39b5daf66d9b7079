//! One event as one line, in either `LOG_FORMAT`, byte for byte what
//! `tracing-subscriber`'s formatters printed before (its `Full` text format without
//! ANSI or target, and its JSON format with flattened fields):
//!
//! ```text
//! 2026-11-24T20:07:07.440376Z  INFO request request_id="485a170ef32c7add" method="GET" status=200
//! {"timestamp":"2026-11-24T20:07:07.440376Z","level":"INFO","message":"request","request_id":"485a170ef32c7add","method":"GET","status":200}
//! ```
//!
//! Fields are written straight into the line buffer in the order the event carries
//! them: strings quoted and escaped (Rust `Debug` escapes in text, JSON escapes in
//! JSON), integers with `itoa`, `%display` and `?debug` values through `core::fmt`
//! without an intermediate `String`.

use std::fmt::{self, Write as _};
use std::time::SystemTime;

use tracing::field::{Field, Visit};
use tracing::{Event, Level};

use super::timestamp::TimestampWriter;
use crate::config::LogFormat;

/// Appends `event` as one line (with its `\n`) to `out`.
pub fn write_event(
    out: &mut Vec<u8>,
    format: LogFormat,
    timestamp: &TimestampWriter,
    now: SystemTime,
    event: &Event<'_>,
) {
    let level = *event.metadata().level();
    match format {
        LogFormat::Text => {
            timestamp.write(out, now);
            out.push(b' ');
            out.extend_from_slice(padded_level(level));
            out.push(b' ');
            event.record(&mut TextFields { out: &mut *out, first: true });
        }
        LogFormat::Json => {
            out.extend_from_slice(b"{\"timestamp\":\"");
            timestamp.write(out, now);
            out.extend_from_slice(b"\",\"level\":\"");
            out.extend_from_slice(level.as_str().as_bytes());
            out.push(b'"');
            event.record(&mut JsonFields { out: &mut *out });
            out.push(b'}');
        }
    }
    out.push(b'\n');
}

/// The level right-aligned in five columns, as `{:>5}` prints it.
fn padded_level(level: Level) -> &'static [u8] {
    match level {
        Level::TRACE => b"TRACE",
        Level::DEBUG => b"DEBUG",
        Level::INFO => b" INFO",
        Level::WARN => b" WARN",
        Level::ERROR => b"ERROR",
    }
}

/// A `fmt::Write` that appends to the line as it is.
struct Raw<'a>(&'a mut Vec<u8>);

impl fmt::Write for Raw<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// A `fmt::Write` that appends JSON-escaped text (inside a string literal).
struct JsonEscaped<'a>(&'a mut Vec<u8>);

impl fmt::Write for JsonEscaped<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        escape_json(self.0, s);
        Ok(())
    }
}

/// A `fmt::Write` that appends text with the escapes `tracing-subscriber` applies to
/// text messages (ESC, BEL, BS, FF, DEL and the C1 controls), so a message cannot
/// drive the terminal that shows the log.
struct TerminalSafe<'a>(&'a mut Vec<u8>);

impl fmt::Write for TerminalSafe<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // 0xc2 leads every C1 control in UTF-8.
        if !s.bytes().any(|b| matches!(b, 0x1b | 0x07 | 0x08 | 0x0c | 0x7f | 0xc2)) {
            self.0.extend_from_slice(s.as_bytes());
            return Ok(());
        }
        for ch in s.chars() {
            match ch {
                '\x1b' => self.0.extend_from_slice(b"\\x1b"),
                '\x07' => self.0.extend_from_slice(b"\\x07"),
                '\x08' => self.0.extend_from_slice(b"\\x08"),
                '\x0c' => self.0.extend_from_slice(b"\\x0c"),
                '\x7f' => self.0.extend_from_slice(b"\\x7f"),
                '\u{80}'..='\u{9f}' => write!(Raw(self.0), "\\u{{{:x}}}", u32::from(ch))?,
                _ => self.0.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes()),
            }
        }
        Ok(())
    }
}

/// An error and its sources as `[first, second]`, each terminal-safe (what
/// `tracing-subscriber` prints after `name.sources=`).
struct SourceList<'a>(&'a (dyn std::error::Error + 'static));

impl fmt::Display for SourceList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        let mut current = Some(self.0);
        while let Some(error) = current {
            list.entry(&format_args!("{}", TerminalSafeDisplay(error)));
            current = error.source();
        }
        list.finish()
    }
}

/// Displays a value through [`TerminalSafe`].
struct TerminalSafeDisplay<T>(T);

impl<T: fmt::Display> fmt::Display for TerminalSafeDisplay<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = Vec::new();
        write!(TerminalSafe(&mut text), "{}", self.0)?;
        f.write_str(&String::from_utf8_lossy(&text))
    }
}

/// Text fields: `message` first as it is, then ` name=value`, strings in `Debug` form.
struct TextFields<'a> {
    out: &'a mut Vec<u8>,
    /// Nothing written yet, so no separating space.
    first: bool,
}

impl TextFields<'_> {
    /// Starts a field: a space unless it is the first, then `name=` unless it is the message.
    fn start(&mut self, field: &Field) {
        if !std::mem::replace(&mut self.first, false) {
            self.out.push(b' ');
        }
        if field.name() != "message" {
            let name = field.name();
            self.out.extend_from_slice(name.strip_prefix("r#").unwrap_or(name).as_bytes());
            self.out.push(b'=');
        }
    }
}

impl Visit for TextFields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.start(field);
        if field.name() == "message" {
            let _ = TerminalSafe(self.out).write_str(value);
        } else if value.bytes().all(|b| matches!(b, b' '..=b'~') && b != b'"' && b != b'\\') {
            // Nothing `Debug` would escape: quote it directly.
            self.out.push(b'"');
            self.out.extend_from_slice(value.as_bytes());
            self.out.push(b'"');
        } else {
            let _ = write!(Raw(self.out), "{value:?}");
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.start(field);
        self.out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.start(field);
        self.out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.start(field);
        self.out.extend_from_slice(if value { b"true" } else { b"false" });
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        match value.source() {
            Some(source) => self.record_debug(
                field,
                &format_args!(
                    "{} {}.sources={}",
                    TerminalSafeDisplay(value),
                    field.name(),
                    SourceList(source)
                ),
            ),
            None => self.record_debug(field, &format_args!("{}", TerminalSafeDisplay(value))),
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.start(field);
        if field.name() == "message" {
            let _ = write!(TerminalSafe(self.out), "{value:?}");
        } else {
            let _ = write!(Raw(self.out), "{value:?}");
        }
    }
}

/// JSON fields: `,"name":value`, strings and `Debug` text as JSON strings.
struct JsonFields<'a> {
    out: &'a mut Vec<u8>,
}

impl JsonFields<'_> {
    fn key(&mut self, field: &Field) {
        self.out.extend_from_slice(b",\"");
        escape_json(self.out, field.name());
        self.out.extend_from_slice(b"\":");
    }
}

impl Visit for JsonFields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.key(field);
        self.out.push(b'"');
        escape_json(self.out, value);
        self.out.push(b'"');
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.key(field);
        self.out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.key(field);
        self.out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.key(field);
        self.out.extend_from_slice(if value { b"true" } else { b"false" });
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.key(field);
        if value.is_finite() {
            let _ = write!(Raw(self.out), "{value:?}");
        } else {
            // As serde_json writes NaN and infinities.
            self.out.extend_from_slice(b"null");
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.key(field);
        self.out.push(b'"');
        let _ = write!(JsonEscaped(self.out), "{value:?}");
        self.out.push(b'"');
    }
}

/// Appends `text` with JSON's string escapes (serde_json's choice of escapes).
fn escape_json(out: &mut Vec<u8>, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = text.as_bytes();
    let mut plain_from = 0;
    for (at, &byte) in bytes.iter().enumerate() {
        let escape: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(bytes.get(plain_from..at).unwrap_or_default());
        plain_from = at.saturating_add(1);
        if escape.is_empty() {
            let high = HEX.get(usize::from(byte >> 4)).copied().unwrap_or(b'0');
            let low = HEX.get(usize::from(byte & 0xf)).copied().unwrap_or(b'0');
            out.extend_from_slice(&[b'\\', b'u', b'0', b'0', high, low]);
        } else {
            out.extend_from_slice(escape);
        }
    }
    out.extend_from_slice(bytes.get(plain_from..).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escapes_match_serde_json() {
        for text in
            ["plain", "q\"uote\\", "tab\tnl\ncr\r", "\u{0}\u{1f}\u{7f}\u{8}\u{c}", "caf\u{e9} \u{1f600}", ""]
        {
            let mut out = Vec::new();
            escape_json(&mut out, text);
            let ours = format!("\"{}\"", String::from_utf8(out).expect("UTF-8"));
            assert_eq!(ours, serde_json::to_string(text).expect("serializes"), "{text:?}");
        }
    }

    #[test]
    fn levels_are_right_aligned_in_five_columns() {
        for level in [Level::TRACE, Level::DEBUG, Level::INFO, Level::WARN, Level::ERROR] {
            assert_eq!(padded_level(level), format!("{level:>5}").as_bytes());
        }
    }
}
