//! The connections being served, and what happens to them at the edges of their life:
//! who gets closed when the connection limit is reached, and how a connection ends
//! after an early error response.
//!
//! - [`registry`]: every connection and its phase (silent, head, busy, idle, lingering).
//! - [`shedding`]: which connections to close at the limit, cheapest first, and the
//!   rate-limited warning.
//! - [`first_byte`]: the first-byte timeout, waited for before a connection is served.
//! - [`admission`]: the waiting room for new connections and the `MAX_CONNECTIONS`
//!   slots, each bounded by shedding.
//! - [`stream`]: the socket as hyper sees it, reporting reads and handing the socket
//!   back for a lingering close.
//! - [`linger`]: the lingering close itself (read and discard, bounded).

pub mod admission;
pub mod first_byte;
pub mod linger;
pub mod registry;
pub mod shedding;
pub mod stream;

use std::io;

use super::timeouts::Expired;

pub use admission::Admission;
pub use first_byte::{wait_for_first_byte, FirstByte};
pub use linger::{LingerEnd, LingerLimits};
pub use registry::{Phase, Registry, Tracker};
pub use stream::TrackedStream;

/// How serving a connection ended, as far as what comes next is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The server closed it after a response (or the client closed it): linger, in case
    /// the client is still sending a request the server did not read.
    Linger,
    /// A timeout closed it (`head` or `idle`).
    TimedOut(&'static str),
    /// Anything else (the client went away, the connection was shed): just close.
    Closed,
}

/// Classifies the end of hyper's serving of a connection that `tracker` follows.
pub fn ending(result: &Result<(), hyper::Error>) -> Ending {
    match result {
        Ok(()) => Ending::Linger,
        // hyper answered 400 (malformed head) or 431 (head too large) and stopped reading.
        Err(error) if error.is_parse() || error.is_parse_too_large() => Ending::Linger,
        Err(error) => match expired(error) {
            Some(expired) => Ending::TimedOut(expired.label()),
            None => Ending::Closed,
        },
    }
}

/// The timeout (from [`super::timeouts::ConnectionTimeouts`]) in `error`'s causes, if any.
fn expired(error: &hyper::Error) -> Option<Expired> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(error);
    while let Some(current) = cause {
        if let Some(expired) = current.downcast_ref::<io::Error>().and_then(Expired::of) {
            return Some(expired);
        }
        cause = current.source();
    }
    None
}
