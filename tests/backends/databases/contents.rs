//! Stored values: hostile strings (SQL, quotes, backslashes, wildcards, every Unicode
//! plane) round-trip byte for byte, and case-insensitive email uniqueness holds for
//! non-ASCII addresses.

use edge_service_test_support::database::{database_name, Backend, DbServer};
use serde_json::json;

use super::{all_users, get_user, post, put, spawn};

on_both_sql_backends! {
    hostile_strings_round_trip_exactly:
        mysql_hostile_strings_round_trip_exactly,
        postgres_hostile_strings_round_trip_exactly;
}

fn hostile_strings_round_trip_exactly(backend: Backend) {
    let server = DbServer::start(backend);
    let url = server.fresh_database();
    let app = spawn(&url, &[]);
    let names = [
        "'; DROP TABLE users; --",
        "Robert\"); DROP TABLE users;-- \\ \\\\ \\' \\\"",
        "O'Brien \"The\" Backslash \\n not a newline",
        "100% _wild_ %% cards",
        "Zoë Ångström — ünïcødé",
        "🦀🎉👩‍👩‍👧‍👦 emoji",
        "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𐍈 𠜎 four-byte",
        "e\u{301} combining",
    ];
    let emails = [
        "o'brien@example.org",
        "'--@example.org",
        "\"quoted\\slash\"@example.org",
        "100%_@example.org",
        "zoë@exämple.org",
        "🦀@example.org",
        "𝔘@𐍈.example",
        "x';DROP_TABLE_users;--@example.org",
    ];
    let mut connection = app.connect();
    let mut created = Vec::new();
    for (name, email) in names.iter().zip(emails) {
        let response = post(&mut connection, &json!({"name": name, "email": email}));
        assert_eq!(response.status, 201, "{name}: {}", response.text());
        let user = response.json();
        assert_eq!((user["name"].as_str(), user["email"].as_str()), (Some(*name), Some(email)));
        created.push(user);
    }
    for user in &created {
        let id = user["id"].as_u64().expect("id");
        assert_eq!(get_user(&app, id).json(), *user);
    }
    assert_eq!(all_users(&app), created);
    // Updates carry them too, and case-insensitive uniqueness holds for non-ASCII.
    let renamed = put(&app, 1, &json!({"name": names[6], "email": "ZOË@EXÄMPLE.ORG"}));
    assert_eq!(renamed.status, 409, "{}", renamed.text());
    let renamed = put(&app, 1, &json!({"name": names[6], "email": "O'BRIEN@example.org"}));
    assert_eq!(renamed.status, 200, "{}", renamed.text());
    assert_eq!(get_user(&app, 1).json()["name"], names[6]);
    // The table is still there, with the exact bytes in it.
    let db = database_name(&url);
    assert_eq!(server.sql(db, "SELECT COUNT(*) FROM users"), names.len().to_string());
    assert_eq!(server.sql(db, "SELECT name FROM users WHERE id = 6"), names[5]);
}
