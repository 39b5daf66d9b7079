//! Shared helpers for the integration tests: build a guest from WAT, run
//! edge-host on it with a private cache directory, and keep spawned servers
//! from outliving a failed test.
#![allow(dead_code)]

pub mod socket_wat;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Path of the edge-host binary under test.
pub fn edge_host() -> &'static str {
    env!("CARGO_BIN_EXE_edge-host")
}

/// A temporary directory holding guest modules and the compile cache.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        Sandbox { dir: tempfile::tempdir().expect("temp dir") }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.path().join("cache")
    }

    /// Compiles `wat` and writes it as `name.wasm`.
    pub fn module(&self, name: &str, wat: &str) -> PathBuf {
        let bytes = wat::parse_str(wat).unwrap_or_else(|e| panic!("bad WAT for {name}: {e}"));
        let path = self.path().join(format!("{name}.wasm"));
        std::fs::write(&path, bytes).expect("write module");
        path
    }

    /// A command running edge-host with this sandbox's cache directory.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(edge_host());
        cmd.args(args).env("EDGE_HOST_CACHE_DIR", self.cache_dir());
        cmd
    }

    /// Runs edge-host to completion.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).stdin(Stdio::null()).output().expect("spawn edge-host")
    }

    /// Starts edge-host in the background; killed when dropped.
    pub fn spawn(&self, args: &[&str]) -> Server {
        let child = self
            .command(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn edge-host");
        Server { child, stdout: None }
    }
}

/// A background edge-host process.
pub struct Server {
    pub child: Child,
    stdout: Option<BufReader<ChildStdout>>,
}

impl Server {
    /// Reads one line the guest printed on stdout (e.g. its port).
    pub fn read_line(&mut self) -> String {
        if self.stdout.is_none() {
            self.stdout = self.child.stdout.take().map(BufReader::new);
        }
        let reader = self.stdout.as_mut().expect("piped stdout");
        let mut line = String::new();
        reader.read_line(&mut line).expect("read guest stdout");
        line.trim().to_string()
    }

    /// Waits for the process to exit (up to `limit`), returning its code.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<i32> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }

    pub fn stderr(&mut self) -> String {
        let mut out = String::new();
        if let Some(mut err) = self.child.stderr.take() {
            use std::io::Read;
            let _ = err.read_to_string(&mut out);
        }
        out
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// WAT declarations most guests need: memory, fd_write, proc_exit, and
/// helpers `$exit`, `$check` (exit with `code` unless `actual == expected`),
/// `$print` (bytes at ptr/len to stdout) and `$print_u32` (decimal + "\n").
/// Memory below 1024 is scratch space for the helpers and the tests.
pub const PRELUDE: &str = r#"
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 2)
  (func $exit (param $code i32) (call $proc_exit (local.get $code)))
  (func $check (param $actual i32) (param $expected i32) (param $code i32)
    (if (i32.ne (local.get $actual) (local.get $expected))
      (then (call $proc_exit (local.get $code)))))
  (func $print (param $ptr i32) (param $len i32)
    (i32.store (i32.const 960) (local.get $ptr))
    (i32.store (i32.const 964) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 960) (i32.const 1) (i32.const 968))))
  (func $print_u32 (param $v i32) (local $p i32)
    (local.set $p (i32.const 990))
    (i32.store8 (local.get $p) (i32.const 10))
    (loop $digits
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.rem_u (local.get $v) (i32.const 10))))
      (local.set $v (i32.div_u (local.get $v) (i32.const 10)))
      (br_if $digits (i32.ne (local.get $v) (i32.const 0))))
    (call $print (local.get $p) (i32.sub (i32.const 991) (local.get $p))))
"#;

/// A guest module: the prelude, `imports` (WAT import lines), then `body`
/// (functions, data, the `_start` export).
pub fn guest(imports: &str, body: &str) -> String {
    // Imports must precede other definitions in the text format.
    format!("(module\n{imports}\n{PRELUDE}\n{body}\n)")
}
