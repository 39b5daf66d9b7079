//! The command line: `edge-host run [OPTIONS] MODULE [ARGS]...`, the
//! `wasmedge`-style `edge-host [OPTIONS] MODULE [ARGS]...` without `run`, and
//! `edge-host compile IN.wasm OUT.cwasm`. Host messages go to stderr prefixed
//! `edge-host: `; the exit status is the guest's.
//!
//! A container image can only pass settings through its environment, so the
//! sandbox and shutdown flags fall back to `EDGE_HOST_*` variables and
//! `--inherit-env` hands the rest of edge-host's environment to the guest.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use crate::runner::{self, RunConfig, RunError};
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
    /// Environment variable for the guest (repeatable); without --inherit-env the
    /// guest sees only these.
    #[arg(long = "env", value_name = "NAME=VALUE")]
    env: Vec<String>,
    /// Also give the guest edge-host's own environment, except its `EDGE_HOST_*`
    /// settings (--env wins over an inherited variable of the same name).
    #[arg(long = "inherit-env")]
    inherit_env: bool,
    /// Give the guest a host directory: GUEST:HOST[:readonly], or PATH for both.
    #[arg(long = "dir", value_name = "GUEST:HOST")]
    dir: Vec<String>,
    /// Allow sock_connect/sock_send_to to HOST:PORT (CIDR and `*` port allowed; repeatable).
    #[arg(
        long = "allow-connect",
        value_name = "HOST:PORT",
        env = "EDGE_HOST_ALLOW_CONNECT",
        value_delimiter = ','
    )]
    allow_connect: Vec<String>,
    /// Allow sock_bind to ADDR:PORT (CIDR and `*` port allowed; repeatable).
    #[arg(
        long = "allow-listen",
        value_name = "ADDR:PORT",
        env = "EDGE_HOST_ALLOW_LISTEN",
        value_delimiter = ','
    )]
    allow_listen: Vec<String>,
    /// Cap the guest's linear memory at this many MiB (memory.grow fails beyond).
    #[arg(long = "max-memory", value_name = "MIB", env = "EDGE_HOST_MAX_MEMORY")]
    max_memory: Option<u64>,
    /// On SIGTERM/SIGINT the guest's listeners close and it has this many seconds to
    /// finish; then it is cut (exit status 124). A second signal cuts at once.
    #[arg(long = "shutdown-timeout", value_name = "SECS", env = "EDGE_HOST_SHUTDOWN_TIMEOUT", default_value_t = DEFAULT_SHUTDOWN_TIMEOUT.as_secs())]
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

/// Parses `argv` and runs the command. Returns the process exit status, or
/// the error that stopped edge-host before or around the guest (status 1,
/// printed by `main` with its causes). A command line clap refuses is
/// reported by clap itself (status 2; `--help` and `--version` exit 0).
pub fn main_with_args(argv: impl IntoIterator<Item = OsString>) -> Result<i32, RunError> {
    let cli = Cli::parse_from(with_implicit_run(argv.into_iter().collect()));
    match cli.command {
        Command::Run(args) => run(args),
        Command::Compile(args) => compile(&args.input, &args.output).map(|()| 0),
    }
}

/// Prefix of edge-host's own settings, never passed on by `--inherit-env`.
const OWN_SETTINGS_PREFIX: &str = "EDGE_HOST_";

/// The guest's environment: the `inherited` variables that are not edge-host
/// settings and not named by an `explicit` `--env`, in their order, then the
/// `explicit` ones. A variable that is not UTF-8 is left out with a warning.
fn guest_environment(
    inherited: impl IntoIterator<Item = (OsString, OsString)>,
    explicit: Vec<String>,
) -> Vec<String> {
    let explicit_names: Vec<&str> =
        explicit.iter().map(|e| e.split_once('=').map_or(e.as_str(), |(n, _)| n)).collect();
    let mut environment = Vec::new();
    for (name, value) in inherited {
        let (Some(name), Some(value)) = (name.to_str(), value.to_str()) else {
            eprintln!("edge-host: not passing {} to the guest: it is not UTF-8", name.to_string_lossy());
            continue;
        };
        if name.starts_with(OWN_SETTINGS_PREFIX) || explicit_names.contains(&name) {
            continue;
        }
        environment.push(format!("{name}={value}"));
    }
    environment.extend(explicit);
    environment
}

fn run(args: RunArgs) -> Result<i32, RunError> {
    let config = RunConfig {
        module: args.module,
        args: args.args.into_iter().map(OsStringExt::into_vec).collect(),
        env: guest_environment(args.inherit_env.then(std::env::vars_os).into_iter().flatten(), args.env),
        dirs: args.dir,
        allow_connect: args.allow_connect,
        allow_listen: args.allow_listen,
        max_memory_mib: args.max_memory,
        shutdown_timeout: Some(std::time::Duration::from_secs(args.shutdown_timeout)),
        cache_dir: None,
    };
    let outcome = runner::run(&config)?;
    if let runner::Outcome::Trapped(trap) = &outcome {
        eprintln!("edge-host: wasm trap: {trap:#}");
    }
    Ok(outcome.exit_code())
}

/// `compile IN OUT`: wasmtime's native artifact, written to a temporary file
/// and renamed into place.
fn compile(input: &Path, output: &Path) -> Result<(), RunError> {
    let engine = runner::engine()?;
    let wasm = std::fs::read(input).map_err(|source| RunError::Read { path: input.into(), source })?;
    let started = std::time::Instant::now();
    let artifact = engine
        .precompile_module(&wasm)
        .map_err(|e| RunError::Compile { path: input.into(), source: e.into() })?;
    let tmp = output.with_extension("cwasm.tmp");
    std::fs::write(&tmp, &artifact)
        .and_then(|()| std::fs::rename(&tmp, output))
        .map_err(|source| RunError::Write { path: output.into(), source })?;
    eprintln!(
        "edge-host: compiled {} -> {} ({} bytes, {:.1?})",
        input.display(),
        output.display(),
        artifact.len(),
        started.elapsed()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(items: &[&str]) -> Vec<OsString> {
        items.iter().map(OsString::from).collect()
    }

    /// Tests that parse a command line hold this: one of them sets the
    /// `EDGE_HOST_*` variables the others must not see.
    static SETTINGS_ENV: std::sync::Mutex<()> = std::sync::Mutex::new(());

    fn settings_env_lock() -> std::sync::MutexGuard<'static, ()> {
        SETTINGS_ENV.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn parse_run(items: &[&str]) -> Result<RunArgs, clap::Error> {
        let cli = Cli::try_parse_from(argv(items))?;
        let Command::Run(args) = cli.command else {
            panic!("expected run");
        };
        Ok(args)
    }

    fn vars(items: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
        items.iter().map(|(n, v)| (OsString::from(n), OsString::from(v))).collect()
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
        let _env = settings_env_lock();
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
        let _env = settings_env_lock();
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

    #[test]
    fn inherited_environment_keeps_order_and_leaves_out_edge_host_settings() {
        let inherited = vars(&[
            ("PORT", "8080"),
            ("EDGE_HOST_MAX_MEMORY", "64"),
            ("LOG_FORMAT", "json"),
            ("EDGE_HOST_CACHE_DIR", "/c"),
            ("HOST", "0.0.0.0"),
        ]);
        assert_eq!(
            guest_environment(inherited, Vec::new()),
            vec!["PORT=8080", "LOG_FORMAT=json", "HOST=0.0.0.0"]
        );
    }

    #[test]
    fn explicit_env_wins_over_an_inherited_variable_of_the_same_name() {
        let inherited = vars(&[("PORT", "8080"), ("HOST", "0.0.0.0"), ("EMPTY", "")]);
        let explicit = vec!["PORT=9000".to_string(), "EXTRA=a=b".to_string(), "HOST".to_string()];
        assert_eq!(guest_environment(inherited, explicit), vec!["EMPTY=", "PORT=9000", "EXTRA=a=b", "HOST"]);
    }

    #[test]
    fn explicit_env_alone_when_nothing_is_inherited() {
        let explicit = vec!["A=1".to_string(), "EDGE_HOST_X=kept".to_string()];
        assert_eq!(guest_environment(Vec::new(), explicit), vec!["A=1", "EDGE_HOST_X=kept"]);
    }

    #[test]
    fn a_variable_that_is_not_utf8_is_left_out() {
        use std::os::unix::ffi::OsStrExt;
        let inherited = vec![
            (OsString::from("BAD"), std::ffi::OsStr::from_bytes(b"\xff\xfe").to_os_string()),
            (std::ffi::OsStr::from_bytes(b"N\xff").to_os_string(), OsString::from("v")),
            (OsString::from("GOOD"), OsString::from("yes")),
        ];
        assert_eq!(guest_environment(inherited, Vec::new()), vec!["GOOD=yes"]);
    }

    #[test]
    fn inherit_env_is_off_unless_asked() {
        let _env = settings_env_lock();
        assert!(!parse_run(&["e", "run", "m.wasm"]).unwrap().inherit_env);
        let args = parse_run(&["e", "run", "--inherit-env", "--env", "A=1", "m.wasm", "x"]).unwrap();
        assert!(args.inherit_env);
        assert_eq!((args.env, args.args), (vec!["A=1".to_string()], argv(&["x"])));
    }

    #[test]
    fn sandbox_and_shutdown_settings_fall_back_to_edge_host_variables() {
        let _env = settings_env_lock();
        let settings = [
            ("EDGE_HOST_ALLOW_CONNECT", "127.0.0.1:5432,10.0.0.0/8:*"),
            ("EDGE_HOST_ALLOW_LISTEN", "0.0.0.0:8080"),
            ("EDGE_HOST_MAX_MEMORY", "48"),
            ("EDGE_HOST_SHUTDOWN_TIMEOUT", "3"),
        ];
        for (name, value) in settings {
            std::env::set_var(name, value);
        }
        let from_env = parse_run(&["e", "run", "m.wasm"]);
        let flags_win = parse_run(&[
            "e",
            "run",
            "--allow-connect",
            "[::1]:6379",
            "--max-memory",
            "16",
            "--shutdown-timeout",
            "9",
            "m.wasm",
        ]);
        std::env::set_var("EDGE_HOST_MAX_MEMORY", "lots");
        let bad = parse_run(&["e", "run", "m.wasm"]);
        for (name, _) in settings {
            std::env::remove_var(name);
        }

        let from_env = from_env.unwrap();
        assert_eq!(from_env.allow_connect, vec!["127.0.0.1:5432", "10.0.0.0/8:*"]);
        assert_eq!(from_env.allow_listen, vec!["0.0.0.0:8080"]);
        assert_eq!(from_env.max_memory, Some(48));
        assert_eq!(from_env.shutdown_timeout, 3);
        let flags_win = flags_win.unwrap();
        assert_eq!(flags_win.allow_connect, vec!["[::1]:6379"]);
        assert_eq!(flags_win.allow_listen, vec!["0.0.0.0:8080"]);
        assert_eq!(flags_win.max_memory, Some(16));
        assert_eq!(flags_win.shutdown_timeout, 9);
        let error = bad.expect_err("a bad EDGE_HOST_MAX_MEMORY must be refused").to_string();
        assert!(error.contains("lots") && error.contains("--max-memory"), "{error}");
    }
}
