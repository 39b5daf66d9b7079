//! Message framing held to RFC 9112, beyond what hyper enforces, so that this service
//! and a proxy in front of it can never disagree about where a request ends (the
//! disagreement behind request smuggling).
//!
//! hyper already refuses, with `400` and a closed connection: a garbage request line,
//! conflicting or invalid `Content-Length` values, a `Transfer-Encoding` whose last
//! coding is not `chunked`, `Transfer-Encoding` in an HTTP/1.0 request, bad chunk
//! sizes, and header syntax errors (a space before the colon, obs-fold, NUL). It
//! accepts, and this module refuses before any handler runs:
//!
//! - both `Content-Length` and `Transfer-Encoding` (RFC 9112 §6.3 (3): the server MUST
//!   close the connection after responding; hyper frames by `Transfer-Encoding` and
//!   keeps the connection open);
//! - a `Transfer-Encoding` other than exactly one `chunked` (`gzip, chunked`: a coding
//!   the service does not decode; `chunked, chunked`: chunked applied twice, which
//!   §6.1 forbids; an empty element), however it is split over header lines;
//! - an HTTP/1.1 request without exactly one `Host` (§3.2: a server MUST answer 400),
//!   or any request with several.
//!
//! Every refusal is a `400` whose response says `connection: close`: nothing sent
//! after the refused message on that connection is read as a request.
//!
//! hyper drops a `Content-Length` line that follows a `Transfer-Encoding` line before
//! the request reaches the service, so the headers alone cannot show that ambiguity:
//! [`ScannedStream`] shows every byte hyper reads to a [`scanner::MessageScanner`]
//! that follows the connection's framing as hyper does, and the transport attaches
//! what it saw of each head ([`RawHead`]) to its request.
//!
//! - [`scanner`]: follows request heads and bodies in a connection's bytes.
//! - [`scanned_stream`]: the connection wrapper feeding it, and the queue of heads.

pub mod scanned_stream;
pub mod scanner;

use hyper::header::{HeaderMap, HeaderValue, CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
use hyper::{Body, Request, Response, StatusCode, Version};

use super::response;
pub use scanned_stream::{RawHeads, ScannedStream};
pub use scanner::RawHead;

/// Why a request's framing was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    /// Both `Content-Length` and `Transfer-Encoding` were sent.
    #[error("a request must not carry both content-length and transfer-encoding")]
    LengthAndTransferEncoding,
    /// `Transfer-Encoding` is not exactly one `chunked`.
    #[error("transfer-encoding must be exactly `chunked`")]
    TransferEncoding,
    /// An HTTP/1.1 request without `Host`.
    #[error("an HTTP/1.1 request must carry a host header")]
    MissingHost,
    /// More than one `Host`.
    #[error("a request must carry at most one host header")]
    SeveralHosts,
}

impl FramingError {
    /// The response: `400 bad_request` with `connection: close`.
    pub fn into_response(self) -> Response<Body> {
        let mut response = response::error(StatusCode::BAD_REQUEST, "bad_request", &self.to_string());
        response::close_connection(response.headers_mut());
        response
    }
}

/// Checks the framing of `request` (see the module documentation): its headers, and
/// the [`RawHead`] the transport attached to it, if any.
pub fn check(request: &Request<Body>) -> Result<(), FramingError> {
    let raw = request.extensions().get::<RawHead>().copied().unwrap_or_default();
    check_headers(request.version(), request.headers(), raw)
}

fn check_headers(version: Version, headers: &HeaderMap, raw: RawHead) -> Result<(), FramingError> {
    let mut transfer_encodings = headers.get_all(TRANSFER_ENCODING).iter().peekable();
    if transfer_encodings.peek().is_some() || raw.transfer_encoding {
        if headers.contains_key(CONTENT_LENGTH) || raw.content_length {
            return Err(FramingError::LengthAndTransferEncoding);
        }
        if !is_exactly_chunked(transfer_encodings) {
            return Err(FramingError::TransferEncoding);
        }
    }
    match headers.get_all(HOST).iter().count() {
        0 if version >= Version::HTTP_11 => Err(FramingError::MissingHost),
        0 | 1 => Ok(()),
        _ => Err(FramingError::SeveralHosts),
    }
}

/// Whether the `Transfer-Encoding` lines, taken together as one list, name exactly
/// one coding and it is `chunked` (case-insensitive; spaces around it allowed).
fn is_exactly_chunked<'a>(values: impl Iterator<Item = &'a HeaderValue>) -> bool {
    let mut codings = 0usize;
    for value in values {
        let Ok(text) = value.to_str() else { return false };
        for coding in text.split(',') {
            let coding = coding.trim_matches([' ', '\t']);
            if !coding.eq_ignore_ascii_case("chunked") {
                return false;
            }
            codings = codings.saturating_add(1);
        }
    }
    codings == 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::CONNECTION;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    fn check11(pairs: &[(&'static str, &'static str)]) -> Result<(), FramingError> {
        check_headers(Version::HTTP_11, &headers(pairs), RawHead::default())
    }

    #[test]
    fn a_length_only_the_raw_head_showed_is_refused_with_the_transfer_encoding() {
        // hyper dropped the content-length that followed the transfer-encoding.
        let raw = RawHead { content_length: true, transfer_encoding: true };
        let kept = headers(&[("host", "t"), ("transfer-encoding", "chunked")]);
        assert_eq!(check_headers(Version::HTTP_11, &kept, raw), Err(FramingError::LengthAndTransferEncoding));
        let plain = RawHead { content_length: false, transfer_encoding: true };
        assert_eq!(check_headers(Version::HTTP_11, &kept, plain), Ok(()));
    }

    #[test]
    fn length_and_transfer_encoding_together_are_refused() {
        let both = [("host", "t"), ("content-length", "4"), ("transfer-encoding", "chunked")];
        assert_eq!(check11(&both), Err(FramingError::LengthAndTransferEncoding));
        let reversed = [("host", "t"), ("transfer-encoding", "chunked"), ("content-length", "0")];
        assert_eq!(check11(&reversed), Err(FramingError::LengthAndTransferEncoding));
    }

    #[test]
    fn only_a_single_chunked_coding_is_accepted() {
        assert_eq!(check11(&[("host", "t"), ("transfer-encoding", "chunked")]), Ok(()));
        assert_eq!(check11(&[("host", "t"), ("transfer-encoding", " CHUNKED\t")]), Ok(()));
        for refused in ["gzip, chunked", "chunked, chunked", "identity, chunked", ", chunked", "chunked,", ""]
        {
            assert_eq!(
                check11(&[("host", "t"), ("transfer-encoding", refused)]),
                Err(FramingError::TransferEncoding),
                "{refused:?}"
            );
        }
        let split = [("host", "t"), ("transfer-encoding", "chunked"), ("transfer-encoding", "chunked")];
        assert_eq!(check11(&split), Err(FramingError::TransferEncoding));
    }

    #[test]
    fn http11_needs_exactly_one_host() {
        assert_eq!(check11(&[]), Err(FramingError::MissingHost));
        assert_eq!(check11(&[("host", "a"), ("host", "b")]), Err(FramingError::SeveralHosts));
        assert_eq!(check11(&[("host", "a")]), Ok(()));
        assert_eq!(check_headers(Version::HTTP_10, &headers(&[]), RawHead::default()), Ok(()));
        assert_eq!(
            check_headers(Version::HTTP_10, &headers(&[("host", "a"), ("host", "a")]), RawHead::default()),
            Err(FramingError::SeveralHosts)
        );
    }

    #[test]
    fn a_refusal_closes_the_connection() {
        let response = FramingError::MissingHost.into_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(response.headers().get(CONNECTION).map(|v| v.as_bytes()), Some(&b"close"[..]));
    }
}
