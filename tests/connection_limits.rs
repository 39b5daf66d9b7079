//! End-to-end: the connection-level limits a public service needs: idle keep-alive
//! connections are closed, a request head or body that trickles in is cut off, and at
//! most `MAX_CONNECTIONS` connections are served at once (the rest wait, they are not
//! refused).

mod common;

use std::time::{Duration, Instant};

use common::{assert_error, TestApp};

#[test]
fn idle_keep_alive_connection_is_closed_after_idle_timeout() {
    let app = TestApp::spawn_with(&[("IDLE_TIMEOUT_SECS", "1")]);
    let mut used = app.connect();
    assert_eq!(used.request("GET", "/api/hello", &[], b"").status, 200);
    let mut silent = app.connect();
    let started = Instant::now();
    assert!(used.is_closed_by_server(Duration::from_secs(10)), "an idle keep-alive connection stays open");
    assert!(silent.is_closed_by_server(Duration::from_secs(10)), "a connection that never sends stays open");
    assert!(started.elapsed() >= Duration::from_millis(500), "closed too early: {:?}", started.elapsed());
}

#[test]
fn busy_connection_is_not_idle() {
    let app = TestApp::spawn_with(&[("IDLE_TIMEOUT_SECS", "1")]);
    let mut connection = app.connect();
    // Requests every 300 ms for 3 s keep one connection alive past the idle timeout.
    for _ in 0..10 {
        assert_eq!(connection.request("GET", "/api/health", &[], b"").status, 200);
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
fn trickling_request_head_is_cut_off_after_read_timeout() {
    let app = TestApp::spawn_with(&[("READ_TIMEOUT_SECS", "1"), ("IDLE_TIMEOUT_SECS", "60")]);
    let mut connection = app.connect();
    connection.send_raw(b"GET /api/hello HTTP/1.1\r\nhost: t\r\n");
    let started = Instant::now();
    let mut closed = false;
    while started.elapsed() < Duration::from_secs(8) {
        if connection.try_send_raw(b"x-slow: 1\r\n").is_err()
            || connection.is_closed_by_server(Duration::from_millis(200))
        {
            closed = true;
            break;
        }
    }
    assert!(closed, "a head still incomplete after 8 s was not cut off");
}

#[test]
fn stalled_request_body_gets_400_after_read_timeout() {
    let app = TestApp::spawn_with(&[("READ_TIMEOUT_SECS", "1")]);
    let mut connection = app.connect();
    connection.send_raw(b"POST /api/users HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"name\"");
    let response = connection.read_response(false);
    let message = assert_error(&response, 400, "bad_request");
    assert!(message.contains("did not arrive"), "{message}");
    assert_eq!(response.header("connection"), Some("close"));
}

#[test]
fn connections_over_max_connections_wait_for_a_free_slot() {
    let app = TestApp::spawn_with(&[("MAX_CONNECTIONS", "2")]);
    let mut first = app.connect();
    let mut second = app.connect();
    assert_eq!(first.request("GET", "/api/hello", &[], b"").status, 200);
    assert_eq!(second.request("GET", "/api/hello", &[], b"").status, 200);
    let mut third = app.connect();
    third.send_raw(b"GET /api/health HTTP/1.1\r\nhost: t\r\n\r\n");
    assert!(!third.is_closed_by_server(Duration::from_millis(500)), "the third connection is refused");
    assert_eq!(third.buffered_len(), 0, "the third connection was served while two were open");
    drop(first);
    let response = third.read_response(false);
    assert_eq!(response.status, 200, "the waiting connection is served once a slot frees up");
    drop(second);
}
