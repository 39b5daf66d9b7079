//! Several instances on one database: the database, not the service, keeps emails
//! unique, and instances starting together apply each migration once.

use std::collections::HashMap;
use std::thread;
use std::time::Duration;

use edge_service_test_support::database::{database_name, Backend, DbServer};
use edge_service_test_support::{wait_until, HttpConnection, TestApp};
use serde_json::json;

use super::{post, spawn};

on_both_sql_backends! {
    two_instances_never_create_duplicate_emails:
        mysql_two_instances_never_create_duplicate_emails,
        postgres_two_instances_never_create_duplicate_emails;
    concurrent_starts_apply_each_migration_once:
        mysql_concurrent_starts_apply_each_migration_once,
        postgres_concurrent_starts_apply_each_migration_once;
}

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
