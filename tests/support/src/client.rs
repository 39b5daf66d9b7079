//! A deliberately small HTTP/1.1 client over a plain `TcpStream`, so tests control
//! every byte: keep-alive, malformed requests, huge bodies. Responses are parsed
//! with `httparse`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// A parsed response.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Header names (lowercase) and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON; panics with the body text if it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One TCP connection that can carry several requests (keep-alive).
pub struct HttpConnection {
    stream: TcpStream,
    /// Bytes read past the end of the previous response.
    buffered: Vec<u8>,
}

impl HttpConnection {
    /// Connects to `addr` with generous read/write timeouts.
    pub fn open(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect to {addr}: {e}"));
        stream.set_read_timeout(Some(Duration::from_secs(30))).expect("set read timeout");
        stream.set_write_timeout(Some(Duration::from_secs(30))).expect("set write timeout");
        let _ = stream.set_nodelay(true);
        Self { stream, buffered: Vec::new() }
    }

    /// Sends a well-formed request (Host and Content-Length added) and reads the response.
    pub fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> HttpResponse {
        let mut head = format!("{method} {path} HTTP/1.1\r\nhost: test\r\n");
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if !body.is_empty() || matches!(method, "POST" | "PUT" | "PATCH") {
            head.push_str(&format!("content-length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body);
        self.send_raw(&bytes);
        self.read_response(method == "HEAD")
    }

    /// Writes raw bytes as they are.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write request");
    }

    /// Writes raw bytes, tolerating a server that closed early (as it may after an error).
    pub fn try_send_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Reads one response. `head_only` for responses to HEAD (no body).
    pub fn read_response(&mut self, head_only: bool) -> HttpResponse {
        self.try_read_response(head_only).unwrap_or_else(|e| panic!("read response: {e}"))
    }

    /// Reads one response, or says why there is none (closed, timed out, malformed).
    pub fn try_read_response(&mut self, head_only: bool) -> Result<HttpResponse, String> {
        loop {
            let mut header_storage = [httparse::EMPTY_HEADER; 64];
            let mut parsed = httparse::Response::new(&mut header_storage);
            match parsed.parse(&self.buffered) {
                Ok(httparse::Status::Complete(head_len)) => {
                    let status = parsed.code.ok_or("no status code")?;
                    let headers: Vec<(String, String)> = parsed
                        .headers
                        .iter()
                        .map(|h| (h.name.to_ascii_lowercase(), String::from_utf8_lossy(h.value).into_owned()))
                        .collect();
                    self.buffered.drain(..head_len);
                    let body = self.read_body(status, &headers, head_only)?;
                    return Ok(HttpResponse { status, headers, body });
                }
                Ok(httparse::Status::Partial) => self.fill()?,
                Err(e) => return Err(format!("malformed response: {e}")),
            }
        }
    }

    fn read_body(
        &mut self,
        status: u16,
        headers: &[(String, String)],
        head_only: bool,
    ) -> Result<Vec<u8>, String> {
        if head_only || status == 204 || status == 304 || (100..200).contains(&status) {
            return Ok(Vec::new());
        }
        let find = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        if let Some(length) = find("content-length") {
            let length: usize = length.trim().parse().map_err(|_| format!("bad content-length {length}"))?;
            while self.buffered.len() < length {
                self.fill()?;
            }
            return Ok(self.buffered.drain(..length).collect());
        }
        if find("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
            return self.read_chunked();
        }
        // No length: the body runs to the end of the connection.
        while self.fill().is_ok() {}
        Ok(std::mem::take(&mut self.buffered))
    }

    fn read_chunked(&mut self) -> Result<Vec<u8>, String> {
        let mut body = Vec::new();
        loop {
            let line_end = loop {
                if let Some(i) = self.buffered.windows(2).position(|w| w == b"\r\n") {
                    break i;
                }
                self.fill()?;
            };
            let size_text = String::from_utf8_lossy(&self.buffered[..line_end]).into_owned();
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| format!("bad chunk size {size_text:?}"))?;
            self.buffered.drain(..line_end + 2);
            while self.buffered.len() < size + 2 {
                self.fill()?;
            }
            body.extend(self.buffered.drain(..size));
            self.buffered.drain(..2);
            if size == 0 {
                return Ok(body);
            }
        }
    }

    fn fill(&mut self) -> Result<(), String> {
        let mut chunk = [0u8; 16 * 1024];
        match self.stream.read(&mut chunk) {
            Ok(0) => Err("connection closed".into()),
            Ok(n) => {
                self.buffered.extend_from_slice(&chunk[..n]);
                Ok(())
            }
            Err(e) => Err(format!("read failed: {e}")),
        }
    }

    /// Bytes received but not yet read as a response.
    pub fn buffered_len(&self) -> usize {
        self.buffered.len()
    }

    /// Whether the server has closed this connection (EOF or reset within `wait`).
    pub fn is_closed_by_server(&mut self, wait: Duration) -> bool {
        let _ = self.stream.set_read_timeout(Some(wait));
        let mut chunk = [0u8; 1024];
        let closed = match self.stream.read(&mut chunk) {
            Ok(0) => true,
            Ok(n) => {
                self.buffered.extend_from_slice(&chunk[..n]);
                false
            }
            Err(e) => !matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut),
        };
        let _ = self.stream.set_read_timeout(Some(Duration::from_secs(30)));
        closed
    }
}
