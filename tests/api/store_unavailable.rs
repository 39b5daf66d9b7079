//! End-to-end: with the database unreachable the service still starts and stays alive
//! (`/api/health` 200), `/api/ready` and every data route answer 503 `unavailable` with
//! `Retry-After`, nothing leaks the cause, and the failures are counted in the metrics.

use edge_service_test_support::{assert_error, send_json, unique_email, TestApp};
use serde_json::json;

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

#[test]
fn ready_and_data_routes_answer_503_while_the_database_is_down() {
    for scheme in ["mysql", "postgres"] {
        let url = format!("{scheme}://edge:secret-pw@127.0.0.1:{}/edge", closed_port());
        let app = TestApp::spawn_with(&[("DATABASE_URL", &url), ("DB_TIMEOUT_MS", "300")]);
        let mut connection = app.connect();
        assert_eq!(connection.request("GET", "/api/health", &[], b"").status, 200, "{scheme}");

        let ready = connection.request("GET", "/api/ready", &[], b"");
        assert_error(&ready, 503, "unavailable");
        assert_eq!(ready.header("retry-after"), Some("1"));

        let user = json!({"name": "Down", "email": unique_email("down")});
        let responses = [
            connection.request("GET", "/api/users", &[], b""),
            send_json(&mut connection, "POST", "/api/users", &user),
            connection.request("GET", "/api/users/1", &[], b""),
            send_json(&mut connection, "PUT", "/api/users/1", &user),
            connection.request("DELETE", "/api/users/1", &[], b""),
        ];
        for response in &responses {
            let message = assert_error(response, 503, "unavailable");
            assert!(!message.contains("secret-pw") && !message.contains("refused"), "{scheme}: {message}");
            assert_eq!(response.header("retry-after"), Some("1"));
        }

        let metrics = connection.request("GET", "/metrics", &[], b"").text();
        assert!(
            metrics.contains(&format!(
                r#"edge_service_build_info{{version="{}",store="{scheme}"}}"#,
                env!("CARGO_PKG_VERSION")
            )),
            "{metrics}"
        );
        for operation in ["list", "create", "get", "update", "delete"] {
            let line =
                format!(r#"edge_service_store_errors_total{{operation="{operation}",kind="unavailable"}} 1"#);
            assert!(metrics.contains(&line), "{scheme}: missing {line} in\n{metrics}");
        }
    }
}
