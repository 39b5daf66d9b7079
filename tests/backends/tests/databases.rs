//! End-to-end: the real module under the runner against real MariaDB, PostgreSQL and
//! Redis servers (each test starts its own, on loopback, and stops it when done).
//! What is tested is the database contract: durability across service and database
//! restarts, 503 then recovery when the database dies, a cache that can die without
//! failing requests, exact round-trips of hostile strings, database-enforced email
//! uniqueness across instances, timeouts that do not poison connections, and safe
//! concurrent migrations.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use edge_service_test_support::database::{database_name, Backend, DbServer};
use edge_service_test_support::{run_to_exit, wait_until, HttpConnection, HttpResponse, TestApp};
use serde_json::{json, Value};

const JSON: &[(&str, &str)] = &[("content-type", "application/json")];

/// Turns each scenario `fn(Backend)` into two tests, one on MariaDB and one on PostgreSQL,
/// named as given so each backend passes or fails on its own.
macro_rules! on_both_sql_backends {
    ($($scenario:ident: $mysql_test:ident, $postgres_test:ident;)*) => {
        $(
            #[test]
            fn $mysql_test() {
                $scenario(Backend::Mysql);
            }

            #[test]
            fn $postgres_test() {
                $scenario(Backend::Postgres);
            }
        )*
    };
}

// scenario: its MariaDB test, its PostgreSQL test.
on_both_sql_backends! {
    data_survives_service_and_database_restarts:
        mysql_data_survives_service_and_database_restarts,
        postgres_data_survives_service_and_database_restarts;
    killed_database_gives_503s_then_recovers_with_every_acknowledged_write:
        mysql_killed_during_writes_gives_503s_then_recovers_with_every_acknowledged_write,
        postgres_killed_during_writes_gives_503s_then_recovers_with_every_acknowledged_write;
    database_down_at_start_still_starts_then_connects:
        mysql_down_at_start_the_service_starts_answers_503_and_connects_later,
        postgres_down_at_start_the_service_starts_answers_503_and_connects_later;
    query_timeout_gives_503_and_the_connection_is_not_reused:
        mysql_query_timeout_gives_503_and_the_connection_is_not_reused,
        postgres_query_timeout_gives_503_and_the_connection_is_not_reused;
    hostile_strings_round_trip_exactly:
        mysql_hostile_strings_round_trip_exactly,
        postgres_hostile_strings_round_trip_exactly;
    two_instances_never_create_duplicate_emails:
        mysql_two_instances_never_create_duplicate_emails,
        postgres_two_instances_never_create_duplicate_emails;
    concurrent_starts_apply_each_migration_once:
        mysql_concurrent_starts_apply_each_migration_once,
        postgres_concurrent_starts_apply_each_migration_once;
    cache_reads_through_and_is_invalidated_by_writes:
        mysql_with_redis_reads_through_and_writes_invalidate,
        postgres_with_redis_reads_through_and_writes_invalidate;
}

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

// ---------------------------------------------------------------- durability

fn data_survives_service_and_database_restarts(backend: Backend) {
    let server = DbServer::start(backend);
    let url = server.fresh_database();
    let app = spawn(&url, &[]);
    let mut connection = app.connect();
    let mut created = Vec::new();
    for i in 0..20 {
        let response = post(
            &mut connection,
            &json!({"name": format!("User {i} ✓"), "email": format!("u{i}@Example.org")}),
        );
        assert_eq!(response.status, 201, "{}", response.text());
        created.push(response.json());
    }
    assert_eq!(app.request("DELETE", "/api/users/3", &[], b"").status, 204);
    created.retain(|u| u["id"] != 3);
    drop(connection);
    app.stop();

    // A clean database restart, then a crash (SIGKILL) and start: acknowledged writes stay.
    server.stop();
    server.restart();
    server.kill();
    server.restart();

    let app = spawn(&url, &[]);
    assert_eq!(all_users(&app), created);
    let next = post(&mut app.connect(), &json!({"name": "After", "email": "after@example.org"}));
    assert_eq!(next.status, 201);
    assert_eq!(
        next.json()["id"],
        21,
        "ids continue after the highest ever used, deleted ones are not reused"
    );
}

// ---------------------------------------------------------------- database killed

/// What the writer saw.
#[derive(Default)]
struct WriteLog {
    acknowledged: Vec<Value>,
    sent: HashMap<String, String>,
    unavailable: usize,
    other: Vec<(u16, String)>,
}

fn killed_database_gives_503s_then_recovers_with_every_acknowledged_write(backend: Backend) {
    let server = DbServer::start(backend);
    let url = server.fresh_database();
    let app = spawn(&url, &[("DB_TIMEOUT_MS", "1000")]);
    let addr = app.addr;
    let stop = Arc::new(AtomicBool::new(false));
    let writer_stop = stop.clone();
    let writer = thread::spawn(move || {
        let mut log = WriteLog::default();
        let mut connection = HttpConnection::open(addr);
        let mut i = 0u32;
        while !writer_stop.load(Ordering::Acquire) {
            i += 1;
            let (name, email) = (format!("Writer {i}"), format!("w{i}@example.org"));
            log.sent.insert(email.clone(), name.clone());
            let response = post(&mut connection, &json!({"name": name, "email": email}));
            match response.status {
                201 => log.acknowledged.push(response.json()),
                503 => {
                    assert_eq!(response.json()["error"]["code"], "unavailable", "{}", response.text());
                    log.unavailable += 1;
                }
                status => log.other.push((status, response.text())),
            }
            thread::sleep(Duration::from_millis(5));
        }
        log
    });

    // Let some writes land, kill the database, see 503s, restart it, see writes land again.
    let count = |app: &TestApp| app.get("/api/ready").status;
    thread::sleep(Duration::from_millis(500));
    server.kill();
    assert!(
        wait_until(Duration::from_secs(10), || count(&app) == 503),
        "ready must turn 503 once the database is gone"
    );
    thread::sleep(Duration::from_millis(300));
    server.restart();
    let restarted = Instant::now();
    assert!(
        wait_until(Duration::from_secs(10), || count(&app) == 200),
        "the service must reconnect on its own"
    );
    let recovered_in = restarted.elapsed();
    thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::Release);
    let log = writer.join().expect("writer thread");

    assert!(log.other.is_empty(), "only 201 and 503 are acceptable, got {:?}", log.other);
    assert!(log.unavailable > 0, "writes while the database was dead must get 503");
    assert!(log.acknowledged.len() >= 10, "writes must succeed before and after the outage");
    assert!(recovered_in < Duration::from_secs(10), "recovered in {recovered_in:?}");
    // Every acknowledged write is there, exactly as acknowledged.
    for user in &log.acknowledged {
        let id = user["id"].as_u64().expect("id");
        let stored = get_user(&app, id);
        assert_eq!(stored.status, 200, "acknowledged user {id} is missing");
        assert_eq!(stored.json(), *user);
    }
    // Nothing half-written: every stored user is one that was sent, with its own name.
    let stored = all_users(&app);
    for user in &stored {
        let email = user["email"].as_str().expect("email");
        assert_eq!(
            log.sent.get(email).map(String::as_str),
            user["name"].as_str(),
            "row {user} was never sent like this"
        );
    }
    let acknowledged: HashSet<&Value> = log.acknowledged.iter().collect();
    assert!(stored.iter().filter(|u| acknowledged.contains(u)).count() == log.acknowledged.len());
}

fn database_down_at_start_still_starts_then_connects(backend: Backend) {
    let server = DbServer::start(backend);
    let url = server.fresh_database();
    server.stop();
    let app = spawn(&url, &[("DB_TIMEOUT_MS", "500")]);
    let ready = app.get("/api/ready");
    assert_eq!(ready.status, 503, "{}", ready.text());
    assert_eq!(ready.json()["error"]["code"], "unavailable");
    let list = app.get("/api/users");
    assert_eq!(list.status, 503);
    assert_eq!(list.json()["error"]["code"], "unavailable");
    assert!(!list.json()["error"]["message"].as_str().unwrap_or_default().is_empty());
    server.restart();
    assert!(
        wait_until(Duration::from_secs(10), || app.get("/api/ready").status == 200),
        "must connect by itself"
    );
    let created = post(&mut app.connect(), &json!({"name": "Late", "email": "late@example.org"}));
    assert_eq!(created.status, 201, "{}", created.text());
}

// ---------------------------------------------------------------- timeouts

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
    assert!(started.elapsed() < Duration::from_millis(2500), "timed out after {:?}", started.elapsed());
    let _ = locker.wait();

    // The next requests get their own answers, not the timed-out query's.
    assert!(wait_until(Duration::from_secs(5), || get_user(&app, 2).status == 200));
    assert_eq!(get_user(&app, 2).json(), second);
    assert_eq!(get_user(&app, 1).json(), first);
}

// ---------------------------------------------------------------- hostile values

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

// ---------------------------------------------------------------- two instances

fn two_instances_never_create_duplicate_emails(backend: Backend) {
    let server = DbServer::start(backend);
    let url = server.fresh_database();
    let apps = [spawn(&url, &[]), spawn(&url, &[])];
    let addrs = [apps[0].addr, apps[1].addr];
    let handles: Vec<_> = (0..8)
        .map(|worker| {
            thread::spawn(move || {
                let mut connection = HttpConnection::open(addrs[worker % 2]);
                let mut outcomes = Vec::new();
                for i in 0..25 {
                    // Every worker tries the same 25 addresses, in a different case each.
                    let email = if worker % 2 == 0 {
                        format!("Same{i}@Example.org")
                    } else {
                        format!("same{i}@EXAMPLE.ORG")
                    };
                    let response =
                        post(&mut connection, &json!({"name": format!("W{worker}"), "email": email}));
                    outcomes.push((i, response.status));
                }
                outcomes
            })
        })
        .collect();
    let mut winners: HashMap<u32, usize> = HashMap::new();
    for handle in handles {
        for (i, status) in handle.join().expect("worker") {
            match status {
                201 => *winners.entry(i).or_default() += 1,
                409 => {}
                other => panic!("unexpected status {other}"),
            }
        }
    }
    assert_eq!(winners.len(), 25, "every address must be created once");
    assert!(winners.values().all(|n| *n == 1), "an address was created twice: {winners:?}");
    let db = database_name(&url);
    assert_eq!(server.sql(db, "SELECT COUNT(*) FROM users"), "25");
    assert_eq!(server.sql(db, "SELECT COUNT(DISTINCT LOWER(email)) FROM users"), "25");
}

fn concurrent_starts_apply_each_migration_once(backend: Backend) {
    let server = DbServer::start(backend);
    let url = server.fresh_database();
    let apps: Vec<TestApp> = thread::scope(|scope| {
        let starting: Vec<_> = (0..3).map(|_| scope.spawn(|| spawn(&url, &[]))).collect();
        starting.into_iter().map(|h| h.join().expect("start")).collect()
    });
    for app in &apps {
        assert!(wait_until(Duration::from_secs(10), || app.get("/api/ready").status == 200));
    }
    let db = database_name(&url);
    assert_eq!(server.sql(db, "SELECT COUNT(*) FROM schema_migrations"), "1");
    assert_eq!(server.sql(db, "SELECT version FROM schema_migrations"), "1");
    // A restart finds the schema current and changes nothing.
    drop(apps);
    let app = spawn(&url, &[]);
    assert_eq!(app.get("/api/ready").status, 200);
    assert_eq!(server.sql(db, "SELECT COUNT(*) FROM schema_migrations"), "1");
}

// ---------------------------------------------------------------- cache

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

// ---------------------------------------------------------------- configuration

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
