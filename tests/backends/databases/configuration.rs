//! Database settings: an unsupported `DATABASE_URL` stops the service with one line,
//! and no password reaches a log line.

use std::time::Duration;

use edge_service_test_support::database::{Backend, DbServer};
use edge_service_test_support::run_to_exit;

use super::{get_user, spawn};

#[test]
fn unsupported_database_url_exits_2_with_one_masked_line() {
    for url in ["ftp://edge:hunter2@127.0.0.1/edge", "mysql://edge:hunter2@127.0.0.1"] {
        let (status, stderr) = run_to_exit(&[("DATABASE_URL", url)]);
        assert_eq!(status.code(), Some(2), "{stderr}");
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{stderr}");
        assert!(lines[0].contains("DATABASE_URL"), "{stderr}");
        assert!(!stderr.contains("hunter2"), "the password leaked: {stderr}");
    }
}

#[test]
fn credentials_never_appear_in_the_logs() {
    let server = DbServer::start(Backend::Postgres);
    let url = server.fresh_database();
    let mut app = spawn(&url, &[("REDIS_URL", "redis://:hunter2@127.0.0.1:1/0")]);
    let _ = get_user(&app, 1);
    assert!(app.wait_for_log("cache", Duration::from_secs(5)).is_some());
    let logs = app.logs().join("\n");
    assert!(logs.contains("postgres://edge:***@127.0.0.1"), "{logs}");
    assert!(!logs.contains("s3cret") && !logs.contains("hunter2"), "a password leaked:\n{logs}");
}
