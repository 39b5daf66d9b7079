//! The client connection as hyper reads it, with every byte shown to a
//! [`MessageScanner`] first, and the heads it found queued for the requests hyper
//! will hand over, in the same order.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::scanner::{MessageScanner, RawHead};

/// The heads a connection's scanner found that no request has taken yet.
#[derive(Debug, Clone, Default)]
pub struct RawHeads(Arc<Mutex<VecDeque<RawHead>>>);

impl RawHeads {
    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<RawHead>> {
        // Only pushes and pops: a panicking holder leaves nothing half done.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The raw head of the next request hyper hands over; `None` when the scanner no
    /// longer follows the connection (hyper is about to refuse its bytes itself).
    pub fn next_request(&self) -> Option<RawHead> {
        self.lock().pop_front()
    }

    fn push(&self, head: RawHead) {
        self.lock().push_back(head);
    }
}

/// `inner`, with what hyper reads shown to the scanner first.
pub struct ScannedStream<S> {
    inner: S,
    scanner: MessageScanner,
    heads: RawHeads,
}

impl<S> ScannedStream<S> {
    /// Wraps `inner`; heads up to `max_head_bytes` are followed. Requests find their
    /// raw heads in the returned queue.
    pub fn new(inner: S, max_head_bytes: usize) -> (Self, RawHeads) {
        let heads = RawHeads::default();
        (Self { inner, scanner: MessageScanner::new(max_head_bytes), heads: heads.clone() }, heads)
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for ScannedStream<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = Pin::new(&mut this.inner).poll_read(cx, buf);
        if this.scanner.is_following() {
            let heads = &this.heads;
            let read = buf.filled().get(before..).unwrap_or_default();
            this.scanner.feed(read, &mut |head| heads.push(head));
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for ScannedStream<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
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
