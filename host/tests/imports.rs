//! Import binding by name and type (§1): V1/V2 selection, duplicate names
//! with different types, and missing imports reported before start.

mod common;

use common::{guest, stderr, stdout, Sandbox};

#[test]
fn missing_imports_fail_at_start_naming_each_one() {
    let sb = Sandbox::new();
    let imports = r#"
      (import "wasi_snapshot_preview1" "no_such_call" (func $a (param i32) (result i32)))
      (import "env" "host_thing" (func $b))
      (import "wasi_snapshot_preview1" "sock_shutdown" (func $c (param i32 i32 i32) (result i32)))"#;
    let body = r#"
      (data (i32.const 100) "started\n")
      (func (export "_start") (call $print (i32.const 100) (i32.const 8)))"#;
    let m = sb.module("missing", &guest(imports, body));
    let out = sb.run(&["run", m.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "", "the guest must not have started");
    let err = stderr(&out);
    assert!(err.starts_with("edge-host: "), "{err}");
    assert!(err.contains("wasi_snapshot_preview1::no_such_call (func (param i32) (result i32))"), "{err}");
    assert!(err.contains("env::host_thing (func)"), "{err}");
    assert!(
        err.contains("wasi_snapshot_preview1::sock_shutdown (func (param i32 i32 i32) (result i32))"),
        "{err}"
    );
    assert!(err.contains("provided with type (func (param i32 i32) (result i32))"), "{err}");
}

/// Runs a guest that accepts on a fresh non-blocking listener with the
/// given `sock_accept` import and reports the result as its exit status.
fn accept_result(sb: &Sandbox, name: &str, import: &str, call: &str) -> Option<i32> {
    let imports = format!(
        r#"
      (import "wasi_snapshot_preview1" "sock_open" (func $sock_open (param i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "sock_listen" (func $sock_listen (param i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "fd_fdstat_set_flags" (func $set_flags (param i32 i32) (result i32)))
      {import}"#
    );
    let body = format!(
        r#"
      (func (export "_start") (local $fd i32)
        (call $check (call $sock_open (i32.const 1) (i32.const 2) (i32.const 0)) (i32.const 0) (i32.const 90))
        (local.set $fd (i32.load (i32.const 0)))
        (call $check (call $sock_listen (local.get $fd) (i32.const 16)) (i32.const 0) (i32.const 91))
        (call $check (call $set_flags (local.get $fd) (i32.const 4)) (i32.const 0) (i32.const 92))
        (call $exit {call}))"#
    );
    let m = sb.module(name, &guest(&imports, &body));
    let out = sb.run(&["run", m.to_str().unwrap()]);
    out.status.code()
}

#[test]
fn two_parameter_sock_accept_binds_v1_and_three_parameter_binds_v2() {
    let sb = Sandbox::new();
    let v1 = accept_result(
        &sb,
        "accept_v1",
        r#"(import "wasi_snapshot_preview1" "sock_accept" (func $accept (param i32 i32) (result i32)))"#,
        "(call $accept (local.get $fd) (i32.const 8))",
    );
    assert_eq!(v1, Some(6), "V1 accept on an idle non-blocking listener gives AGAIN");
    let v2 = accept_result(
        &sb,
        "accept_v2",
        r#"(import "wasi_snapshot_preview1" "sock_accept" (func $accept (param i32 i32 i32) (result i32)))"#,
        "(call $accept (local.get $fd) (i32.const 4) (i32.const 8))",
    );
    assert_eq!(v2, Some(6));
    // Only V2 has the fdflags parameter: an invalid one is INVAL there.
    let v2_bad_flags = accept_result(
        &sb,
        "accept_v2_flags",
        r#"(import "wasi_snapshot_preview1" "sock_accept" (func $accept (param i32 i32 i32) (result i32)))"#,
        "(call $accept (local.get $fd) (i32.const 64) (i32.const 8))",
    );
    assert_eq!(v2_bad_flags, Some(28));
    let explicit_v2 = accept_result(
        &sb,
        "accept_v2_named",
        r#"(import "wasi_snapshot_preview1" "sock_accept_v2" (func $accept (param i32 i32 i32) (result i32)))"#,
        "(call $accept (local.get $fd) (i32.const 0) (i32.const 8))",
    );
    assert_eq!(explicit_v2, Some(6));
}

#[test]
fn one_name_imported_with_two_types_binds_each_separately() {
    // wasmedge_wasi_socket 0.4 (7 params) and 0.5 (8 params) in one module.
    // recv_from V1 accepts any address buffer length; V2 only 4/16/128:
    // with a 5-byte buffer V1 reaches the kernel (NOTSOCK on stdout), V2 is INVAL.
    let sb = Sandbox::new();
    let imports = r#"
      (import "wasi_snapshot_preview1" "sock_recv_from" (func $rf7 (param i32 i32 i32 i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "sock_recv_from" (func $rf8 (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))"#;
    let body = r#"
      (func (export "_start")
        ;; iovec at 64 -> 16 bytes at 256; address struct at 80 -> 5 bytes at 512
        (i32.store (i32.const 64) (i32.const 256))
        (i32.store (i32.const 68) (i32.const 16))
        (i32.store (i32.const 80) (i32.const 512))
        (i32.store (i32.const 84) (i32.const 5))
        (call $check
          (call $rf7 (i32.const 1) (i32.const 64) (i32.const 1) (i32.const 80) (i32.const 0) (i32.const 96) (i32.const 100))
          (i32.const 57) (i32.const 20))
        (call $check
          (call $rf8 (i32.const 1) (i32.const 64) (i32.const 1) (i32.const 80) (i32.const 0) (i32.const 104) (i32.const 96) (i32.const 100))
          (i32.const 28) (i32.const 21)))"#;
    let m = sb.module("twice", &guest(imports, body));
    let out = sb.run(&["run", m.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn names_with_one_form_never_fall_back_to_v2() {
    // sock_bind has the same type in V1 and V2, so the 128-byte storage
    // form through the plain name is INVAL (§10 check 6).
    let sb = Sandbox::new();
    let imports = r#"
      (import "wasi_snapshot_preview1" "sock_open" (func $sock_open (param i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "sock_bind" (func $bind (param i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "sock_bind_v2" (func $bind_v2 (param i32 i32 i32) (result i32)))"#;
    let body = r#"
      (func (export "_start") (local $fd i32)
        (call $check (call $sock_open (i32.const 1) (i32.const 2) (i32.const 0)) (i32.const 0) (i32.const 30))
        (local.set $fd (i32.load (i32.const 0)))
        ;; storage: family 1 at [0..2], 127.0.0.1 at [2..6]
        (i32.store16 (i32.const 512) (i32.const 1))
        (i32.store (i32.const 514) (i32.const 0x0100007f))
        (i32.store (i32.const 64) (i32.const 512))
        (i32.store (i32.const 68) (i32.const 128))
        (call $check (call $bind (local.get $fd) (i32.const 64) (i32.const 0)) (i32.const 28) (i32.const 31))
        (call $check (call $bind_v2 (local.get $fd) (i32.const 64) (i32.const 0)) (i32.const 0) (i32.const 32)))"#;
    let m = sb.module("bind_forms", &guest(imports, body));
    let out = sb.run(&["run", m.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}
