//! The process contract with `wasmedge run`: exit status, traps, argv, environ.

mod common;

use common::{guest, stderr, stdout, Sandbox};

#[test]
fn proc_exit_code_becomes_the_exit_status() {
    let sb = Sandbox::new();
    let m = sb.module("exit3", &guest("", r#"(func (export "_start") (call $exit (i32.const 3)))"#));
    let out = sb.run(&["run", m.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
}

#[test]
fn normal_return_from_start_exits_zero() {
    let sb = Sandbox::new();
    let m = sb.module("ok", &guest("", r#"(func (export "_start"))"#));
    let out = sb.run(&["run", m.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn trap_prints_the_trap_and_exits_134() {
    let sb = Sandbox::new();
    let m = sb.module("trap", &guest("", r#"(func (export "_start") unreachable)"#));
    let out = sb.run(&["run", m.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(134));
    let err = stderr(&out);
    assert!(err.starts_with("edge-host: wasm trap:"), "{err}");
    assert!(err.contains("unreachable"), "{err}");
}

#[test]
fn module_without_run_subcommand_runs_like_wasmedge() {
    let sb = Sandbox::new();
    let m = sb.module("bare", &guest("", r#"(func (export "_start") (call $exit (i32.const 7)))"#));
    let out = sb.run(&[m.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
}

#[test]
fn stdout_and_stderr_pass_through() {
    let sb = Sandbox::new();
    let body = r#"
      (data (i32.const 100) "to stdout\n")
      (data (i32.const 200) "to stderr\n")
      (func (export "_start")
        (call $print (i32.const 100) (i32.const 10))
        (i32.store (i32.const 300) (i32.const 200))
        (i32.store (i32.const 304) (i32.const 10))
        (drop (call $fd_write (i32.const 2) (i32.const 300) (i32.const 1) (i32.const 308))))"#;
    let m = sb.module("streams", &guest("", body));
    let out = sb.run(&["run", m.to_str().unwrap()]);
    assert_eq!(stdout(&out), "to stdout\n");
    assert_eq!(stderr(&out), "to stderr\n");
}

/// A guest that prints argv (one per line) then environ (one per line).
fn printing_guest() -> String {
    let imports = r#"
      (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))"#;
    let body = r#"
      (data (i32.const 16) "\n")
      (func $strlen (param $p i32) (result i32) (local $n i32)
        (block $done (loop $l
          (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
          (local.set $n (i32.add (local.get $n) (i32.const 1)))
          (br $l)))
        (local.get $n))
      (func $dump (param $count i32) (param $ptrs i32) (local $i i32) (local $s i32)
        (block $done (loop $l
          (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
          (local.set $s (i32.load (i32.add (local.get $ptrs) (i32.shl (local.get $i) (i32.const 2)))))
          (call $print (local.get $s) (call $strlen (local.get $s)))
          (call $print (i32.const 16) (i32.const 1))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $l))))
      (func (export "_start")
        (call $check (call $args_sizes_get (i32.const 0) (i32.const 4)) (i32.const 0) (i32.const 10))
        (call $check (call $args_get (i32.const 2048) (i32.const 4096)) (i32.const 0) (i32.const 11))
        (call $dump (i32.load (i32.const 0)) (i32.const 2048))
        (call $print (i32.const 16) (i32.const 1))
        (call $check (call $environ_sizes_get (i32.const 0) (i32.const 4)) (i32.const 0) (i32.const 12))
        (call $check (call $environ_get (i32.const 2048) (i32.const 4096)) (i32.const 0) (i32.const 13))
        (call $dump (i32.load (i32.const 0)) (i32.const 2048)))"#;
    guest(imports, body)
}

#[test]
fn argv0_is_the_module_name_and_environ_is_exactly_the_env_flags() {
    let sb = Sandbox::new();
    let m = sb.module("printer", &printing_guest());
    let out = sb
        .command(&["run", "--env", "PORT=8080", "--env", "EMPTY=", m.to_str().unwrap(), "one", "--two"])
        .env("SHOULD_NOT_LEAK", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "printer.wasm\none\n--two\n\nPORT=8080\nEMPTY=\n");
}

#[test]
fn unknown_file_format_is_a_clear_error() {
    let sb = Sandbox::new();
    let path = sb.path().join("junk.wasm");
    std::fs::write(&path, b"not wasm").unwrap();
    let out = sb.run(&["run", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("neither a wasm module"), "{}", stderr(&out));
    let out = sb.run(&["run", "/nonexistent/x.wasm"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with("edge-host: cannot read"), "{}", stderr(&out));
}
