//! Which program runs the service under test and how it is started: the module under
//! edge-host (default) or `wasmedge`, or the native build given only the listed
//! environment, as a Wasm runtime would; and running a service to its exit.

use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::database::ServiceDatabases;

/// How long [`run_to_exit`] lets a service run.
const EXIT_TIMEOUT: Duration = Duration::from_secs(60);

/// The path of the module under test.
pub fn module_path() -> PathBuf {
    std::env::var_os("EDGE_SERVICE_WASM")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::repo_root().join("target/wasm32-wasip1/release/edge_service.wasm"))
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
    let bin =
        std::env::var_os("EDGE_HOST_BIN").map(PathBuf::from).unwrap_or_else(|| beside_tests("edge-host"));
    assert!(bin.exists(), "edge-host is not built at {} (run scripts/setup.sh)", bin.display());
    let mut command = Command::new(bin);
    command.arg("run");
    command
}

/// `target/<triple>/release/<name>`, found from the test binary's own path
/// (`target/<triple>/debug/deps/<test>`).
fn beside_tests(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let triple_dir = exe.ancestors().nth(3).expect("test binary lives in target/<triple>/<profile>/deps");
    triple_dir.join("release").join(name)
}

/// The native build of the service (for `EDGE_RUNTIME=native`).
fn native_service() -> PathBuf {
    std::env::var_os("EDGE_SERVICE_NATIVE").map(PathBuf::from).unwrap_or_else(|| beside_tests("edge_service"))
}

/// `runner` given each of `grants` as a `--dir` (edge-host and `wasmedge` spell it alike).
pub fn with_grants(mut runner: Command, grants: &[String]) -> Command {
    for grant in grants {
        runner.arg("--dir").arg(grant);
    }
    runner
}

/// The command running the service with `env`, under the runner `EDGE_RUNTIME` names,
/// with the directories in `grants` (`GUEST:HOST`; the native build needs none).
pub fn service_command(env: &[(&str, &str)], grants: &[String]) -> Command {
    if std::env::var("EDGE_RUNTIME").as_deref() == Ok("native") {
        let bin = native_service();
        assert!(
            bin.exists(),
            "the native service is not built at {} (cargo build --release --target host-tuple)",
            bin.display()
        );
        let mut command = Command::new(bin);
        command.env_clear();
        command.envs(env.iter().copied());
        command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
        return command;
    }
    module_command(with_grants(runner(), grants), env)
}

/// `runner` (with its own flags already given) running the module with `env`.
pub fn module_command(mut command: Command, env: &[(&str, &str)]) -> Command {
    let module = module_path();
    assert!(module.exists(), "the module is not built at {} (run scripts/build.sh)", module.display());
    for (name, value) in env {
        command.arg("--env").arg(format!("{name}={value}"));
    }
    command.arg(module);
    command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
    command
}

/// Runs the service with `env` (and the run's fresh databases) until it exits, killed
/// after 60 s; returns its status and stderr.
pub fn run_to_exit(env: &[(&str, &str)]) -> (ExitStatus, String) {
    let databases = ServiceDatabases::for_service(env);
    let mut child =
        service_command(&databases.env(env), &databases.grants()).spawn().expect("run the runner");
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let reader = thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
        text
    });
    let deadline = Instant::now() + EXIT_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("poll the runner") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the service did not exit within {EXIT_TIMEOUT:?}");
        }
        thread::sleep(Duration::from_millis(10));
    };
    (status, reader.join().unwrap_or_default())
}
