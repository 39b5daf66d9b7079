//! A hostile guest: every host function that cannot block is called
//! thousands of times with random (8-aligned, mostly out-of-range) pointers,
//! lengths, flags and descriptors. Whatever the errnos, the host must neither
//! crash nor hang, and the guest must run to its normal end. The sandbox keeps
//! any socket it manages to open on loopback.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::Sandbox;

/// (name, indexes of descriptor parameters that must never be a socket
/// because the call could block on one). The parameter types come from
/// edge-host's table of host functions.
const TARGETS: &[(&str, &[usize])] = &[
    ("args_get", &[]),
    ("args_sizes_get", &[]),
    ("environ_get", &[]),
    ("environ_sizes_get", &[]),
    ("clock_res_get", &[]),
    ("clock_time_get", &[]),
    ("random_get", &[]),
    ("fd_fdstat_get", &[]),
    ("fd_fdstat_set_flags", &[]),
    ("fd_filestat_get", &[]),
    ("fd_prestat_get", &[]),
    ("fd_prestat_dir_name", &[]),
    ("fd_read", &[0]),
    ("fd_seek", &[]),
    ("fd_tell", &[]),
    ("fd_readdir", &[]),
    ("path_open", &[]),
    ("path_filestat_get", &[]),
    ("path_create_directory", &[]),
    ("sock_open", &[]),
    ("sock_bind", &[]),
    ("sock_listen", &[]),
    ("sock_connect", &[0]),
    ("sock_recv", &[0]),
    ("sock_recv_from", &[0]),
    ("sock_send", &[0]),
    ("sock_send_to", &[0]),
    ("sock_shutdown", &[]),
    ("sock_getsockopt", &[]),
    ("sock_setsockopt", &[]),
    ("sock_getlocaladdr", &[]),
    ("sock_getpeeraddr", &[]),
    ("sock_accept", &[0]),
];

/// The wasm parameter types of host function `name` (`i32`, `i64`).
fn param_types(engine: &wasmtime::Engine, name: &str) -> Vec<String> {
    let function = edge_host::host_functions::find(name).unwrap_or_else(|| panic!("{name} is not provided"));
    function.ty(engine).params().map(|p| p.to_string()).collect()
}

fn hostile_module(rounds: u32) -> String {
    let engine = wasmtime::Engine::default();
    let mut imports = String::new();
    let mut calls = String::new();
    for (i, (name, no_socket)) in TARGETS.iter().enumerate() {
        let params = param_types(&engine, name);
        imports.push_str(&format!(
            "  (import \"wasi_snapshot_preview1\" \"{name}\" (func $f{i} (param {}) (result i32)))\n",
            params.join(" ")
        ));
        let mut args = String::new();
        for (p, ty) in params.iter().enumerate() {
            let value = if no_socket.contains(&p) {
                // stdio or a number that is never allocated: never a socket
                "(select (i32.rem_u (call $rand_small) (i32.const 3)) (i32.const 99999) (i32.lt_u (call $rand_small) (i32.const 6)))"
                    .to_string()
            } else if p == 0
                && !name.starts_with("args_")
                && !name.starts_with("environ_")
                && *name != "random_get"
            {
                // a descriptor, clock id or address family
                "(call $rand_small)".to_string()
            } else if name.starts_with("sock_") {
                // socket calls never trap: any value, small ones included
                "(call $rand_any)".to_string()
            } else {
                "(call $rand)".to_string()
            };
            if *ty == "i64" {
                args.push_str(&format!(" (i64.extend_i32_u {value})"));
            } else {
                args.push_str(&format!(" {value}"));
            }
        }
        calls.push_str(&format!("        (drop (call $f{i}{args}))\n"));
    }
    format!(
        r#"(module
{imports}
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 2)
  (global $seed (mut i32) (i32.const 12345))
  ;; LCG; results are 8-aligned so standard functions do not trap, and
  ;; mostly far outside the 128 KiB memory
  (func $rand (result i32)
    (global.set $seed (i32.add (i32.mul (global.get $seed) (i32.const 1103515245)) (i32.const 12345)))
    (select
      (i32.and (i32.shr_u (global.get $seed) (i32.const 15)) (i32.const 0x1FFF8))
      (i32.and (global.get $seed) (i32.const -8))
      (i32.and (global.get $seed) (i32.const 1))))
  (func $rand_any (result i32)
    (if (result i32) (i32.lt_u (call $rand_small) (i32.const 3))
      (then (call $rand_small))
      (else (call $rand))))
  (func $rand_small (result i32)
    (global.set $seed (i32.add (i32.mul (global.get $seed) (i32.const 1103515245)) (i32.const 12345)))
    (i32.and (i32.shr_u (global.get $seed) (i32.const 16)) (i32.const 7)))
  (func (export "_start") (local $i i32)
    (loop $again
{calls}
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const {rounds}))))
    (call $proc_exit (i32.const 0))))"#
    )
}

#[test]
fn random_arguments_to_every_non_blocking_call_never_crash_the_host() {
    let sb = Sandbox::new();
    let m = sb.module("hostile", &hostile_module(3000));
    // stderr goes to a file: denied calls are logged, and a pipe nobody reads
    // would eventually block the host.
    let log_path = sb.path().join("stderr.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let args =
        ["run", "--allow-connect", "127.0.0.1:*", "--allow-listen", "127.0.0.1:*", m.to_str().unwrap()];
    let mut child = sb.command(&args).stdin(Stdio::null()).stdout(Stdio::null()).stderr(log).spawn().unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let err = std::fs::read_to_string(&log_path).unwrap_or_default();
    let tail = &err[err.len().saturating_sub(2000)..];
    assert!(status.is_some(), "the guest hung; stderr ends with: {tail}");
    assert_eq!(status.and_then(|s| s.code()), Some(0), "the host must survive; stderr ends with: {tail}");
    assert!(err.lines().count() <= 102, "denial log must be capped, got {} lines", err.lines().count());
}

#[test]
fn the_hostile_module_is_deterministic_and_covers_every_target() {
    let wat = hostile_module(1);
    for (name, _) in TARGETS {
        assert!(wat.contains(&format!("\"{name}\"")), "{name}");
    }
    assert!(wat::parse_str(&wat).is_ok());
}
