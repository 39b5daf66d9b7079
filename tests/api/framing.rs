//! End-to-end: HTTP/1.1 framing held to RFC 9112 over raw sockets. Every ambiguous
//! message (RFC 9112 §6.3, the classic CL.TE, TE.CL and TE.TE desync variants, a
//! missing or repeated Host) is refused with `400`, nothing sent after it on the same
//! connection is answered or reaches a handler, and the server closes the connection.
//!
//! What follows each ambiguous message is a smuggled `POST /api/users` with an id of
//! the test's choosing: had any framing let it through, that user would exist.

use std::time::Duration;

use edge_service_test_support::users::{random_id_base, raw_create_request};
use edge_service_test_support::{HttpConnection, TestApp};

/// A GET of `/api/hello` that must never be answered on the same connection.
const PIPELINED_GET: &[u8] = b"GET /api/hello HTTP/1.1\r\nhost: t\r\n\r\n";

struct Case {
    name: &'static str,
    /// The head and body of the ambiguous message (a smuggled request is appended).
    message: String,
}

fn case(name: &'static str, message: &str) -> Case {
    Case { name, message: message.to_owned() }
}

fn cases() -> Vec<Case> {
    const JSON: &str = "content-type: application/json\r\n";
    let post = |headers: &str, body: &str| {
        format!("POST /api/users HTTP/1.1\r\nhost: t\r\n{JSON}{headers}\r\n{body}")
    };
    let mut cases = vec![
        // §6.3 (3): Content-Length and Transfer-Encoding together.
        case(
            "CL.TE (the classic)",
            &post("content-length: 4\r\ntransfer-encoding: chunked\r\n", "0\r\n\r\n"),
        ),
        case(
            "TE.CL",
            &post("transfer-encoding: chunked\r\ncontent-length: 3\r\n", "8\r\nSMUGGLED\r\n0\r\n\r\n"),
        ),
        case("CL.TE, zero length", &post("content-length: 0\r\ntransfer-encoding: chunked\r\n", "0\r\n\r\n")),
        case("CL.TE, upper case", &post("Content-Length: 5\r\nTRANSFER-ENCODING: CHUNKED\r\n", "0\r\n\r\n")),
        case(
            "CL.TE, tab before the value",
            &post("content-length: 5\r\ntransfer-encoding:\tchunked\r\n", "0\r\n\r\n"),
        ),
        // TE.TE: a Transfer-Encoding one side may not recognise.
        case(
            "TE.TE, second line not chunked",
            &post("transfer-encoding: chunked\r\ntransfer-encoding: x\r\n", "0\r\n\r\n"),
        ),
        case(
            "TE.TE, chunked twice over two lines",
            &post("transfer-encoding: chunked\r\ntransfer-encoding: chunked\r\n", "0\r\n\r\n"),
        ),
        case(
            "TE.TE, chunked twice in one line",
            &post("transfer-encoding: chunked, chunked\r\n", "0\r\n\r\n"),
        ),
        case("TE.TE, xchunked", &post("transfer-encoding: xchunked\r\n", "0\r\n\r\n")),
        case("TE.TE, identity first", &post("transfer-encoding: identity, chunked\r\n", "0\r\n\r\n")),
        case("TE.TE, gzip first", &post("transfer-encoding: gzip, chunked\r\n", "0\r\n\r\n")),
        case("TE.TE, chunked then identity", &post("transfer-encoding: chunked, identity\r\n", "0\r\n\r\n")),
        case("TE.TE, space before the colon", &post("transfer-encoding : chunked\r\n", "0\r\n\r\n")),
        case("TE.TE, obs-fold", &post("transfer-encoding:\r\n chunked\r\n", "0\r\n\r\n")),
        case("TE.TE, empty value", &post("transfer-encoding: \r\n", "0\r\n\r\n")),
        // Content-Length a proxy may read differently.
        case("two different lengths", &post("content-length: 4\r\ncontent-length: 5\r\n", "0\r\n\r\n")),
        case("a list of lengths", &post("content-length: 4, 5\r\n", "0\r\n\r\n")),
        case("a signed length", &post("content-length: +5\r\n", "0\r\n\r\n")),
        // Transfer-Encoding in HTTP/1.0 (§6.1: a 1.0 recipient cannot trust it).
        case(
            "HTTP/1.0 with Transfer-Encoding",
            &format!(
                "POST /api/users HTTP/1.0\r\nhost: t\r\n{JSON}transfer-encoding: chunked\r\n\r\n0\r\n\r\n"
            ),
        ),
        // §3.2: exactly one Host.
        case("HTTP/1.1 without Host", "GET /api/hello HTTP/1.1\r\n\r\n"),
        case("two Host headers", "GET /api/hello HTTP/1.1\r\nhost: a\r\nhost: b\r\n\r\n"),
        case("two equal Host headers", "GET /api/hello HTTP/1.1\r\nhost: t\r\nhost: t\r\n\r\n"),
    ];
    // §6.3 (3) for every method and for a path without a route, before any handler.
    for (name, start) in [
        ("CL.TE on GET", "GET /api/hello"),
        ("CL.TE on HEAD", "HEAD /api/hello"),
        ("CL.TE on PUT", "PUT /api/users/1"),
        ("CL.TE on DELETE", "DELETE /api/users/1"),
        ("CL.TE on OPTIONS", "OPTIONS /api/users"),
        ("CL.TE on PATCH", "PATCH /api/users/1"),
        ("CL.TE on an unknown path", "POST /no/such/route"),
    ] {
        cases.push(case(
            name,
            &format!("{start} HTTP/1.1\r\nhost: t\r\n{JSON}content-length: 4\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n"),
        ));
    }
    cases
}

/// Sends `message`, a smuggled request and a pipelined GET in one write; expects one
/// `400`, then the end of the connection with nothing more.
fn assert_refused_and_closed(app: &TestApp, case: &Case, id: u64) {
    let mut connection = app.connect();
    let bytes = [case.message.as_bytes(), raw_create_request(id).as_bytes(), PIPELINED_GET].concat();
    // The server may close before reading everything; what matters is what it answers.
    let _ = connection.try_send_raw(&bytes);
    let head_only = case.message.starts_with("HEAD ");
    let response =
        connection.try_read_response(head_only).unwrap_or_else(|e| panic!("{}: no response: {e}", case.name));
    assert_eq!(response.status, 400, "{}: {}", case.name, response.text());
    if let Some(connection_header) = response.header("connection") {
        assert_eq!(connection_header, "close", "{}", case.name);
    }
    assert!(
        connection.is_closed_by_server(Duration::from_secs(20)),
        "{}: the connection stayed open",
        case.name
    );
    assert_eq!(
        connection.buffered_len(),
        0,
        "{}: something after the refused message was answered",
        case.name
    );
}

#[test]
fn every_ambiguous_message_is_refused_and_its_connection_closed() {
    let app = TestApp::spawn();
    let cases = cases();
    let first_id = random_id_base();
    for (i, case) in cases.iter().enumerate() {
        assert_refused_and_closed(&app, case, first_id + i as u64);
    }
    // Nothing smuggled reached a handler, and the service still serves.
    let mut connection = app.connect();
    for (i, case) in cases.iter().enumerate() {
        let response = connection.request("GET", &format!("/api/users/{}", first_id + i as u64), &[], b"");
        assert_eq!(response.status, 404, "{}: the smuggled request created its user", case.name);
    }
    assert_eq!(connection.request("GET", "/api/hello", &[], b"").status, 200);
}

#[test]
fn refusals_made_by_the_service_say_why_in_json() {
    let app = TestApp::spawn();
    let mut connection = app.connect();
    connection.send_raw(
        b"POST /api/users HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\ncontent-length: 4\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n",
    );
    let response = connection.read_response(false);
    assert_eq!(response.status, 400);
    assert_eq!(response.header("connection"), Some("close"));
    assert_eq!(response.json()["error"]["code"], "bad_request");
    let message = response.json()["error"]["message"].as_str().map(str::to_owned).unwrap_or_default();
    assert!(message.contains("content-length") && message.contains("transfer-encoding"), "{message}");
    assert!(response.header("x-request-id").is_some());

    let mut connection = app.connect();
    connection.send_raw(b"GET /api/hello HTTP/1.1\r\n\r\n");
    let response = connection.read_response(false);
    assert_eq!(response.status, 400);
    assert!(response.json()["error"]["message"].as_str().unwrap_or_default().contains("host"));
}

#[test]
fn unambiguous_framing_still_works_and_keeps_the_connection() {
    let app = TestApp::spawn();
    let mut connection: HttpConnection = app.connect();
    // A chunked body with the coding in any case, then a keep-alive GET.
    connection.send_raw(
        b"POST /api/users HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\ntransfer-encoding: Chunked\r\n\r\n\
          30\r\n{\"name\":\"Chunked\",\"email\":\"chunked@example.org\"}\r\n0\r\n\r\n",
    );
    let created = connection.read_response(false);
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(connection.request("GET", "/api/hello", &[], b"").status, 200);
    // HTTP/1.0 needs no Host.
    let mut old = app.connect();
    old.send_raw(b"GET /api/hello HTTP/1.0\r\n\r\n");
    assert_eq!(old.read_response(false).status, 200);
}
