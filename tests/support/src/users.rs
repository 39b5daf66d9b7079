//! Requests and assertions of the users API, and emails and id ranges no other test
//! uses, so a test holds whatever users the store already has (the durable stores keep
//! every user the test's own earlier services created).

use serde_json::Value;

use crate::client::{HttpConnection, HttpResponse};
use crate::random::random_u64;

/// An email no other test (or earlier run) has used: `tag-<random>@example.test`.
pub fn unique_email(tag: &str) -> String {
    format!("{tag}-{:016x}@example.test", random_u64())
}

/// The first id of a range a test may choose ids from: random in `[10^12, 10^15)`, so
/// ranges of different tests do not meet, and far below `i64::MAX`, so ids the store
/// assigns after them never run out.
pub fn random_id_base() -> u64 {
    1_000_000_000_000 + random_u64() % 999_000_000_000_000
}

/// Sends `body` as JSON.
pub fn send_json(connection: &mut HttpConnection, method: &str, path: &str, body: &Value) -> HttpResponse {
    connection.request(method, path, &[("content-type", "application/json")], body.to_string().as_bytes())
}

/// `POST /api/users` with a name and an email.
pub fn create_user(connection: &mut HttpConnection, name: &str, email: &str) -> HttpResponse {
    send_json(connection, "POST", "/api/users", &serde_json::json!({"name": name, "email": email}))
}

/// `POST /api/users` with a chosen id.
pub fn create_user_with_id(
    connection: &mut HttpConnection,
    id: u64,
    name: &str,
    email: &str,
) -> HttpResponse {
    send_json(connection, "POST", "/api/users", &serde_json::json!({"id": id, "name": name, "email": email}))
}

/// The raw bytes of a `POST /api/users` creating user `id` (name `Smuggled`): the
/// request-smuggling tests hide it where a confused parser would read it as a request,
/// then check that user `id` does not exist.
pub fn raw_create_request(id: u64) -> String {
    let body = format!(r#"{{"id":{id},"name":"Smuggled","email":"smuggled-{id}@example.test"}}"#);
    format!(
        "POST /api/users HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// Asserts `response` is a JSON answer with `status`, and returns its body.
pub fn assert_json(response: &HttpResponse, status: u16) -> Value {
    assert_eq!(response.status, status, "body: {}", response.text());
    assert_eq!(response.header("content-type"), Some("application/json"), "{}", response.text());
    response.json()
}

/// Asserts `response` is the JSON error `status`/`code`, with the right headers, and
/// returns its message.
pub fn assert_error(response: &HttpResponse, status: u16, code: &str) -> String {
    let body = assert_json(response, status);
    assert!(response.header("x-request-id").is_some(), "no x-request-id");
    assert_eq!(body["error"]["code"], code, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default().to_owned();
    assert!(!message.is_empty(), "empty message: {body}");
    message
}

/// The `id` of a user body.
pub fn id_of(body: &Value) -> u64 {
    body["id"].as_u64().unwrap_or_else(|| panic!("no numeric id in {body}"))
}
