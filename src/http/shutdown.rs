//! Stopping without dropping work: the drain signal every connection watches, and the
//! operating-system signals that start a shutdown natively.
//!
//! [`super::server::run`] stops accepting when its `shutdown` future completes or when
//! its listening socket is shut down under it (edge-host does that on SIGTERM/SIGINT:
//! `accept` then fails with `InvalidInput`). Every connection is then told to drain:
//! an idle keep-alive connection closes at once (FIN), a request in progress finishes
//! and its response carries `connection: close`. Inside `wasmedge`, which delivers no
//! signals to a guest, neither happens and the service serves until it is killed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use hyper::HeaderMap;
use tokio::sync::watch;

/// The server's side of the drain signal: [`Drain::start`] tells every connection.
#[derive(Debug)]
pub struct Drain {
    /// Wakes the connections waiting in [`DrainWatch::started`].
    sender: watch::Sender<bool>,
    /// The same news for a response being finished ([`DrainFlag`]), read without a lock.
    flag: DrainFlag,
}

/// A connection's side of the drain signal.
#[derive(Debug, Clone)]
pub struct DrainWatch {
    receiver: watch::Receiver<bool>,
    flag: DrainFlag,
}

/// Whether the drain has started, cheap to clone and to read once per response.
#[derive(Debug, Clone, Default)]
pub struct DrainFlag(Arc<AtomicBool>);

impl Drain {
    /// A drain signal not yet given, and the watch connections clone.
    pub fn new() -> (Self, DrainWatch) {
        let (sender, receiver) = watch::channel(false);
        let flag = DrainFlag::default();
        (Self { sender, flag: flag.clone() }, DrainWatch { receiver, flag })
    }

    /// Tells every connection, present or not yet polled, to finish and close.
    pub fn start(&self) {
        self.flag.0.store(true, Ordering::Release);
        // No receiver left means no connection left: nothing to tell.
        let _ = self.sender.send(true);
    }
}

impl DrainWatch {
    /// Completes once the drain has started; never, if the server went away without it.
    pub async fn started(&mut self) {
        while !*self.receiver.borrow_and_update() {
            if self.receiver.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }

    /// The flag a connection's responses consult.
    pub fn flag(&self) -> DrainFlag {
        self.flag.clone()
    }
}

impl DrainFlag {
    /// While draining, adds `connection: close` to a response's headers: the client
    /// learns the connection ends after it (hyper closes it but does not say so).
    pub fn mark_response(&self, headers: &mut HeaderMap) {
        if self.0.load(Ordering::Acquire) {
            super::response::close_connection(headers);
        }
    }
}

/// A termination signal that arrived.
#[derive(Debug, Clone, Copy)]
pub struct Termination {
    /// `SIGTERM` or `SIGINT`, for the log.
    pub name: &'static str,
    /// Its number: a process cut short by it exits with 128 + this (as shells report).
    pub number: i32,
}

/// Completes on the next SIGTERM or SIGINT (natively; `main` passes it to the server).
/// If the handlers cannot be installed, it never completes and the default actions stay.
#[cfg(unix)]
pub async fn termination_signal() -> Termination {
    use tokio::signal::unix::{signal, SignalKind};
    let (term, int) = (SignalKind::terminate(), SignalKind::interrupt());
    match (signal(term), signal(int)) {
        (Ok(mut terminate), Ok(mut interrupt)) => tokio::select! {
            _ = terminate.recv() => Termination { name: "SIGTERM", number: term.as_raw_value() },
            _ = interrupt.recv() => Termination { name: "SIGINT", number: int.as_raw_value() },
        },
        (Err(error), _) | (_, Err(error)) => {
            tracing::warn!(%error, "cannot handle SIGTERM/SIGINT; they stop the service at once");
            std::future::pending().await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_watch_cloned_before_or_after_the_start_sees_it() {
        let (drain, mut early) = Drain::new();
        let mut late = early.clone();
        drain.start();
        early.started().await;
        late.started().await;
        let mut later = early.clone();
        later.started().await;
    }

    #[tokio::test]
    async fn a_watch_whose_server_is_gone_never_starts() {
        let (drain, mut watch) = Drain::new();
        drop(drain);
        let waited = tokio::time::timeout(std::time::Duration::from_millis(20), watch.started()).await;
        assert!(waited.is_err(), "no drain was ever started");
    }
}

/// The whole drain natively, in-process: the server loop with a real listener.
#[cfg(all(test, not(target_os = "wasi")))]
mod drain_tests {
    use std::sync::Arc;
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;
    use tokio::sync::oneshot;

    use crate::app::App;
    use crate::config::Config;
    use crate::http::server;
    use crate::store::{MemoryStore, UserStore};
    use crate::telemetry::Metrics;

    const LIMIT: Duration = Duration::from_secs(10);

    /// Reads until `needle` has arrived; returns everything read.
    async fn read_until(stream: &mut TcpStream, needle: &str) -> String {
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        while !String::from_utf8_lossy(&seen).contains(needle) {
            let n = tokio::time::timeout(LIMIT, stream.read(&mut buf)).await.unwrap().unwrap();
            assert!(n > 0, "closed before {needle:?}; got {:?}", String::from_utf8_lossy(&seen));
            seen.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&seen).into_owned()
    }

    #[tokio::test]
    async fn shutdown_closes_idle_connections_finishes_requests_and_returns() {
        let store: Arc<dyn UserStore> = Arc::new(MemoryStore::new());
        let app = App::new(Config::default(), store, Arc::new(Metrics::new("memory")));
        let listener = server::bind(([127, 0, 0, 1], 0).into()).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = tokio::spawn(server::run(listener, app, async {
            let _ = stopped.await;
        }));

        let mut idle = TcpStream::connect(addr).await.unwrap();
        idle.write_all(b"GET /api/hello HTTP/1.1\r\nhost: t\r\n\r\n").await.unwrap();
        read_until(&mut idle, "Hello from Wasm!").await;
        let body = br#"{"name":"Ada Lovelace","email":"ada@example.org"}"#;
        let mut busy = TcpStream::connect(addr).await.unwrap();
        let head = format!(
            "POST /api/users HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        busy.write_all(head.as_bytes()).await.unwrap();
        busy.write_all(&body[..10]).await.unwrap();

        stop.send(()).unwrap();
        let mut buf = [0u8; 64];
        let n = tokio::time::timeout(LIMIT, idle.read(&mut buf)).await.unwrap().unwrap();
        assert_eq!(n, 0, "the idle keep-alive connection is closed cleanly");
        busy.write_all(&body[10..]).await.unwrap();
        let response = read_until(&mut busy, "ada@example.org").await;
        assert!(response.starts_with("HTTP/1.1 201"), "{response}");
        assert!(response.to_ascii_lowercase().contains("connection: close"), "{response}");
        tokio::time::timeout(LIMIT, serving).await.unwrap().unwrap();
        assert!(TcpStream::connect(addr).await.is_err(), "nothing listens after the drain");
    }
}
