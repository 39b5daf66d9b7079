//! The command line: `edge-host run [OPTIONS] MODULE [ARGS]...`, the
//! `wasmedge`-style `edge-host [OPTIONS] MODULE [ARGS]...` without `run`, and
//! `edge-host compile IN.wasm OUT.cwasm`. Host messages go to stderr prefixed
//! `edge-host: `; the exit status is the guest's.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::runner::{self, RunConfig};
use crate::shutdown::DEFAULT_SHUTDOWN_TIMEOUT;

/// Runs wasm32-wasip1 modules written for WasmEdge's socket extension.
#[derive(Debug, Parser)]
#[command(name = "edge-host", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a module (`.wasm`, compiled and cached on first use, or `.cwasm`).
    Run(RunArgs),
    /// Compile a module ahead of time into a `.cwasm` that `run` loads directly.
    Compile(CompileArgs),
}

#[derive(Debug, Args)]
struct RunArgs {
    /// Environment variable for the guest (repeatable); the guest sees only these.
    #[arg(long = "env", value_name = "NAME=VALUE")]
    env: Vec<String>,
    /// Give the guest a host directory: GUEST:HOST[:readonly], or PATH for both.
    #[arg(long = "dir", value_name = "GUEST:HOST")]
    dir: Vec<String>,
    /// Allow sock_connect/sock_send_to to HOST:PORT (CIDR and `*` port allowed; repeatable).
    #[arg(long = "allow-connect", value_name = "HOST:PORT")]
    allow_connect: Vec<String>,
    /// Allow sock_bind to ADDR:PORT (CIDR and `*` port allowed; repeatable).
    #[arg(long = "allow-listen", value_name = "ADDR:PORT")]
    allow_listen: Vec<String>,
    /// Cap the guest's linear memory at this many MiB (memory.grow fails beyond).
    #[arg(long = "max-memory", value_name = "MIB")]
    max_memory: Option<u64>,
    /// On SIGTERM/SIGINT the guest's listeners close and it has this many seconds to
    /// finish; then it is cut (exit status 124). A second signal cuts at once.
    #[arg(long = "shutdown-timeout", value_name = "SECS", default_value_t = DEFAULT_SHUTDOWN_TIMEOUT.as_secs())]
    shutdown_timeout: u64,
    /// The module to run.
    module: PathBuf,
    /// Arguments passed to the guest after argv[0].
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<OsString>,
}

#[derive(Debug, Args)]
struct CompileArgs {
    /// The `.wasm` module.
    input: PathBuf,
    /// Where to write the compiled artifact.
    output: PathBuf,
}

/// Inserts `run` when the first argument is not a subcommand or a
/// top-level flag, so `edge-host MODULE ...` works like `wasmedge MODULE`.
fn with_implicit_run(mut argv: Vec<OsString>) -> Vec<OsString> {
    let explicit = ["run", "compile", "help", "-h", "--help", "-V", "--version"];
    if let Some(first) = argv.get(1) {
        if !explicit.iter().any(|e| first == *e) {
            argv.insert(1, OsString::from("run"));
        }
    }
    argv
}

/// Parses `argv`, runs the command and returns the process exit status.
pub fn main_with_args(argv: impl IntoIterator<Item = OsString>) -> i32 {
    let cli = match Cli::try_parse_from(with_implicit_run(argv.into_iter().collect())) {
        Ok(cli) => cli,
        Err(err) => {
            let code = err.exit_code();
            let _ = err.print();
            return code;
        }
    };
    match cli.command {
        Command::Run(args) => run(args),
        Command::Compile(args) => compile(&args.input, &args.output),
    }
}

fn run(args: RunArgs) -> i32 {
    let config = RunConfig {
        module: args.module,
        args: args.args.into_iter().map(OsStringExt::into_vec).collect(),
        env: args.env,
        dirs: args.dir,
        allow_connect: args.allow_connect,
        allow_listen: args.allow_listen,
        max_memory_mib: args.max_memory,
        shutdown_timeout: Some(std::time::Duration::from_secs(args.shutdown_timeout)),
        cache_dir: None,
    };
    match runner::run(&config) {
        Ok(outcome) => {
            if let runner::Outcome::Trapped(message) = &outcome {
                eprintln!("edge-host: wasm trap: {message}");
            }
            outcome.exit_code()
        }
        Err(err) => {
            eprintln!("edge-host: {err}");
            1
        }
    }
}

fn compile(input: &std::path::Path, output: &std::path::Path) -> i32 {
    let result = (|| -> Result<(), String> {
        let engine = runner::engine().map_err(|e| e.to_string())?;
        let wasm = std::fs::read(input).map_err(|e| format!("cannot read {}: {e}", input.display()))?;
        let started = std::time::Instant::now();
        let artifact = engine
            .precompile_module(&wasm)
            .map_err(|e| format!("cannot compile {}: {e:#}", input.display()))?;
        let tmp = output.with_extension("cwasm.tmp");
        std::fs::write(&tmp, &artifact)
            .and_then(|()| std::fs::rename(&tmp, output))
            .map_err(|e| format!("cannot write {}: {e}", output.display()))?;
        eprintln!(
            "edge-host: compiled {} -> {} ({} bytes, {:.1?})",
            input.display(),
            output.display(),
            artifact.len(),
            started.elapsed()
        );
        Ok(())
    })();
    match result {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("edge-host: {message}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(items: &[&str]) -> Vec<OsString> {
        items.iter().map(OsString::from).collect()
    }

    #[test]
    fn module_without_run_gets_an_implicit_run() {
        assert_eq!(with_implicit_run(argv(&["e", "m.wasm"])), argv(&["e", "run", "m.wasm"]));
        assert_eq!(
            with_implicit_run(argv(&["e", "--env", "A=1", "m.wasm"])),
            argv(&["e", "run", "--env", "A=1", "m.wasm"])
        );
        assert_eq!(with_implicit_run(argv(&["e", "compile", "a", "b"])), argv(&["e", "compile", "a", "b"]));
        assert_eq!(with_implicit_run(argv(&["e", "--version"])), argv(&["e", "--version"]));
    }

    #[test]
    fn guest_arguments_after_the_module_pass_through_verbatim() {
        let cli =
            Cli::try_parse_from(argv(&["e", "run", "--env", "PORT=1", "m.wasm", "--flag", "-x", "pos"]))
                .unwrap();
        let Command::Run(args) = cli.command else {
            panic!("expected run");
        };
        assert_eq!(args.env, vec!["PORT=1"]);
        assert_eq!(args.module, PathBuf::from("m.wasm"));
        assert_eq!(args.args, argv(&["--flag", "-x", "pos"]));
    }

    #[test]
    fn repeatable_options_keep_their_order() {
        let cli = Cli::try_parse_from(argv(&[
            "e",
            "run",
            "--env",
            "A=1",
            "--env",
            "B=2",
            "--allow-connect",
            "127.0.0.1:*",
            "--max-memory",
            "64",
            "m.wasm",
        ]))
        .unwrap();
        let Command::Run(args) = cli.command else {
            panic!("expected run");
        };
        assert_eq!(args.env, vec!["A=1", "B=2"]);
        assert_eq!(args.allow_connect, vec!["127.0.0.1:*"]);
        assert_eq!(args.max_memory, Some(64));
        assert_eq!(args.shutdown_timeout, 25, "the default suits Kubernetes' 30 s grace period");
    }
}
