//! The client socket as hyper sees it: reads tell the connection's [`Tracker`] that
//! a request head has started, and when hyper drops the stream of a connection that
//! is lingering, the socket goes back to the tracker instead of being closed, so the
//! connection's task can finish with a lingering close ([`super::linger`]).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::registry::Tracker;

/// A client socket that reports to its connection's tracker.
#[derive(Debug)]
pub struct TrackedStream {
    /// The socket; taken only on drop.
    inner: Option<TcpStream>,
    tracker: Arc<Tracker>,
}

impl TrackedStream {
    /// Wraps `stream` for the connection `tracker` follows.
    pub fn new(stream: TcpStream, tracker: Arc<Tracker>) -> Self {
        Self { inner: Some(stream), tracker }
    }
}

fn gone() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "the socket was handed back")
}

impl AsyncRead for TrackedStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let Some(inner) = this.inner.as_mut() else { return Poll::Ready(Err(gone())) };
        let before = buf.filled().len();
        let result = Pin::new(inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.tracker.bytes_arrived();
        }
        result
    }
}

impl AsyncWrite for TrackedStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut().inner.as_mut() {
            Some(inner) => Pin::new(inner).poll_write(cx, buf),
            None => Poll::Ready(Err(gone())),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut().inner.as_mut() {
            Some(inner) => Pin::new(inner).poll_write_vectored(cx, bufs),
            None => Poll::Ready(Err(gone())),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.as_ref().is_some_and(|inner| inner.is_write_vectored())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut().inner.as_mut() {
            Some(inner) => Pin::new(inner).poll_flush(cx),
            None => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut().inner.as_mut() {
            Some(inner) => Pin::new(inner).poll_shutdown(cx),
            None => Poll::Ready(Ok(())),
        }
    }
}

impl Drop for TrackedStream {
    fn drop(&mut self) {
        if let Some(stream) = self.inner.take() {
            self.tracker.hand_back(stream);
        }
    }
}
