//! Timeouts: a query held up by a lock answers 503 within `DB_TIMEOUT_MS`, and the
//! connection it ran on is not handed to the next request.

use std::time::{Duration, Instant};

use edge_service_test_support::database::{database_name, Backend, DbServer};
use edge_service_test_support::wait_until;
use serde_json::json;

use super::{get_user, post, spawn};

on_both_sql_backends! {
    query_timeout_gives_503_and_the_connection_is_not_reused:
        mysql_query_timeout_gives_503_and_the_connection_is_not_reused,
        postgres_query_timeout_gives_503_and_the_connection_is_not_reused;
}

fn query_timeout_gives_503_and_the_connection_is_not_reused(backend: Backend) {
    let server = DbServer::start(backend);
    let url = server.fresh_database();
    let db = database_name(&url).to_owned();
    // One connection in the pool: the request after a timeout would get the same one back.
    let app = spawn(&url, &[("DB_TIMEOUT_MS", "500"), ("DB_POOL_SIZE", "1")]);
    let mut connection = app.connect();
    let first = post(&mut connection, &json!({"name": "First", "email": "first@example.org"})).json();
    let second = post(&mut connection, &json!({"name": "Second", "email": "second@example.org"})).json();

    let (lock, held) = match backend {
        Backend::Mysql => (
            "LOCK TABLES users WRITE; SELECT SLEEP(3);",
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(3)%'",
        ),
        _ => (
            "BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(3);",
            "SELECT COUNT(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation \
             WHERE c.relname = 'users' AND l.mode = 'AccessExclusiveLock' AND l.granted",
        ),
    };
    let mut locker = server.sql_in_background(&db, lock);
    assert!(wait_until(Duration::from_secs(5), || server.sql(&db, held) != "0"), "the lock must be taken");
    let started = Instant::now();
    let blocked = get_user(&app, 1);
    assert_eq!(blocked.status, 503, "{}", blocked.text());
    assert_eq!(blocked.json()["error"]["code"], "unavailable");
    // The bound tells the 500 ms timeout from waiting out the 3 s lock: 2.5 s leaves a
    // loaded machine 2 s for the request itself, and still fails a service that waited.
    assert!(started.elapsed() < Duration::from_millis(2500), "timed out after {:?}", started.elapsed());
    let _ = locker.wait();

    // The next requests get their own answers, not the timed-out query's.
    assert!(wait_until(Duration::from_secs(5), || get_user(&app, 2).status == 200));
    assert_eq!(get_user(&app, 2).json(), second);
    assert_eq!(get_user(&app, 1).json(), first);
}
