//! The command line: `edge-host run [OPTIONS] MODULE [ARGS]...`, the
//! `wasmedge`-style `edge-host [OPTIONS] MODULE [ARGS]...` without `run`, and
//! `edge-host compile IN.wasm OUT.cwasm`. clap parses every value into its
//! type ([`RunConfig`]'s), so a malformed one is refused before anything
//! starts (clap's message, exit status 2). Host messages go to stderr
//! prefixed `edge-host: `; the exit status is the guest's.
//!
//! A container image can only pass settings through its environment, so the
//! sandbox and shutdown flags fall back to `EDGE_HOST_*` variables and
//! `--inherit-env` hands the rest of edge-host's environment to the guest.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};

use clap::{Args, FromArgMatches, Subcommand};

use crate::run_config::{self, DirMapping, EnvVar, RunConfig};
use crate::runner::{self, RunError};
use crate::sandbox::RuleSpec;
use crate::shutdown::DEFAULT_SHUTDOWN_TIMEOUT;

/// The command line's definition: the `run` flags at the top level (so
/// `edge-host [OPTIONS] MODULE [ARGS]...` runs the module, like `wasmedge
/// MODULE`) and the subcommands. A subcommand name in first position selects
/// the subcommand; any other first argument belongs to the bare `run` form.
fn command_line() -> clap::Command {
    let top = Command::augment_subcommands(RunArgs::augment_args(clap::Command::new("edge-host")));
    top.version(env!("CARGO_PKG_VERSION"))
        .about(env!("CARGO_PKG_DESCRIPTION"))
        .long_about(None)
        .args_conflicts_with_subcommands(true)
        .subcommand_negates_reqs(true)
}

/// Parses `argv` into the command it asks for (the bare form is `run`).
fn parse(argv: impl IntoIterator<Item = OsString>) -> Result<Command, clap::Error> {
    let mut cli = command_line();
    let matches = cli.try_get_matches_from_mut(argv)?;
    let command = if matches.subcommand().is_some() {
        Command::from_arg_matches(&matches)
    } else {
        RunArgs::from_arg_matches(&matches).map(Command::Run)
    };
    command.map_err(|e| e.format(&mut cli))
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a module (`.wasm`, compiled and cached on first use, or `.cwasm`).
    Run(RunArgs),
    /// Compile a module ahead of time into a `.cwasm` that `run` loads directly.
    Compile(CompileArgs),
}

/// The flags of `run`, also accepted without the subcommand. (clap
/// validates their `EDGE_HOST_*` fallbacks at the top level even when a
/// subcommand follows, so `compile` too refuses a malformed one.)
#[derive(Debug, Args)]
struct RunArgs {
    /// Environment variable for the guest (repeatable); without --inherit-env the
    /// guest sees only these.
    #[arg(long = "env", value_name = "NAME=VALUE")]
    env: Vec<EnvVar>,
    /// Also give the guest edge-host's own environment, except its `EDGE_HOST_*`
    /// settings (--env wins over an inherited variable of the same name).
    #[arg(long = "inherit-env")]
    inherit_env: bool,
    /// Give the guest a host directory: GUEST:HOST[:readonly], or PATH for both.
    #[arg(long = "dir", value_name = "GUEST:HOST")]
    dir: Vec<DirMapping>,
    /// Allow sock_connect/sock_send_to to HOST:PORT (CIDR and `*` port allowed; repeatable).
    #[arg(
        long = "allow-connect",
        value_name = "HOST:PORT",
        env = "EDGE_HOST_ALLOW_CONNECT",
        value_delimiter = ','
    )]
    allow_connect: Vec<RuleSpec>,
    /// Allow sock_bind to ADDR:PORT (CIDR and `*` port allowed; repeatable).
    #[arg(
        long = "allow-listen",
        value_name = "ADDR:PORT",
        env = "EDGE_HOST_ALLOW_LISTEN",
        value_delimiter = ','
    )]
    allow_listen: Vec<RuleSpec>,
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

/// Parses `argv` and runs the command. Returns the process exit status, or
/// the error that stopped edge-host before or around the guest (status 1,
/// printed by `main` with its causes). A command line clap refuses is
/// reported by clap itself (status 2; `--help` and `--version` exit 0).
pub fn main_with_args(argv: impl IntoIterator<Item = OsString>) -> Result<i32, RunError> {
    match parse(argv).unwrap_or_else(|err| err.exit()) {
        Command::Run(args) => run(args),
        Command::Compile(args) => compile(&args.input, &args.output).map(|()| 0),
    }
}

fn run(args: RunArgs) -> Result<i32, RunError> {
    let config = RunConfig {
        module: args.module,
        args: args.args.into_iter().map(OsStringExt::into_vec).collect(),
        env: run_config::guest_environment(
            args.inherit_env.then(std::env::vars_os).into_iter().flatten(),
            args.env,
        ),
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

    /// The run flags of `argv`, with or without the `run` subcommand.
    fn parse_run(items: &[&str]) -> Result<RunArgs, clap::Error> {
        match parse(argv(items))? {
            Command::Run(args) => Ok(args),
            Command::Compile(_) => panic!("expected run"),
        }
    }

    fn env(items: &[&str]) -> Vec<EnvVar> {
        items.iter().map(|e| e.parse().unwrap()).collect()
    }

    fn texts<T: ToString>(items: &[T]) -> Vec<String> {
        items.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        command_line().debug_assert();
    }

    #[test]
    fn module_without_run_is_the_run_command() {
        let _env = settings_env_lock();
        let bare = parse_run(&["e", "--env", "A=1", "m.wasm", "x"]).unwrap();
        let explicit = parse_run(&["e", "run", "--env", "A=1", "m.wasm", "x"]).unwrap();
        assert_eq!((&bare.env, &bare.module, &bare.args), (&explicit.env, &explicit.module, &explicit.args));
        assert_eq!(bare.module, PathBuf::from("m.wasm"));
        let Command::Compile(compile) = parse(argv(&["e", "compile", "a", "b"])).unwrap() else {
            panic!("expected compile");
        };
        assert_eq!((compile.input, compile.output), (PathBuf::from("a"), PathBuf::from("b")));
        let version = parse(argv(&["e", "--version"])).unwrap_err();
        assert_eq!(version.kind(), clap::error::ErrorKind::DisplayVersion);
        let nothing = parse(argv(&["e"])).unwrap_err();
        assert_eq!(
            (nothing.kind(), nothing.exit_code()),
            (clap::error::ErrorKind::MissingRequiredArgument, 2)
        );
    }

    #[test]
    fn guest_arguments_after_the_module_pass_through_verbatim() {
        let _env = settings_env_lock();
        let args = parse_run(&["e", "run", "--env", "PORT=1", "m.wasm", "--flag", "-x", "pos"]).unwrap();
        assert_eq!(args.env, env(&["PORT=1"]));
        assert_eq!(args.module, PathBuf::from("m.wasm"));
        assert_eq!(args.args, argv(&["--flag", "-x", "pos"]));
        let bare = parse_run(&["e", "m.wasm", "run", "--x"]).unwrap();
        assert_eq!((bare.module, bare.args), (PathBuf::from("m.wasm"), argv(&["run", "--x"])));
    }

    #[test]
    fn repeatable_options_keep_their_order() {
        let _env = settings_env_lock();
        let args = parse_run(&[
            "e",
            "run",
            "--env",
            "A=1",
            "--env",
            "B=2",
            "--allow-connect",
            "127.0.0.1:*",
            "--dir",
            "/a:/tmp",
            "--dir",
            "/b:/srv:readonly",
            "--max-memory",
            "64",
            "m.wasm",
        ])
        .unwrap();
        assert_eq!(args.env, env(&["A=1", "B=2"]));
        assert_eq!(texts(&args.allow_connect), ["127.0.0.1:*"]);
        assert_eq!(texts(&args.dir), ["/a:/tmp", "/b:/srv:readonly"]);
        assert!(args.dir[1].readonly);
        assert_eq!(args.max_memory, Some(64));
        assert_eq!(args.shutdown_timeout, 25, "the default suits Kubernetes' 30 s grace period");
    }

    #[test]
    fn malformed_values_are_refused_by_the_parser() {
        let _env = settings_env_lock();
        for (flag, value, why) in [
            ("--allow-connect", "nonsense", "is not HOST:PORT"),
            ("--allow-listen", "0.0.0.0:http", "bad port"),
            ("--allow-connect", "10.0.0.0/40:1", "bad prefix length"),
            ("--env", "=1", "has no name"),
            ("--dir", "/guest:", "host directory is empty"),
        ] {
            let err = parse_run(&["e", "run", flag, value, "m.wasm"]).expect_err(value);
            assert_eq!((err.kind(), err.exit_code()), (clap::error::ErrorKind::ValueValidation, 2));
            let message = err.to_string();
            assert!(message.contains(flag) && message.contains(value) && message.contains(why), "{message}");
        }
    }

    #[test]
    fn inherit_env_is_off_unless_asked() {
        let _env = settings_env_lock();
        assert!(!parse_run(&["e", "run", "m.wasm"]).unwrap().inherit_env);
        let args = parse_run(&["e", "run", "--inherit-env", "--env", "A=1", "m.wasm", "x"]).unwrap();
        assert!(args.inherit_env);
        assert_eq!((args.env, args.args), (env(&["A=1"]), argv(&["x"])));
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
        let bare_from_env = parse_run(&["e", "m.wasm"]);
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
        std::env::set_var("EDGE_HOST_MAX_MEMORY", "48");
        std::env::set_var("EDGE_HOST_ALLOW_LISTEN", "0.0.0.0:8080,oops");
        let bad_rule = parse_run(&["e", "run", "m.wasm"]);
        for (name, _) in settings {
            std::env::remove_var(name);
        }

        let from_env = from_env.unwrap();
        assert_eq!(texts(&from_env.allow_connect), ["127.0.0.1:5432", "10.0.0.0/8:*"]);
        assert_eq!(texts(&from_env.allow_listen), ["0.0.0.0:8080"]);
        assert_eq!(from_env.max_memory, Some(48));
        assert_eq!(from_env.shutdown_timeout, 3);
        let bare_from_env = bare_from_env.unwrap();
        assert_eq!(
            (bare_from_env.allow_connect, bare_from_env.max_memory),
            (from_env.allow_connect, Some(48))
        );
        let flags_win = flags_win.unwrap();
        assert_eq!(texts(&flags_win.allow_connect), ["[::1]:6379"]);
        assert_eq!(texts(&flags_win.allow_listen), ["0.0.0.0:8080"]);
        assert_eq!(flags_win.max_memory, Some(16));
        assert_eq!(flags_win.shutdown_timeout, 9);
        let error = bad.expect_err("a bad EDGE_HOST_MAX_MEMORY must be refused").to_string();
        assert!(error.contains("lots") && error.contains("--max-memory"), "{error}");
        let error = bad_rule.expect_err("a bad EDGE_HOST_ALLOW_LISTEN must be refused").to_string();
        assert!(error.contains("oops") && error.contains("--allow-listen"), "{error}");
    }
}
