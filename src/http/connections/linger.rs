//! Lingering close: after the server ends a connection while the client may still be
//! sending its request (an early 413, a 400 or 431 for a bad head, a 503 when the body
//! budget is full), the rest of the request is read and discarded, for a bounded time
//! and size, before the socket is closed.
//!
//! Closing a socket with unread bytes in its receive buffer makes the kernel send a
//! reset instead of an orderly close, and a reset can destroy the response the client
//! has not read yet. A naive client that writes its whole body before reading (Python's
//! `http.client`, many scripts) then sees a broken pipe instead of the 413. nginx's
//! `lingering_close` solves the same problem the same way: shut down the sending side
//! (the client sees the end of the response), then read until the client closes or a
//! limit is reached.
//!
//! What all lingering closes read together is bounded by a shared budget
//! ([`budget::SHARED`]), so a flood of naive uploads cannot take the CPU from
//! everyone else.

pub mod budget;

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::Instant;

/// Where every lingering close reads into: the bytes are thrown away, so all of them
/// share one buffer, and a flood of naive uploads costs no memory per connection. It is
/// held only during a non-blocking read, never across an await.
static DISCARD: Mutex<[u8; DISCARD_BYTES]> = Mutex::new([0; DISCARD_BYTES]);

/// The size of [`DISCARD`]: the most one lingering read takes.
const DISCARD_BYTES: usize = 64 * 1024;

/// How long and how much a lingering close reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LingerLimits {
    /// The longest a lingering close lasts in all.
    pub time: Duration,
    /// The longest it waits for the next bytes (nginx's `lingering_timeout`).
    pub read_wait: Duration,
    /// The most bytes it reads and discards.
    pub bytes: u64,
}

impl LingerLimits {
    /// 10 s in all, 2 s for each read, 16 MiB: enough for a naive client to finish
    /// sending a body many times `MAX_BODY_BYTES` over a fast link; a client that
    /// trickles is cut off by the read wait.
    pub const DEFAULT: Self =
        Self { time: Duration::from_secs(10), read_wait: Duration::from_secs(2), bytes: 16 * 1024 * 1024 };
}

/// How a lingering close ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LingerEnd {
    /// The client closed its side: everything it sent was read.
    ClientClosed,
    /// [`LingerLimits::time`] ran out.
    TimeLimit,
    /// The client sent nothing for [`LingerLimits::read_wait`].
    ReadWait,
    /// [`LingerLimits::bytes`] were discarded.
    ByteLimit,
    /// Reading failed (the client reset the connection).
    Failed,
}

impl LingerEnd {
    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            Self::ClientClosed => "client_closed",
            Self::TimeLimit => "time_limit",
            Self::ReadWait => "read_wait",
            Self::ByteLimit => "byte_limit",
            Self::Failed => "failed",
        }
    }

    /// Every label (metric series start at 0).
    pub const LABELS: [&'static str; 5] =
        ["client_closed", "time_limit", "read_wait", "byte_limit", "failed"];
}

/// Shuts down the sending side of `stream`, then reads and discards until the client
/// closes or a limit in `limits` is reached, reading no faster than the process-wide
/// [`budget::SHARED`] allows. The caller closes the stream afterwards.
pub async fn linger(stream: &mut TcpStream, limits: LingerLimits) -> LingerEnd {
    linger_within(stream, limits, &budget::SHARED).await
}

/// [`linger`], reading within `budget`.
async fn linger_within(stream: &mut TcpStream, limits: LingerLimits, budget: &budget::Budget) -> LingerEnd {
    // hyper has usually shut it down already; a second shutdown is harmless.
    let _ = stream.shutdown().await;
    let started = Instant::now();
    let deadline = started.checked_add(limits.time).unwrap_or(started);
    let mut discarded: u64 = 0;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return LingerEnd::TimeLimit;
        }
        match tokio::time::timeout(left.min(limits.read_wait), stream.readable()).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return LingerEnd::Failed,
            Err(_elapsed) if left <= limits.read_wait => return LingerEnd::TimeLimit,
            Err(_elapsed) => return LingerEnd::ReadWait,
        }
        // Wait for this read's turn in the shared budget, on a timer; the client's
        // bytes meanwhile wait in the socket buffers, and TCP slows the client down.
        let Some(wait) = budget.reserve(DISCARD_BYTES as u64, left) else {
            return LingerEnd::TimeLimit;
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        let read = stream.try_read(DISCARD.lock().unwrap_or_else(PoisonError::into_inner).as_mut_slice());
        let used = read.as_ref().map_or(0, |read| *read as u64);
        budget.give_back((DISCARD_BYTES as u64).saturating_sub(used));
        match read {
            Ok(0) => return LingerEnd::ClientClosed,
            Ok(read) => {
                discarded = discarded.saturating_add(read as u64);
                if discarded >= limits.bytes {
                    return LingerEnd::ByteLimit;
                }
                // One read per turn: many clients uploading at full speed must not keep
                // the requests of others waiting in the run queue.
                tokio::task::yield_now().await;
            }
            // Readiness can be reported before the bytes are there: wait again.
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => return LingerEnd::Failed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;
    use tokio::net::TcpListener;

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime").block_on(future)
    }

    fn limits(time_ms: u64, wait_ms: u64, bytes: u64) -> LingerLimits {
        LingerLimits {
            time: Duration::from_millis(time_ms),
            read_wait: Duration::from_millis(wait_ms),
            bytes,
        }
    }

    /// A connected (client, server) pair on loopback.
    async fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let client = TcpStream::connect(listener.local_addr().expect("addr")).await.expect("connect");
        let (server, _) = listener.accept().await.expect("accept");
        (client, server)
    }

    #[test]
    fn reads_until_the_client_closes_and_the_client_sees_the_end_of_the_response() {
        block_on(async {
            let (mut client, mut server) = pair().await;
            let writer = tokio::spawn(async move {
                for _ in 0..200 {
                    client.write_all(&[b'x'; 10_000]).await.expect("the server keeps reading");
                }
                let mut rest = Vec::new();
                client.read_to_end(&mut rest).await.expect("read");
                assert!(rest.is_empty(), "the server's side is shut down");
            });
            assert_eq!(linger(&mut server, limits(10_000, 5000, 1 << 24)).await, LingerEnd::ClientClosed);
            writer.await.expect("writer");
        });
    }

    #[test]
    fn stops_after_the_byte_limit() {
        block_on(async {
            let (mut client, mut server) = pair().await;
            tokio::spawn(async move { while client.write_all(&[b'x'; 4096]).await.is_ok() {} });
            assert_eq!(linger(&mut server, limits(10_000, 5000, 100_000)).await, LingerEnd::ByteLimit);
        });
    }

    #[test]
    fn reads_no_more_than_the_budget_allows() {
        block_on(async {
            let (mut client, mut server) = pair().await;
            tokio::spawn(async move { while client.write_all(&[b'x'; 4096]).await.is_ok() {} });
            // 100,000 bytes at once, then 1 byte per second: the byte limit of 200,000
            // is never reached and the client never stops on its own, so the linger
            // ends at its time limit (a turn in the budget later than that is not
            // waited for).
            let budget = budget::Budget::new(budget::Bucket::new(1, 100_000));
            let end = linger_within(&mut server, limits(300, 5000, 200_000), &budget).await;
            assert_eq!(end, LingerEnd::TimeLimit);
        });
    }

    #[test]
    fn stops_when_the_client_goes_quiet() {
        block_on(async {
            let (_client, mut server) = pair().await;
            assert_eq!(linger(&mut server, limits(5000, 30, 1 << 20)).await, LingerEnd::ReadWait);
        });
    }

    #[test]
    fn stops_at_the_time_limit_however_slowly_the_client_trickles() {
        block_on(async {
            let (mut client, mut server) = pair().await;
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    if client.write_all(b"x").await.is_err() {
                        return;
                    }
                }
            });
            // A byte every 10 ms against a 300 ms read wait: only a stall of this thread
            // 30 times the writer's pace could look like a quiet client, and the 1 s limit
            // still ends it. (Real sockets, so the clock is real: a paused clock would jump
            // ahead whenever the kernel delivers a byte a moment late.)
            assert_eq!(linger(&mut server, limits(1000, 300, 1 << 20)).await, LingerEnd::TimeLimit);
        });
    }
}
