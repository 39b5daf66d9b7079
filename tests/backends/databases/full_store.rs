//! A full store refuses, it never crashes: the memory store fills the module's memory
//! under edge-host's `--max-memory` cap (as the Kubernetes runner Deployment sets it)
//! while eight clients create users. From the first allocation that no longer fits,
//! creates are refused with 507 and a JSON error, the module keeps running, reads and
//! health answer, every acknowledged user is there exactly as acknowledged, and once
//! the users are deleted writes are accepted again.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::thread;

use edge_service_test_support::{assert_error, create_user, id_of, HttpConnection, TestApp};
use serde_json::Value;

/// The module's memory cap in MiB: room for some tens of thousands of users.
const MAX_MEMORY_MIB: &str = "24";
/// More creates than fit under the cap (about 300 bytes each), so a run that never
/// sees a 507 fails instead of running on.
const MOST_CREATES_PER_CLIENT: usize = 40_000;

/// Every user on the store, by id, read page by page.
fn every_user(app: &TestApp) -> BTreeMap<u64, Value> {
    let mut connection = app.connect();
    let mut users = BTreeMap::new();
    let mut after = 0;
    loop {
        let page = connection.request("GET", &format!("/api/users?limit=1000&after={after}"), &[], b"");
        assert_eq!(page.status, 200, "{}", page.text());
        let listed = page.json().as_array().cloned().expect("a page is a JSON array");
        let Some(last) = listed.last() else { return users };
        after = id_of(last);
        users.extend(listed.into_iter().map(|user| (id_of(&user), user)));
    }
}

#[test]
fn the_memory_store_at_the_memory_cap_refuses_writes_with_507_keeps_every_user_and_recovers() {
    let mut app = TestApp::spawn_on_edge_host(
        &["--max-memory", MAX_MEMORY_MIB],
        &[("DATABASE_URL", ""), ("REDIS_URL", "")],
    );
    let acknowledged = Mutex::new(BTreeMap::new());
    let refused = AtomicBool::new(false);
    let addr = app.addr;
    thread::scope(|scope| {
        for client in 0..8 {
            let (acknowledged, refused) = (&acknowledged, &refused);
            scope.spawn(move || {
                let mut connection = HttpConnection::open(addr);
                for n in 0..MOST_CREATES_PER_CLIENT {
                    let email = format!("cap-{client}-{n}@example.org");
                    let response = create_user(&mut connection, "Capped", &email);
                    match response.status {
                        201 => {
                            let user = response.json();
                            acknowledged.lock().expect("acknowledged").insert(id_of(&user), user);
                        }
                        507 => {
                            let message = assert_error(&response, 507, "insufficient_storage");
                            assert!(message.contains("storage is full"), "{message}");
                            refused.store(true, Ordering::Release);
                            return;
                        }
                        other => panic!("create {n} of client {client}: {other} {}", response.text()),
                    }
                    if refused.load(Ordering::Acquire) {
                        return;
                    }
                }
            });
        }
    });
    assert!(refused.load(Ordering::Acquire), "no create was refused under a {MAX_MEMORY_MIB} MiB cap");
    assert!(app.is_running(), "the module died at its memory cap");
    let acknowledged = acknowledged.into_inner().expect("acknowledged");
    assert!(acknowledged.len() > 1000, "only {} users fitted", acknowledged.len());

    // Still refusing, still serving: health, metrics, reads of everything acknowledged.
    let mut connection = app.connect();
    let again = create_user(&mut connection, "Late", "late@example.org");
    assert_error(&again, 507, "insufficient_storage");
    assert_eq!(connection.request("GET", "/api/health", &[], b"").status, 200);
    let metrics = connection.request("GET", "/metrics", &[], b"").text();
    assert!(metrics.lines().any(|line| line == "edge_service_memory_exhausted 1"), "{metrics}");
    assert!(metrics.lines().any(|line| line.starts_with("edge_service_module_memory_bytes ")), "{metrics}");
    assert_eq!(every_user(&app), acknowledged, "the users read back are not the ones acknowledged");

    // Deleting the users gives the memory back: writes are accepted again.
    for id in acknowledged.keys() {
        assert_eq!(connection.request("DELETE", &format!("/api/users/{id}"), &[], b"").status, 204);
    }
    let after = create_user(&mut connection, "After", "after@example.org");
    assert_eq!(after.status, 201, "{}", after.text());
    let metrics = connection.request("GET", "/metrics", &[], b"").text();
    assert!(metrics.lines().any(|line| line == "edge_service_memory_exhausted 0"), "{metrics}");
    assert!(app.is_running());
    assert!(!app.logs().iter().any(|line| line.contains("memory allocation")), "{:?}", app.logs());
}
