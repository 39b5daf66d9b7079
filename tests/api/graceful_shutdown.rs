//! Graceful shutdown: on SIGTERM (or SIGINT) new connections are refused at once,
//! requests in flight finish, idle keep-alive connections are closed cleanly and the
//! process exits 0; whatever still runs when `--shutdown-timeout` passes is cut with
//! exit status 124, and a second signal cuts at once.
//!
//! This is edge-host's behaviour (`wasmedge` delivers no signals to a module), so these
//! tests run the module under edge-host whatever `EDGE_RUNTIME` says.
//!
//! A request is known to be in flight when the service has answered its
//! `expect: 100-continue` (hyper sends `100 Continue` when the handler starts reading
//! the body), so no test depends on timing to place the signal.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use edge_service_test_support::{unique_email, TestApp};

/// A generous bound for a drain or a cut that should take milliseconds.
const EXIT_LIMIT: Duration = Duration::from_secs(20);
/// What edge-host prints when it receives the first signal.
const SIGNAL_SEEN: &str = "refusing new connections";
/// What the service logs once it has stopped accepting and starts draining.
const DRAINING: &str = "stopped accepting connections; draining";

/// A client connection with generous timeouts, for raw HTTP.
fn connect(app: &TestApp) -> TcpStream {
    let stream = TcpStream::connect(app.addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(30))).expect("read timeout");
    stream.set_nodelay(true).expect("nodelay");
    stream
}

/// Reads until `needle` has arrived or the server closes; returns what was read.
fn read_until(stream: &mut TcpStream, needle: &str) -> String {
    let mut seen = Vec::new();
    let mut chunk = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains(needle) {
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => seen.extend_from_slice(&chunk[..n]),
            Err(error) => panic!("read failed after {:?}: {error}", String::from_utf8_lossy(&seen)),
        }
    }
    String::from_utf8_lossy(&seen).into_owned()
}

/// Starts `POST /api/users` with `body` announced in full and waits for `100 Continue`:
/// from then on the request is in flight. Nothing of the body is sent yet.
fn start_upload(app: &TestApp, body_len: usize) -> TcpStream {
    let mut stream = connect(app);
    let head = format!(
        "POST /api/users HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\n\
         content-length: {body_len}\r\nexpect: 100-continue\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).expect("send head");
    let interim = read_until(&mut stream, "\r\n\r\n");
    assert!(interim.starts_with("HTTP/1.1 100"), "expected 100 Continue, got {interim:?}");
    stream
}

/// Sends SIGTERM and waits until edge-host says it acted on it.
fn terminate(app: &mut TestApp) {
    app.signal("TERM");
    assert!(app.wait_for_log(SIGNAL_SEEN, EXIT_LIMIT).is_some(), "edge-host did not report the SIGTERM");
}

fn user_body(tag: &str) -> (String, String) {
    let email = unique_email(tag);
    (format!(r#"{{"name":"Slow Upload","email":"{email}"}}"#), email)
}

#[test]
fn a_slow_upload_in_flight_at_sigterm_completes_with_201_and_the_process_exits_0() {
    let mut app = TestApp::spawn_on_edge_host(&[], &[]);
    let (body, email) = user_body("drain");
    let mut upload = start_upload(&app, body.len());
    upload.write_all(&body.as_bytes()[..10]).expect("first piece");
    terminate(&mut app);
    assert!(app.wait_for_log(DRAINING, EXIT_LIMIT).is_some(), "the service did not start draining");
    for piece in body.as_bytes()[10..].chunks(12) {
        upload.write_all(piece).expect("next piece");
        upload.flush().expect("flush");
    }
    let response = read_until(&mut upload, &email);
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    assert!(response.contains("location: /api/users/"), "{response}");
    assert!(response.contains("connection: close"), "the client is told the connection ends: {response}");
    let mut rest = Vec::new();
    upload.read_to_end(&mut rest).expect("the connection ends with a clean close");
    let status = app.wait_exit(EXIT_LIMIT).expect("the process exits after the drain");
    assert_eq!(status.code(), Some(0), "a completed drain exits 0; log: {:?}", app.logs());
    assert!(app.logs().iter().any(|line| line.contains("drained")), "{:?}", app.logs());
}

#[test]
fn after_sigterm_new_connections_are_refused_while_requests_finish() {
    let mut app = TestApp::spawn_on_edge_host(&[], &[]);
    let (body, email) = user_body("refused");
    let mut upload = start_upload(&app, body.len());
    terminate(&mut app);
    match TcpStream::connect(app.addr) {
        Err(error) => assert_eq!(error.kind(), ErrorKind::ConnectionRefused, "{error}"),
        Ok(_) => panic!("a new connection was accepted after SIGTERM"),
    }
    assert!(app.is_running(), "the upload in flight keeps the process running");
    upload.write_all(body.as_bytes()).expect("body");
    let response = read_until(&mut upload, &email);
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    assert_eq!(app.wait_exit(EXIT_LIMIT).and_then(|s| s.code()), Some(0));
}

#[test]
fn an_idle_keep_alive_connection_sees_a_clean_close_at_sigterm() {
    let mut app = TestApp::spawn_on_edge_host(&[], &[]);
    let mut idle = connect(&app);
    idle.write_all(b"GET /api/hello HTTP/1.1\r\nhost: test\r\n\r\n").expect("request");
    let response = read_until(&mut idle, "Hello from Wasm!");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let signalled = Instant::now();
    app.signal("TERM");
    let mut chunk = [0u8; 64];
    match idle.read(&mut chunk) {
        Ok(0) => {}
        Ok(n) => panic!("unexpected bytes: {:?}", String::from_utf8_lossy(&chunk[..n])),
        Err(error) => panic!("expected EOF (FIN), got {error} (a reset is not a clean close)"),
    }
    let status = app.wait_exit(EXIT_LIMIT).expect("the process exits after the drain");
    eprintln!("idle server: SIGTERM to exit in {:?}", signalled.elapsed());
    assert_eq!(status.code(), Some(0));
}

#[test]
fn sigint_drains_like_sigterm() {
    let mut app = TestApp::spawn_on_edge_host(&[], &[]);
    assert_eq!(app.get("/api/health").status, 200);
    app.signal("INT");
    assert_eq!(app.wait_exit(EXIT_LIMIT).and_then(|s| s.code()), Some(0));
    assert!(app.logs().iter().any(|line| line.contains("SIGINT")), "{:?}", app.logs());
}

#[test]
fn a_request_that_never_ends_is_cut_at_the_shutdown_timeout_with_status_124() {
    let mut app = TestApp::spawn_on_edge_host(&["--shutdown-timeout", "1"], &[]);
    let (body, _) = user_body("never");
    let mut stuck = start_upload(&app, body.len());
    stuck.write_all(&body.as_bytes()[..5]).expect("a piece, never the rest");
    let signalled = Instant::now();
    terminate(&mut app);
    let status = app.wait_exit(EXIT_LIMIT).expect("cut at the deadline");
    assert!(signalled.elapsed() >= Duration::from_secs(1), "cut before the deadline");
    assert_eq!(status.code(), Some(124), "the exit status says the drain was cut");
    let line = app.wait_for_log("--shutdown-timeout 1 s passed", EXIT_LIMIT);
    assert!(line.is_some_and(|l| l.starts_with("edge-host: ")), "{:?}", app.logs());
}

#[test]
fn a_second_sigterm_cuts_at_once() {
    // The default deadline (25 s) is far beyond the bound below.
    let mut app = TestApp::spawn_on_edge_host(&[], &[]);
    let (body, _) = user_body("second");
    let _stuck = start_upload(&app, body.len());
    terminate(&mut app);
    assert!(app.is_running(), "the request in flight keeps it draining");
    app.signal("TERM");
    let status = app.wait_exit(Duration::from_secs(10)).expect("a second SIGTERM ends it at once");
    assert_eq!(status.code(), Some(128 + 15), "128 + SIGTERM, as a shell reports it");
    assert!(app.wait_for_log("second SIGTERM", EXIT_LIMIT).is_some(), "{:?}", app.logs());
}
