//! Client for the native peer (tests/conformance-peer/peer.py).
//!
//! The reference asks for a *native* client or sender in several checks (§10
//! 5, 8, 10, 11, 17, 18): a socket that the runtime under test does not own, so
//! the host's view of ports, addresses and data can be compared with what the
//! kernel really did. scripts/conformance.sh starts the peer and passes its
//! control port as `PEER_PORT`; the guest sends it one-line commands over a
//! plain `wasmedge_wasi_socket` TCP stream (blocking) and reads one-line replies
//! (`OK ...` or `ERR ...`). The protocol is documented in peer.py.

use crate::report::{fail, Failure};
use std::io::{Read, Write};
use wasmedge_wasi_socket::TcpStream;

/// A connection to the native peer's control port.
pub struct Peer {
    stream: TcpStream,
    pending: Vec<u8>,
}

impl Peer {
    /// Connects to 127.0.0.1:$PEER_PORT.
    pub fn connect() -> Result<Peer, Failure> {
        let port: u16 = match std::env::var("PEER_PORT").ok().and_then(|p| p.parse().ok()) {
            Some(p) => p,
            None => return fail("PEER_PORT in the environment (run via scripts/conformance.sh)", "none"),
        };
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(stream) => Ok(Peer { stream, pending: Vec::new() }),
            Err(e) => fail(format!("a connection to the native peer on 127.0.0.1:{port}"), e.to_string()),
        }
    }

    /// Sends one command and returns the words after `OK`.
    pub fn cmd(&mut self, line: &str) -> Result<Vec<String>, Failure> {
        let mut msg = line.as_bytes().to_vec();
        msg.push(b'\n');
        if let Err(e) = self.stream.write_all(&msg) {
            return fail(format!("peer command {line:?} to be sent"), e.to_string());
        }
        let reply =
            self.read_line().map_err(|got| Failure { expected: format!("a reply to {line:?}"), got })?;
        let mut words = reply.split_whitespace().map(str::to_owned);
        match words.next().as_deref() {
            Some("OK") => Ok(words.collect()),
            _ => fail(format!("peer command {line:?} to succeed"), format!("{reply:?}")),
        }
    }

    /// Sends a command whose reply carries one number (a port, a count, an id).
    pub fn cmd_num(&mut self, line: &str, index: usize) -> Result<u32, Failure> {
        let words = self.cmd(line)?;
        match words.get(index).and_then(|w| w.parse().ok()) {
            Some(n) => Ok(n),
            None => {
                fail(format!("a number at position {index} of the reply to {line:?}"), format!("{words:?}"))
            }
        }
    }

    fn read_line(&mut self) -> Result<String, String> {
        loop {
            if let Some(pos) = self.pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=pos).collect();
                return Ok(String::from_utf8_lossy(&line[..pos]).into_owned());
            }
            let mut buf = [0u8; 512];
            match self.stream.read(&mut buf) {
                Ok(0) => return Err("the peer closed the control connection".into()),
                Ok(n) => self.pending.extend_from_slice(&buf[..n]),
                Err(e) => return Err(e.to_string()),
            }
        }
    }
}

/// Lower-case hex of `data`, as the peer protocol carries payloads.
pub fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

/// Decodes lower- or upper-case hex; `None` on a malformed string.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}
