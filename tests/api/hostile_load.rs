//! End-to-end: clients that are slow, broken or hostile cannot lock a normal client
//! out. A flood of connections that send nothing is shed at `MAX_CONNECTIONS`; a
//! connection that sends nothing is closed after `FIRST_BYTE_TIMEOUT_SECS`; a naive
//! client that writes a whole oversized request before reading gets its error response
//! (lingering close) instead of a broken pipe; and the attack tool of `bench/attack`,
//! run at a small scale, leaves the normal client served, the process up and the
//! stored data intact. Nothing here asserts a timing.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use edge_service_test_support::{assert_error, TestApp};

/// The value of the series `name` (with its labels) in a scrape, 0 when absent.
fn metric(app: &TestApp, series: &str) -> f64 {
    let text = app.get("/metrics").text();
    text.lines()
        .find(|line| line.starts_with(series) && line.as_bytes().get(series.len()) == Some(&b' '))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
        .unwrap_or(0.0)
}

#[test]
fn a_flood_of_silent_connections_at_the_limit_does_not_lock_out_a_normal_client() {
    let app = TestApp::spawn_with(&[("MAX_CONNECTIONS", "8"), ("FIRST_BYTE_TIMEOUT_SECS", "60")]);
    let flood: Vec<TcpStream> = (0..40).map(|_| TcpStream::connect(app.addr).expect("connect")).collect();
    for _ in 0..3 {
        assert_eq!(app.get("/api/health").status, 200, "the normal client is locked out");
    }
    assert!(metric(&app, r#"edge_service_http_connections_shed_total{reason="silent"}"#) >= 1.0);
    drop(flood);
}

#[test]
fn a_connection_that_sends_nothing_is_closed_after_the_first_byte_timeout() {
    let app = TestApp::spawn_with(&[("FIRST_BYTE_TIMEOUT_SECS", "1"), ("IDLE_TIMEOUT_SECS", "600")]);
    let mut silent = app.connect();
    assert!(silent.is_closed_by_server(Duration::from_secs(20)), "a silent connection stays open");
    assert!(metric(&app, r#"edge_service_http_connections_timed_out_total{reason="first_byte"}"#) >= 1.0);
}

/// Sends `head` and then `body` in full before reading anything, as Python's
/// `http.client` does, and returns the response.
fn send_everything_then_read(
    app: &TestApp,
    head: &str,
    body: &[u8],
) -> edge_service_test_support::HttpResponse {
    let mut connection = app.connect();
    connection.send_raw(head.as_bytes());
    connection
        .try_send_raw(body)
        .unwrap_or_else(|error| panic!("the server broke the connection while the client wrote: {error}"));
    connection.try_read_response(false).unwrap_or_else(|error| panic!("no response: {error}"))
}

#[test]
fn a_naive_client_writing_an_oversized_body_before_reading_gets_the_413() {
    let app = TestApp::spawn_with(&[("MAX_BODY_BYTES", "1024")]);
    let body = vec![b' '; 4 * 1024 * 1024];
    let head = format!(
        "POST /api/users HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    let response = send_everything_then_read(&app, &head, &body);
    assert_error(&response, 413, "payload_too_large");
}

#[test]
fn a_naive_client_writing_a_huge_head_gets_the_431() {
    let app = TestApp::spawn();
    let mut head = String::from("GET /api/health HTTP/1.1\r\nhost: t\r\n");
    while head.len() < 1024 * 1024 {
        head.push_str(
            "x-filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n",
        );
    }
    head.push_str("\r\n");
    let response = send_everything_then_read(&app, &head, b"");
    assert_eq!(response.status, 431, "{}", response.text());
}

/// `bench/attack/attack.py`, run at a small scale against `app`; returns its JSON.
fn run_attack_tool(app: &TestApp) -> serde_json::Value {
    let tool = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("bench/attack/attack.py");
    let report =
        std::env::temp_dir().join(format!("edge-attack-{}-{}.json", std::process::id(), app.addr.port()));
    let output = Command::new("python3")
        .arg(&tool)
        .args(["--url", &app.base_url(), "--scale", "small"])
        .args(["--seconds", "3", "--interval", "0.5", "--users", "10", "--label", "test"])
        // Slow bodies within MAX_BODY_BYTES (below), so they compete for the body budget.
        .args(["--slowbody-bytes", "32768"])
        .arg("--json")
        .arg(&report)
        .output()
        .unwrap_or_else(|error| {
            panic!("cannot run python3 {} (scripts/setup.sh installs python3): {error}", tool.display())
        });
    assert!(
        output.status.success(),
        "the attack tool failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(&report).expect("the attack tool wrote its report");
    let _ = std::fs::remove_file(&report);
    serde_json::from_str(&text).expect("the report is JSON")
}

#[test]
fn small_scale_attacks_leave_the_normal_client_served_the_process_up_and_data_intact() {
    // LOG_LEVEL=warn: the attacks make tens of thousands of connections.
    let mut app = TestApp::spawn_quiet(&[
        ("MAX_CONNECTIONS", "32"),
        ("FIRST_BYTE_TIMEOUT_SECS", "2"),
        ("READ_TIMEOUT_SECS", "3"),
        ("MAX_BODY_BYTES", "65536"),
        ("MAX_BUFFERED_BODY_BYTES", "262144"),
        ("LOG_LEVEL", "warn"),
    ]);
    let report = run_attack_tool(&app);
    assert!(app.is_running(), "the service died under the attacks");
    let results = report["results"].as_array().expect("results");
    let phases: Vec<&str> = results.iter().filter_map(|r| r["phase"].as_str()).collect();
    assert_eq!(phases, ["baseline", "idle", "slowloris", "slowbody", "upload"], "{report:#}");
    for result in results {
        let phase = &result["phase"];
        let normal = &result["normal"];
        let (ok, requests) = (normal["ok"].as_u64().unwrap_or(0), normal["requests"].as_u64().unwrap_or(0));
        assert!(
            requests > 0 && ok * 100 >= requests * 95,
            "{phase}: the normal client was not served: {normal}"
        );
        assert_eq!(result["missing_users"], serde_json::json!([]), "{phase}: stored users were lost");
    }
    let uploads = &results[4]["attacker_counters"];
    assert!(uploads["answers"]["413"].as_u64().unwrap_or(0) > 0, "no naive upload saw its 413: {uploads}");
    assert!(app.is_running());
    // Right after the attacks, the service still answers on a fresh connection.
    let mut stream = TcpStream::connect(app.addr).expect("connect");
    stream.write_all(b"GET /api/health HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n").expect("write");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}
