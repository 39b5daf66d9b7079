//! [`TestApp`]: the real service started on a free loopback port under the runner
//! `EDGE_RUNTIME` names (with the run's fresh databases), its stderr collected, and the
//! process always stopped, also when a test fails (then its log is shown).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, ChildStderr, Command, ExitStatus};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::client::{HttpConnection, HttpResponse};
use crate::database::ServiceDatabases;
use crate::runner::{edge_host, module_command, service_command, with_grants};

/// How long a service may take to print its listening line (first start compiles).
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// How long the end of an exited service's stderr may take to arrive: only a process
/// that inherited the pipe could keep it open longer.
const LOG_END_TIMEOUT: Duration = Duration::from_secs(10);

/// A running service; dropping it kills the process.
pub struct TestApp {
    /// The loopback address it listens on.
    pub addr: SocketAddr,
    child: Child,
    /// Lines the service wrote on stderr after its listening line.
    log: mpsc::Receiver<String>,
    /// Every stderr line so far, collected by [`TestApp::logs`].
    seen: Vec<String>,
    /// The service's fresh databases, dropped after the process is gone.
    _databases: ServiceDatabases,
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
        let command = |env: &[(&str, &str)], grants: &[String]| {
            let mut runner = edge_host();
            runner.args(runner_args);
            module_command(with_grants(runner, grants), env)
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
        command: impl FnOnce(&[(&str, &str)], &[String]) -> Command,
        mut listening: impl FnMut(&mpsc::Receiver<SocketAddr>) -> Option<SocketAddr>,
    ) -> Self {
        let mut given: Vec<(&str, &str)> =
            vec![("HOST", "127.0.0.1"), ("PORT", port), ("LOG_FORMAT", "text")];
        given.extend_from_slice(env);
        let databases = ServiceDatabases::for_service(&given);
        let mut child =
            command(&databases.env(&given), &databases.grants()).spawn().expect("start the runner");
        let stderr = child.stderr.take().expect("stderr is piped");
        let (addr_tx, addr_rx) = mpsc::channel();
        let (log_tx, log_rx) = mpsc::channel();
        forward_stderr(stderr, addr_tx, log_tx);
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(addr) = listening(&addr_rx) {
                return Self { addr, child, log: log_rx, seen: Vec::new(), _databases: databases };
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

    /// Waits up to `timeout` for the process to exit by itself; once it has, every
    /// line it wrote is in [`TestApp::logs`] (its stderr was read to the end).
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                self.read_log_to_the_end();
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// After the process exited: takes the lines still on their way from the stderr
    /// reader, until it reaches the end of the pipe (the exit closed its write end).
    /// Without this, a line written just before the exit could still be in the pipe
    /// when a test looks for it.
    fn read_log_to_the_end(&mut self) {
        let deadline = Instant::now() + LOG_END_TIMEOUT;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.log.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(_) => return,
            }
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
