//! End-to-end: 50 clients creating users at the same time get 1,000 distinct ids, and
//! every acknowledged user is stored exactly as sent: nothing lost, nothing duplicated.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Barrier};
use std::thread;

use edge_service_test_support::{create_user, id_of, unique_email, HttpConnection, TestApp};
use serde_json::json;

const WRITERS: usize = 50;
const USERS_PER_WRITER: usize = 20;

#[test]
fn fifty_concurrent_writers_lose_and_duplicate_no_ids() {
    let app = TestApp::spawn();
    let start = Arc::new(Barrier::new(WRITERS));
    let handles: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let mut connection = app.connect();
            let start = Arc::clone(&start);
            thread::spawn(move || {
                start.wait();
                (0..USERS_PER_WRITER)
                    .map(|n| {
                        let name = format!("Writer {writer} user {n}");
                        let email = unique_email(&format!("w{writer}"));
                        let response = create_user(&mut connection, &name, &email);
                        assert_eq!(response.status, 201, "{name}: {}", response.text());
                        let body = response.json();
                        assert_eq!((&body["name"], &body["email"]), (&json!(name), &json!(email)));
                        (id_of(&body), (name, email))
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut created: HashMap<u64, (String, String)> = HashMap::new();
    for handle in handles {
        for (id, user) in handle.join().expect("writer thread") {
            assert!(created.insert(id, user).is_none(), "id {id} was handed out twice");
        }
    }
    assert_eq!(created.len(), WRITERS * USERS_PER_WRITER);

    // Read everything back, also concurrently.
    let created = Arc::new(created);
    let ids: Vec<u64> = created.keys().copied().collect();
    let readers: Vec<_> = ids
        .chunks(ids.len() / 10)
        .map(|chunk| {
            let chunk = chunk.to_vec();
            let created = Arc::clone(&created);
            let mut connection: HttpConnection = app.connect();
            thread::spawn(move || {
                for id in chunk {
                    let response = connection.request("GET", &format!("/api/users/{id}"), &[], b"");
                    assert_eq!(response.status, 200, "user {id} was acknowledged but is missing");
                    let (name, email) = &created[&id];
                    assert_eq!(response.json(), json!({"id": id, "name": name, "email": email}));
                }
            })
        })
        .collect();
    for reader in readers {
        reader.join().expect("reader thread");
    }

    // The list shows each of them exactly once.
    let mut listed = HashSet::new();
    let mut after = ids.iter().min().copied().unwrap_or(1) - 1;
    let last = ids.iter().max().copied().unwrap_or(0);
    let mut connection = app.connect();
    while after < last {
        let page =
            connection.request("GET", &format!("/api/users?after={after}&limit=1000"), &[], b"").json();
        let page: Vec<u64> = page.as_array().expect("array").iter().map(id_of).collect();
        let Some(&end) = page.last() else { break };
        for id in page.into_iter().filter(|id| created.contains_key(id)) {
            assert!(listed.insert(id), "id {id} listed twice");
        }
        after = end;
    }
    assert_eq!(listed.len(), created.len());
}
