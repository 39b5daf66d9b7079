//! The server loop: bind, accept, and serve each connection as its own task with
//! HTTP/1.1 keep-alive, at most `MAX_CONNECTIONS` at once.
//!
//! Every response leaves in a single send (`http1_writev(false)` makes hyper copy
//! headers and body into one buffer). Inside WasmEdge a guest cannot set
//! `TCP_NODELAY`, so a response split over two sends would wait ~40 ms for the
//! client's delayed ACK on every keep-alive request.
//!
//! Limits a client cannot get around: a request head that does not fit hyper's read
//! buffer of [`MAX_HEAD_BYTES`] (hyper checks between reads, so a head that arrives in
//! one read may be up to twice that) or has more than 100 headers gets hyper's `431`;
//! a malformed head gets hyper's `400`; a head must arrive within `READ_TIMEOUT_SECS`
//! once it starts, and an idle keep-alive connection is closed after
//! `IDLE_TIMEOUT_SECS` ([`super::timeouts`], the same on both targets; hyper's own
//! header timer is not used, it costs two clock readings per request).
//!
//! Hostile load ([`super::connections`]): a new connection waits for its first byte
//! (at most `FIRST_BYTE_TIMEOUT_SECS`) before it takes a slot or any of hyper's
//! buffers; at the limit, connections doing no useful work are shed; and after an
//! early error response the connection closes with a lingering close, so a client
//! still sending its request reads the response instead of a reset.
//!
//! Framing ([`super::framing`]): hyper reads through a [`ScannedStream`] that follows
//! the request bytes as hyper frames them, so the framing rules also see the
//! `Content-Length` hyper drops after a `Transfer-Encoding`.
//!
//! Shutdown ([`super::shutdown`]): when the `shutdown` future completes or the listening
//! socket is shut down under the server, it stops accepting, tells every connection to
//! drain, and returns once the last one has closed.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use hyper::server::conn::Http;
use hyper::service::service_fn;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use super::connections::registry::Registration;
use super::connections::{
    self, shedding, Admission, Ending, FirstByte, LingerEnd, LingerLimits, Phase, TrackedStream,
};
use super::exchange;
use super::framing::ScannedStream;
use super::shutdown::{Drain, DrainWatch};
use super::timeouts::{self, ConnectionTimeouts};
use crate::app::App;

/// The largest request head (request line and headers) hyper buffers: 64 KiB.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// The listening socket could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen on {addr}: {source}")]
pub struct BindError {
    /// The address that was asked for.
    pub addr: SocketAddr,
    /// What the operating system (or WasmEdge) said.
    #[source]
    pub source: std::io::Error,
}

/// Opens the listening socket on `addr`.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, BindError> {
    TcpListener::bind(addr).await.map_err(|source| BindError { addr, source })
}

/// Serves connections from `listener` until `shutdown` completes or the listening
/// socket is shut down, then drains: every connection finishes what it is doing and
/// closes, and `run` returns when the last one has.
///
/// Every connection is accepted at once and waits, cheaply, for its first byte
/// (`FIRST_BYTE_TIMEOUT_SECS`); then it needs one of `MAX_CONNECTIONS` slots to be
/// served. Connections doing no useful work are shed to make room, in the waiting room
/// and among the served ones ([`super::connections`]); when every served connection is
/// busy, new ones wait. A failed `accept` (for example, out of file descriptors) is
/// logged, sheds connections doing nothing, and is retried after a short pause instead
/// of ending the service;
/// `InvalidInput` (EINVAL: the listener was shut down, as edge-host does on SIGTERM)
/// ends accepting instead.
///
/// The accept loop runs as a spawned task, never inside the caller's own future:
/// inside WasmEdge, tokio cannot interrupt a `poll_oneoff` that is already waiting
/// (mio_wasi's waker is a no-op), so a wake from another task to the `block_on`
/// future, such as a connection slot being freed, would go unnoticed until the next
/// socket event. Wakes between spawned tasks go through the run queue and always work.
pub async fn run(listener: TcpListener, app: Arc<App>, shutdown: impl Future<Output = ()>) {
    // The configured host with the bound port (PORT=0 picks one): inside WasmEdge,
    // wasmedge_wasi_socket's `local_addr` reports the address as 0.0.0.0 whatever it is.
    let local = match listener.local_addr() {
        Ok(bound) => SocketAddr::new(app.config.host, bound.port()).to_string(),
        Err(_) => app.config.listen_addr().to_string(),
    };
    let limits = &app.config.http;
    tracing::info!(
        address = %local,
        store = app.store.kind(),
        durable = app.store.is_durable(),
        version = crate::VERSION,
        max_connections = limits.max_connections,
        max_body_bytes = limits.max_body_bytes,
        "edge-service listening{}",
        if app.store.is_durable() { "" } else { " (memory store: data does not survive a restart)" }
    );
    let max_connections = limits.max_connections;
    let slots = Arc::new(Semaphore::new(max_connections));
    let (drain, draining) = Drain::new();
    let mut accepting = tokio::spawn(accept_loop(listener, app, Arc::clone(&slots), draining));
    tokio::select! {
        _ = &mut accepting => {}
        () = shutdown => {
            accepting.abort();
            // Once the task is gone, so is the listener: new clients are refused.
            let _ = accepting.await;
        }
    }
    let open = max_connections.saturating_sub(slots.available_permits());
    tracing::info!(open_connections = open, "edge-service stopped accepting connections; draining");
    drain.start();
    // Every connection holds a slot until its task ends.
    let all = u32::try_from(max_connections).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
    tracing::info!("edge-service drained: every connection is closed");
}

/// Accepts connections until the listening socket is shut down.
async fn accept_loop(listener: TcpListener, app: Arc<App>, slots: Arc<Semaphore>, draining: DrainWatch) {
    let mut http = Http::new();
    http.http1_only(true).http1_keep_alive(true).http1_writev(false).max_buf_size(MAX_HEAD_BYTES);
    let http = Arc::new(http);
    app.metrics.start_connection_counters(&shedding::REASONS, &LingerEnd::LABELS);
    let admission = Arc::new(Admission::new(slots, Arc::clone(&app.metrics)));
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                // A full waiting room sheds its oldest connections here.
                let waiting = admission.accepted();
                let connection = Connection {
                    peer,
                    waiting,
                    admission: Arc::clone(&admission),
                    draining: draining.clone(),
                };
                spawn_connection(stream, connection, Arc::clone(&app), Arc::clone(&http));
            }
            Err(error) if error.kind() == std::io::ErrorKind::InvalidInput => {
                tracing::info!(%error, "the listening socket was shut down");
                return;
            }
            Err(error) => {
                tracing::warn!(%error, "accept failed");
                admission.out_of_descriptors();
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
}

/// What the accept loop gives a connection's task besides the socket.
struct Connection {
    /// The client's address, for the log.
    peer: SocketAddr,
    /// Its place in the waiting room, until it is served.
    waiting: Registration,
    /// Where it gets its slot.
    admission: Arc<Admission>,
    /// The server's drain signal.
    draining: DrainWatch,
}

fn spawn_connection(stream: TcpStream, connection: Connection, app: Arc<App>, http: Arc<Http>) {
    let Connection { peer, waiting, admission, mut draining } = connection;
    tokio::spawn(async move {
        // Waiting: for the first byte, then for a slot. Shed, or drained: just close.
        let limits = &app.config.http;
        let first_byte = tokio::select! {
            first_byte = connections::wait_for_first_byte(&stream, limits.first_byte_timeout) => first_byte,
            () = waiting.tracker().shed_requested() => return,
            () = draining.started() => return,
        };
        match first_byte {
            FirstByte::Arrived => waiting.tracker().enter(Phase::Waiting),
            FirstByte::TimedOut => return app.metrics.record_timed_out("first_byte"),
            FirstByte::Failed => return,
        }
        let slot = tokio::select! {
            slot = admission.slot() => slot,
            () = waiting.tracker().shed_requested() => return,
            () = draining.started() => return,
        };
        let Some(_slot) = slot else { return };
        drop(waiting);
        let registration = admission.served();
        let tracker = Arc::clone(registration.tracker());
        let _open = app.metrics.connection_opened();
        let metrics = Arc::clone(&app.metrics);
        let stream = TrackedStream::new(stream, Arc::clone(&tracker));
        let timeout_limits = timeouts::Limits { head: limits.read_timeout, idle: limits.idle_timeout };
        let stream = ConnectionTimeouts::new(stream, timeout_limits, Arc::clone(&tracker));
        // A head can be up to twice hyper's buffer when it arrives in one read.
        let (stream, raw_heads) = ScannedStream::new(stream, 2 * MAX_HEAD_BYTES);
        let closing = draining.flag();
        let handling = Arc::clone(&tracker);
        let service = service_fn(move |mut request: hyper::Request<hyper::Body>| {
            let handled = handling.request_started();
            // What the raw bytes of this request's head said, for the framing check.
            if let Some(raw) = raw_heads.next_request() {
                request.extensions_mut().insert(raw);
            }
            let app = Arc::clone(&app);
            let closing = closing.clone();
            async move {
                let mut response = exchange::serve(app, request).await;
                if let Ok(response) = &mut response {
                    closing.mark_response(response.headers_mut());
                }
                drop(handled);
                response
            }
        });
        let ending = {
            let connection = http.serve_connection(stream, service);
            tokio::pin!(connection);
            let (result, drained) = tokio::select! {
                result = &mut connection => (result, false),
                () = draining.started() => {
                    // Idle: closes now. Mid-request: the response says `connection: close`.
                    connection.as_mut().graceful_shutdown();
                    (connection.await, true)
                }
                // Shed to make room: dropping the connection closes the socket.
                () = tracker.shed_requested() => return,
            };
            if let Err(error) = &result {
                tracing::debug!(%peer, %error, "connection ended with an error");
            }
            let ending = connections::ending(&result);
            if ending == Ending::Linger && !drained {
                tracker.enter(Phase::Lingering);
            }
            ending
        }; // hyper's connection is dropped here; a lingering socket goes back to the tracker.
        match ending {
            Ending::Linger => {
                if let Some(mut socket) = tracker.take_stream() {
                    tokio::select! {
                        end = connections::linger::linger(&mut socket, LingerLimits::DEFAULT) => {
                            metrics.record_lingered(end.label());
                        }
                        () = tracker.shed_requested() => {}
                    }
                }
            }
            Ending::TimedOut(reason) => metrics.record_timed_out(reason),
            Ending::Closed => {}
        }
    });
}
