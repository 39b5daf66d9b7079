//! End-to-end: every validation rule of the users API answers 400 `bad_request` with a
//! message that names the field (or parameter) and says why, and stores nothing.

use edge_service_test_support::{
    assert_error, create_user, send_json, unique_email, HttpConnection, TestApp,
};
use serde_json::json;

/// POSTs `body` (raw bytes) as JSON and returns the 400's message.
fn rejected(connection: &mut HttpConnection, body: &[u8]) -> String {
    let response = connection.request("POST", "/api/users", &[("content-type", "application/json")], body);
    assert_error(&response, 400, "bad_request")
}

fn assert_mentions(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(message.contains(part), "{message:?} should mention {part:?}");
    }
}

#[test]
fn name_must_have_1_to_100_characters_after_trimming() {
    let app = TestApp::spawn();
    let mut connection = app.connect();
    for name in ["", "   ", "\t\n"] {
        let body = json!({"name": name, "email": unique_email("name")});
        assert_mentions(&rejected(&mut connection, body.to_string().as_bytes()), &["`name`", "empty"]);
    }
    let long = json!({"name": "x".repeat(101), "email": unique_email("name")});
    assert_mentions(&rejected(&mut connection, long.to_string().as_bytes()), &["`name`", "100"]);
    let padded = format!("  {}  ", "y".repeat(100));
    let response = create_user(&mut connection, &padded, &unique_email("name"));
    assert_eq!(response.status, 201, "{}", response.text());
    assert_eq!(response.json()["name"], "y".repeat(100));
    let emoji = "😀".repeat(100);
    assert_eq!(
        create_user(&mut connection, &emoji, &unique_email("emoji")).status,
        201,
        "characters, not bytes"
    );
    let too_many = json!({"name": "😀".repeat(101), "email": unique_email("emoji")});
    assert_mentions(&rejected(&mut connection, too_many.to_string().as_bytes()), &["`name`"]);
}

#[test]
fn name_must_not_contain_control_characters() {
    let app = TestApp::spawn();
    let body = json!({"name": "line\nbreak", "email": unique_email("ctl")});
    assert_mentions(&rejected(&mut app.connect(), body.to_string().as_bytes()), &["`name`", "control"]);
}

#[test]
fn email_must_be_a_plausible_address() {
    let app = TestApp::spawn();
    let mut connection = app.connect();
    for (email, why) in [
        ("plainaddress", "exactly one '@'"),
        ("two@@example.test", "exactly one '@'"),
        ("a@b@example.test", "exactly one '@'"),
        ("@example.test", "non-empty"),
        ("someone@", "non-empty"),
        ("some one@example.test", "spaces"),
        (" lead@example.test", "spaces"),
        ("", "exactly one '@'"),
    ] {
        let body = json!({"name": "E", "email": email});
        assert_mentions(&rejected(&mut connection, body.to_string().as_bytes()), &["`email`", why]);
    }
    let local = "l".repeat(254 - "@example.test".len());
    let at_limit = format!("{local}@example.test");
    assert_eq!(at_limit.len(), 254);
    let response = create_user(&mut connection, "Long", &at_limit);
    assert!(
        response.status == 201 || response.status == 409,
        "254 characters are allowed: {}",
        response.text()
    );
    let over = format!("l{at_limit}");
    let body = json!({"name": "E", "email": over});
    assert_mentions(&rejected(&mut connection, body.to_string().as_bytes()), &["`email`", "254"]);
}

#[test]
fn wrong_json_types_name_the_field() {
    let app = TestApp::spawn();
    let mut connection = app.connect();
    let email = unique_email("types");
    for (body, field) in [
        (json!({"name": 5, "email": email}), "`name`"),
        (json!({"name": null, "email": email}), "`name`"),
        (json!({"name": ["a"], "email": email}), "`name`"),
        (json!({"name": "N", "email": true}), "`email`"),
        (json!({"name": "N", "email": {"a": 1}}), "`email`"),
        (json!({"id": "7", "name": "N", "email": email}), "`id`"),
        (json!({"id": 1.5, "name": "N", "email": email}), "`id`"),
        (json!({"id": -3, "name": "N", "email": email}), "`id`"),
        (json!({"id": 0, "name": "N", "email": email}), "`id`"),
    ] {
        let message = rejected(&mut connection, body.to_string().as_bytes());
        assert_mentions(&message, &[field]);
    }
}

#[test]
fn missing_and_unknown_fields_are_named() {
    let app = TestApp::spawn();
    let mut connection = app.connect();
    assert_mentions(&rejected(&mut connection, br#"{"name":"N"}"#), &["missing field `email`"]);
    assert_mentions(&rejected(&mut connection, br#"{"email":"a@b"}"#), &["missing field `name`"]);
    let body = json!({"name": "N", "email": unique_email("unknown"), "admin": true});
    assert_mentions(&rejected(&mut connection, body.to_string().as_bytes()), &["unknown field `admin`"]);
    let body = json!({"name": "N", "emial": unique_email("typo")});
    assert_mentions(&rejected(&mut connection, body.to_string().as_bytes()), &["`emial`"]);
}

#[test]
fn malformed_json_empty_body_arrays_and_trailing_garbage_are_400() {
    let app = TestApp::spawn();
    let mut connection = app.connect();
    let email = unique_email("garbage");
    let valid = json!({"name": "N", "email": email}).to_string();
    assert_mentions(&rejected(&mut connection, b""), &["empty"]);
    assert_mentions(&rejected(&mut connection, b"{\"name\": \"N\","), &["not valid JSON", "line 1"]);
    assert_mentions(
        &rejected(&mut connection, format!("{valid} trailing").as_bytes()),
        &["trailing characters"],
    );
    assert_mentions(
        &rejected(&mut connection, format!("{valid}{valid}").as_bytes()),
        &["trailing characters"],
    );
    assert_mentions(&rejected(&mut connection, br#"["N","a@b"]"#), &["JSON object", "array"]);
    assert_mentions(&rejected(&mut connection, b"null"), &["JSON object"]);
    assert_mentions(
        &rejected(&mut connection, b"{\"name\":\"\xff\xfe\",\"email\":\"a@b\"}"),
        &["not valid JSON"],
    );
    assert_mentions(&rejected(&mut connection, br#"{"name":"\ud800","email":"a@b"}"#), &["not valid JSON"]);
    // Nothing of the above was stored.
    assert_eq!(create_user(&mut connection, "N", &email).status, 201);
}

#[test]
fn huge_numbers_are_400_not_wrapped_or_truncated() {
    let app = TestApp::spawn();
    let mut connection = app.connect();
    for id in [
        "9223372036854775808",
        "18446744073709551616",
        "123456789012345678901234567890",
        "1e400",
        "-9223372036854775809",
    ] {
        let body = format!(r#"{{"id":{id},"name":"N","email":"{}"}}"#, unique_email("huge"));
        assert_mentions(&rejected(&mut connection, body.as_bytes()), &["`id`"]);
    }
}

#[test]
fn put_validates_like_post() {
    let app = TestApp::spawn();
    let mut connection = app.connect();
    let response = create_user(&mut connection, "Valid", &unique_email("putv"));
    let id = response.json()["id"].as_u64().expect("id");
    let path = format!("/api/users/{id}");
    for (body, field) in [
        (json!({"name": "", "email": unique_email("putv")}), "`name`"),
        (json!({"name": "N", "email": "nope"}), "`email`"),
        (json!({"name": "N"}), "`email`"),
        (json!({"name": "N", "email": unique_email("putv"), "extra": 1}), "`extra`"),
    ] {
        let response = send_json(&mut connection, "PUT", &path, &body);
        assert_mentions(&assert_error(&response, 400, "bad_request"), &[field]);
    }
    assert_eq!(connection.request("GET", &path, &[], b"").json()["name"], "Valid", "nothing changed");
}

#[test]
fn bad_limit_and_after_values_are_400_naming_the_parameter() {
    let app = TestApp::spawn();
    let mut connection = app.connect();
    for query in [
        "limit=0",
        "limit=1001",
        "limit=abc",
        "limit=",
        "limit=-1",
        "limit=1.0",
        "limit=99999999999999999999999",
    ] {
        let response = connection.request("GET", &format!("/api/users?{query}"), &[], b"");
        assert_mentions(&assert_error(&response, 400, "bad_request"), &["`limit`", "1 to 1000"]);
    }
    for query in ["after=-1", "after=x", "after=", "after=9223372036854775808"] {
        let response = connection.request("GET", &format!("/api/users?{query}"), &[], b"");
        assert_mentions(&assert_error(&response, 400, "bad_request"), &["`after`"]);
    }
    for query in ["limit=1000", "limit=1", "after=0", "after=9223372036854775807", "limit=5&after=3"] {
        assert_eq!(
            connection.request("GET", &format!("/api/users?{query}"), &[], b"").status,
            200,
            "{query}"
        );
    }
}

#[test]
fn unknown_or_repeated_query_parameters_are_400_on_every_route() {
    let app = TestApp::spawn();
    let mut connection = app.connect();
    let message = assert_error(&connection.request("GET", "/api/users?limt=5", &[], b""), 400, "bad_request");
    assert_mentions(&message, &["`limt`", "limit, after"]);
    let message =
        assert_error(&connection.request("GET", "/api/users?limit=1&limit=2", &[], b""), 400, "bad_request");
    assert_mentions(&message, &["`limit`", "more than once"]);
    for path in ["/api/hello?x=1", "/api/health?verbose", "/api/users/1?fields=name", "/metrics?name=x"] {
        let message = assert_error(&connection.request("GET", path, &[], b""), 400, "bad_request");
        assert_mentions(&message, &["unknown query parameter"]);
    }
}
