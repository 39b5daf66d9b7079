//! `x-request-id`: every response carries one, so a client's report and our log line
//! can be matched. A sane id from the client is kept; anything else is replaced.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use hyper::header::{HeaderName, HeaderValue};
use hyper::HeaderMap;

/// The header's name.
pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest client-supplied id we keep; longer ones are replaced, not cut.
pub const MAX_LEN: usize = 128;

/// A request's id, valid as a header value and safe to log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(HeaderValue);

impl RequestId {
    /// The client's `x-request-id` if it is 1 to [`MAX_LEN`] visible ASCII characters
    /// (no spaces or control characters, so it cannot forge log fields), else a new one.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        match headers.get(&X_REQUEST_ID) {
            Some(value) if is_sane(value.as_bytes()) => Self(value.clone()),
            _ => Self::generate(),
        }
    }

    /// A new id: 16 hex digits, unique within this process and random across processes.
    pub fn generate() -> Self {
        let sequence = NEXT.fetch_add(1, Ordering::Relaxed);
        let mixed = splitmix64(seed().wrapping_add(sequence.wrapping_mul(GOLDEN_GAMMA)));
        let mut digits = [0u8; 16];
        for (slot, shift) in digits.iter_mut().zip((0..16u32).rev().map(|i| i.wrapping_mul(4))) {
            let nibble = (mixed.checked_shr(shift).unwrap_or(0) & 0xf) as usize;
            *slot = HEX.get(nibble).copied().unwrap_or(b'0');
        }
        // Hex digits are always a valid header value; the fallback is never taken.
        Self(HeaderValue::from_bytes(&digits).unwrap_or_else(|_| HeaderValue::from_static("0")))
    }

    /// The id as a header value.
    pub fn header_value(&self) -> &HeaderValue {
        &self.0
    }

    /// The id as text, for log lines.
    pub fn as_str(&self) -> &str {
        // Only visible ASCII gets in, so this cannot fail.
        self.0.to_str().unwrap_or("-")
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

fn is_sane(bytes: &[u8]) -> bool {
    (1..=MAX_LEN).contains(&bytes.len()) && bytes.iter().all(|b| b.is_ascii_graphic())
}

const HEX: &[u8; 16] = b"0123456789abcdef";
/// The odd constant of SplitMix64: multiplying the counter by it is a bijection.
const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;
static NEXT: AtomicU64 = AtomicU64::new(0);
static SEED: OnceLock<u64> = OnceLock::new();

/// A per-process random seed from the standard library's hash keys (WASI `random_get`),
/// so no extra dependency or import is needed.
fn seed() -> u64 {
    *SEED.get_or_init(|| RandomState::new().hash_one(0x5eed_u64))
}

/// SplitMix64's output function: a bijection on `u64`, so distinct counters give
/// distinct ids.
fn splitmix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers_with(value: &[u8]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(&X_REQUEST_ID, HeaderValue::from_bytes(value).expect("valid header value"));
        headers
    }

    #[test]
    fn a_sane_client_id_is_kept() {
        let id = RequestId::from_headers(&headers_with(b"abc-123_XYZ.0/9"));
        assert_eq!(id.as_str(), "abc-123_XYZ.0/9");
    }

    #[test]
    fn ids_with_spaces_non_ascii_or_too_long_are_replaced() {
        let too_long = vec![b'a'; MAX_LEN + 1];
        for bad in [&b"with space"[..], "caf\u{e9}".as_bytes(), &too_long, b"tab\there"] {
            let id = RequestId::from_headers(&headers_with(bad));
            assert_eq!(id.as_str().len(), 16, "{bad:?} gave {id}");
            assert!(id.as_str().bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
        }
        let at_limit = vec![b'a'; MAX_LEN];
        assert_eq!(RequestId::from_headers(&headers_with(&at_limit)).as_str().len(), MAX_LEN);
    }

    #[test]
    fn generated_ids_do_not_repeat() {
        let ids: std::collections::HashSet<String> =
            (0..10_000).map(|_| RequestId::generate().as_str().to_owned()).collect();
        assert_eq!(ids.len(), 10_000);
    }
}
