//! The two timeouts of a served connection, on one lazily armed timer: a request head
//! must arrive within `READ_TIMEOUT_SECS` of its first byte, and a keep-alive
//! connection with no request in progress and no bytes from the client for
//! `IDLE_TIMEOUT_SECS` is closed, so slow or idle clients cannot hold the connection
//! slots (`MAX_CONNECTIONS`) forever.
//!
//! Why not hyper's own header-read timeout: it reads the clock twice and moves a timer
//! in tokio's wheel on every request, and inside a Wasm runtime each clock reading is a
//! host call (under WasmEdge's interpreter, every instruction counts). It also behaves
//! differently in hyper 0.14 (natively, where it runs while waiting for the next
//! request too) and in hyper_wasi (only once a head's first byte arrived). Here both
//! targets follow the same rules, and a request costs no clock reading and no timer
//! operation at all: reads and writes raise a flag, the connection's [`Tracker`] already
//! knows when a head is in progress, and the timer looks at both when it fires, every
//! half of the shorter timeout. So a stalled head is cut between one and one and a half
//! `READ_TIMEOUT_SECS` after its first byte, and an idle connection closes between one
//! and one and a half `IDLE_TIMEOUT_SECS` (whichever is shorter sets the step) after its
//! last byte. While a request is being handled the connection is never idle, however
//! long the handler takes (a slow database query, say).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

use super::connections::{Phase, Tracker};

/// The limits [`ConnectionTimeouts`] enforces.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// `READ_TIMEOUT_SECS`: from a head's first byte to its end.
    pub head: Duration,
    /// `IDLE_TIMEOUT_SECS`: no request in progress and no byte either way.
    pub idle: Duration,
}

/// Which timeout closed a connection: the error a read fails with carries it, so
/// the end of the connection is counted under the right reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Expired {
    /// A request head did not arrive in time.
    #[error("the request head did not arrive within the read timeout")]
    Head,
    /// The connection was idle too long.
    #[error("connection idle too long")]
    Idle,
}

impl Expired {
    /// The `reason` label of `edge_service_http_connections_timed_out_total`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Head => "head",
            Self::Idle => "idle",
        }
    }

    /// The timeout in `error`, if it is one of ours.
    pub fn of(error: &io::Error) -> Option<Self> {
        if error.kind() != io::ErrorKind::TimedOut {
            return None;
        }
        error.get_ref().and_then(|inner| inner.downcast_ref::<Self>()).copied()
    }
}

/// Steps of `step` needed to cover `limit` (at least one).
fn steps(limit: Duration, step: Duration) -> u32 {
    let step = step.as_millis().max(1);
    let needed = limit.as_millis().div_ceil(step).max(1);
    u32::try_from(needed).unwrap_or(u32::MAX)
}

/// A stream that fails reads with `TimedOut` (carrying [`Expired`]) once a request
/// head stalls or the connection has been idle too long.
#[derive(Debug)]
pub struct ConnectionTimeouts<S> {
    /// The client connection.
    inner: S,
    /// How often the timer looks: half the shorter limit.
    step: Duration,
    /// Steps a head may take.
    head_steps: u32,
    /// Steps a connection may stay idle.
    idle_steps: u32,
    /// The connection's phase: a request being handled (then it is never idle), a head
    /// in progress and since which stamp.
    tracker: Arc<Tracker>,
    /// Whether a byte was read or written since the timer last looked.
    active: bool,
    /// Looks in a row that found the connection idle.
    idle_for: u32,
    /// The head in progress (its tracker stamp) and how many looks have found it.
    head: Option<(u64, u32)>,
    /// Armed lazily, only when a read has to wait; allocated once per connection.
    timer: Option<Pin<Box<Sleep>>>,
}

impl<S> ConnectionTimeouts<S> {
    /// Wraps `inner`; `tracker` is the connection's, which its request handler marks
    /// busy ([`Tracker::request_started`]).
    pub fn new(inner: S, limits: Limits, tracker: Arc<Tracker>) -> Self {
        let step =
            limits.head.min(limits.idle).checked_div(2).unwrap_or_default().max(Duration::from_millis(1));
        Self {
            inner,
            step,
            head_steps: steps(limits.head, step),
            idle_steps: steps(limits.idle, step),
            tracker,
            active: false,
            idle_for: 0,
            head: None,
            timer: None,
        }
    }

    fn touch(&mut self) {
        self.active = true;
    }

    /// One look at the connection: which timeout, if any, has expired.
    fn look(&mut self) -> Option<Expired> {
        let (phase, stamp) = self.tracker.phase_and_stamp();
        if std::mem::take(&mut self.active) || phase == Phase::Busy {
            self.idle_for = 0;
        } else {
            self.idle_for = self.idle_for.saturating_add(1);
        }
        self.head = match self.head {
            _ if phase != Phase::Head => None,
            Some((seen, looks)) if seen == stamp => Some((seen, looks.saturating_add(1))),
            _ => Some((stamp, 0)),
        };
        if self.head.is_some_and(|(_, looks)| looks >= self.head_steps) {
            Some(Expired::Head)
        } else if self.idle_for >= self.idle_steps {
            Some(Expired::Idle)
        } else {
            None
        }
    }

    /// Called when a read must wait: `Ready` once a timeout has expired.
    fn poll_expired(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        if self.timer.is_none() {
            // The first wait: everything so far happened just now, and a head in
            // progress is followed from here on.
            self.active = true;
            let _ = self.look();
            self.timer = Some(Box::pin(tokio::time::sleep(self.step)));
        }
        loop {
            let Some(timer) = self.timer.as_mut() else { return Poll::Pending };
            if timer.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            let now = Instant::now();
            timer.as_mut().reset(now.checked_add(self.step).unwrap_or(now));
            if let Some(expired) = self.look() {
                return Poll::Ready(io::Error::new(io::ErrorKind::TimedOut, expired));
            }
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for ConnectionTimeouts<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(result) => {
                if buf.filled().len() > before {
                    this.touch();
                }
                Poll::Ready(result)
            }
            Poll::Pending => this.poll_expired(cx).map(Err),
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for ConnectionTimeouts<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_write(cx, buf);
        if matches!(result, Poll::Ready(Ok(written)) if written > 0) {
            this.touch();
        }
        result
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(written)) if written > 0) {
            this.touch();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::connections::registry::Registration;
    use crate::http::connections::Registry;
    use tokio::io::{AsyncReadExt, DuplexStream};

    /// A runtime on a paused clock: the streams are in memory, so time moves only when
    /// every task waits, straight to the next timer, and a test's 20 ms writes always
    /// come before its 50 ms idle timeout however busy the machine is.
    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .expect("runtime")
    }

    fn limits(head_ms: u64, idle_ms: u64) -> Limits {
        Limits { head: Duration::from_millis(head_ms), idle: Duration::from_millis(idle_ms) }
    }

    /// `server` wrapped as the server wraps a connection, with the connection's
    /// registration (its tracker stands for the request handler's marks).
    fn wrapped(server: DuplexStream, limits: Limits) -> (ConnectionTimeouts<DuplexStream>, Registration) {
        let connection = Arc::new(Registry::default()).register();
        (ConnectionTimeouts::new(server, limits, Arc::clone(connection.tracker())), connection)
    }

    #[test]
    fn an_idle_stream_times_out_as_idle() {
        runtime().block_on(async {
            let (client, server) = tokio::io::duplex(64);
            let (mut stream, _connection) = wrapped(server, limits(1000, 30));
            let mut byte = [0u8; 1];
            let error = stream.read(&mut byte).await.expect_err("times out");
            assert_eq!(Expired::of(&error), Some(Expired::Idle));
            drop(client);
        });
    }

    #[test]
    fn a_stream_with_traffic_stays_open_past_the_timeout_then_idles_out() {
        runtime().block_on(async {
            let (mut client, server) = tokio::io::duplex(64);
            let (mut stream, _connection) = wrapped(server, limits(1000, 50));
            let writer = tokio::spawn(async move {
                for _ in 0..10 {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    tokio::io::AsyncWriteExt::write_all(&mut client, b"x").await.expect("write");
                }
                client
            });
            let mut byte = [0u8; 1];
            for _ in 0..10 {
                assert_eq!(stream.read(&mut byte).await.expect("traffic keeps it open"), 1);
            }
            let _client = writer.await.expect("writer");
            let error = stream.read(&mut byte).await.expect_err("idle once the traffic stops");
            assert_eq!(Expired::of(&error), Some(Expired::Idle));
        });
    }

    #[test]
    fn a_busy_stream_never_times_out() {
        runtime().block_on(async {
            let (mut client, server) = tokio::io::duplex(64);
            let (mut stream, connection) = wrapped(server, limits(1000, 30));
            let guard = connection.tracker().request_started();
            let writer = tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(200)).await;
                tokio::io::AsyncWriteExt::write_all(&mut client, b"x").await.expect("write");
                client
            });
            let mut byte = [0u8; 1];
            assert_eq!(stream.read(&mut byte).await.expect("read after 200 ms"), 1);
            drop(guard);
            let _client = writer.await.expect("writer");
            let error = stream.read(&mut byte).await.expect_err("idle again");
            assert_eq!(Expired::of(&error), Some(Expired::Idle));
        });
    }

    #[test]
    fn a_head_that_keeps_trickling_is_cut_after_the_head_timeout() {
        runtime().block_on(async {
            let (mut client, server) = tokio::io::duplex(64);
            // Idle would never fire: bytes keep coming. The head timeout does.
            let (mut stream, connection) = wrapped(server, limits(200, 10_000));
            let tracker = connection.tracker();
            let writer = tokio::spawn(async move {
                for _ in 0..100 {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    if tokio::io::AsyncWriteExt::write_all(&mut client, b"x").await.is_err() {
                        break;
                    }
                }
            });
            let started = Instant::now();
            let mut byte = [0u8; 1];
            let error = loop {
                match stream.read(&mut byte).await {
                    // What the server's stream does on every read: a head is in progress.
                    Ok(_) => tracker.bytes_arrived(),
                    Err(error) => break error,
                }
            };
            let elapsed = started.elapsed();
            assert_eq!(Expired::of(&error), Some(Expired::Head));
            assert!(elapsed >= Duration::from_millis(200), "cut after {elapsed:?}, before the timeout");
            drop(stream);
            writer.abort();
        });
    }

    #[test]
    fn a_new_head_after_each_request_gets_its_own_time() {
        runtime().block_on(async {
            let (mut client, server) = tokio::io::duplex(64);
            let (mut stream, connection) = wrapped(server, limits(300, 10_000));
            let tracker = connection.tracker();
            // Ten heads of about 60 ms each: 600 ms in all, each well within the 300 ms limit.
            let writer = tokio::spawn(async move {
                for _ in 0..30 {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    tokio::io::AsyncWriteExt::write_all(&mut client, b"x").await.expect("write");
                }
                client
            });
            let mut byte = [0u8; 1];
            for read in 1..=30 {
                assert_eq!(stream.read(&mut byte).await.expect("heads within the limit"), 1);
                tracker.bytes_arrived();
                if read % 3 == 0 {
                    drop(tracker.request_started());
                }
            }
            let _client = writer.await.expect("writer");
        });
    }

    #[test]
    fn timeouts_are_told_apart_from_other_errors() {
        let head = io::Error::new(io::ErrorKind::TimedOut, Expired::Head);
        assert_eq!(Expired::of(&head).map(Expired::label), Some("head"));
        assert_eq!(Expired::of(&io::Error::new(io::ErrorKind::TimedOut, "elsewhere")), None);
        assert_eq!(Expired::of(&io::Error::from(io::ErrorKind::ConnectionReset)), None);
    }

    #[test]
    fn steps_cover_the_limit() {
        assert_eq!(steps(Duration::from_secs(30), Duration::from_secs(15)), 2);
        assert_eq!(steps(Duration::from_secs(60), Duration::from_secs(15)), 4);
        assert_eq!(steps(Duration::from_millis(1), Duration::from_secs(1)), 1);
    }
}
