//! `--dir GUEST:HOST`: the guest gets that directory and nothing else.

mod common;

use common::{guest, stderr, stdout, Sandbox};

const FS_IMPORTS: &str = r#"
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $prestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_dir_name" (func $prestat_dir_name (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_create_directory" (func $mkdir (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_rename" (func $rename (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_unlink_file" (func $unlink (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_filestat_get" (func $stat (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_readdir" (func $readdir (param i32 i32 i32 i64 i32) (result i32)))"#;

/// `path_open` on preopen 3 of the string at `ptr`/`len` with `oflags` and
/// `rights`; evaluates to the errno, the new fd is stored at 16.
fn open(ptr: u32, len: u32, oflags: u32, rights: u64) -> String {
    format!(
        "(call $path_open (i32.const 3) (i32.const 1) (i32.const {ptr}) (i32.const {len}) (i32.const {oflags}) (i64.const {rights}) (i64.const {rights}) (i32.const 0) (i32.const 16))"
    )
}

const READ_RIGHTS: u64 = 0x20_0026; // FD_READ | FD_SEEK | FD_TELL | FD_FILESTAT_GET
const ALL_RIGHTS: u64 = 0x1FFF_FFFF;

fn confinement_guest() -> String {
    let body = format!(
        r#"
      (data (i32.const 300) "hello.txt")
      (data (i32.const 320) "../secret")
      (data (i32.const 340) "/etc/passwd")
      (data (i32.const 360) "escape")
      (data (i32.const 380) "sub")
      (data (i32.const 390) "sub/new.txt")
      (data (i32.const 410) "sub/renamed.txt")
      (data (i32.const 430) "sub/../../secret")
      (func (export "_start") (local $fd i32)
        ;; preopen 3 is "data" (WasmEdge drops the leading slash), 4 (the
        ;; free number after it) is BADF
        (call $check (call $prestat_get (i32.const 3) (i32.const 8)) (i32.const 0) (i32.const 10))
        (call $check (i32.load (i32.const 12)) (i32.const 4) (i32.const 11))
        (call $check (call $prestat_dir_name (i32.const 3) (i32.const 500) (i32.const 4)) (i32.const 0) (i32.const 12))
        (call $print (i32.const 500) (i32.const 4))
        (call $check (call $prestat_get (i32.const 4) (i32.const 8)) (i32.const 8) (i32.const 13))
        ;; a file inside: read it and print it
        (call $check {open_hello} (i32.const 0) (i32.const 14))
        (local.set $fd (i32.load (i32.const 16)))
        (i32.store (i32.const 32) (i32.const 600))
        (i32.store (i32.const 36) (i32.const 64))
        (call $check (call $fd_read (local.get $fd) (i32.const 32) (i32.const 1) (i32.const 40)) (i32.const 0) (i32.const 15))
        (call $print (i32.const 600) (i32.load (i32.const 40)))
        (call $check (call $fd_close (local.get $fd)) (i32.const 0) (i32.const 16))
        ;; escapes: .., absolute, symlinks out (relative and absolute), .. in the middle
        (call $check {open_dotdot} (i32.const 63) (i32.const 20))
        (call $check {open_abs} (i32.const 63) (i32.const 21))
        (if (i32.eqz {open_escape}) (then (call $exit (i32.const 22))))
        (if (i32.eqz {open_deep}) (then (call $exit (i32.const 23))))
        ;; create, write through a new file, rename, stat, unlink
        (call $check (call $mkdir (i32.const 3) (i32.const 380) (i32.const 3)) (i32.const 0) (i32.const 30))
        (call $check {create_new} (i32.const 0) (i32.const 31))
        (local.set $fd (i32.load (i32.const 16)))
        (i32.store (i32.const 32) (i32.const 300))
        (i32.store (i32.const 36) (i32.const 9))
        (call $check (call $fd_write (local.get $fd) (i32.const 32) (i32.const 1) (i32.const 40)) (i32.const 0) (i32.const 32))
        (call $check (call $fd_close (local.get $fd)) (i32.const 0) (i32.const 33))
        (call $check (call $rename (i32.const 3) (i32.const 390) (i32.const 11) (i32.const 3) (i32.const 410) (i32.const 15)) (i32.const 0) (i32.const 34))
        (call $check (call $stat (i32.const 3) (i32.const 1) (i32.const 410) (i32.const 15) (i32.const 704)) (i32.const 0) (i32.const 35))
        (call $check (i32.load (i32.const 736)) (i32.const 9) (i32.const 36))
        (call $check (i32.load8_u (i32.const 720)) (i32.const 4) (i32.const 37))
        (call $check (call $unlink (i32.const 3) (i32.const 410) (i32.const 15)) (i32.const 0) (i32.const 38))
        (call $check (call $stat (i32.const 3) (i32.const 1) (i32.const 410) (i32.const 15) (i32.const 704)) (i32.const 44) (i32.const 39))
        ;; the directory lists its entries (at least . .. hello.txt escape sub)
        (call $check (call $readdir (i32.const 3) (i32.const 2048) (i32.const 1024) (i64.const 0) (i32.const 44)) (i32.const 0) (i32.const 40))
        (if (i32.lt_u (i32.load (i32.const 44)) (i32.const 120)) (then (call $exit (i32.const 41)))))"#,
        open_hello = open(300, 9, 0, READ_RIGHTS),
        open_dotdot = open(320, 9, 0, READ_RIGHTS),
        open_abs = open(340, 11, 0, READ_RIGHTS),
        open_escape = open(360, 6, 0, READ_RIGHTS),
        open_deep = open(430, 16, 0, READ_RIGHTS),
        create_new = open(390, 11, 1 | 4, ALL_RIGHTS),
    );
    guest(FS_IMPORTS, &body)
}

#[test]
fn dir_gives_the_guest_that_directory_and_nothing_else() {
    let sb = Sandbox::new();
    let root = sb.path().join("root");
    let data = root.join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(root.join("secret"), b"TOP SECRET").unwrap();
    std::fs::write(data.join("hello.txt"), b"hi there\n").unwrap();
    std::os::unix::fs::symlink("../secret", data.join("escape")).unwrap();
    let m = sb.module("fs", &confinement_guest());
    let dir = format!("/data:{}", data.display());
    let out = sb.run(&["run", "--dir", &dir, m.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "stderr: {} stdout: {}", stderr(&out), stdout(&out));
    assert_eq!(stdout(&out), "datahi there\n");
    assert!(!stdout(&out).contains("SECRET"));
    assert!(!data.join("sub/renamed.txt").exists());
    assert!(data.join("sub").is_dir());
}

#[test]
fn without_dir_there_are_no_preopens() {
    let sb = Sandbox::new();
    let body = r#"(func (export "_start")
        (call $exit (call $prestat_get (i32.const 3) (i32.const 8))))"#;
    let m = sb.module("nodir", &guest(FS_IMPORTS, body));
    let out = sb.run(&["run", m.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(8), "{}", stderr(&out));
}

#[test]
fn readonly_dir_refuses_writes() {
    let sb = Sandbox::new();
    let data = sb.path().join("ro");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("hello.txt"), b"x").unwrap();
    let body = format!(
        r#"(data (i32.const 300) "hello.txt")
        (func (export "_start")
          (call $check {read} (i32.const 0) (i32.const 50))
          (call $exit {write}))"#,
        read = open(300, 9, 0, READ_RIGHTS),
        write = open(300, 9, 1, ALL_RIGHTS),
    );
    let m = sb.module("ro", &guest(FS_IMPORTS, &body));
    let dir = format!("/ro:{}:readonly", data.display());
    let out = sb.run(&["run", "--dir", &dir, m.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(76), "{}", stderr(&out));
}

#[test]
fn unopenable_host_directory_is_a_start_error() {
    let sb = Sandbox::new();
    let m = sb.module("any", &guest("", r#"(func (export "_start"))"#));
    let out = sb.run(&["run", "--dir", "/x:/definitely/not/here", m.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with("edge-host: --dir /x:/definitely/not/here"), "{}", stderr(&out));
}
