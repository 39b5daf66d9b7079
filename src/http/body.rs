//! Request bodies, bounded: the content type is checked before a byte is read, a
//! declared `Content-Length` over the limit is refused without reading the body, and
//! a body of unknown length is counted while it streams in, so memory never holds
//! more than the limit plus one chunk. The whole body must arrive within the read
//! timeout (a client trickling bytes cannot hold a request open forever).

use std::time::Duration;

use hyper::body::{Bytes, HttpBody};
use hyper::header::CONTENT_TYPE;
use hyper::{Body, HeaderMap};

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

/// Reads a JSON body of at most `limit` bytes within `timeout`.
pub async fn read_json(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    timeout: Duration,
) -> Result<Bytes, BodyError> {
    if !is_json(headers) {
        return Err(BodyError::NotJson);
    }
    // hyper reports a declared Content-Length as the exact size: refuse before reading.
    let declared = body.size_hint().lower();
    if declared > u64::try_from(limit).unwrap_or(u64::MAX) {
        return Err(BodyError::TooLarge { limit });
    }
    match tokio::time::timeout(timeout, read_limited(body, limit, declared)).await {
        Ok(result) => result,
        Err(_elapsed) => Err(BodyError::Timeout(timeout)),
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
        let body = block_on(read_json(&json_headers(), Body::from("{\"a\":1}"), 7, Duration::from_secs(1)));
        assert_eq!(body.expect("read").as_ref(), b"{\"a\":1}");
    }

    #[test]
    fn a_declared_length_over_the_limit_is_refused_before_reading() {
        // (The end-to-end suite proves the body is not waited for: it declares 10 MiB
        // and sends a few bytes.)
        let result =
            block_on(read_json(&json_headers(), Body::from(vec![b' '; 11]), 10, Duration::from_secs(1)));
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
            let result = read_json(&json_headers(), body, 25, Duration::from_secs(5)).await;
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
            let bytes = read_json(&json_headers(), body, 100, Duration::from_secs(5)).await.expect("read");
            assert_eq!(bytes.as_ref(), b"{\"a\":1}");
        });
    }

    #[test]
    fn a_stalled_body_times_out() {
        block_on(async {
            let (_sender, body) = Body::channel();
            let result = read_json(&json_headers(), body, 100, Duration::from_millis(20)).await;
            assert!(matches!(result, Err(BodyError::Timeout(_))), "{result:?}");
        });
    }

    #[test]
    fn a_wrong_content_type_is_refused_first() {
        let result = block_on(read_json(&HeaderMap::new(), Body::from("{}"), 10, Duration::from_secs(1)));
        assert!(matches!(result, Err(BodyError::NotJson)), "{result:?}");
    }
}
