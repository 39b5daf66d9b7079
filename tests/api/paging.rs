//! End-to-end: paging through 2,500 users with `limit` and `after` returns each of them
//! exactly once, in id order, and full pages point at the next one with `Link`.
//! The test's users have ids in a random range of their own, so other users in a
//! shared store do not disturb it.

use std::thread;

use edge_service_test_support::{create_user_with_id, id_of, random_id_base, unique_email, TestApp};

const USERS: u64 = 2_500;
const WRITERS: u64 = 10;

/// Creates users `base..base + USERS` over several keep-alive connections.
fn create_range(app: &TestApp, base: u64) {
    let per_writer = USERS / WRITERS;
    let handles: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let mut connection = app.connect();
            thread::spawn(move || {
                for offset in writer * per_writer..(writer + 1) * per_writer {
                    let id = base + offset;
                    let response = create_user_with_id(
                        &mut connection,
                        id,
                        &format!("Page {offset}"),
                        &unique_email("page"),
                    );
                    assert_eq!(response.status, 201, "user {id}: {}", response.text());
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().expect("writer thread");
    }
}

/// Pages from `after = base - 1` with `limit` until past the range; returns the ids
/// seen in the range and the number of requests made.
fn page_through(app: &TestApp, base: u64, limit: u64) -> (Vec<u64>, usize) {
    let mut connection = app.connect();
    let mut seen = Vec::new();
    let mut after = base - 1;
    let mut pages = 0;
    loop {
        let path = format!("/api/users?after={after}&limit={limit}");
        let response = connection.request("GET", &path, &[], b"");
        assert_eq!(response.status, 200, "{path}: {}", response.text());
        pages += 1;
        let page: Vec<u64> = response.json().as_array().expect("array").iter().map(id_of).collect();
        assert!(page.len() as u64 <= limit, "{path} returned {} users", page.len());
        assert!(page.iter().all(|id| *id > after), "{path} returned ids not after {after}");
        assert!(page.windows(2).all(|w| w[0] < w[1]), "{path} is not ordered by id");
        if page.len() as u64 == limit {
            let last = page.last().expect("full page");
            let link =
                response.header("link").unwrap_or_else(|| panic!("{path}: a full page has a Link header"));
            assert_eq!(link, format!("</api/users?after={last}&limit={limit}>; rel=\"next\""));
        } else {
            assert_eq!(response.header("link"), None, "{path}: a short page is the last one");
        }
        seen.extend(page.iter().copied().filter(|id| *id < base + USERS));
        match page.last() {
            Some(last) if *last < base + USERS - 1 && page.len() as u64 == limit => after = *last,
            _ => return (seen, pages),
        }
    }
}

#[test]
fn paging_across_2500_users_returns_each_once_in_order() {
    let app = TestApp::spawn();
    let base = random_id_base();
    create_range(&app, base);
    let expected: Vec<u64> = (base..base + USERS).collect();

    let (seen, pages) = page_through(&app, base, 1000);
    assert_eq!(seen, expected, "limit=1000");
    assert_eq!(pages, 3, "2,500 users in pages of 1,000");

    let (seen, pages) = page_through(&app, base, 97);
    assert_eq!(seen, expected, "limit=97");
    assert_eq!(pages, 26);

    // Without `limit`, a page has 100 users.
    let response = app.get(&format!("/api/users?after={}", base - 1));
    let page = response.json();
    let ids: Vec<u64> = page.as_array().expect("array").iter().map(id_of).collect();
    assert_eq!(ids, (base..base + 100).collect::<Vec<_>>());

    // Each user's data came back as stored.
    let middle = app.get(&format!("/api/users/{}", base + 1234)).json();
    assert_eq!(middle["name"], "Page 1234");
}
