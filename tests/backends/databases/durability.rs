//! Durability: acknowledged writes survive service and database restarts and crashes;
//! a database killed during a stream of writes gives 503s, then the service reconnects by
//! itself with every acknowledged write intact; a database down at start does not stop
//! the service from starting.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use edge_service_test_support::database::{Backend, DbServer};
use edge_service_test_support::{wait_until, HttpConnection, TestApp};
use serde_json::{json, Value};

use super::{all_users, get_user, post, spawn};

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
}

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
    // What the writer has seen so far, for the steps below to wait on.
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(AtomicUsize::new(0));
    let (writer_stop, writer_acknowledged, writer_refused) =
        (stop.clone(), acknowledged.clone(), refused.clone());
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
                201 => {
                    log.acknowledged.push(response.json());
                    writer_acknowledged.fetch_add(1, Ordering::AcqRel);
                }
                503 => {
                    assert_eq!(response.json()["error"]["code"], "unavailable", "{}", response.text());
                    log.unavailable += 1;
                    writer_refused.fetch_add(1, Ordering::AcqRel);
                }
                status => log.other.push((status, response.text())),
            }
            thread::sleep(Duration::from_millis(5));
        }
        log
    });
    let seen = |counter: &AtomicUsize, at_least: usize| {
        wait_until(Duration::from_secs(20), || counter.load(Ordering::Acquire) >= at_least)
    };

    // Some writes land, the database is killed, writes get 503s, it is restarted, and
    // writes land again: each step waits for the writer to have seen the one before.
    assert!(seen(&acknowledged, 5), "no write was acknowledged before the kill");
    server.kill();
    let count = |app: &TestApp| app.get("/api/ready").status;
    assert!(
        wait_until(Duration::from_secs(10), || count(&app) == 503),
        "ready must turn 503 once the database is gone"
    );
    assert!(seen(&refused, 1), "writes while the database was dead must get 503");
    server.restart();
    let restarted = Instant::now();
    assert!(
        wait_until(Duration::from_secs(10), || count(&app) == 200),
        "the service must reconnect on its own"
    );
    let recovered_in = restarted.elapsed();
    let at_recovery = acknowledged.load(Ordering::Acquire);
    assert!(seen(&acknowledged, at_recovery + 5), "no write was acknowledged after the restart");
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
