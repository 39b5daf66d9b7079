//! End-to-end: the walking skeleton's contract, on the real module under the runner.

use std::thread;

use edge_service_test_support::{assert_error, assert_json, run_to_exit, TestApp};

#[test]
fn hello_returns_the_greeting_as_json() {
    let app = TestApp::spawn();
    assert_eq!(assert_json(&app.get("/api/hello"), 200), serde_json::json!({"message": "Hello from Wasm!"}));
}

#[test]
fn health_returns_ok() {
    let app = TestApp::spawn();
    assert_eq!(assert_json(&app.get("/api/health"), 200), serde_json::json!({"status": "ok"}));
}

#[test]
fn unknown_path_returns_json_404() {
    let app = TestApp::spawn();
    assert_error(&app.get("/nope"), 404, "not_found");
}

#[test]
fn two_requests_share_one_keep_alive_connection() {
    let app = TestApp::spawn();
    let mut connection = app.connect();
    let first = connection.request("GET", "/api/hello", &[], b"");
    let second = connection.request("GET", "/api/health", &[], b"");
    assert_eq!((first.status, second.status), (200, 200));
    assert_eq!(second.json(), serde_json::json!({"status": "ok"}));
    assert!(!connection.is_closed_by_server(std::time::Duration::from_millis(100)));
}

#[test]
fn two_hundred_concurrent_connections_are_each_served() {
    let app = TestApp::spawn();
    let addr = app.addr;
    // Open all connections first so they are really concurrent, then use them.
    let connections: Vec<_> =
        (0..200).map(|_| edge_service_test_support::HttpConnection::open(addr)).collect();
    let handles: Vec<_> = connections
        .into_iter()
        .enumerate()
        .map(|(i, mut connection)| {
            thread::spawn(move || {
                let path = if i % 2 == 0 { "/api/hello" } else { "/api/health" };
                let response = connection.request("GET", path, &[], b"");
                (i, response.status, response.json())
            })
        })
        .collect();
    for handle in handles {
        let (i, status, body) = handle.join().expect("client thread");
        assert_eq!(status, 200, "connection {i}");
        let expected = if i % 2 == 0 {
            serde_json::json!({"message": "Hello from Wasm!"})
        } else {
            serde_json::json!({"status": "ok"})
        };
        assert_eq!(body, expected, "connection {i}");
    }
}

#[test]
fn non_numeric_port_exits_2_naming_variable_and_value() {
    let (status, stderr) = run_to_exit(&[("PORT", "abc")]);
    assert_eq!(status.code(), Some(2), "stderr: {stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "exactly one line expected, got: {stderr}");
    assert!(lines[0].contains("PORT") && lines[0].contains("abc") && lines[0].contains("65535"), "{stderr}");
}

#[test]
fn out_of_range_port_exits_2() {
    let (status, stderr) = run_to_exit(&[("PORT", "70000")]);
    assert_eq!(status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains("70000"), "{stderr}");
}

#[test]
fn port_in_use_is_a_one_line_error_naming_the_address() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a port");
    let port = taken.local_addr().expect("local addr").port().to_string();
    let (status, stderr) = run_to_exit(&[("HOST", "127.0.0.1"), ("PORT", &port)]);
    assert_eq!(status.code(), Some(1), "stderr: {stderr}");
    let address = format!("127.0.0.1:{port}");
    let error_lines: Vec<&str> = stderr.lines().filter(|l| l.contains(&address)).collect();
    assert_eq!(error_lines.len(), 1, "{stderr}");
    assert!(error_lines[0].to_lowercase().contains("in use"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
