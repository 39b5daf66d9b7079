//! The Redis cache: reads go through it and writes invalidate it, and a frozen or
//! killed Redis never fails a request (bounded by `CACHE_TIMEOUT_MS`, no stale entry
//! served after a missed invalidation).

use std::thread;
use std::time::{Duration, Instant};

use edge_service_test_support::database::{database_name, Backend, DbServer};
use edge_service_test_support::wait_until;
use serde_json::json;

use super::{get_user, post, put, spawn};

on_both_sql_backends! {
    cache_reads_through_and_is_invalidated_by_writes:
        mysql_with_redis_reads_through_and_writes_invalidate,
        postgres_with_redis_reads_through_and_writes_invalidate;
}

fn cache_reads_through_and_is_invalidated_by_writes(backend: Backend) {
    let server = DbServer::start(backend);
    let redis = DbServer::start(Backend::Redis);
    let url = server.fresh_database();
    let db = database_name(&url).to_owned();
    let app = spawn(&url, &[("REDIS_URL", &redis.url), ("CACHE_TTL_SECS", "300")]);
    let created = post(&mut app.connect(), &json!({"name": "Cached", "email": "cached@example.org"})).json();
    assert_eq!(get_user(&app, 1).json(), created);
    assert_eq!(redis.sql("", "DBSIZE"), "1", "the first read fills the cache");

    // Changed behind the service's back: the cached copy is served (proof it is a cache).
    server.sql(&db, "UPDATE users SET name = 'Changed in SQL' WHERE id = 1");
    assert_eq!(get_user(&app, 1).json()["name"], "Cached");

    // A PUT invalidates before it answers: the next read is the new value.
    let updated = put(&app, 1, &json!({"name": "Updated", "email": "cached@example.org"}));
    assert_eq!(updated.status, 200);
    assert_eq!(get_user(&app, 1).json()["name"], "Updated");
    assert_eq!(app.request("DELETE", "/api/users/1", &[], b"").status, 204);
    assert_eq!(get_user(&app, 1).status, 404);
    assert_eq!(redis.sql("", "DBSIZE"), "0");
}

#[test]
fn redis_killed_or_frozen_requests_still_succeed() {
    let server = DbServer::start(Backend::Mysql);
    let redis = DbServer::start(Backend::Redis);
    let url = server.fresh_database();
    let app = spawn(&url, &[("REDIS_URL", &redis.url), ("CACHE_TIMEOUT_MS", "100")]);
    let created = post(&mut app.connect(), &json!({"name": "Ada", "email": "ada@example.org"})).json();
    assert_eq!(get_user(&app, 1).json(), created);

    // Frozen (slow) Redis: bounded by CACHE_TIMEOUT_MS, then bypassed.
    redis.freeze(true);
    let started = Instant::now();
    for _ in 0..5 {
        assert_eq!(get_user(&app, 1).json(), created);
    }
    // Five reads bypass the frozen cache after 100 ms each (0.5 s); the bound is six
    // times that, for a loaded machine, and a cache that stalled requests would never answer.
    assert!(started.elapsed() < Duration::from_secs(3), "a hung cache must not stall requests");
    let updated = put(&app, 1, &json!({"name": "Ada L.", "email": "ada@example.org"}));
    assert_eq!(updated.status, 200, "{}", updated.text());
    redis.freeze(false);
    // The invalidation missed while Redis was frozen; the stale entry must not be served.
    assert!(wait_until(Duration::from_secs(10), || get_user(&app, 1).json()["name"] == "Ada L."));
    for _ in 0..10 {
        assert_eq!(get_user(&app, 1).json()["name"], "Ada L.");
        thread::sleep(Duration::from_millis(100));
    }

    // Killed Redis: every request still answers 200 (or 201/204) from the database.
    redis.kill();
    assert_eq!(get_user(&app, 1).json()["name"], "Ada L.");
    let second = post(&mut app.connect(), &json!({"name": "Grace", "email": "grace@example.org"}));
    assert_eq!(second.status, 201);
    for _ in 0..20 {
        assert_eq!(get_user(&app, 2).status, 200);
    }
    assert_eq!(app.request("DELETE", "/api/users/2", &[], b"").status, 204);
    assert_eq!(get_user(&app, 2).status, 404);
    assert_eq!(app.get("/api/ready").status, 200, "a dead cache does not make the service unready");

    // Redis back (empty): the cache is used again.
    redis.restart();
    assert!(wait_until(Duration::from_secs(15), || {
        get_user(&app, 1);
        redis.sql("", "DBSIZE") == "1"
    }));
    assert_eq!(get_user(&app, 1).json()["name"], "Ada L.");
}
