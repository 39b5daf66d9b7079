//! End-to-end: every users route and every status it answers with, on the real module
//! under the runner. Written to hold on a shared, durable, non-empty store.

use std::time::Duration;

use edge_service_test_support::{
    assert_error, assert_json, create_user, create_user_with_id, id_of, random_id_base, send_json,
    unique_email, TestApp,
};
use serde_json::json;

#[test]
fn post_creates_user_and_returns_201_with_location_and_body() {
    let app = TestApp::spawn();
    let email = unique_email("create");
    let response = create_user(&mut app.connect(), "  Ada Lovelace ", &email);
    let body = assert_json(&response, 201);
    let id = id_of(&body);
    assert!(id >= 1);
    assert_eq!(body, json!({"id": id, "name": "Ada Lovelace", "email": email}));
    assert_eq!(response.header("location"), Some(format!("/api/users/{id}").as_str()));
    let fetched = app.get(&format!("/api/users/{id}"));
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.json(), body);
}

#[test]
fn post_with_chosen_id_stores_that_id() {
    let app = TestApp::spawn();
    let id = random_id_base();
    let email = unique_email("chosen");
    let response = create_user_with_id(&mut app.connect(), id, "Chosen", &email);
    assert_eq!(response.status, 201, "{}", response.text());
    assert_eq!(id_of(&response.json()), id);
    assert_eq!(app.get(&format!("/api/users/{id}")).json()["email"], email);
}

#[test]
fn post_with_taken_id_returns_409() {
    let app = TestApp::spawn();
    let mut connection = app.connect();
    let id = random_id_base();
    assert_eq!(create_user_with_id(&mut connection, id, "First", &unique_email("id1")).status, 201);
    let second = unique_email("id2");
    let response = create_user_with_id(&mut connection, id, "Second", &second);
    let message = assert_error(&response, 409, "conflict");
    assert!(message.contains("id"), "{message}");
    assert_eq!(app.get(&format!("/api/users/{id}")).json()["name"], "First");
}

#[test]
fn post_with_taken_email_returns_409_regardless_of_case() {
    let app = TestApp::spawn();
    let mut connection = app.connect();
    let email = unique_email("Case");
    assert_eq!(create_user(&mut connection, "Lower", &email).status, 201);
    let response = create_user(&mut connection, "Upper", &email.to_uppercase());
    let message = assert_error(&response, 409, "conflict");
    assert!(message.contains("email"), "{message}");
}

#[test]
fn get_unknown_user_returns_404() {
    let app = TestApp::spawn();
    let id = random_id_base();
    let message = assert_error(&app.get(&format!("/api/users/{id}")), 404, "not_found");
    assert!(message.contains(&id.to_string()), "{message}");
}

#[test]
fn get_with_malformed_id_returns_400_naming_the_id() {
    let app = TestApp::spawn();
    for path in [
        "/api/users/abc",
        "/api/users/0",
        "/api/users/-1",
        "/api/users/1.5",
        "/api/users/9223372036854775808",
    ] {
        let message = assert_error(&app.get(path), 400, "bad_request");
        assert!(message.contains("`id`"), "{path}: {message}");
    }
}

#[test]
fn put_replaces_name_and_email_and_returns_200() {
    let app = TestApp::spawn();
    let mut connection = app.connect();
    let id = id_of(&create_user(&mut connection, "Before", &unique_email("put")).json());
    let email = unique_email("after");
    let response = send_json(
        &mut connection,
        "PUT",
        &format!("/api/users/{id}"),
        &json!({"name": "After", "email": email}),
    );
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json(), json!({"id": id, "name": "After", "email": email}));
    assert_eq!(app.get(&format!("/api/users/{id}")).json()["name"], "After");
}

#[test]
fn put_keeping_own_email_in_other_case_returns_200() {
    let app = TestApp::spawn();
    let mut connection = app.connect();
    let email = unique_email("own");
    let id = id_of(&create_user(&mut connection, "Own", &email).json());
    let body = json!({"id": id, "name": "Own", "email": email.to_uppercase()});
    let response = send_json(&mut connection, "PUT", &format!("/api/users/{id}"), &body);
    assert_eq!(response.status, 200, "{}", response.text());
}

#[test]
fn put_unknown_user_returns_404() {
    let app = TestApp::spawn();
    let path = format!("/api/users/{}", random_id_base());
    let response =
        send_json(&mut app.connect(), "PUT", &path, &json!({"name": "N", "email": unique_email("nobody")}));
    assert_error(&response, 404, "not_found");
}

#[test]
fn put_with_taken_email_returns_409() {
    let app = TestApp::spawn();
    let mut connection = app.connect();
    let taken = unique_email("taken");
    assert_eq!(create_user(&mut connection, "Holder", &taken).status, 201);
    let id = id_of(&create_user(&mut connection, "Mover", &unique_email("mover")).json());
    let response = send_json(
        &mut connection,
        "PUT",
        &format!("/api/users/{id}"),
        &json!({"name": "Mover", "email": taken}),
    );
    assert_error(&response, 409, "conflict");
}

#[test]
fn put_with_other_id_in_body_returns_400() {
    let app = TestApp::spawn();
    let mut connection = app.connect();
    let id = id_of(&create_user(&mut connection, "Id", &unique_email("idbody")).json());
    let body = json!({"id": id + 1, "name": "Id", "email": unique_email("idbody2")});
    let message = assert_error(
        &send_json(&mut connection, "PUT", &format!("/api/users/{id}"), &body),
        400,
        "bad_request",
    );
    assert!(message.contains("`id`"), "{message}");
}

#[test]
fn delete_returns_204_then_404() {
    let app = TestApp::spawn();
    let mut connection = app.connect();
    let id = id_of(&create_user(&mut connection, "Gone", &unique_email("gone")).json());
    let path = format!("/api/users/{id}");
    let response = connection.request("DELETE", &path, &[], b"");
    assert_eq!(response.status, 204);
    assert!(response.body.is_empty());
    assert!(response.header("x-request-id").is_some());
    assert_error(&connection.request("GET", &path, &[], b""), 404, "not_found");
    assert_error(&connection.request("DELETE", &path, &[], b""), 404, "not_found");
}

#[test]
fn deleted_email_can_be_used_again() {
    let app = TestApp::spawn();
    let mut connection = app.connect();
    let email = unique_email("reuse");
    let id = id_of(&create_user(&mut connection, "Old", &email).json());
    assert_eq!(connection.request("DELETE", &format!("/api/users/{id}"), &[], b"").status, 204);
    assert_eq!(create_user(&mut connection, "New", &email).status, 201);
}

#[test]
fn list_returns_200_with_users_ordered_by_id() {
    let app = TestApp::spawn();
    let mut connection = app.connect();
    let base = random_id_base();
    for offset in [2, 0, 1] {
        let response = create_user_with_id(&mut connection, base + offset, "Listed", &unique_email("list"));
        assert_eq!(response.status, 201);
    }
    let response = connection.request("GET", &format!("/api/users?after={}&limit=3", base - 1), &[], b"");
    let ids: Vec<u64> = assert_json(&response, 200).as_array().expect("array").iter().map(id_of).collect();
    assert_eq!(ids, vec![base, base + 1, base + 2]);
    let all = connection.request("GET", "/api/users", &[], b"").json();
    let ids: Vec<u64> = all.as_array().expect("array").iter().map(id_of).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "not ordered: {ids:?}");
    assert!(ids.len() <= 100, "default limit is 100");
}

#[test]
fn head_answers_like_get_without_a_body() {
    let app = TestApp::spawn();
    let mut connection = app.connect();
    let id = id_of(&create_user(&mut connection, "Head", &unique_email("head")).json());
    let get = connection.request("GET", &format!("/api/users/{id}"), &[], b"");
    let head = connection.request("HEAD", &format!("/api/users/{id}"), &[], b"");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("content-length"), get.header("content-length"));
    // The connection is still in step: the next response is read correctly.
    assert_eq!(connection.request("GET", "/api/health", &[], b"").json(), json!({"status": "ok"}));
}

#[test]
fn wrong_method_returns_405_with_allow() {
    let app = TestApp::spawn();
    for (method, path, allow) in [
        ("PATCH", "/api/users/1", "GET, HEAD, PUT, DELETE, OPTIONS"),
        ("DELETE", "/api/users", "GET, HEAD, POST, OPTIONS"),
        ("POST", "/api/hello", "GET, HEAD, OPTIONS"),
        ("PUT", "/metrics", "GET, HEAD, OPTIONS"),
    ] {
        let response = app.request(method, path, &[], b"");
        assert_error(&response, 405, "method_not_allowed");
        assert_eq!(response.header("allow"), Some(allow), "{method} {path}");
    }
}

#[test]
fn options_returns_204_with_allow() {
    let app = TestApp::spawn();
    let response = app.request("OPTIONS", "/api/users/5", &[], b"");
    assert_eq!(response.status, 204);
    assert_eq!(response.header("allow"), Some("GET, HEAD, PUT, DELETE, OPTIONS"));
    assert_eq!(response.header("access-control-allow-origin"), None, "CORS is off by default");
}

#[test]
fn body_that_is_not_json_returns_415() {
    let app = TestApp::spawn();
    let body = json!({"name": "N", "email": unique_email("ctype")}).to_string();
    for content_type in
        [Some("text/plain"), Some("application/x-www-form-urlencoded"), Some("application/xml"), None]
    {
        let headers: Vec<(&str, &str)> = content_type.map(|c| vec![("content-type", c)]).unwrap_or_default();
        let response = app.request("POST", "/api/users", &headers, body.as_bytes());
        assert_error(&response, 415, "unsupported_media_type");
        let put = app.request("PUT", "/api/users/1", &headers, body.as_bytes());
        assert_error(&put, 415, "unsupported_media_type");
    }
    let with_charset = app.request(
        "POST",
        "/api/users",
        &[("content-type", "application/json; charset=utf-8")],
        body.as_bytes(),
    );
    assert_eq!(with_charset.status, 201, "{}", with_charset.text());
}

#[test]
fn body_over_limit_returns_413_without_waiting_for_the_rest_and_closes() {
    let app = TestApp::spawn();
    let mut connection = app.connect();
    // Declare 10 MiB but send only the head and 1 KiB: the answer cannot depend on the rest.
    let head = "POST /api/users HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\ncontent-length: 10485760\r\n\r\n";
    connection.send_raw(head.as_bytes());
    connection.send_raw(&[b' '; 1024]);
    let response = connection.read_response(false);
    let message = assert_error(&response, 413, "payload_too_large");
    assert!(message.contains("1048576"), "{message}");
    assert_eq!(response.header("connection"), Some("close"));
    assert!(
        connection.is_closed_by_server(Duration::from_secs(5)),
        "the connection must be closed after a 413"
    );
    assert_eq!(app.get("/api/health").status, 200);
}

#[test]
fn body_limit_follows_max_body_bytes() {
    let app = TestApp::spawn_with(&[("MAX_BODY_BYTES", "64")]);
    let small = json!({"name": "N", "email": unique_email("s")}).to_string();
    assert!(small.len() <= 64, "{small}");
    let response =
        app.request("POST", "/api/users", &[("content-type", "application/json")], small.as_bytes());
    assert_eq!(response.status, 201, "{}", response.text());
    let large = json!({"name": "N".repeat(60), "email": unique_email("big")}).to_string();
    let response =
        app.request("POST", "/api/users", &[("content-type", "application/json")], large.as_bytes());
    assert_error(&response, 413, "payload_too_large");
}

#[test]
fn unknown_path_returns_404_json() {
    let app = TestApp::spawn();
    for path in ["/api/user", "/api/users/1/friends", "/api/users/", "/", "/API/USERS"] {
        assert_error(&app.get(path), 404, "not_found");
    }
}

#[test]
fn ready_returns_200_naming_the_store() {
    let app = TestApp::spawn();
    let response = app.get("/api/ready");
    assert_eq!(response.status, 200);
    assert_eq!(response.json()["status"], "ready");
    // The store this run asked for (EDGE_TEST_BACKEND), so each backend's run is on it.
    assert_eq!(response.json()["store"], edge_service_test_support::database::run_store_kind());
}
