//! Follows a connection's request bytes as hyper will frame them (heads with the
//! same `httparse`, then a `Content-Length` body or a chunked body decoded by the same
//! rules as hyper's decoder) and reports, for every request head in order, what
//! hyper does not keep: whether it carried a `Content-Length` line. hyper drops a
//! `Content-Length` that follows a `Transfer-Encoding` before the request reaches
//! the service, which is the TE.CL ambiguity the framing rules must see.
//!
//! The scanner never decides anything about a request itself: it only reports facts
//! per head. Whenever it meets bytes hyper would refuse (a malformed head, a bad chunk
//! line) or a message it does not follow (a `CONNECT` tunnel), it stops reporting:
//! hyper ends such a connection itself, and the rules then fall back to the headers
//! hyper kept. It is never more lenient than hyper where both accept, so the heads
//! it reports are exactly the requests hyper hands to the service, in order.

/// The most headers hyper parses in a head (its `MAX_HEADERS`); more is its `431`.
const MAX_HEADERS: usize = 100;

/// The most chunk-extension bytes in one body (hyper 0.14's own limit).
const MAX_EXTENSION_BYTES: u64 = 16 * 1024;

/// What the raw bytes of one request head said about its framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RawHead {
    /// At least one `Content-Length` line was sent.
    pub content_length: bool,
    /// At least one `Transfer-Encoding` line was sent.
    pub transfer_encoding: bool,
}

/// A step of hyper's chunked decoder (`proto::h1::decode::ChunkedState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    Start,
    Size,
    SizeLws,
    Extension,
    SizeLf,
    Data,
    DataCr,
    DataLf,
    Trailer,
    TrailerLf,
    EndCr,
    EndLf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a request head.
    Head,
    /// Skipping a `Content-Length` body: this many bytes are left.
    Body { left: u64 },
    /// Following a chunked body.
    Chunked { step: Chunk, size: u64, extension_bytes: u64 },
    /// No longer following the connection (see the module documentation).
    Lost,
}

/// Follows one connection's bytes; see the module documentation.
#[derive(Debug)]
pub struct MessageScanner {
    state: State,
    /// The part of a head that has arrived so far, when it spans reads.
    head: Vec<u8>,
    /// The longest head it follows; past that it stops (hyper refuses with 431).
    max_head_bytes: usize,
}

/// What looking for a head in the bytes found.
enum HeadStep {
    /// The head is not complete yet: every byte was taken.
    Partial,
    /// A head of this many of the new bytes, with its framing.
    Complete { used: usize, head: RawHead, next: State },
    /// Bytes hyper refuses, or a message not followed.
    Lost,
}

impl MessageScanner {
    /// A scanner at the start of a connection, following heads up to `max_head_bytes`.
    pub fn new(max_head_bytes: usize) -> Self {
        Self { state: State::Head, head: Vec::new(), max_head_bytes }
    }

    /// Whether it still follows the connection.
    pub fn is_following(&self) -> bool {
        self.state != State::Lost
    }

    /// Takes the next bytes the client sent; calls `found` for every head completed.
    pub fn feed(&mut self, mut input: &[u8], found: &mut impl FnMut(RawHead)) {
        while !input.is_empty() {
            match self.state {
                State::Lost => return,
                State::Head => match self.head_step(input) {
                    HeadStep::Partial => return,
                    HeadStep::Complete { used, head, next } => {
                        found(head);
                        self.state = next;
                        input = input.get(used..).unwrap_or_default();
                    }
                    HeadStep::Lost => self.lose(),
                },
                State::Body { left } => {
                    let (rest, left) = skip(input, left);
                    input = rest;
                    self.state = if left == 0 { State::Head } else { State::Body { left } };
                }
                State::Chunked { step: Chunk::Data, size, extension_bytes } => {
                    let (rest, size) = skip(input, size);
                    input = rest;
                    let step = if size == 0 { Chunk::DataCr } else { Chunk::Data };
                    self.state = State::Chunked { step, size, extension_bytes };
                }
                State::Chunked { step, size, extension_bytes } => {
                    let Some((&byte, rest)) = input.split_first() else { return };
                    self.state = chunk_byte(step, size, extension_bytes, byte);
                    input = rest;
                }
            }
        }
    }

    fn lose(&mut self) {
        self.state = State::Lost;
        self.head = Vec::new();
    }

    /// Looks for the end of the head in what arrived before and `input`.
    fn head_step(&mut self, input: &[u8]) -> HeadStep {
        let before = self.head.len();
        let step = if before == 0 {
            // The usual case: the whole head in one read, parsed where it lies.
            parse_head(input)
        } else {
            let room = self.max_head_bytes.saturating_sub(before);
            self.head.extend_from_slice(input.get(..room).unwrap_or(input));
            parse_head(&self.head)
        };
        match step {
            HeadStep::Partial => {
                if before == 0 {
                    if input.len() > self.max_head_bytes {
                        return HeadStep::Lost;
                    }
                    self.head.extend_from_slice(input);
                } else if self.head.len() >= self.max_head_bytes {
                    return HeadStep::Lost;
                }
                HeadStep::Partial
            }
            HeadStep::Complete { used, head, next } => {
                self.head.clear();
                HeadStep::Complete { used: used.saturating_sub(before), head, next }
            }
            HeadStep::Lost => HeadStep::Lost,
        }
    }
}

/// Parses a head as hyper does; the framing of the body that follows it.
fn parse_head(bytes: &[u8]) -> HeadStep {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let used = match request.parse(bytes) {
        Ok(httparse::Status::Complete(used)) => used,
        Ok(httparse::Status::Partial) => return HeadStep::Partial,
        Err(_) => return HeadStep::Lost,
    };
    if request.method.is_some_and(|m| m.eq_ignore_ascii_case("CONNECT")) {
        return HeadStep::Lost;
    }
    let mut head = RawHead::default();
    let mut chunked = false;
    let mut length: Option<u64> = None;
    for header in request.headers.iter() {
        if header.name.eq_ignore_ascii_case("transfer-encoding") {
            head.transfer_encoding = true;
            chunked = last_coding_is_chunked(header.value);
        } else if header.name.eq_ignore_ascii_case("content-length") {
            head.content_length = true;
            match (decimal(header.value), length) {
                (Some(value), None) => length = Some(value),
                (Some(value), Some(earlier)) if value == earlier => {}
                // An invalid or a second, different length: hyper refuses the request.
                _ if !head.transfer_encoding => return HeadStep::Lost,
                _ => {}
            }
        }
    }
    let next = if head.transfer_encoding {
        // hyper refuses Transfer-Encoding in HTTP/1.0 and a last coding other than
        // chunked; otherwise it frames by Transfer-Encoding alone.
        if request.version != Some(1) || !chunked {
            return HeadStep::Lost;
        }
        State::Chunked { step: Chunk::Start, size: 0, extension_bytes: 0 }
    } else {
        match length {
            Some(left) if left > 0 => State::Body { left },
            _ => State::Head,
        }
    };
    HeadStep::Complete { used, head, next }
}

/// Skips up to `count` bytes of `input`: what is left of each.
fn skip(input: &[u8], count: u64) -> (&[u8], u64) {
    let taken = usize::try_from(count).unwrap_or(usize::MAX).min(input.len());
    let rest = input.get(taken..).unwrap_or_default();
    (rest, count.saturating_sub(u64::try_from(taken).unwrap_or(u64::MAX)))
}

/// hyper's `is_chunked_`: the last coding of one `Transfer-Encoding` line.
fn last_coding_is_chunked(value: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(value) else { return false };
    text.rsplit(',').next().is_some_and(|coding| coding.trim().eq_ignore_ascii_case("chunked"))
}

/// hyper's `from_digits`: only ASCII digits, no sign, no spaces, no overflow.
fn decimal(value: &[u8]) -> Option<u64> {
    if value.is_empty() {
        return None;
    }
    value.iter().try_fold(0u64, |n, &b| match b {
        b'0'..=b'9' => n.checked_mul(10)?.checked_add(u64::from(b.wrapping_sub(b'0'))),
        _ => None,
    })
}

fn hex_digit(b: u8) -> Option<u64> {
    match b {
        b'0'..=b'9' => Some(u64::from(b.wrapping_sub(b'0'))),
        b'a'..=b'f' => Some(u64::from(b.wrapping_sub(b'a').wrapping_add(10))),
        b'A'..=b'F' => Some(u64::from(b.wrapping_sub(b'A').wrapping_add(10))),
        _ => None,
    }
}

/// One byte through hyper's chunked decoder (everything but the chunk data).
fn chunk_byte(step: Chunk, size: u64, extension_bytes: u64, b: u8) -> State {
    let chunked = |step, size, extension_bytes| State::Chunked { step, size, extension_bytes };
    let with = |step| chunked(step, size, extension_bytes);
    match (step, b) {
        (Chunk::Start | Chunk::Size, _) if hex_digit(b).is_some() => {
            match size.checked_mul(16).and_then(|n| n.checked_add(hex_digit(b).unwrap_or(0))) {
                Some(size) => chunked(Chunk::Size, size, extension_bytes),
                None => State::Lost,
            }
        }
        (Chunk::Size | Chunk::SizeLws, b'\t' | b' ') => with(Chunk::SizeLws),
        (Chunk::Size | Chunk::SizeLws, b';') => with(Chunk::Extension),
        (Chunk::Size | Chunk::SizeLws | Chunk::Extension, b'\r') => with(Chunk::SizeLf),
        (Chunk::Extension, b'\n') => State::Lost,
        (Chunk::Extension, _) if extension_bytes.saturating_add(1) >= MAX_EXTENSION_BYTES => State::Lost,
        (Chunk::Extension, _) => chunked(Chunk::Extension, size, extension_bytes.saturating_add(1)),
        (Chunk::SizeLf, b'\n') if size == 0 => with(Chunk::EndCr),
        (Chunk::SizeLf, b'\n') => with(Chunk::Data),
        (Chunk::DataCr, b'\r') => with(Chunk::DataLf),
        (Chunk::DataLf, b'\n') => chunked(Chunk::Start, 0, extension_bytes),
        (Chunk::Trailer, b'\r') => with(Chunk::TrailerLf),
        (Chunk::Trailer, _) => with(Chunk::Trailer),
        (Chunk::TrailerLf, b'\n') => with(Chunk::EndCr),
        (Chunk::EndCr, b'\r') => with(Chunk::EndLf),
        (Chunk::EndCr, _) => with(Chunk::Trailer),
        (Chunk::EndLf, b'\n') => State::Head,
        _ => State::Lost,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `bytes` in pieces of `piece` bytes; returns the heads found.
    fn scan(bytes: &[u8], piece: usize) -> (Vec<RawHead>, bool) {
        let mut scanner = MessageScanner::new(128 * 1024);
        let mut heads = Vec::new();
        for part in bytes.chunks(piece.max(1)) {
            scanner.feed(part, &mut |head| heads.push(head));
        }
        (heads, scanner.is_following())
    }

    /// The same result whatever the reads look like.
    fn scan_every_split(bytes: &[u8]) -> (Vec<RawHead>, bool) {
        let whole = scan(bytes, bytes.len());
        for piece in 1..bytes.len().min(64) {
            assert_eq!(scan(bytes, piece), whole, "reads of {piece} bytes");
        }
        whole
    }

    const PLAIN: RawHead = RawHead { content_length: false, transfer_encoding: false };
    const LENGTH: RawHead = RawHead { content_length: true, transfer_encoding: false };
    const CHUNKED: RawHead = RawHead { content_length: false, transfer_encoding: true };
    const BOTH: RawHead = RawHead { content_length: true, transfer_encoding: true };

    #[test]
    fn pipelined_requests_are_followed_across_every_kind_of_body() {
        let bytes = b"GET /a HTTP/1.1\r\nhost: t\r\n\r\n\
            POST /b HTTP/1.1\r\nhost: t\r\ncontent-length: 5\r\n\r\nGET /\
            POST /c HTTP/1.1\r\nhost: t\r\ntransfer-encoding: chunked\r\n\r\n\
            5;ext=1\r\nGET /\r\n3 \r\nxyz\r\n0\r\ntrailer: x\r\n\r\n\
            GET /d HTTP/1.1\r\nhost: t\r\n\r\n";
        assert_eq!(scan_every_split(bytes), (vec![PLAIN, LENGTH, CHUNKED, PLAIN], true));
    }

    #[test]
    fn a_length_after_a_transfer_encoding_is_reported() {
        // hyper drops this content-length; the scanner sees it and frames by chunks,
        // as hyper does, so the smuggled GET inside the body is not taken for a head.
        let bytes = b"POST /a HTTP/1.1\r\nhost: t\r\ntransfer-encoding: chunked\r\ncontent-length: 3\r\n\r\n\
            23\r\nGET /smuggled HTTP/1.1\r\nhost: t\r\n\r\n\r\n0\r\n\r\n\
            GET /next HTTP/1.1\r\nhost: t\r\n\r\n";
        assert_eq!(scan_every_split(bytes), (vec![BOTH, PLAIN], true));
    }

    #[test]
    fn what_hyper_refuses_stops_the_scanner() {
        let refused: [&[u8]; 7] = [
            b"GARBAGE\r\n\r\n",
            b"POST / HTTP/1.1\r\ntransfer-encoding: gzip\r\n\r\n",
            b"POST / HTTP/1.0\r\ntransfer-encoding: chunked\r\n\r\n",
            b"POST / HTTP/1.1\r\ncontent-length: 4\r\ncontent-length: 5\r\n\r\n",
            b"POST / HTTP/1.1\r\ncontent-length: +4\r\n\r\n",
            b"POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",
            b"CONNECT t:443 HTTP/1.1\r\nhost: t\r\n\r\n",
        ];
        for bytes in refused {
            let (_, following) = scan(bytes, bytes.len());
            assert!(!following, "{}", String::from_utf8_lossy(bytes));
        }
        // Chunk lines hyper refuses: bare LF, LF in an extension, no CRLF after data.
        for body in [&b"5\nhello\r\n0\r\n\r\n"[..], b"5;a\nb\r\nhello\r\n", b"5\r\nhelloXX0\r\n\r\n"] {
            let bytes = [&b"POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n"[..], body].concat();
            assert!(!scan(&bytes, bytes.len()).1, "{}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn equal_lengths_are_one_length() {
        let bytes =
            b"POST / HTTP/1.1\r\ncontent-length: 2\r\ncontent-length: 2\r\n\r\nhiGET / HTTP/1.1\r\n\r\n";
        assert_eq!(scan_every_split(bytes), (vec![LENGTH, PLAIN], true));
    }

    #[test]
    fn a_head_larger_than_the_limit_stops_the_scanner() {
        let mut scanner = MessageScanner::new(64);
        let head = format!("GET / HTTP/1.1\r\nx: {}\r\n\r\n", "a".repeat(100));
        scanner.feed(&head.as_bytes()[..50], &mut |_| {});
        assert!(scanner.is_following());
        scanner.feed(&head.as_bytes()[50..], &mut |_| panic!("no head past the limit"));
        assert!(!scanner.is_following());
    }

    #[test]
    fn a_chunk_size_that_overflows_stops_the_scanner() {
        let bytes = b"POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n1ffffffffffffffff\r\n";
        assert!(!scan(bytes, bytes.len()).1);
    }
}
