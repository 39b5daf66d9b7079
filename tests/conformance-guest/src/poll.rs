//! `poll_oneoff` subscriptions and events laid out byte by byte (reference §8),
//! so the cases see exactly what the host writes: subscription 48 bytes,
//! event 32 bytes, both 8-aligned.

use crate::abi::{self, Aligned};
use std::time::{Duration, Instant};

/// Event / subscription types (§3.1 eventtype).
pub const CLOCK: u8 = 0;
pub const FD_READ: u8 = 1;
pub const FD_WRITE: u8 = 2;
/// `eventrwflags` HANGUP.
pub const HANGUP: u16 = 1;
/// Clock ids.
pub const REALTIME: u32 = 0;
pub const MONOTONIC: u32 = 1;
/// `subclockflags` ABSTIME.
pub const ABSTIME: u16 = 1;

/// One 48-byte subscription.
#[derive(Clone, Copy)]
pub struct Sub([u8; 48]);

impl Sub {
    fn new(userdata: u64, tag: u8) -> Self {
        let mut b = [0u8; 48];
        b[0..8].copy_from_slice(&userdata.to_le_bytes());
        b[8] = tag;
        Sub(b)
    }

    /// FD_READ on `fd`.
    pub fn read(userdata: u64, fd: u32) -> Self {
        let mut s = Self::new(userdata, FD_READ);
        s.0[16..20].copy_from_slice(&fd.to_le_bytes());
        s
    }

    /// FD_WRITE on `fd`.
    pub fn write(userdata: u64, fd: u32) -> Self {
        let mut s = Self::new(userdata, FD_WRITE);
        s.0[16..20].copy_from_slice(&fd.to_le_bytes());
        s
    }

    /// A clock subscription with raw id, timeout (ns) and flags.
    pub fn clock(userdata: u64, id: u32, timeout_ns: u64, flags: u16) -> Self {
        let mut s = Self::new(userdata, CLOCK);
        s.0[16..20].copy_from_slice(&id.to_le_bytes());
        s.0[24..32].copy_from_slice(&timeout_ns.to_le_bytes());
        s.0[32..40].copy_from_slice(&1_000_000u64.to_le_bytes());
        s.0[40..42].copy_from_slice(&flags.to_le_bytes());
        s
    }

    /// Overwrites the tag byte, to send a tag the host does not know.
    pub fn set_tag(&mut self, tag: u8) {
        self.0[8] = tag;
    }

    /// A relative MONOTONIC timer.
    pub fn timer(userdata: u64, after: Duration) -> Self {
        Self::clock(userdata, MONOTONIC, after.as_nanos() as u64, 0)
    }
}

/// One decoded 32-byte event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    pub userdata: u64,
    pub error: u16,
    pub kind: u8,
    pub nbytes: u64,
    pub flags: u16,
}

impl Event {
    fn decode(b: &[u8]) -> Self {
        let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap_or_default());
        let u16_at = |o: usize| u16::from_le_bytes([b[o], b[o + 1]]);
        Event { userdata: u64_at(0), error: u16_at(8), kind: b[10], nbytes: u64_at(16), flags: u16_at(24) }
    }
}

/// What one `poll_oneoff` call returned.
#[derive(Debug)]
pub struct Polled {
    pub errno: u32,
    pub events: Vec<Event>,
    pub elapsed: Duration,
}

/// Maximum subscriptions a case uses.
const MAX: usize = 8;

/// Calls `poll_oneoff` with `subs` and decodes the events it reports.
pub fn poll(subs: &[Sub]) -> Polled {
    let n = subs.len().min(MAX);
    let mut input = Aligned([0u8; 48 * MAX]);
    for (i, s) in subs.iter().take(n).enumerate() {
        input.0[i * 48..(i + 1) * 48].copy_from_slice(&s.0);
    }
    let mut output = Aligned([0xEEu8; 32 * MAX]);
    let mut nevents: u32 = abi::SENTINEL;
    let start = Instant::now();
    let errno = unsafe {
        abi::poll_oneoff(input.0.as_ptr(), output.0.as_mut_ptr(), n as u32, (&mut nevents as *mut u32).cast())
    };
    let elapsed = start.elapsed();
    let count = (nevents as usize).min(MAX);
    let events = (0..count).map(|i| Event::decode(&output.0[i * 32..(i + 1) * 32])).collect();
    Polled { errno, events, elapsed }
}

/// Polls until `fd` is readable or `limit` passes; the event, if any.
pub fn wait_readable(fd: u32, limit: Duration) -> Option<Event> {
    let p = poll(&[Sub::read(1, fd), Sub::timer(2, limit)]);
    p.events.into_iter().find(|e| e.userdata == 1)
}

/// Polls until `fd` is writable or `limit` passes; the event, if any.
pub fn wait_writable(fd: u32, limit: Duration) -> Option<Event> {
    let p = poll(&[Sub::write(1, fd), Sub::timer(2, limit)]);
    p.events.into_iter().find(|e| e.userdata == 1)
}

/// The events' userdata in order, for messages.
pub fn describe(events: &[Event]) -> String {
    let parts: Vec<String> = events
        .iter()
        .map(|e| {
            format!(
                "(ud {} type {} err {} nbytes {} flags {})",
                e.userdata, e.kind, e.error, e.nbytes, e.flags
            )
        })
        .collect();
    format!("[{}]", parts.join(", "))
}
