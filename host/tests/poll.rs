//! poll_oneoff behaviour that depends on state across calls: persistent
//! registrations must never change what a call reports or how long it waits.

mod common;

use common::socket_wat::socket_guest;
use common::{stderr, Sandbox};

/// Builds a connected pair (client $c, server side $s) through a loopback
/// listener, then runs `checks`.
fn pair_guest(checks: &str) -> String {
    socket_guest(&format!(
        r#"
  (data (i32.const 1300) "x")
  (func (export "_start") (local $l i32) (local $c i32) (local $s i32) (local $t0 i64) (local $i i32)
    (local.set $l (call $open (i32.const 1) (i32.const 2)))
    (call $check (call $sock_bind (local.get $l) (call $addr4 (i32.const 0x0100007f)) (i32.const 0)) (i32.const 0) (i32.const 90))
    (call $check (call $sock_listen (local.get $l) (i32.const 8)) (i32.const 0) (i32.const 91))
    (local.set $c (call $open (i32.const 1) (i32.const 2)))
    (local.set $i (call $local_port (local.get $l)))
    (call $check (call $sock_connect (local.get $c) (call $addr4 (i32.const 0x0100007f)) (local.get $i)) (i32.const 0) (i32.const 92))
    (call $check (call $sock_accept (local.get $l) (i32.const 1024)) (i32.const 0) (i32.const 93))
    (local.set $s (i32.load (i32.const 1024)))
    {checks})"#
    ))
}

#[test]
fn a_descriptor_not_resubscribed_neither_reports_nor_ends_the_wait() {
    let checks = r#"
    ;; register $s for READ (not readable yet: only the 1 ms clock fires)
    (call $sub_fd (i32.const 0) (i32.const 1) (local.get $s) (i64.const 1))
    (call $sub_clock (i32.const 1) (i32.const 1) (i64.const 1000000) (i32.const 0) (i64.const 2))
    (call $check (call $poll_n (i32.const 2)) (i32.const 1) (i32.const 1))
    (call $check (call $ev_type (i32.const 0)) (i32.const 0) (i32.const 2))
    ;; make $s readable, then wait on a 30 ms clock only
    (call $check (call $send (local.get $c) (i32.const 1300) (i32.const 1)) (i32.const 0) (i32.const 3))
    (call $sub_clock (i32.const 0) (i32.const 1) (i64.const 30000000) (i32.const 0) (i64.const 3))
    (local.set $t0 (call $now))
    (call $check (call $poll_n (i32.const 1)) (i32.const 1) (i32.const 4))
    (call $check64 (call $ev_ud (i32.const 0)) (i64.const 3) (i32.const 5))
    (if (i64.lt_u (i64.sub (call $now) (local.get $t0)) (i64.const 29000000)) (then (call $exit (i32.const 6))))
    ;; subscribed again, it reports at once
    (call $sub_fd (i32.const 0) (i32.const 1) (local.get $s) (i64.const 4))
    (call $sub_clock (i32.const 1) (i32.const 1) (i64.const 5000000000) (i32.const 0) (i64.const 5))
    (local.set $t0 (call $now))
    (call $check (call $poll_n (i32.const 2)) (i32.const 1) (i32.const 7))
    (call $check64 (call $ev_ud (i32.const 0)) (i64.const 4) (i32.const 8))
    (if (i64.gt_u (i64.sub (call $now) (local.get $t0)) (i64.const 1000000000)) (then (call $exit (i32.const 9))))
  "#;
    let sb = Sandbox::new();
    let m = sb.module("stale", &pair_guest(checks));
    let out = sb.run(&["run", m.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "failed check = exit code; {}", stderr(&out));
}

#[test]
fn interest_changes_between_calls_are_honoured() {
    let checks = r#"
    ;; READ+WRITE, then WRITE only, then READ only, on the same socket
    (call $sub_fd (i32.const 0) (i32.const 1) (local.get $c) (i64.const 1))
    (call $sub_fd (i32.const 1) (i32.const 2) (local.get $c) (i64.const 2))
    (call $check (call $poll_n (i32.const 2)) (i32.const 1) (i32.const 1))
    (call $check (call $ev_type (i32.const 0)) (i32.const 2) (i32.const 2))
    (if (i64.eqz (call $ev_nbytes (i32.const 0))) (then (call $exit (i32.const 3))))
    (call $sub_fd (i32.const 0) (i32.const 2) (local.get $c) (i64.const 3))
    (call $check (call $poll_n (i32.const 1)) (i32.const 1) (i32.const 4))
    (call $check64 (call $ev_ud (i32.const 0)) (i64.const 3) (i32.const 5))
    ;; READ only on $c with nothing to read: the clock ends the wait
    (call $sub_fd (i32.const 0) (i32.const 1) (local.get $c) (i64.const 6))
    (call $sub_clock (i32.const 1) (i32.const 1) (i64.const 10000000) (i32.const 0) (i64.const 7))
    (call $check (call $poll_n (i32.const 2)) (i32.const 1) (i32.const 6))
    (call $check64 (call $ev_ud (i32.const 0)) (i64.const 7) (i32.const 7))
    ;; data arrives: READ fires with nbytes 1
    (call $check (call $send (local.get $s) (i32.const 1300) (i32.const 1)) (i32.const 0) (i32.const 8))
    (call $sub_fd (i32.const 0) (i32.const 1) (local.get $c) (i64.const 8))
    (call $check (call $poll_n (i32.const 1)) (i32.const 1) (i32.const 9))
    (call $check64 (call $ev_nbytes (i32.const 0)) (i64.const 1) (i32.const 10))
    ;; closing a registered descriptor (after reading, so the peer sees a FIN,
    ;; which is not HANGUP) and reusing its number is safe
    (call $check (call $recv (local.get $c)) (i32.const 0) (i32.const 14))
    (call $check (call $fd_close (local.get $c)) (i32.const 0) (i32.const 11))
    (local.set $c (call $open (i32.const 1) (i32.const 2)))
    (call $sub_fd (i32.const 0) (i32.const 1) (local.get $s) (i64.const 9))
    (call $check (call $poll_n (i32.const 1)) (i32.const 1) (i32.const 12))
    (call $check (call $ev_flags (i32.const 0)) (i32.const 0) (i32.const 13))
  "#;
    let sb = Sandbox::new();
    let m = sb.module("interest", &pair_guest(checks));
    let out = sb.run(&["run", m.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "failed check = exit code; {}", stderr(&out));
}

#[test]
fn an_idle_wait_uses_no_cpu() {
    // A guest blocked in poll_oneoff on a listener for 300 ms must not spin.
    let checks = r#"
    (call $sub_fd (i32.const 0) (i32.const 1) (local.get $l) (i64.const 1))
    (call $sub_clock (i32.const 1) (i32.const 1) (i64.const 300000000) (i32.const 0) (i64.const 2))
    (call $check (call $poll_n (i32.const 2)) (i32.const 1) (i32.const 1))
    (call $check64 (call $ev_ud (i32.const 0)) (i64.const 2) (i32.const 2))
  "#;
    let sb = Sandbox::new();
    let m = sb.module("idle", &pair_guest(checks));
    // Compile first so the measured run only waits.
    assert_eq!(sb.run(&["run", m.to_str().unwrap()]).status.code(), Some(0));
    // The CPU time of this one child, from wait4: RUSAGE_CHILDREN would also count the
    // children of the tests running beside this one in the same process.
    #[allow(clippy::zombie_processes, reason = "reaped by wait4 below, which also gives its CPU time")]
    let child = sb
        .command(&["run", m.to_str().unwrap()])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn edge-host");
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child; status and usage are valid for writes.
    let reaped = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(reaped, child.id() as libc::pid_t, "wait4 failed");
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "wait status {status}");
    let micros = |t: libc::timeval| t.tv_sec * 1_000_000 + t.tv_usec;
    let cpu = micros(usage.ru_utime) + micros(usage.ru_stime);
    // Start-up costs a few ms of CPU; spinning for 300 ms would cost ~300.
    assert!(cpu < 150_000, "child used {cpu} µs of CPU during a 300 ms idle wait");
}

#[test]
fn a_wake_that_completes_nothing_returns_no_events_like_wasmedge() {
    // A connected UDP socket whose peer port is closed gets ICMP "port
    // unreachable": epoll reports EPOLLERR alone, which completes neither
    // READ nor WRITE. WasmEdge returns at once with 0 events.
    let body = r#"
  (data (i32.const 1300) "x")
  (func (export "_start") (local $u i32) (local $port i32) (local $t0 i64)
    (local.set $u (call $open (i32.const 1) (i32.const 1)))
    (call $check (call $sock_bind (local.get $u) (call $addr4 (i32.const 0x0100007f)) (i32.const 0)) (i32.const 0) (i32.const 1))
    (local.set $port (call $local_port (local.get $u)))
    (drop (call $fd_close (local.get $u)))
    (local.set $u (call $open (i32.const 1) (i32.const 1)))
    (call $check (call $sock_connect (local.get $u) (call $addr4 (i32.const 0x0100007f)) (local.get $port)) (i32.const 0) (i32.const 2))
    (call $check (call $send (local.get $u) (i32.const 1300) (i32.const 1)) (i32.const 0) (i32.const 3))
    (call $sub_fd (i32.const 0) (i32.const 1) (local.get $u) (i64.const 1))
    (call $sub_clock (i32.const 1) (i32.const 1) (i64.const 3000000000) (i32.const 0) (i64.const 2))
    (local.set $t0 (call $now))
    (call $check (call $poll_n (i32.const 2)) (i32.const 0) (i32.const 4))
    (if (i64.gt_u (i64.sub (call $now) (local.get $t0)) (i64.const 1000000000)) (then (call $exit (i32.const 5))))
    ;; the error is then reported by the next receive
    (call $check (call $recv (local.get $u)) (i32.const 14) (i32.const 6)))"#;
    let sb = Sandbox::new();
    let m = sb.module("udp_err", &socket_guest(body));
    let out = sb.run(&["run", m.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "failed check = exit code; {}", stderr(&out));
}

#[test]
fn write_interest_on_a_full_socket_waits_until_the_peer_drains_it() {
    let checks = r#"
    ;; fill $c's buffers: non-blocking sends of 64 KiB until AGAIN
    (call $check (call $set_flags (local.get $c) (i32.const 4)) (i32.const 0) (i32.const 1))
    (call $check (call $set_flags (local.get $s) (i32.const 4)) (i32.const 0) (i32.const 2))
    (block $full (loop $more
      (br_if $full (i32.ne (call $send (local.get $c) (i32.const 8192) (i32.const 65536)) (i32.const 0)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $more (i32.lt_u (local.get $i) (i32.const 100000)))))
    ;; not writable: only the 50 ms clock fires
    (call $sub_fd (i32.const 0) (i32.const 2) (local.get $c) (i64.const 1))
    (call $sub_clock (i32.const 1) (i32.const 1) (i64.const 50000000) (i32.const 0) (i64.const 2))
    (call $check (call $poll_n (i32.const 2)) (i32.const 1) (i32.const 3))
    (call $check64 (call $ev_ud (i32.const 0)) (i64.const 2) (i32.const 4))
    ;; drain the peer side until AGAIN
    (block $empty (loop $read
      (br_if $empty (i32.ne (call $recv (local.get $s)) (i32.const 0)))
      (br $read)))
    ;; now the WRITE subscription completes (the wait blocks until it does)
    (call $sub_fd (i32.const 0) (i32.const 2) (local.get $c) (i64.const 3))
    (call $sub_clock (i32.const 1) (i32.const 1) (i64.const 5000000000) (i32.const 0) (i64.const 4))
    (call $check (call $poll_n (i32.const 2)) (i32.const 1) (i32.const 5))
    (call $check64 (call $ev_ud (i32.const 0)) (i64.const 3) (i32.const 6))
    (call $check (call $ev_type (i32.const 0)) (i32.const 2) (i32.const 7))
    (if (i64.eqz (call $ev_nbytes (i32.const 0))) (then (call $exit (i32.const 8))))
  "#;
    let sb = Sandbox::new();
    let m = sb.module("full", &pair_guest(checks));
    let out = sb.run(&["run", m.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "failed check = exit code; {}", stderr(&out));
}

#[test]
fn a_call_answered_by_the_write_probe_still_reports_every_ready_descriptor() {
    // FD_WRITE on a writable socket is answered by the probe, which then
    // also asks the call's other descriptors: everything ready is reported,
    // in subscription order, with WasmEdge's nbytes, and nothing else is.
    let checks = r#"
    ;; $s has a byte to read; a second client waits in $l's backlog
    (call $check (call $send (local.get $c) (i32.const 1300) (i32.const 1)) (i32.const 0) (i32.const 1))
    (local.set $t0 (i64.extend_i32_u (call $open (i32.const 1) (i32.const 2))))
    (call $check (call $sock_connect (i32.wrap_i64 (local.get $t0)) (call $addr4 (i32.const 0x0100007f)) (local.get $i)) (i32.const 0) (i32.const 2))
    (call $sub_fd (i32.const 0) (i32.const 2) (local.get $c) (i64.const 10))
    (call $sub_fd (i32.const 1) (i32.const 1) (local.get $c) (i64.const 11))
    (call $sub_fd (i32.const 2) (i32.const 1) (local.get $s) (i64.const 12))
    (call $sub_fd (i32.const 3) (i32.const 1) (local.get $l) (i64.const 13))
    (call $sub_clock (i32.const 4) (i32.const 1) (i64.const 5000000000) (i32.const 0) (i64.const 14))
    (call $check (call $poll_n (i32.const 5)) (i32.const 3) (i32.const 3))
    (call $check64 (call $ev_ud (i32.const 0)) (i64.const 10) (i32.const 4))
    (call $check (call $ev_type (i32.const 0)) (i32.const 2) (i32.const 5))
    (if (i64.eqz (call $ev_nbytes (i32.const 0))) (then (call $exit (i32.const 6))))
    (call $check64 (call $ev_ud (i32.const 1)) (i64.const 12) (i32.const 7))
    (call $check (call $ev_type (i32.const 1)) (i32.const 1) (i32.const 8))
    (call $check64 (call $ev_nbytes (i32.const 1)) (i64.const 1) (i32.const 9))
    (call $check64 (call $ev_ud (i32.const 2)) (i64.const 13) (i32.const 10))
    ;; a listener's READ nbytes is 0 (FIONREAD fails on it)
    (call $check64 (call $ev_nbytes (i32.const 2)) (i64.const 0) (i32.const 11))
    (call $check (call $ev_flags (i32.const 2)) (i32.const 0) (i32.const 12))
  "#;
    let sb = Sandbox::new();
    let m = sb.module("probe_all", &pair_guest(checks));
    let out = sb.run(&["run", m.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "failed check = exit code; {}", stderr(&out));
}
