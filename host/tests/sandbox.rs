//! `--allow-connect` / `--allow-listen` (ACCES + one log line) and
//! `--max-memory` (memory.grow fails, the host stays up).

mod common;

use std::net::{TcpListener, UdpSocket};

use common::{guest, stderr, Sandbox};

const SOCKET_IMPORTS: &str = r#"
  (import "wasi_snapshot_preview1" "sock_open" (func $sock_open (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_bind" (func $sock_bind (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_connect" (func $sock_connect (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_send_to" (func $sock_send_to (param i32 i32 i32 i32 i32 i32 i32) (result i32)))"#;

/// A guest that opens a socket of `socktype` and exits with the result of
/// `op` on 127.0.0.1:`port` (bind, connect or send_to).
fn socket_guest(socktype: u32, op: &str, port: u16) -> String {
    let call = match op {
        "bind" => format!("(call $sock_bind (local.get $fd) (i32.const 64) (i32.const {port}))"),
        "connect" => format!("(call $sock_connect (local.get $fd) (i32.const 64) (i32.const {port}))"),
        _ => format!(
            "(call $sock_send_to (local.get $fd) (i32.const 80) (i32.const 1) (i32.const 64) (i32.const {port}) (i32.const 0) (i32.const 96))"
        ),
    };
    let body = format!(
        r#"
      (data (i32.const 200) "ping")
      (func (export "_start") (local $fd i32)
        (call $check (call $sock_open (i32.const 1) (i32.const {socktype}) (i32.const 0)) (i32.const 0) (i32.const 99))
        (local.set $fd (i32.load (i32.const 0)))
        (i32.store (i32.const 128) (i32.const 0x0100007f))
        (i32.store (i32.const 64) (i32.const 128))
        (i32.store (i32.const 68) (i32.const 4))
        (i32.store (i32.const 80) (i32.const 200))
        (i32.store (i32.const 84) (i32.const 4))
        (call $exit {call}))"#
    );
    guest(SOCKET_IMPORTS, &body)
}

fn run_with(sb: &Sandbox, name: &str, wat: &str, flags: &[&str]) -> (Option<i32>, String) {
    let m = sb.module(name, wat);
    let mut args = vec!["run"];
    args.extend_from_slice(flags);
    args.push(m.to_str().unwrap());
    let out = sb.run(&args);
    (out.status.code(), stderr(&out))
}

#[test]
fn without_rules_everything_is_allowed() {
    let sb = Sandbox::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (code, err) = run_with(&sb, "open", &socket_guest(2, "connect", port), &[]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(err, "");
}

#[test]
fn connect_outside_allow_connect_gets_acces_and_one_log_line() {
    let sb = Sandbox::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let wat = socket_guest(2, "connect", port);
    let (code, err) = run_with(&sb, "deny", &wat, &["--allow-connect", "10.0.0.0/8:*"]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(
        err,
        format!("edge-host: denied connect to 127.0.0.1:{port}: not allowed by --allow-connect\n")
    );

    let allow = format!("127.0.0.1:{port}");
    let (code, err) = run_with(&sb, "allow", &wat, &["--allow-connect", &allow]);
    assert_eq!(code, Some(0), "{err}");
    let (code, _) = run_with(&sb, "cidr", &wat, &["--allow-connect", "127.0.0.0/8:*"]);
    assert_eq!(code, Some(0));
}

#[test]
fn any_rule_enables_the_sandbox_for_both_directions() {
    let sb = Sandbox::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (code, err) =
        run_with(&sb, "c", &socket_guest(2, "connect", port), &["--allow-listen", "0.0.0.0:8080"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("denied connect to"), "{err}");
}

#[test]
fn bind_outside_allow_listen_gets_acces() {
    let sb = Sandbox::new();
    let wat = socket_guest(2, "bind", 0);
    let (code, err) = run_with(&sb, "bind_deny", &wat, &["--allow-listen", "0.0.0.0:8080"]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(err, "edge-host: denied bind to 127.0.0.1:0: not allowed by --allow-listen\n");
    let (code, err) = run_with(&sb, "bind_allow", &wat, &["--allow-listen", "127.0.0.1:*"]);
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn udp_send_to_is_checked_like_connect() {
    let sb = Sandbox::new();
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = peer.local_addr().unwrap().port();
    let wat = socket_guest(1, "send_to", port);
    let (code, err) = run_with(&sb, "udp_deny", &wat, &["--allow-connect", "127.0.0.1:1"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains(&format!("denied connect to 127.0.0.1:{port}")), "{err}");
    let allow = format!("127.0.0.1:{port}");
    let (code, err) = run_with(&sb, "udp_allow", &wat, &["--allow-connect", &allow]);
    assert_eq!(code, Some(0), "{err}");
    let mut buf = [0u8; 8];
    let (n, _) = peer.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"ping");
}

#[test]
fn malformed_rules_are_refused_by_the_command_line_parser() {
    let sb = Sandbox::new();
    let (code, err) = run_with(&sb, "bad_rule", &socket_guest(2, "bind", 0), &["--allow-listen", "nonsense"]);
    assert_eq!(code, Some(2), "clap's status for a bad value: {err}");
    assert!(err.contains("invalid value 'nonsense' for '--allow-listen"), "{err}");
    assert!(err.contains("`nonsense` is not HOST:PORT"), "{err}");
    let m = sb.module("bad_rule_env", &socket_guest(2, "bind", 0));
    let out =
        sb.command(&[m.to_str().unwrap()]).env("EDGE_HOST_ALLOW_CONNECT", "10.0.0.0/8:x").output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("bad port `x`"), "{err}");
}

/// Grows memory by `pages` and exits 1 if memory.grow returned -1, else 0.
fn grow_guest(pages: u32) -> String {
    guest(
        "",
        &format!(
            r#"(func (export "_start")
                 (if (i32.eq (memory.grow (i32.const {pages})) (i32.const -1))
                   (then (call $exit (i32.const 1))))
                 (call $exit (i32.const 0)))"#
        ),
    )
}

#[test]
fn max_memory_makes_memory_grow_fail_without_killing_the_host() {
    let sb = Sandbox::new();
    // 2 initial pages (128 KiB); the limit is 1 MiB = 16 pages.
    let (code, err) = run_with(&sb, "grow_big", &grow_guest(20), &["--max-memory", "1"]);
    assert_eq!(code, Some(1), "grow past the limit returns -1: {err}");
    let (code, err) = run_with(&sb, "grow_small", &grow_guest(10), &["--max-memory", "1"]);
    assert_eq!(code, Some(0), "{err}");
    let (code, err) = run_with(&sb, "grow_free", &grow_guest(20), &[]);
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn initial_memory_above_max_memory_is_refused_at_start() {
    let sb = Sandbox::new();
    let wat = r#"(module (memory (export "memory") 64) (func (export "_start")))"#;
    let (code, err) = run_with(&sb, "too_big", wat, &["--max-memory", "1"]);
    assert_eq!(code, Some(1));
    assert!(err.starts_with("edge-host: cannot instantiate"), "{err}");
}
