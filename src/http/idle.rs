//! Closes connections that sit idle: a keep-alive connection with no request in
//! progress and no bytes from the client for `IDLE_TIMEOUT_SECS` is ended, so idle
//! clients cannot hold the connection slots (`MAX_CONNECTIONS`) forever.
//!
//! hyper's own header-read timeout behaves differently in hyper 0.14 (natively) and
//! in hyper_wasi (it only starts once the first byte arrives), so this wrapper gives
//! both targets the same idle rule. While a request is being handled the connection is
//! never idle, however long the handler takes (a slow database query, say); once it is
//! done, the connection closes between one and two timeouts after its last byte.
//!
//! Reads and writes only raise a flag; the clock is read when the timer fires (once
//! per timeout), not on every read and write: inside WasmEdge each clock reading is a
//! host call, and a request makes two of them fewer this way.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// Requests in progress on one connection, shared by the connection's service
/// (which counts) and its [`IdleTimeout`] stream (which looks).
#[derive(Debug, Default)]
pub struct Busy(AtomicUsize);

impl Busy {
    /// Marks a request as in progress until the guard is dropped.
    pub fn enter(self: &Arc<Self>) -> BusyGuard {
        self.0.fetch_add(1, Ordering::Relaxed);
        BusyGuard(Arc::clone(self))
    }

    fn is_busy(&self) -> bool {
        self.0.load(Ordering::Relaxed) > 0
    }
}

/// Keeps a connection busy; see [`Busy::enter`].
#[derive(Debug)]
pub struct BusyGuard(Arc<Busy>);

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.0 .0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A stream that fails reads with `TimedOut` once it has been idle too long.
#[derive(Debug)]
pub struct IdleTimeout<S> {
    /// The client connection.
    inner: S,
    /// `IDLE_TIMEOUT_SECS`.
    timeout: Duration,
    /// Whether a request is being handled (then the connection is never idle).
    busy: Arc<Busy>,
    /// Whether a byte was read or written since the timer was last armed.
    active: bool,
    /// Armed lazily, only when a read has to wait; allocated once per connection. It
    /// fires a full timeout after it was armed.
    timer: Option<Pin<Box<Sleep>>>,
}

impl<S> IdleTimeout<S> {
    /// Wraps `inner`; `busy` is shared with the connection's request handler.
    pub fn new(inner: S, timeout: Duration, busy: Arc<Busy>) -> Self {
        Self { inner, timeout, busy, active: false, timer: None }
    }

    fn touch(&mut self) {
        self.active = true;
    }

    /// Called when a read must wait: `Ready` once the connection has been idle too long.
    ///
    /// Each time the timer fires, a connection that saw a byte since the timer was armed,
    /// or that is handling a request, gets another full timeout; one that saw nothing is
    /// idle. So an idle connection closes between one and two timeouts after its last
    /// byte.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let timer = match &mut self.timer {
            Some(timer) => timer,
            None => {
                // The first wait: everything so far happened just now.
                self.active = false;
                self.timer.insert(Box::pin(tokio::time::sleep(self.timeout)))
            }
        };
        loop {
            if timer.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            if !std::mem::take(&mut self.active) && !self.busy.is_busy() {
                return Poll::Ready(io::Error::new(io::ErrorKind::TimedOut, "connection idle too long"));
            }
            let now = Instant::now();
            timer.as_mut().reset(now.checked_add(self.timeout).unwrap_or(now));
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for IdleTimeout<S> {
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
            Poll::Pending => this.poll_idle(cx).map(Err),
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for IdleTimeout<S> {
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
    use tokio::io::AsyncReadExt;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
    }

    #[test]
    fn an_idle_stream_times_out() {
        runtime().block_on(async {
            let (client, server) = tokio::io::duplex(64);
            let mut stream = IdleTimeout::new(server, Duration::from_millis(30), Arc::default());
            let mut byte = [0u8; 1];
            let error = stream.read(&mut byte).await.expect_err("times out");
            assert_eq!(error.kind(), io::ErrorKind::TimedOut);
            drop(client);
        });
    }

    #[test]
    fn a_stream_with_traffic_stays_open_past_the_timeout_then_idles_out() {
        runtime().block_on(async {
            let (mut client, server) = tokio::io::duplex(64);
            let mut stream = IdleTimeout::new(server, Duration::from_millis(50), Arc::default());
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
            assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        });
    }

    #[test]
    fn a_busy_stream_never_times_out() {
        runtime().block_on(async {
            let (mut client, server) = tokio::io::duplex(64);
            let busy = Arc::new(Busy::default());
            let guard = busy.enter();
            let mut stream = IdleTimeout::new(server, Duration::from_millis(30), Arc::clone(&busy));
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
            assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        });
    }
}
