//! End-to-end: request ids, the per-request log line (text and JSON), log levels,
//! Prometheus metrics labelled by route template, and CORS.

use std::time::Duration;

use edge_service_test_support::{create_user, id_of, unique_email, TestApp};
use serde_json::Value;

#[test]
fn a_sane_client_request_id_is_echoed() {
    let app = TestApp::spawn();
    let response = app.request("GET", "/api/hello", &[("x-request-id", "trace-42.abc_DEF")], b"");
    assert_eq!(response.header("x-request-id"), Some("trace-42.abc_DEF"));
}

#[test]
fn missing_or_insane_request_ids_are_replaced_by_generated_ones() {
    let app = TestApp::spawn();
    let too_long = "x".repeat(129);
    let mut seen = std::collections::HashSet::new();
    for headers in [vec![], vec![("x-request-id", "has space")], vec![("x-request-id", too_long.as_str())]] {
        let response = app.request("GET", "/api/nope", &headers, b"");
        let id = response.header("x-request-id").expect("x-request-id").to_owned();
        assert_eq!(id.len(), 16, "{id}");
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
        assert!(seen.insert(id), "ids repeat");
    }
}

#[test]
fn each_request_logs_one_json_line_with_id_method_path_status_and_duration() {
    let mut app = TestApp::spawn_with(&[("LOG_FORMAT", "json")]);
    let response =
        app.request("GET", "/api/users/9000000000000000001?", &[("x-request-id", "json-line-1")], b"");
    assert_eq!(response.status, 404);
    let line =
        app.wait_for_log("json-line-1", Duration::from_secs(10)).expect("a log line with the request id");
    let entry: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    assert!(entry["timestamp"].is_string(), "{entry}");
    assert_eq!(entry["level"], "INFO", "{entry}");
    assert_eq!(entry["request_id"], "json-line-1", "{entry}");
    assert_eq!(entry["method"], "GET", "{entry}");
    assert_eq!(entry["path"], "/api/users/9000000000000000001", "{entry}");
    assert_eq!(entry["route"], "/api/users/{id}", "{entry}");
    assert_eq!(entry["status"], 404, "{entry}");
    assert!(entry["duration_us"].is_u64(), "{entry}");
}

#[test]
fn text_log_lines_carry_the_same_fields() {
    let mut app = TestApp::spawn_with(&[("LOG_FORMAT", "text")]);
    app.request("DELETE", "/api/users/1", &[("x-request-id", "text-line-1")], b"");
    let line = app.wait_for_log("text-line-1", Duration::from_secs(10)).expect("a log line");
    for field in [
        "request_id=\"text-line-1\"",
        "method=\"DELETE\"",
        "path=\"/api/users/1\"",
        "status=",
        "duration_us=",
    ] {
        assert!(line.contains(field), "{field} missing in {line}");
    }
}

#[test]
fn log_level_warn_drops_request_lines() {
    let mut app = TestApp::spawn_quiet(&[("LOG_LEVEL", "warn")]);
    assert_eq!(app.request("GET", "/api/hello", &[("x-request-id", "quiet-1")], b"").status, 200);
    assert!(app.wait_for_log("quiet-1", Duration::from_millis(500)).is_none(), "{:?}", app.logs());
    assert!(app.logs().is_empty(), "nothing at info level: {:?}", app.logs());
}

#[test]
fn metrics_count_requests_by_route_template_method_and_status() {
    let app = TestApp::spawn();
    let mut connection = app.connect();
    let id = id_of(&create_user(&mut connection, "Metric", &unique_email("metric")).json());
    for _ in 0..3 {
        assert_eq!(connection.request("GET", &format!("/api/users/{id}"), &[], b"").status, 200);
    }
    connection.request("GET", "/api/users/123456789012", &[], b"");
    connection.request("GET", "/no/such/path", &[], b"");
    let response = connection.request("GET", "/metrics", &[], b"");
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("text/plain; version=0.0.4; charset=utf-8"));
    let text = response.text();
    for expected in [
        r#"edge_service_http_requests_total{route="/api/users/{id}",method="GET",status="200"} 3"#,
        r#"edge_service_http_requests_total{route="/api/users/{id}",method="GET",status="404"} 1"#,
        r#"edge_service_http_requests_total{route="/api/users",method="POST",status="201"} 1"#,
        r#"edge_service_http_requests_total{route="unmatched",method="GET",status="404"} 1"#,
        r#"edge_service_http_request_duration_seconds_count{route="/api/users/{id}",method="GET"} 4"#,
        "edge_service_http_requests_in_flight 1",
        "edge_service_http_connections_open",
        r#"edge_service_store_errors_total{operation="get",kind="unavailable"} 0"#,
        r#"edge_service_build_info{version="#,
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert!(!text.contains(&format!("/api/users/{id}\"")), "raw paths must never be labels:\n{text}");
    assert!(!text.contains("/no/such/path"), "raw paths must never be labels");
}

#[test]
fn metrics_speak_openmetrics_when_asked() {
    let app = TestApp::spawn();
    let response =
        app.request("GET", "/metrics", &[("accept", "application/openmetrics-text; version=1.0.0")], b"");
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("content-type"),
        Some("application/openmetrics-text; version=1.0.0; charset=utf-8")
    );
    assert!(response.text().ends_with("# EOF\n"), "{}", response.text());
}

#[test]
fn cors_is_off_unless_configured() {
    let app = TestApp::spawn();
    let response = app.request("GET", "/api/hello", &[("origin", "https://app.example")], b"");
    assert_eq!(response.header("access-control-allow-origin"), None);
}

#[test]
fn cors_allows_listed_origins_and_answers_preflight_with_204() {
    let app = TestApp::spawn_with(&[("CORS_ALLOW_ORIGIN", "https://app.example,http://localhost:3000")]);
    let allowed = app.request("GET", "/api/hello", &[("origin", "https://app.example")], b"");
    assert_eq!(allowed.header("access-control-allow-origin"), Some("https://app.example"));
    assert_eq!(allowed.header("vary"), Some("origin"));
    assert!(allowed.header("access-control-expose-headers").is_some_and(|v| v.contains("x-request-id")));
    let refused = app.request("GET", "/api/hello", &[("origin", "https://evil.example")], b"");
    assert_eq!(refused.header("access-control-allow-origin"), None);

    let preflight = app.request(
        "OPTIONS",
        "/api/users/7",
        &[
            ("origin", "http://localhost:3000"),
            ("access-control-request-method", "PUT"),
            ("access-control-request-headers", "content-type"),
        ],
        b"",
    );
    assert_eq!(preflight.status, 204);
    assert_eq!(preflight.header("access-control-allow-origin"), Some("http://localhost:3000"));
    assert_eq!(preflight.header("access-control-allow-methods"), Some("GET, HEAD, PUT, DELETE, OPTIONS"));
    assert!(preflight.header("access-control-allow-headers").is_some_and(|v| v.contains("content-type")));
    assert!(preflight.header("access-control-max-age").is_some());
    assert_eq!(preflight.header("allow"), Some("GET, HEAD, PUT, DELETE, OPTIONS"));
}

#[test]
fn cors_star_allows_any_origin() {
    let app = TestApp::spawn_with(&[("CORS_ALLOW_ORIGIN", "*")]);
    let response = app.request("POST", "/api/users", &[("origin", "https://x.example")], b"");
    assert_eq!(response.status, 415);
    assert_eq!(response.header("access-control-allow-origin"), Some("*"), "errors carry CORS headers too");
}

#[test]
fn invalid_settings_exit_2_naming_the_variable() {
    for (name, value) in [
        ("MAX_BODY_BYTES", "lots"),
        ("CORS_ALLOW_ORIGIN", "example.com/path"),
        ("MAX_CONNECTIONS", "0"),
        ("IDLE_TIMEOUT_SECS", "-1"),
    ] {
        let (status, stderr) = edge_service_test_support::run_to_exit(&[(name, value)]);
        assert_eq!(status.code(), Some(2), "{name}={value}: {stderr}");
        assert!(stderr.contains(name) && stderr.contains(value), "{stderr}");
    }
}
