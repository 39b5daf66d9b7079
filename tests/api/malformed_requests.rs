//! End-to-end: a burst of malformed requests (bad JSON, huge numbers, invalid UTF-8,
//! 10 MiB bodies, wrong content types, garbage request lines, oversized heads, broken
//! framing, clients vanishing mid-request) never crashes the service: each gets its
//! 4xx (or, for what is not HTTP at all, a closed connection), the service keeps
//! answering, and every user stored before is intact.

use std::net::SocketAddr;
use std::thread;
use std::time::Duration;

use edge_service_test_support::{create_user, id_of, unique_email, HttpConnection, TestApp};
use serde_json::Value;

/// What a malformed request may get.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// This status, from the router (a JSON error body).
    Json(u16),
    /// One of these statuses from the HTTP layer, or the connection closed unanswered.
    ProtocolError(&'static [u16]),
    /// Any answer below 500, or none (the client vanishes before reading).
    NoCrash,
}

struct Case {
    name: &'static str,
    bytes: Vec<u8>,
    expect: Expect,
}

fn post(path: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut bytes = format!(
        "POST {path} HTTP/1.1\r\nhost: t\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

fn json_post(body: &[u8]) -> Vec<u8> {
    post("/api/users", "application/json", body)
}

fn get(target: &[u8]) -> Vec<u8> {
    [b"GET ".as_slice(), target, b" HTTP/1.1\r\nhost: t\r\n\r\n"].concat()
}

fn cases() -> Vec<Case> {
    use Expect::*;
    let ten_mib = vec![b'a'; 10 * 1024 * 1024];
    let mut chunked = b"POST /api/users HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..160 {
        chunked.extend_from_slice(b"10000\r\n");
        chunked.extend_from_slice(&[b' '; 0x10000]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let deep = [br#"{"name":"#.as_slice(), &[b'['; 200_000]].concat();
    let big_header =
        format!("GET /api/hello HTTP/1.1\r\nhost: t\r\nx-big: {}\r\n\r\n", "h".repeat(1024 * 1024));
    let many_headers: String = (0..200).map(|i| format!("x-h{i}: v\r\n")).collect();
    let case = |name, bytes, expect| Case { name, bytes, expect };
    vec![
        case("truncated JSON", json_post(br#"{"name":"#), Json(400)),
        case("JSON missing a value", json_post(br#"{"name":"a","email":}"#), Json(400)),
        case("JSON with a NUL escape", json_post(br#"{"name":"a\u0000b","email":"n@x"}"#), Json(400)),
        case("id 1e999", json_post(br#"{"id":1e999,"name":"a","email":"h1@x"}"#), Json(400)),
        case("id with 30 digits", json_post(br#"{"id":123456789012345678901234567890,"name":"a","email":"h2@x"}"#), Json(400)),
        case("name 1e999", json_post(br#"{"name":1e999,"email":"h3@x"}"#), Json(400)),
        case("deeply nested JSON", json_post(&deep), Json(400)),
        case("huge limit", get(b"/api/users?limit=99999999999999999999999999"), Json(400)),
        case("huge path id", get(b"/api/users/99999999999999999999999999999999"), Json(400)),
        case("invalid UTF-8 body", json_post(b"{\"name\":\"\xc3\x28\xff\",\"email\":\"u@x\"}"), Json(400)),
        case("invalid UTF-8 in the path", get(b"/api/users/\xff\xfe"), ProtocolError(&[400, 404])),
        case("invalid UTF-8 in x-request-id", b"GET /api/health HTTP/1.1\r\nhost: t\r\nx-request-id: \xff\xfe\r\n\r\n".to_vec(), NoCrash),
        case("text/plain body", post("/api/users", "text/plain", br#"{"name":"a","email":"t@x"}"#), Json(415)),
        case("XML body", post("/api/users", "application/xml", b"<user><name>a</name></user>"), Json(415)),
        case("form body", post("/api/users", "multipart/form-data; boundary=x", b"--x--"), Json(415)),
        case("json-seq body", post("/api/users", "application/json-seq", b"{}"), Json(415)),
        case("10 MiB body", json_post(&ten_mib), ProtocolError(&[413])),
        case("10 MiB chunked body", chunked, ProtocolError(&[413])),
        case("garbage request line", b"GARBAGE\r\n\r\n".to_vec(), ProtocolError(&[400])),
        case("method only", b"GET\r\n\r\n".to_vec(), ProtocolError(&[400])),
        case("binary noise", vec![0, 1, 2, 3, 255, 254, 13, 10, 13, 10], ProtocolError(&[400])),
        case("HTTP/9.9", b"GET / HTTP/9.9\r\nhost: t\r\n\r\n".to_vec(), ProtocolError(&[400, 404, 505])),
        case("HTTP/2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec(), ProtocolError(&[400, 404, 405])),
        case("TLS client hello", vec![0x16, 3, 1, 0, 0x2e, 1, 0, 0, 0x2a, 3, 3, 0, 0, 0, 0], ProtocolError(&[400])),
        case("1 MiB header", big_header.into_bytes(), ProtocolError(&[431, 400])),
        case("200 headers", format!("GET /api/hello HTTP/1.1\r\nhost: t\r\n{many_headers}\r\n").into_bytes(), ProtocolError(&[431, 400])),
        case("non-numeric content-length", b"POST /api/users HTTP/1.1\r\nhost: t\r\ncontent-length: abc\r\n\r\n".to_vec(), ProtocolError(&[400])),
        case("conflicting content-lengths", b"POST /api/users HTTP/1.1\r\nhost: t\r\ncontent-length: 5\r\ncontent-length: 6\r\n\r\n{}".to_vec(), ProtocolError(&[400])),
        case("huge content-length", b"POST /api/users HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\ncontent-length: 99999999999999999999\r\n\r\n".to_vec(), ProtocolError(&[400, 413])),
        case("bad chunk size", b"POST /api/users HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n".to_vec(), ProtocolError(&[400])),
    ]
}

/// Sends `case` on a fresh connection; `Some(status, body)` if answered, `None` if the
/// connection ended without an answer.
fn attempt(addr: SocketAddr, case: &Case) -> Option<(u16, Vec<u8>)> {
    let mut connection = HttpConnection::open(addr);
    let _ = connection.try_send_raw(&case.bytes);
    connection.try_read_response(false).ok().map(|response| (response.status, response.body))
}

fn check(case: &Case, outcome: Option<(u16, Vec<u8>)>) {
    match (case.expect, outcome) {
        (Expect::Json(status), Some((got, body))) => {
            assert_eq!(got, status, "{}: {}", case.name, String::from_utf8_lossy(&body));
            let json: Value =
                serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{}: not JSON: {e}", case.name));
            assert!(json["error"]["code"].is_string(), "{}: {json}", case.name);
        }
        (Expect::Json(_), None) => panic!("{}: no answer", case.name),
        (Expect::ProtocolError(allowed), Some((got, _))) => {
            assert!(allowed.contains(&got), "{}: answered {got}, expected one of {allowed:?}", case.name)
        }
        (Expect::ProtocolError(_), None) => {}
        (Expect::NoCrash, Some((got, _))) => assert!(got < 500, "{}: answered {got}", case.name),
        (Expect::NoCrash, None) => {}
    }
}

#[test]
fn burst_of_malformed_requests_leaves_service_answering_and_data_intact() {
    let mut app = TestApp::spawn();
    let mut connection = app.connect();
    let stored: Vec<Value> = (0..20)
        .map(|n| {
            let response =
                create_user(&mut connection, &format!("Kept {n} ✓ \"quoted\""), &unique_email("kept"));
            assert_eq!(response.status, 201);
            response.json()
        })
        .collect();

    let cases = cases();
    let addr = app.addr;
    for round in 0..3 {
        thread::scope(|scope| {
            for case in &cases {
                scope.spawn(move || check(case, attempt(addr, case)));
            }
            // Clients that vanish mid-request.
            for _ in 0..10 {
                scope.spawn(move || {
                    let mut half = HttpConnection::open(addr);
                    let _ = half.try_send_raw(b"POST /api/users HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"na");
                });
                scope.spawn(move || {
                    let mut gone = HttpConnection::open(addr);
                    let _ = gone.try_send_raw(b"GET /api/users HTTP/1.1\r\nhost: t\r\n\r\n");
                });
            }
        });
        assert!(app.is_running(), "the service died in round {round}");
        assert_eq!(app.get("/api/health").status, 200, "after round {round}");
    }

    // Every user stored before the burst is exactly as it was.
    let mut connection = app.connect();
    for user in &stored {
        let response = connection.request("GET", &format!("/api/users/{}", id_of(user)), &[], b"");
        assert_eq!(response.status, 200);
        assert_eq!(&response.json(), user);
    }
    // And the service still writes.
    assert_eq!(create_user(&mut connection, "After", &unique_email("after")).status, 201);
    thread::sleep(Duration::from_millis(100));
    assert!(!app.logs().iter().any(|line| line.contains("panicked")), "{:?}", app.logs());
}

#[test]
fn oversized_head_gets_431_and_garbage_gets_400() {
    let app = TestApp::spawn();
    let big_header =
        format!("GET /api/hello HTTP/1.1\r\nhost: t\r\nx-big: {}\r\n\r\n", "h".repeat(1024 * 1024));
    let mut connection = app.connect();
    let _ = connection.try_send_raw(big_header.as_bytes());
    assert_eq!(connection.try_read_response(false).map(|r| r.status), Ok(431));
    let mut connection = app.connect();
    connection.send_raw(b"GARBAGE\r\n\r\n");
    assert_eq!(connection.try_read_response(false).map(|r| r.status), Ok(400));
    assert_eq!(app.get("/api/hello").status, 200);
}

#[test]
fn chunked_body_over_the_limit_is_cut_off_with_413() {
    let app = TestApp::spawn_with(&[("MAX_BODY_BYTES", "1000")]);
    let mut connection = app.connect();
    connection.send_raw(b"POST /api/users HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n");
    // 2,000 bytes in 100-byte chunks, then stop sending (never finish the body).
    for _ in 0..20 {
        let _ = connection.try_send_raw(b"64\r\n");
        let _ = connection.try_send_raw(&[b' '; 100]);
        let _ = connection.try_send_raw(b"\r\n");
    }
    let response = connection.read_response(false);
    assert_eq!(response.status, 413, "{}", response.text());
    assert_eq!(response.header("connection"), Some("close"));
}
