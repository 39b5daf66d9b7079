//! Request bodies, bounded: the content type is checked before a byte is read, a
//! declared `Content-Length` over the limit is refused without reading the body, and
//! a body of unknown length is counted while it streams in, so memory never holds
//! more than the limit plus one chunk. The whole body must arrive within the read
//! timeout (a client trickling bytes cannot hold a request open forever).
//!
//! Bodies are buffered in linear memory, which in Wasm never shrinks once grown, so
//! one limit per body is not enough: 1,024 connections × 1 MiB would grow the module
//! to 1 GiB. All bodies being read share a [`BodyBudget`] (`MAX_BUFFERED_BODY_BYTES`):
//! a body reserves its declared size (or the per-body limit when the length is not
//! declared) before a byte is read, and gives it back when the handler is done with
//! it. A body that cannot get its share within [`BodyBudget::WAIT`] is answered 503.

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::{Bytes, HttpBody};
use hyper::header::CONTENT_TYPE;
use hyper::{Body, HeaderMap};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::deadline;

/// Why a request body was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// `content-type` is missing or not JSON.
    #[error("content-type must be application/json")]
    NotJson,
    /// More bytes than `MAX_BODY_BYTES`.
    #[error("request body is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The configured limit.
        limit: usize,
    },
    /// The body did not arrive in time.
    #[error("request body did not arrive within {} s", .0.as_secs())]
    Timeout(Duration),
    /// The connection failed or the framing was invalid while reading.
    #[error("request body could not be read")]
    Unreadable(#[source] hyper::Error),
    /// Other requests' bodies hold the whole [`BodyBudget`].
    #[error("the service is receiving too many request bodies at once; retry shortly")]
    Busy,
}

/// The memory all request bodies being read may use together, counted in KiB.
#[derive(Debug, Clone)]
pub struct BodyBudget {
    kibibytes: Arc<Semaphore>,
}

impl BodyBudget {
    /// How long a body waits for its share before the request is answered 503.
    pub const WAIT: Duration = Duration::from_secs(1);

    /// A budget of `bytes` (rounded up to whole KiB).
    pub fn new(bytes: usize) -> Self {
        Self { kibibytes: Arc::new(Semaphore::new(kibibytes(bytes) as usize)) }
    }

    /// Reserves `bytes`, waiting at most `wait` for other bodies to finish.
    async fn reserve(&self, bytes: usize, wait: Duration) -> Result<OwnedSemaphorePermit, BodyError> {
        let wanted = kibibytes(bytes);
        let acquire = Arc::clone(&self.kibibytes).acquire_many_owned(wanted);
        match deadline::within(wait, acquire).await {
            Some(Ok(permit)) => Ok(permit),
            // Closed never happens (we never close it); time out and closed both mean busy.
            Some(Err(_)) | None => Err(BodyError::Busy),
        }
    }

    /// KiB not reserved right now (for tests and diagnostics).
    pub fn available_kibibytes(&self) -> usize {
        self.kibibytes.available_permits()
    }
}

/// `bytes` in KiB, rounded up, saturating at `u32::MAX` KiB.
fn kibibytes(bytes: usize) -> u32 {
    u32::try_from(bytes.div_ceil(1024)).unwrap_or(u32::MAX)
}

/// A request body read into memory, holding its share of the [`BodyBudget`] until
/// it is dropped.
#[derive(Debug)]
pub struct JsonBody {
    bytes: Bytes,
    _reservation: OwnedSemaphorePermit,
}

impl Deref for JsonBody {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.bytes
    }
}

/// Whether `content-type` is JSON: `application/json` or a `+json` type, any case,
/// parameters (such as `charset=utf-8`) allowed.
pub fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(CONTENT_TYPE).and_then(|value| value.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    let Some((kind, subtype)) = essence.split_once('/') else { return false };
    kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case("json")
            || subtype.len() > 5
                && subtype
                    .get(subtype.len().saturating_sub(5)..)
                    .is_some_and(|s| s.eq_ignore_ascii_case("+json")))
}

/// Reads a JSON body of at most `limit` bytes within `timeout`, inside `budget`.
pub async fn read_json(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    timeout: Duration,
    budget: &BodyBudget,
) -> Result<JsonBody, BodyError> {
    if !is_json(headers) {
        return Err(BodyError::NotJson);
    }
    // hyper reports a declared Content-Length as the exact size: refuse before reading.
    let hint = body.size_hint();
    let declared = hint.lower();
    if declared > u64::try_from(limit).unwrap_or(u64::MAX) {
        return Err(BodyError::TooLarge { limit });
    }
    // Reserve what the body may take: its declared size, or the limit when unknown.
    let worst_case = match hint.exact() {
        Some(exact) => usize::try_from(exact).unwrap_or(limit).min(limit),
        None => limit,
    };
    let reservation = budget.reserve(worst_case, BodyBudget::WAIT.min(timeout)).await?;
    match deadline::within(timeout, read_limited(body, limit, declared)).await {
        Some(result) => result.map(|bytes| JsonBody { bytes, _reservation: reservation }),
        None => Err(BodyError::Timeout(timeout)),
    }
}

async fn read_limited(mut body: Body, limit: usize, declared: u64) -> Result<Bytes, BodyError> {
    let mut first: Option<Bytes> = None;
    let mut joined: Vec<u8> = Vec::new();
    let mut total: usize = 0;
    while let Some(chunk) = body.data().await {
        let chunk = chunk.map_err(BodyError::Unreadable)?;
        total = total.saturating_add(chunk.len());
        if total > limit {
            return Err(BodyError::TooLarge { limit });
        }
        match first.take() {
            // The usual case: the whole body in one chunk, kept without copying.
            None if joined.is_empty() => first = Some(chunk),
            None => joined.extend_from_slice(&chunk),
            Some(previous) => {
                let capacity = usize::try_from(declared).unwrap_or(0).clamp(total, limit);
                joined.reserve(capacity);
                joined.extend_from_slice(&previous);
                joined.extend_from_slice(&chunk);
            }
        }
    }
    Ok(match first {
        Some(only) => only,
        None => Bytes::from(joined),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn json_headers() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers
    }

    fn budget() -> BodyBudget {
        BodyBudget::new(1024 * 1024)
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime").block_on(future)
    }

    #[test]
    fn json_content_types_are_recognised() {
        for (value, json) in [
            ("application/json", true),
            ("Application/JSON; charset=utf-8", true),
            ("application/merge-patch+json", true),
            ("application/+json", false),
            ("text/plain", false),
            ("application/jsonx", false),
            ("json", false),
            ("", false),
        ] {
            let mut headers = HeaderMap::new();
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(value));
            assert_eq!(is_json(&headers), json, "{value}");
        }
        assert!(!is_json(&HeaderMap::new()));
    }

    #[test]
    fn a_body_within_the_limit_is_returned_whole() {
        let body = block_on(read_json(
            &json_headers(),
            Body::from("{\"a\":1}"),
            7,
            Duration::from_secs(1),
            &budget(),
        ));
        assert_eq!(&*body.expect("read"), b"{\"a\":1}");
    }

    #[test]
    fn a_declared_length_over_the_limit_is_refused_before_reading() {
        // (The end-to-end suite proves the body is not waited for: it declares 10 MiB
        // and sends a few bytes.)
        let result = block_on(read_json(
            &json_headers(),
            Body::from(vec![b' '; 11]),
            10,
            Duration::from_secs(1),
            &budget(),
        ));
        assert!(matches!(result, Err(BodyError::TooLarge { limit: 10 })), "{result:?}");
    }

    #[test]
    fn a_streamed_body_is_cut_off_once_it_passes_the_limit() {
        block_on(async {
            let (mut sender, body) = Body::channel();
            let writer = tokio::spawn(async move {
                for _ in 0..100 {
                    if sender.send_data(Bytes::from_static(b"xxxxxxxxxx")).await.is_err() {
                        return;
                    }
                }
            });
            let result = read_json(&json_headers(), body, 25, Duration::from_secs(5), &budget()).await;
            assert!(matches!(result, Err(BodyError::TooLarge { limit: 25 })), "{result:?}");
            let _ = writer.await;
        });
    }

    #[test]
    fn chunks_are_joined_in_order() {
        block_on(async {
            let (mut sender, body) = Body::channel();
            tokio::spawn(async move {
                for part in ["{\"a\"", ":", "1}"] {
                    let _ = sender.send_data(Bytes::from_static(part.as_bytes())).await;
                }
            });
            let bytes =
                read_json(&json_headers(), body, 100, Duration::from_secs(5), &budget()).await.expect("read");
            assert_eq!(&*bytes, b"{\"a\":1}");
        });
    }

    #[test]
    fn a_stalled_body_times_out() {
        block_on(async {
            let (_sender, body) = Body::channel();
            let result = read_json(&json_headers(), body, 100, Duration::from_millis(20), &budget()).await;
            assert!(matches!(result, Err(BodyError::Timeout(_))), "{result:?}");
        });
    }

    #[test]
    fn a_wrong_content_type_is_refused_first() {
        let result =
            block_on(read_json(&HeaderMap::new(), Body::from("{}"), 10, Duration::from_secs(1), &budget()));
        assert!(matches!(result, Err(BodyError::NotJson)), "{result:?}");
    }

    #[test]
    fn a_body_holds_its_share_of_the_budget_until_dropped() {
        block_on(async {
            let budget = BodyBudget::new(4 * 1024);
            let body = read_json(
                &json_headers(),
                Body::from(vec![b' '; 1500]),
                4096,
                Duration::from_secs(1),
                &budget,
            )
            .await
            .expect("read");
            assert_eq!(budget.available_kibibytes(), 2, "1500 bytes reserve 2 KiB");
            drop(body);
            assert_eq!(budget.available_kibibytes(), 4);
        });
    }

    #[test]
    fn a_body_of_unknown_length_reserves_the_whole_limit() {
        block_on(async {
            let budget = BodyBudget::new(8 * 1024);
            let (mut sender, body) = Body::channel();
            tokio::spawn(async move {
                let _ = sender.send_data(Bytes::from_static(b"{}")).await;
            });
            let held = read_json(&json_headers(), body, 3 * 1024, Duration::from_secs(5), &budget).await;
            assert!(held.is_ok());
            assert_eq!(budget.available_kibibytes(), 5);
        });
    }

    #[test]
    fn a_body_that_does_not_fit_the_budget_in_time_is_busy() {
        block_on(async {
            let budget = BodyBudget::new(2 * 1024);
            let first = read_json(
                &json_headers(),
                Body::from(vec![b' '; 2048]),
                4096,
                Duration::from_secs(1),
                &budget,
            )
            .await
            .expect("fits");
            let second =
                read_json(&json_headers(), Body::from("{}"), 4096, Duration::from_millis(50), &budget).await;
            assert!(matches!(second, Err(BodyError::Busy)), "{second:?}");
            drop(first);
            let third =
                read_json(&json_headers(), Body::from("{}"), 4096, Duration::from_millis(50), &budget).await;
            assert!(third.is_ok(), "the budget is free again");
        });
    }
}
