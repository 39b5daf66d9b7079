//! The compile cache and `compile`: entries are reused, corrupt or foreign
//! ones are detected and rebuilt (never executed), `.cwasm` runs directly.

mod common;

use std::path::PathBuf;

use common::{guest, stderr, Sandbox};

fn exit_module(sb: &Sandbox, name: &str, code: i32) -> PathBuf {
    sb.module(name, &guest("", &format!(r#"(func (export "_start") (call $exit (i32.const {code})))"#)))
}

fn entries(sb: &Sandbox) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(sb.cache_dir())
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    found.sort();
    found
}

#[test]
fn first_run_fills_the_cache_and_second_run_uses_it_silently() {
    let sb = Sandbox::new();
    let m = exit_module(&sb, "cached", 5);
    let first = sb.run(&["run", m.to_str().unwrap()]);
    assert_eq!(first.status.code(), Some(5), "{}", stderr(&first));
    let found = entries(&sb);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].extension().is_some_and(|e| e == "cwasm"));
    let written = std::fs::metadata(&found[0]).unwrap().modified().unwrap();
    let second = sb.run(&["run", m.to_str().unwrap()]);
    assert_eq!(second.status.code(), Some(5));
    assert_eq!(stderr(&second), "");
    assert_eq!(std::fs::metadata(&found[0]).unwrap().modified().unwrap(), written);
}

/// Damages the single cache entry with `damage`, then checks the next run
/// reports `reason`, still runs correctly, and leaves a sound entry behind.
fn damaged_entry_is_rebuilt(damage: impl FnOnce(&mut Vec<u8>), reason: &str) {
    let sb = Sandbox::new();
    let m = exit_module(&sb, "victim", 9);
    assert_eq!(sb.run(&["run", m.to_str().unwrap()]).status.code(), Some(9));
    let entry = entries(&sb).remove(0);
    let mut bytes = std::fs::read(&entry).unwrap();
    damage(&mut bytes);
    std::fs::write(&entry, &bytes).unwrap();

    let out = sb.run(&["run", m.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(9), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("ignoring cache entry"), "{err}");
    assert!(err.contains(reason), "{err}");

    let again = sb.run(&["run", m.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(9));
    assert_eq!(stderr(&again), "", "the entry was rebuilt");
}

#[test]
fn flipped_byte_in_an_entry_is_detected_and_rebuilt() {
    damaged_entry_is_rebuilt(
        |b| {
            let mid = b.len() / 2;
            b[mid] ^= 0x40;
        },
        "checksum",
    );
}

#[test]
fn truncated_entry_is_detected_and_rebuilt() {
    damaged_entry_is_rebuilt(|b| b.truncate(b.len() - 100), "truncated");
}

#[test]
fn garbage_entry_is_detected_and_rebuilt() {
    damaged_entry_is_rebuilt(
        |b| *b = b"#!/bin/sh\nrm -rf /\n".to_vec(),
        "truncated or not an edge-host cache file",
    );
}

#[test]
fn foreign_entry_under_this_key_is_detected_and_rebuilt() {
    let sb = Sandbox::new();
    let a = exit_module(&sb, "a", 1);
    let b = exit_module(&sb, "b", 2);
    assert_eq!(sb.run(&["run", a.to_str().unwrap()]).status.code(), Some(1));
    let entry_a = entries(&sb).remove(0);
    assert_eq!(sb.run(&["run", b.to_str().unwrap()]).status.code(), Some(2));
    let entry_b = entries(&sb).into_iter().find(|e| *e != entry_a).unwrap();
    // Put b's compiled code where a's belongs: it must not run as a.
    std::fs::copy(&entry_b, &entry_a).unwrap();
    let out = sb.run(&["run", a.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("belongs to another module"), "{}", stderr(&out));
}

#[test]
fn compile_writes_a_cwasm_that_run_loads_without_the_cache() {
    let sb = Sandbox::new();
    let m = exit_module(&sb, "aot", 4);
    let cwasm = sb.path().join("aot.cwasm");
    let out = sb.run(&["compile", m.to_str().unwrap(), cwasm.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(std::fs::read(&cwasm).unwrap().starts_with(b"\x7fELF"));
    let run = sb.run(&["run", cwasm.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(4), "{}", stderr(&run));
    assert!(entries(&sb).is_empty(), "a .cwasm does not go through the cache");
}

#[test]
fn damaged_cwasm_is_refused() {
    let sb = Sandbox::new();
    let m = exit_module(&sb, "aot2", 4);
    let cwasm = sb.path().join("aot2.cwasm");
    assert_eq!(sb.run(&["compile", m.to_str().unwrap(), cwasm.to_str().unwrap()]).status.code(), Some(0));
    let bytes = std::fs::read(&cwasm).unwrap();
    std::fs::write(&cwasm, &bytes[..bytes.len() / 3]).unwrap();
    let out = sb.run(&["run", cwasm.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).starts_with("edge-host: cannot load precompiled"), "{}", stderr(&out));
}

#[test]
fn unwritable_cache_directory_still_runs_the_module() {
    let sb = Sandbox::new();
    let m = exit_module(&sb, "nocache", 6);
    let blocker = sb.path().join("file-not-dir");
    std::fs::write(&blocker, b"x").unwrap();
    let out = sb
        .command(&["run", m.to_str().unwrap()])
        .env("EDGE_HOST_CACHE_DIR", blocker.join("sub"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6));
    assert!(stderr(&out).contains("cannot write compile cache"), "{}", stderr(&out));
}

#[test]
fn remembered_module_hash_never_hides_a_changed_module() {
    let sb = Sandbox::new();
    let m = exit_module(&sb, "memo", 1);
    // Only settled files get their hash remembered.
    std::thread::sleep(std::time::Duration::from_millis(2200));
    assert_eq!(sb.run(&["run", m.to_str().unwrap()]).status.code(), Some(1));
    let memos: Vec<_> = std::fs::read_dir(sb.cache_dir().join("hashes")).unwrap().collect();
    assert_eq!(memos.len(), 1, "the settled module's hash is remembered");
    assert_eq!(sb.run(&["run", m.to_str().unwrap()]).status.code(), Some(1));
    // Same file, same size, one byte different: the memo must not apply.
    let other =
        wat::parse_str(common::guest("", r#"(func (export "_start") (call $exit (i32.const 2)))"#)).unwrap();
    assert_eq!(other.len() as u64, std::fs::metadata(&m).unwrap().len());
    std::fs::write(&m, &other).unwrap();
    let out = sb.run(&["run", m.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}
