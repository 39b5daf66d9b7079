//! The first-byte timeout: a connection just accepted waits, cheaply, for its client's
//! first byte before it takes a connection slot or any of hyper's buffers.
//!
//! A client that connects means to send its request at once; a socket that sends
//! nothing is either broken or part of a flood. While it waits, a connection is only
//! its task and its socket (about 2 KiB in the module, measured with
//! `bench/attack/memory.py`), against 12 to 20 KiB once hyper serves it, and it does not
//! count against `MAX_CONNECTIONS`: a flood of silent sockets cannot take the slots
//! normal clients need. It is closed after `FIRST_BYTE_TIMEOUT_SECS`.

use std::time::Duration;

use tokio::net::TcpStream;

/// How the wait for the first byte ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstByte {
    /// The socket is readable: bytes (or the client's close) arrived.
    Arrived,
    /// Nothing arrived within the timeout.
    TimedOut,
    /// The socket failed.
    Failed,
}

/// Waits at most `timeout` for bytes (or the client's close) on `stream`, without
/// consuming them.
pub async fn wait_for_first_byte(stream: &TcpStream, timeout: Duration) -> FirstByte {
    match tokio::time::timeout(timeout, first_byte(stream)).await {
        Ok(Ok(())) => FirstByte::Arrived,
        Ok(Err(_)) => FirstByte::Failed,
        Err(_elapsed) => FirstByte::TimedOut,
    }
}

/// Inside WasmEdge: readiness, which the runtime reports from `poll_oneoff` only once
/// bytes are there (edge-host and WasmEdge alike).
#[cfg(target_os = "wasi")]
async fn first_byte(stream: &TcpStream) -> std::io::Result<()> {
    stream.readable().await
}

/// Natively: a one-byte peek. Upstream tokio's `readable` may complete without data
/// (its documented false positives; a freshly accepted silent socket is reported
/// readable), and the peek leaves the byte for hyper.
#[cfg(not(target_os = "wasi"))]
async fn first_byte(stream: &TcpStream) -> std::io::Result<()> {
    let mut byte = [0u8; 1];
    stream.peek(&mut byte).await.map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpListener;

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime").block_on(future)
    }

    #[test]
    fn a_silent_client_times_out_and_a_talking_one_arrives() {
        block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let addr = listener.local_addr().expect("addr");
            let _silent = TcpStream::connect(addr).await.expect("connect");
            let (accepted, _) = listener.accept().await.expect("accept");
            let waited = wait_for_first_byte(&accepted, Duration::from_millis(50)).await;
            assert_eq!(waited, FirstByte::TimedOut);

            let mut talking = TcpStream::connect(addr).await.expect("connect");
            let (accepted, _) = listener.accept().await.expect("accept");
            talking.write_all(b"G").await.expect("write");
            let waited = wait_for_first_byte(&accepted, Duration::from_secs(10)).await;
            assert_eq!(waited, FirstByte::Arrived);
        });
    }
}
