//! `EDGE_HOST_PERFMAP=1` names the guest's compiled functions in
//! `/tmp/perf-<pid>.map` for profilers; without it no map is written.

mod common;

use std::process::Stdio;

use common::{guest, Sandbox};

/// Runs a guest with two named functions; returns the map's text (if any).
fn run_and_read_map(perfmap: Option<&str>) -> Option<String> {
    let sb = Sandbox::new();
    let body = r#"
      (func $hot_loop (param $n i32) (result i32) (i32.add (local.get $n) (i32.const 1)))
      (func (export "_start") (drop (call $hot_loop (i32.const 1))))"#;
    let m = sb.module("named", &guest("", body));
    let mut cmd = sb.command(&["run", m.to_str().unwrap()]);
    cmd.env_remove("EDGE_HOST_PERFMAP");
    if let Some(value) = perfmap {
        cmd.env("EDGE_HOST_PERFMAP", value);
    }
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::null()).spawn().expect("spawn edge-host");
    let map = format!("/tmp/perf-{}.map", child.id());
    assert_eq!(child.wait().expect("wait").code(), Some(0));
    let text = std::fs::read_to_string(&map).ok();
    let _ = std::fs::remove_file(&map);
    text
}

#[test]
fn perfmap_names_each_guest_function_with_its_address_and_size() {
    let text = run_and_read_map(Some("1")).expect("a perf map");
    let line = text.lines().find(|l| l.ends_with(" wasm::hot_loop")).unwrap_or_else(|| panic!("{text}"));
    let fields: Vec<&str> = line.splitn(3, ' ').collect();
    let start = u64::from_str_radix(fields[0], 16).expect("hex start");
    let size = u64::from_str_radix(fields[1], 16).expect("hex size");
    assert!(start > 0 && size > 0, "{line}");
    // Every guest function is listed, the unnamed `_start` by its index.
    assert_eq!(text.lines().count(), 6, "{text}");
}

#[test]
fn no_map_is_written_unless_asked() {
    assert_eq!(run_and_read_map(None), None);
    assert_eq!(run_and_read_map(Some("0")), None);
}
