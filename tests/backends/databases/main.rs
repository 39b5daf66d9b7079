//! End-to-end: the real module under the runner against real MariaDB, PostgreSQL and
//! Redis servers (each test starts its own, on loopback, and stops it when done), one
//! module per area.
//! What is tested is the database contract: durability across service and database
//! restarts, 503 then recovery when the database dies, a cache that can die without
//! failing requests, exact round-trips of hostile strings, database-enforced email
//! uniqueness across instances, timeouts that do not poison connections, and safe
//! concurrent migrations; and a store that fills the module's memory refuses writes
//! (507) instead of aborting.

use edge_service_test_support::{HttpConnection, HttpResponse, TestApp};
use serde_json::Value;

const JSON: &[(&str, &str)] = &[("content-type", "application/json")];

/// Turns each scenario `fn(Backend)` into two tests, one on MariaDB and one on PostgreSQL,
/// named as given so each backend passes or fails on its own.
macro_rules! on_both_sql_backends {
    ($($scenario:ident: $mysql_test:ident, $postgres_test:ident;)*) => {
        $(
            #[test]
            fn $mysql_test() {
                $scenario(edge_service_test_support::database::Backend::Mysql);
            }

            #[test]
            fn $postgres_test() {
                $scenario(edge_service_test_support::database::Backend::Postgres);
            }
        )*
    };
}

mod cache;
mod configuration;
mod contents;
mod durability;
mod embedded;
mod full_store;
mod instances;
mod timeouts;

fn spawn(database_url: &str, extra: &[(&str, &str)]) -> TestApp {
    let mut env = vec![("DATABASE_URL", database_url)];
    env.extend_from_slice(extra);
    TestApp::spawn_with(&env)
}

fn post(connection: &mut HttpConnection, body: &Value) -> HttpResponse {
    connection.request("POST", "/api/users", JSON, body.to_string().as_bytes())
}

fn put(app: &TestApp, id: u64, body: &Value) -> HttpResponse {
    app.request("PUT", &format!("/api/users/{id}"), JSON, body.to_string().as_bytes())
}

fn get_user(app: &TestApp, id: u64) -> HttpResponse {
    app.get(&format!("/api/users/{id}"))
}

/// Every user, following the pages.
fn all_users(app: &TestApp) -> Vec<Value> {
    let mut users = Vec::new();
    let mut after = 0;
    loop {
        let page = app.get(&format!("/api/users?limit=1000&after={after}"));
        assert_eq!(page.status, 200, "{}", page.text());
        let items = page.json().as_array().cloned().unwrap_or_default();
        let Some(last) = items.last().and_then(|u| u["id"].as_u64()) else { return users };
        after = last;
        users.extend(items);
    }
}
