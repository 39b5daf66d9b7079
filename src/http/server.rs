//! The server loop: bind, accept, and serve each connection as its own task with
//! HTTP/1.1 keep-alive.
//!
//! Every response leaves in a single send (`http1_writev(false)` makes hyper copy
//! headers and body into one buffer). Inside WasmEdge a guest cannot set
//! `TCP_NODELAY`, so a response split over two sends would wait ~40 ms for the
//! client's delayed ACK on every keep-alive request.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use hyper::server::conn::Http;
use hyper::service::service_fn;
use hyper::{Body, Request, Response};
use tokio::net::{TcpListener, TcpStream};

use crate::api;
use crate::app::App;

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

/// Serves connections from `listener` until `shutdown` completes.
///
/// A failed `accept` (for example, out of file descriptors) is logged and retried
/// after a short pause instead of ending the service.
pub async fn run(listener: TcpListener, app: Arc<App>, shutdown: impl Future<Output = ()>) {
    let local = listener.local_addr().map(|a| a.to_string()).unwrap_or_else(|_| "?".into());
    tracing::info!(
        address = %local,
        store = app.store.kind(),
        durable = app.store.is_durable(),
        version = crate::VERSION,
        "edge-service listening{}",
        if app.store.is_durable() { "" } else { " (memory store: data does not survive a restart)" }
    );
    let mut http = Http::new();
    http.http1_only(true).http1_keep_alive(true).http1_writev(false);
    let http = Arc::new(http);

    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => spawn_connection(stream, peer, Arc::clone(&app), Arc::clone(&http)),
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
        }
    }
    tracing::info!("edge-service stopped accepting connections");
}

fn spawn_connection(stream: TcpStream, peer: SocketAddr, app: Arc<App>, http: Arc<Http>) {
    tokio::spawn(async move {
        let service = service_fn(move |request| handle(Arc::clone(&app), request));
        if let Err(error) = http.serve_connection(stream, service).await {
            tracing::debug!(%peer, %error, "connection ended with an error");
        }
    });
}

async fn handle(app: Arc<App>, request: Request<Body>) -> Result<Response<Body>, Infallible> {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = api::route(&app, request).await;
    tracing::info!(
        %method,
        %path,
        status = response.status().as_u16(),
        duration_us = started.elapsed().as_micros() as u64,
        "request"
    );
    Ok(response)
}
