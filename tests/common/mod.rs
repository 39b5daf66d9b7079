//! Shared helpers for the end-to-end tests: start the real `edge_service.wasm` under the
//! runner (edge-host, or `wasmedge` with `EDGE_RUNTIME=wasmedge`) on a free loopback port,
//! talk HTTP to it, and always stop it, also when a test fails.
//!
//! Environment (set by scripts/test.sh; the defaults suit a local `cargo test`):
//! - `EDGE_SERVICE_WASM`: the module (default `target/wasm32-wasip1/release/edge_service.wasm`).
//! - `EDGE_RUNTIME`: `edge-host` (default), `wasmedge`, or `native` (the service built for
//!   this machine, `EDGE_SERVICE_NATIVE` or `target/<triple>/release/edge_service`, given only
//!   the listed environment like a Wasm runtime would: for comparing against the module).
//! - `EDGE_HOST_BIN`: edge-host's path (default: the release build beside this test binary).
//! - `EDGE_TEST_ENV`: extra `NAME=VALUE` pairs, separated by newlines, given to every
//!   service this suite starts (how the suite is pointed at a database backend).

#![allow(dead_code, unused_imports)] // Each test binary uses a different subset of these helpers.

pub mod client;
pub mod users;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, ChildStderr, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

pub use client::{HttpConnection, HttpResponse};
pub use users::{
    assert_error, assert_json, create_user, create_user_with_id, random_id_base, send_json, unique_email,
};

/// How long a service may take to print its listening line (first start compiles).
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// A running service; dropping it kills the process.
pub struct TestApp {
    /// The loopback address it listens on.
    pub addr: SocketAddr,
    child: Child,
    /// Lines the service wrote on stderr after its listening line.
    log: mpsc::Receiver<String>,
    /// Every stderr line so far, collected by [`TestApp::logs`].
    seen: Vec<String>,
}

/// The path of the module under test.
pub fn module_path() -> PathBuf {
    std::env::var_os("EDGE_SERVICE_WASM").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/wasm32-wasip1/release/edge_service.wasm")
    })
}

/// The runner command, without the module: `edge-host run` or `wasmedge run`.
pub fn runner() -> Command {
    match std::env::var("EDGE_RUNTIME").as_deref() {
        Ok("wasmedge") => {
            let mut command = Command::new("wasmedge");
            command.arg("run");
            command
        }
        _ => edge_host(),
    }
}

/// `edge-host run`, whatever `EDGE_RUNTIME` says (for tests of edge-host's own behaviour).
pub fn edge_host() -> Command {
    let bin = std::env::var_os("EDGE_HOST_BIN").map(PathBuf::from).unwrap_or_else(default_edge_host);
    assert!(bin.exists(), "edge-host is not built at {} (run scripts/setup.sh)", bin.display());
    let mut command = Command::new(bin);
    command.arg("run");
    command
}

/// `target/<triple>/release/edge-host`, found from this test binary's own path
/// (`target/<triple>/debug/deps/<test>`).
fn default_edge_host() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let triple_dir = exe.ancestors().nth(3).expect("test binary lives in target/<triple>/<profile>/deps");
    triple_dir.join("release/edge-host")
}

/// Extra environment for every service from `EDGE_TEST_ENV`.
fn suite_env() -> Vec<(String, String)> {
    std::env::var("EDGE_TEST_ENV")
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
        .collect()
}

/// The native build of the service (for `EDGE_RUNTIME=native`).
fn native_service() -> PathBuf {
    std::env::var_os("EDGE_SERVICE_NATIVE").map(PathBuf::from).unwrap_or_else(|| {
        let exe = std::env::current_exe().expect("test binary path");
        let triple_dir = exe.ancestors().nth(3).expect("test binary lives in target/<triple>/<profile>/deps");
        triple_dir.join("release/edge_service")
    })
}

/// Builds the runner command for the module with `env` (plus the suite's environment).
pub fn service_command(env: &[(&str, &str)]) -> Command {
    if std::env::var("EDGE_RUNTIME").as_deref() == Ok("native") {
        let bin = native_service();
        assert!(
            bin.exists(),
            "the native service is not built at {} (cargo build --release --target host-tuple)",
            bin.display()
        );
        let mut command = Command::new(bin);
        command.env_clear();
        command.envs(suite_env());
        command.envs(env.iter().copied());
        command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
        return command;
    }
    module_command(runner(), env)
}

/// `runner` (with its own flags already given) running the module with `env`.
fn module_command(mut command: Command, env: &[(&str, &str)]) -> Command {
    let module = module_path();
    assert!(module.exists(), "the module is not built at {} (run scripts/build.sh)", module.display());
    for (name, value) in suite_env() {
        command.arg("--env").arg(format!("{name}={value}"));
    }
    for (name, value) in env {
        command.arg("--env").arg(format!("{name}={value}"));
    }
    command.arg(module);
    command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
    command
}

impl TestApp {
    /// Starts the service on a free loopback port with the default settings.
    pub fn spawn() -> Self {
        Self::spawn_with(&[])
    }

    /// Starts the service with extra environment variables; waits until it listens.
    /// `PORT=0` lets the OS pick the port, which the service reports in its start line.
    pub fn spawn_with(env: &[(&str, &str)]) -> Self {
        Self::start("0", env, service_command, |start_line| {
            start_line.recv_timeout(Duration::from_millis(100)).ok()
        })
    }

    /// Starts the module under edge-host, whatever `EDGE_RUNTIME` says, with
    /// `runner_args` (such as `--shutdown-timeout 1`) before the module.
    pub fn spawn_on_edge_host(runner_args: &[&str], env: &[(&str, &str)]) -> Self {
        let command = |env: &[(&str, &str)]| {
            let mut runner = edge_host();
            runner.args(runner_args);
            module_command(runner, env)
        };
        Self::start("0", env, command, |start_line| start_line.recv_timeout(Duration::from_millis(100)).ok())
    }

    /// Starts the service on a port chosen here and waits until it accepts connections,
    /// for settings (such as `LOG_LEVEL=warn`) that silence the listening line.
    pub fn spawn_quiet(env: &[(&str, &str)]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("find a free port")
            .port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        Self::start(&port.to_string(), env, service_command, move |_| {
            if std::net::TcpStream::connect(addr).is_ok() {
                return Some(addr);
            }
            thread::sleep(Duration::from_millis(20));
            None
        })
    }

    /// Starts the runner on `port` and polls `listening` (given the addresses seen in
    /// start lines) until it names the address, the process exits, or time runs out.
    fn start(
        port: &str,
        env: &[(&str, &str)],
        command: impl FnOnce(&[(&str, &str)]) -> Command,
        mut listening: impl FnMut(&mpsc::Receiver<SocketAddr>) -> Option<SocketAddr>,
    ) -> Self {
        let mut all: Vec<(&str, &str)> = vec![("HOST", "127.0.0.1"), ("PORT", port), ("LOG_FORMAT", "text")];
        all.extend_from_slice(env);
        let mut child = command(&all).spawn().expect("start the runner");
        let stderr = child.stderr.take().expect("stderr is piped");
        let (addr_tx, addr_rx) = mpsc::channel();
        let (log_tx, log_rx) = mpsc::channel();
        forward_stderr(stderr, addr_tx, log_tx);
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(addr) = listening(&addr_rx) {
                return Self { addr, child, log: log_rx, seen: Vec::new() };
            }
            if let Ok(Some(status)) = child.try_wait() {
                let lines: Vec<String> = log_rx.try_iter().collect();
                panic!("the service exited with {status} before listening; stderr:\n{}", lines.join("\n"));
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let lines: Vec<String> = log_rx.try_iter().collect();
                panic!("the service did not listen within {START_TIMEOUT:?}; stderr:\n{}", lines.join("\n"));
            }
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Opens a new keep-alive connection.
    pub fn connect(&self) -> HttpConnection {
        HttpConnection::open(self.addr)
    }

    /// One request on a fresh connection.
    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> HttpResponse {
        self.connect().request(method, path, headers, body)
    }

    /// `GET path` on a fresh connection.
    pub fn get(&self, path: &str) -> HttpResponse {
        self.request("GET", path, &[], b"")
    }

    /// Sends `signal` (`TERM`, `INT`, ...) to the process, with kill(1).
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args(["-s", signal, &self.child.id().to_string()])
            .status()
            .expect("run kill(1)");
        assert!(status.success(), "kill -s {signal} failed");
    }

    /// Waits up to `timeout` for the process to exit by itself.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Every stderr line the service has written so far.
    pub fn logs(&mut self) -> &[String] {
        self.seen.extend(self.log.try_iter());
        &self.seen
    }

    /// Waits up to `timeout` for a stderr line containing `needle`.
    pub fn wait_for_log(&mut self, needle: &str, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(line) = self.logs().iter().find(|l| l.contains(needle)) {
                return Some(line.clone());
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            match self.log.recv_timeout(left.min(Duration::from_millis(50))) {
                Ok(line) => self.seen.push(line),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => return None,
            }
        }
    }

    /// Stops the service and returns how it exited.
    pub fn stop(mut self) -> ExitStatus {
        let _ = self.child.kill();
        self.child.wait().expect("reap the service")
    }
}

/// Lines of the service's log shown with a failing test: every line that is not a
/// plain INFO line (warnings and errors name the cause of a 503 or a 500), and the
/// last few lines whatever their level.
const TAIL_ON_FAILURE: usize = 15;

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if thread::panicking() {
            let lines = self.logs();
            let tail_from = lines.len().saturating_sub(TAIL_ON_FAILURE);
            let shown: Vec<&String> = lines
                .iter()
                .enumerate()
                .filter(|(n, line)| {
                    *n >= tail_from || !(line.contains(" INFO ") || line.contains("\"level\":\"INFO\""))
                })
                .map(|(_, line)| line)
                .take(200)
                .collect();
            eprintln!("--- the service's log (non-INFO lines and the last {TAIL_ON_FAILURE}) ---");
            for line in shown {
                eprintln!("{line}");
            }
        }
    }
}

/// Reads the service's stderr on a thread: the first line that names the listening
/// address goes to `addr_tx`; every line goes to `log_tx` (and to our stderr when
/// `EDGE_TEST_VERBOSE` is set).
fn forward_stderr(stderr: ChildStderr, addr_tx: mpsc::Sender<SocketAddr>, log_tx: mpsc::Sender<String>) {
    let verbose = std::env::var_os("EDGE_TEST_VERBOSE").is_some();
    thread::spawn(move || {
        let mut sent_addr = false;
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if verbose {
                eprintln!("[service] {line}");
            }
            if !sent_addr {
                if let Some(addr) = listening_addr(&line) {
                    sent_addr = true;
                    let _ = addr_tx.send(addr);
                }
            }
            if log_tx.send(line).is_err() {
                break;
            }
        }
    });
}

/// The address in the service's start line, in text (`address=1.2.3.4:5`) or JSON
/// (`"address":"1.2.3.4:5"`) format.
pub fn listening_addr(line: &str) -> Option<SocketAddr> {
    if !line.contains("listening") {
        return None;
    }
    let rest = line.split_once("address=").or_else(|| line.split_once("\"address\":\""))?.1;
    let token: String = rest.chars().take_while(|c| !c.is_whitespace() && *c != '"' && *c != ',').collect();
    token.parse().ok()
}

/// Runs the module with `env` until it exits (killed after 60 s); returns its status
/// and stderr.
pub fn run_to_exit(env: &[(&str, &str)]) -> (ExitStatus, String) {
    let mut child = service_command(env).spawn().expect("run the runner");
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let reader = thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
        text
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("poll the runner") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the service did not exit within 60 s");
        }
        thread::sleep(Duration::from_millis(10));
    };
    (status, reader.join().unwrap_or_default())
}
