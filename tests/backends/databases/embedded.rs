//! The embedded SQLite store, under edge-host with a granted directory (`--dir
//! /data:TMP`), as `scripts/run.sh` serves it by default: every write acknowledged
//! before a SIGKILL is there after the restart, exactly as acknowledged, and again
//! after a clean stop; a second instance on the same file refuses to start, and a
//! killed instance never keeps its own restart from taking the file over.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use edge_service_test_support::random::random_u64;
use edge_service_test_support::runner::{edge_host, module_command};
use edge_service_test_support::{wait_until, HttpConnection, TestApp};
use serde_json::Value;

const DATABASE_URL: &str = "sqlite:///data/edge.db";

/// A host directory granted to the module as `/data`, removed afterwards.
struct DataDir(PathBuf);

impl DataDir {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("edge-sqlite-e2e-{:016x}", random_u64()));
        std::fs::create_dir_all(&dir).expect("create the data directory");
        Self(dir)
    }

    fn grant(&self) -> String {
        format!("/data:{}", self.0.display())
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn start(data: &DataDir) -> TestApp {
    let grant = data.grant();
    TestApp::spawn_on_edge_host(&["--dir", &grant], &[("DATABASE_URL", DATABASE_URL)])
}

/// Runs the service on `data` until it exits by itself (it is expected to refuse).
fn run_to_exit(data: &DataDir) -> std::process::Output {
    let grant = data.grant();
    let mut runner = edge_host();
    runner.args(["--dir", &grant]);
    module_command(runner, &[("PORT", "0"), ("HOST", "127.0.0.1"), ("DATABASE_URL", DATABASE_URL)])
        .output()
        .expect("run the service")
}

/// `POST /api/users` that tolerates a server that died under it: `None` then.
fn try_create(connection: &mut HttpConnection, name: &str, email: &str) -> Option<(u16, Value)> {
    let body = serde_json::json!({"name": name, "email": email}).to_string();
    let request = format!(
        "POST /api/users HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    connection.try_send_raw(request.as_bytes()).ok()?;
    let response = connection.try_read_response(false).ok()?;
    let json = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    Some((response.status, json))
}

/// Every acknowledged user is stored exactly as acknowledged.
fn assert_all_there(app: &TestApp, acknowledged: &[Value], when: &str) {
    let mut connection = app.connect();
    for user in acknowledged {
        let id = user["id"].as_u64().expect("acknowledged users have ids");
        let response = connection.request("GET", &format!("/api/users/{id}"), &[], b"");
        assert_eq!(response.status, 200, "{when}: acknowledged user {id} is missing");
        assert_eq!(&response.json(), user, "{when}: user {id} changed");
    }
}

#[test]
fn every_write_acknowledged_before_a_sigkill_survives_it_and_a_clean_restart() {
    let data = DataDir::new();
    let app = start(&data);
    let addr = app.addr;
    let stop = Arc::new(AtomicBool::new(false));
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let writers: Vec<_> = (0..4)
        .map(|writer| {
            let (stop, acknowledged, count) = (stop.clone(), acknowledged.clone(), count.clone());
            thread::spawn(move || {
                let mut connection = HttpConnection::open(addr);
                // Bounded: at most 5,000 writes each; the kill ends them much sooner.
                for i in 0..5_000 {
                    if stop.load(Ordering::Acquire) {
                        return;
                    }
                    let email = format!("w{writer}-{i}@example.org");
                    match try_create(&mut connection, &format!("Writer {writer}"), &email) {
                        Some((201, user)) => {
                            acknowledged.lock().expect("log").push(user);
                            count.fetch_add(1, Ordering::AcqRel);
                        }
                        Some((status, body)) => panic!("write {email} got {status}: {body}"),
                        None => return, // the service was killed under this request
                    }
                }
            })
        })
        .collect();
    // Kill it at a moment nobody chose: after a random number of acknowledged writes.
    let kill_after = 200 + usize::try_from(random_u64() % 800).unwrap_or(0);
    assert!(
        wait_until(Duration::from_secs(60), || count.load(Ordering::Acquire) >= kill_after),
        "fewer than {kill_after} writes were acknowledged"
    );
    let status = app.stop();
    assert!(!status.success(), "SIGKILL ends the process: {status}");
    stop.store(true, Ordering::Release);
    for writer in writers {
        writer.join().expect("writer");
    }
    let acknowledged = std::mem::take(&mut *acknowledged.lock().expect("log"));
    assert!(acknowledged.len() >= kill_after);

    // The restart takes the file over from the killed instance and has every write.
    let mut restarted = start(&data);
    assert_all_there(&restarted, &acknowledged, "after SIGKILL");
    assert!(
        restarted.logs().iter().any(|line| line.contains("taking over")),
        "the restart says it took the file over: {:?}",
        restarted.logs()
    );

    // A clean stop releases the file: the next start does not wait, and has everything.
    restarted.signal("TERM");
    let status = restarted.wait_exit(Duration::from_secs(30)).expect("drains and exits");
    assert_eq!(status.code(), Some(0));
    let mut again = start(&data);
    assert_all_there(&again, &acknowledged, "after a clean restart");
    assert!(!again.logs().iter().any(|line| line.contains("taking over")), "{:?}", again.logs());
}

#[test]
fn a_second_instance_on_the_same_file_refuses_to_start_with_one_line() {
    let data = DataDir::new();
    let first = start(&data);
    let output = run_to_exit(&data);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let refusal: Vec<&str> =
        stderr.lines().filter(|line| line.contains("another instance is using")).collect();
    assert_eq!(refusal.len(), 1, "one clear line: {stderr}");
    assert!(refusal[0].contains("/data/edge.db"), "{stderr}");
    // The first one never noticed.
    assert_eq!(first.get("/api/ready").status, 200);
    assert!(data.path().join("edge.db.owner").exists());
}

#[test]
fn a_file_that_is_not_a_database_stops_the_start_with_a_clear_error() {
    let data = DataDir::new();
    std::fs::write(data.path().join("edge.db"), vec![b'x'; 8192]).expect("write a file that is no database");
    let output = run_to_exit(&data);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("/data/edge.db is not a usable SQLite database"), "{stderr}");
    assert!(!stderr.contains("listening"), "{stderr}");
}
