//! SIGTERM/SIGINT: edge-host shuts the guest's listeners down (new connections are
//! refused, a `poll_oneoff` waiting on a listener wakes, `sock_accept` fails with
//! `INVAL`), then cuts the guest at `--shutdown-timeout` (exit 124) or at a second
//! signal (128 + its number). Guests here are WAT: one that exits 0 when accept fails,
//! as a cooperating server does, and one that ignores everything.

mod common;

use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::socket_wat::socket_guest;
use common::{Sandbox, Server};

/// Opens, binds 127.0.0.1:0 and listens; `$l` is the listener afterwards.
const LISTEN: &str = r#"
    (local.set $l (call $open (i32.const 1) (i32.const 2)))
    (call $check (call $sock_bind (local.get $l) (call $addr4 (i32.const 0x0100007f)) (i32.const 0)) (i32.const 0) (i32.const 90))
    (call $check (call $sock_listen (local.get $l) (i32.const 8)) (i32.const 0) (i32.const 91))
    (call $print_u32 (call $local_port (local.get $l)))"#;

/// Blocks in `poll_oneoff` on the listener alone, accepts (and closes) what comes;
/// exits 0 when accept fails with INVAL (28), any other surprise with its own code.
const SERVE_UNTIL_SHUT_DOWN: &str = r#"
    (loop $serve
      (call $sub_fd (i32.const 0) (i32.const 1) (local.get $l) (i64.const 7))
      (call $check (call $poll_n (i32.const 1)) (i32.const 1) (i32.const 10))
      (call $check (call $ev_type (i32.const 0)) (i32.const 1) (i32.const 11))
      (call $check (call $ev_err (i32.const 0)) (i32.const 0) (i32.const 12))
      (local.set $rc (call $sock_accept (local.get $l) (i32.const 1024)))
      (if (i32.eq (local.get $rc) (i32.const 28))
        (then
          ;; a shut-down listener is reported readable with HANGUP
          (call $check (call $ev_flags (i32.const 0)) (i32.const 1) (i32.const 14))
          (call $exit (i32.const 0))))
      (call $check (local.get $rc) (i32.const 0) (i32.const 13))
      (drop (call $fd_close (i32.load (i32.const 1024))))
      (br $serve))"#;

fn cooperating_guest() -> String {
    socket_guest(&format!(
        "(func (export \"_start\") (local $l i32) (local $rc i32) {LISTEN} {SERVE_UNTIL_SHUT_DOWN})"
    ))
}

/// Listens, then waits on 50 ms clocks for ever: never accepts, never exits.
fn ignoring_guest() -> String {
    socket_guest(&format!(
        r#"(func (export "_start") (local $l i32) {LISTEN}
    (loop $idle
      (call $sub_clock (i32.const 0) (i32.const 1) (i64.const 50000000) (i32.const 0) (i64.const 1))
      (drop (call $poll_n (i32.const 1)))
      (br $idle)))"#
    ))
}

fn signal(server: &Server, signal: i32) {
    // SAFETY: sending a signal to our own child.
    let rc = unsafe { libc::kill(server.child.id() as i32, signal) };
    assert_eq!(rc, 0, "kill failed");
}

/// Starts `wat` under edge-host with `flags` and returns it with the port it printed.
fn start(sb: &Sandbox, wat: &str, flags: &[&str]) -> (Server, SocketAddr) {
    let module = sb.module("guest", wat);
    let mut args = vec!["run"];
    args.extend_from_slice(flags);
    args.push(module.to_str().expect("utf-8 path"));
    let mut server = sb.spawn(&args);
    let port: u16 = server.read_line().parse().expect("the guest prints its port");
    (server, SocketAddr::from(([127, 0, 0, 1], port)))
}

/// Connects until the listener refuses (it is shut down by the signal thread).
fn wait_until_refused(addr: SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(addr).is_ok() {
        assert!(Instant::now() < deadline, "still accepting connections 10 s after the signal");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn sigterm_wakes_a_guest_blocked_on_its_listener_and_it_exits_0() {
    let sb = Sandbox::new();
    let (mut server, addr) = start(&sb, &cooperating_guest(), &[]);
    let mut client = TcpStream::connect(addr).expect("accepting before the signal");
    // The guest closes what it accepts: EOF here means it accepted this connection and
    // is back in its poll, so the shutdown is what wakes it (with HANGUP) and not this
    // connection still waiting in the backlog.
    let mut byte = [0u8; 1];
    assert_eq!(
        std::io::Read::read(&mut client, &mut byte).expect("read"),
        0,
        "the guest closes accepted connections"
    );
    signal(&server, libc::SIGTERM);
    assert_eq!(server.wait_exit(Duration::from_secs(10)), Some(0), "{}", server.stderr());
    assert!(server.stderr().contains("edge-host: SIGTERM: refusing new connections"));
}

#[test]
fn sigint_does_the_same() {
    let sb = Sandbox::new();
    let (mut server, _) = start(&sb, &cooperating_guest(), &[]);
    signal(&server, libc::SIGINT);
    assert_eq!(server.wait_exit(Duration::from_secs(10)), Some(0), "{}", server.stderr());
}

#[test]
fn a_guest_that_ignores_the_shutdown_is_refused_new_connections_and_cut_by_a_second_signal() {
    let sb = Sandbox::new();
    let (mut server, addr) = start(&sb, &ignoring_guest(), &["--shutdown-timeout", "60"]);
    signal(&server, libc::SIGTERM);
    wait_until_refused(addr);
    assert_eq!(server.wait_exit(Duration::from_millis(200)), None, "still draining");
    signal(&server, libc::SIGTERM);
    assert_eq!(server.wait_exit(Duration::from_secs(10)), Some(128 + libc::SIGTERM));
    assert!(server.stderr().contains("edge-host: second SIGTERM: ending the module at once"));
}

#[test]
fn a_guest_that_ignores_the_shutdown_is_cut_at_the_timeout_with_124() {
    let sb = Sandbox::new();
    let (mut server, _) = start(&sb, &ignoring_guest(), &["--shutdown-timeout", "1"]);
    let signalled = Instant::now();
    signal(&server, libc::SIGTERM);
    assert_eq!(server.wait_exit(Duration::from_secs(20)), Some(124));
    assert!(signalled.elapsed() >= Duration::from_secs(1), "cut before the deadline");
    let stderr = server.stderr();
    assert!(stderr.contains("edge-host: --shutdown-timeout 1 s passed after SIGTERM"), "{stderr}");
}

#[test]
fn a_socket_that_starts_listening_after_the_signal_is_shut_down_at_once() {
    // The guest announces itself, waits 500 ms (the signal arrives meanwhile), then
    // listens and serves: its listener is refused at once, so it exits 0.
    let wat = socket_guest(&format!(
        r#"(func (export "_start") (local $l i32) (local $rc i32)
    (call $print_u32 (i32.const 1))
    (call $sub_clock (i32.const 0) (i32.const 1) (i64.const 500000000) (i32.const 0) (i64.const 1))
    (drop (call $poll_n (i32.const 1)))
    {LISTEN} {SERVE_UNTIL_SHUT_DOWN})"#
    ));
    let sb = Sandbox::new();
    let module = sb.module("late", &wat);
    let mut server = sb.spawn(&["run", module.to_str().expect("utf-8 path")]);
    assert_eq!(server.read_line(), "1");
    signal(&server, libc::SIGTERM);
    assert_eq!(server.wait_exit(Duration::from_secs(10)), Some(0), "{}", server.stderr());
}
