//! From a file on disk to a running guest: engine configuration, loading
//! (`.wasm` through the compile cache, or a `.cwasm` from `compile`),
//! descriptor table and sandbox setup, instantiation, `_start`, and the exit
//! status WasmEdge would give (§7).

use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use wasmtime::{Config, Engine, Instance, Module, OptLevel, Store, StoreLimitsBuilder};

use crate::abi::rights;
use crate::cache::{self, CacheError, CacheKey, ModuleCache};
use crate::fd_table::{DirHandle, FdEntry, FdKind, FdTable};
use crate::host_state::HostState;
use crate::imports::{self, ImportError};
use crate::module_hash::module_hash;
use crate::perfmap;
use crate::preview1::args_env::WasiStrings;
use crate::preview1::process::ProcExit;
use crate::report::{Chain, WasmtimeError};
use crate::run_config::{DirMapping, RunConfig};
use crate::sandbox::{RuleError, SandboxPolicy};
use crate::shutdown;
use crate::sys::MappedFile;

/// Exit status after a trap (128 + SIGABRT), as `wasmedge run`.
pub const TRAP_EXIT_CODE: i32 = 134;

/// Modules at least this large get a progress line before compiling
/// (compilation takes long enough to notice).
const ANNOUNCE_COMPILE_BYTES: usize = 256 * 1024;

/// A failure before or around the guest (exit status 1). Each variant keeps
/// the error that caused it as its source; [`crate::report::Chain`] prints
/// the whole chain.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot read {}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{} is neither a wasm module nor an edge-host .cwasm file", path.display())]
    UnknownFormat { path: PathBuf },
    #[error("cannot compile {}", path.display())]
    Compile { path: PathBuf, source: WasmtimeError },
    #[error("cannot load precompiled {}", path.display())]
    Precompiled { path: PathBuf, source: WasmtimeError },
    #[error("cannot load precompiled {}: not a wasmtime module artifact", path.display())]
    NotModuleArtifact { path: PathBuf },
    #[error("cannot write {}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("--dir {dir}: cannot open host directory `{}`", dir.host.display())]
    Dir { dir: DirMapping, source: std::io::Error },
    #[error("invalid sandbox rule")]
    Rule(#[from] RuleError),
    #[error(transparent)]
    Imports(#[from] ImportError),
    #[error("cannot instantiate the module")]
    Instantiate(#[source] WasmtimeError),
    #[error("the module exports no `_start` function (only command modules can run)")]
    NoStart,
    #[error("cannot create the wasm engine")]
    Engine(#[source] WasmtimeError),
    #[error("cannot handle SIGTERM/SIGINT")]
    Signals(#[source] std::io::Error),
}

/// The one engine configuration used by `run` and `compile` (cache keys and
/// `.cwasm` files depend on it).
pub fn engine() -> Result<Engine, RunError> {
    let mut config = Config::new();
    config.cranelift_opt_level(OptLevel::Speed);
    config.parallel_compilation(true);
    Engine::new(&config).map_err(|e| RunError::Engine(e.into()))
}

/// What the first bytes of a file say it is.
#[derive(Debug, PartialEq, Eq)]
enum Format {
    Wasm,
    Precompiled,
    Unknown,
}

fn sniff(path: &Path) -> Result<Format, RunError> {
    let read_err = |source| RunError::Read { path: path.to_path_buf(), source };
    let mut head = [0u8; 4];
    let mut file = std::fs::File::open(path).map_err(read_err)?;
    let n = file.read(&mut head).map_err(read_err)?;
    Ok(match &head[..n] {
        b"\0asm" => Format::Wasm,
        b"\x7fELF" => Format::Precompiled,
        _ => Format::Unknown,
    })
}

/// Loads the module: `.cwasm` directly, `.wasm` through the cache.
pub fn load_module(engine: &Engine, path: &Path, cache_dir: Option<PathBuf>) -> Result<Module, RunError> {
    match sniff(path)? {
        Format::Precompiled => {
            let precompiled_err =
                |e: wasmtime::Error| RunError::Precompiled { path: path.to_path_buf(), source: e.into() };
            match Engine::detect_precompiled_file(path) {
                Ok(Some(wasmtime::Precompiled::Module)) => {}
                Ok(_) => return Err(RunError::NotModuleArtifact { path: path.to_path_buf() }),
                Err(e) => return Err(precompiled_err(e)),
            }
            // SAFETY: a `.cwasm` is trusted like the module it was compiled
            // from; wasmtime checks that it was built for this engine.
            unsafe { Module::deserialize_file(engine, path) }.map_err(precompiled_err)
        }
        Format::Wasm => {
            let read_err = |source| RunError::Read { path: path.to_path_buf(), source };
            let file = std::fs::File::open(path).map_err(read_err)?;
            let len = file.metadata().map_err(read_err)?.len() as usize;
            let wasm = MappedFile::new(&file, len).map_err(read_err)?;
            load_cached(engine, path, &file, wasm.bytes(), cache_dir.or_else(cache::default_dir))
        }
        Format::Unknown => Err(RunError::UnknownFormat { path: path.to_path_buf() }),
    }
}

fn load_cached(
    engine: &Engine,
    path: &Path,
    file: &std::fs::File,
    wasm: &[u8],
    cache_dir: Option<PathBuf>,
) -> Result<Module, RunError> {
    let compile = || {
        // Compiling a real service takes seconds: say so, once, on stderr.
        if wasm.len() >= ANNOUNCE_COMPILE_BYTES {
            eprintln!(
                "edge-host: compiling {} ({} KiB); later starts reuse the compiled code",
                path.display(),
                wasm.len() / 1024
            );
        }
        Module::new(engine, wasm)
            .map_err(|e| RunError::Compile { path: path.to_path_buf(), source: e.into() })
    };
    let Some(dir) = cache_dir else {
        return compile();
    };
    let key = CacheKey::from_module_hash(engine, module_hash(&dir, file, wasm));
    let cache = ModuleCache::new(dir);
    match cache.load(engine, &key) {
        Ok(module) => return Ok(module),
        Err(CacheError::Missing) => {}
        Err(reason) => eprintln!(
            "edge-host: ignoring cache entry {}: {}; recompiling",
            cache.entry_path(&key).display(),
            Chain(&reason)
        ),
    }
    let module = compile()?;
    match module.serialize() {
        Ok(artifact) => {
            if let Err(e) = cache.store(&key, &artifact) {
                eprintln!(
                    "edge-host: cannot write compile cache {}: {}",
                    cache.entry_path(&key).display(),
                    Chain(&e)
                );
            }
        }
        Err(e) => eprintln!("edge-host: cannot serialize the compiled module: {}", Chain(e.as_ref())),
    }
    Ok(module)
}

/// A `--dir` mapping as a preopen.
fn preopen(mapping: &DirMapping) -> Result<FdEntry, RunError> {
    let dir = cap_std::fs::Dir::open_ambient_dir(&mapping.host, cap_std::ambient_authority())
        .map_err(|source| RunError::Dir { dir: mapping.clone(), source })?;
    let guest = canonical_guest(&mapping.guest);
    let (base, inheriting) = if mapping.readonly {
        (rights::PREOPEN_BASE_READONLY, rights::PREOPEN_INHERITING_READONLY)
    } else {
        (rights::PREOPEN_BASE, rights::PREOPEN_INHERITING)
    };
    Ok(FdEntry::new(FdKind::Dir(DirHandle { dir, preopen: Some(guest) }), base, inheriting))
}

/// The preopen name WasmEdge derives from a `--dir` guest path
/// (`VINode::canonicalGuest`): leading slashes dropped, `..` pops a
/// component, a `.` after the first component is dropped, and an empty
/// result becomes `/`. So `/data` is reported as `data`, `.` stays `.`.
fn canonical_guest(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        if part == ".." {
            parts.pop();
        } else if !part.starts_with('.') || parts.len() != 1 {
            parts.push(part);
        }
    }
    let joined = parts.join("/");
    if joined.is_empty() {
        "/".to_string()
    } else {
        joined
    }
}

/// argv[0]: the module's file name with its extension forced to `.wasm`.
fn program_name(module: &Path) -> Vec<u8> {
    let name = module.with_extension("wasm");
    name.file_name().map(|n| n.as_bytes().to_vec()).unwrap_or_default()
}

/// Builds the store with all host state for `config`.
pub fn build_store(engine: &Engine, config: &RunConfig) -> Result<Store<HostState>, RunError> {
    let preopens = config.dirs.iter().map(preopen).collect::<Result<Vec<_>, _>>()?;
    let args =
        WasiStrings::new(std::iter::once(program_name(&config.module)).chain(config.args.iter().cloned()));
    let env = WasiStrings::new(config.env.iter().map(|e| e.to_string().into_bytes()));
    let sandbox = SandboxPolicy::from_rules(&config.allow_connect, &config.allow_listen)?;
    let mut store = Store::new(engine, HostState::new(args, env, FdTable::new(preopens), sandbox));
    if let Some(mib) = config.max_memory_mib {
        let bytes = usize::try_from(mib.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX);
        store.data_mut().limits = StoreLimitsBuilder::new().memory_size(bytes).build();
        store.limiter(|state| &mut state.limits);
    }
    Ok(store)
}

/// How the guest ended.
#[derive(Debug)]
pub enum Outcome {
    /// `_start` returned or the guest called `proc_exit`.
    Exited(i32),
    /// The guest trapped: wasmtime's trap error (its message, the wasm
    /// backtrace as context).
    Trapped(wasmtime::Error),
}

impl Outcome {
    /// The process exit status WasmEdge gives for this outcome.
    pub fn exit_code(&self) -> i32 {
        match self {
            Outcome::Exited(code) => *code,
            Outcome::Trapped(_) => TRAP_EXIT_CODE,
        }
    }
}

fn outcome_of(result: wasmtime::Result<()>) -> Outcome {
    match result {
        Ok(()) => Outcome::Exited(0),
        Err(err) => match err.downcast_ref::<ProcExit>() {
            Some(exit) => Outcome::Exited(exit.0 as i32),
            None => Outcome::Trapped(err),
        },
    }
}

/// With `EDGE_HOST_TRACE_STARTUP=1`, prints how long each start-up phase
/// took (elapsed since `run` began).
struct StartupTrace {
    since: Option<std::time::Instant>,
}

impl StartupTrace {
    fn from_env() -> Self {
        let enabled = std::env::var_os("EDGE_HOST_TRACE_STARTUP").is_some_and(|v| v == "1");
        StartupTrace { since: enabled.then(std::time::Instant::now) }
    }

    fn mark(&self, phase: &str) {
        if let Some(since) = self.since {
            let cpu =
                std::time::Duration::from_nanos(crate::poll::clock::now_ns(libc::CLOCK_PROCESS_CPUTIME_ID));
            eprintln!(
                "edge-host: startup: {phase} done at {:.3?} (process CPU time {:.3?})",
                since.elapsed(),
                cpu
            );
        }
    }
}

/// Loads, links and runs the module to completion.
pub fn run(config: &RunConfig) -> Result<Outcome, RunError> {
    let trace = StartupTrace::from_env();
    // First, so a signal during a long compile is a graceful shutdown too.
    let listeners = shutdown::Listeners::default();
    if let Some(timeout) = config.shutdown_timeout {
        shutdown::install(listeners.clone(), timeout).map_err(RunError::Signals)?;
    }
    let engine = engine()?;
    trace.mark("engine");
    let module = load_module(&engine, &config.module, config.cache_dir.clone())?;
    trace.mark("module load");
    if perfmap::requested() {
        if let Err(e) = perfmap::write(&module) {
            eprintln!("edge-host: cannot write the perf map {}: {}", perfmap::path().display(), Chain(&e));
        }
    }
    let mut store = build_store(&engine, config)?;
    store.data_mut().listeners = listeners;
    let externs = imports::resolve(&mut store, &module)?;
    trace.mark("imports");
    let instance = match Instance::new(&mut store, &module, &externs) {
        Ok(instance) => instance,
        Err(err)
            if err.downcast_ref::<ProcExit>().is_some() || err.downcast_ref::<wasmtime::Trap>().is_some() =>
        {
            return Ok(outcome_of(Err(err)));
        }
        Err(err) => return Err(RunError::Instantiate(err.into())),
    };
    if store.data().memory.is_none() {
        let memory = instance.get_memory(&mut store, "memory").or_else(|| {
            let exports: Vec<_> = instance.exports(&mut store).filter_map(|e| e.into_memory()).collect();
            exports.into_iter().next()
        });
        store.data_mut().memory = memory;
    }
    let start = instance.get_typed_func::<(), ()>(&mut store, "_start").map_err(|_| RunError::NoStart)?;
    trace.mark("instantiate");
    Ok(outcome_of(start.call(&mut store, ())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argv0_is_the_file_name_with_a_wasm_extension() {
        assert_eq!(program_name(Path::new("/x/y/app.wasm")), b"app.wasm");
        assert_eq!(program_name(Path::new("svc.cwasm")), b"svc.wasm");
        assert_eq!(program_name(Path::new("./plain")), b"plain.wasm");
    }

    #[test]
    fn guest_dir_names_are_canonicalised_like_wasmedge() {
        assert_eq!(canonical_guest("/data"), "data");
        assert_eq!(canonical_guest("/"), "/");
        assert_eq!(canonical_guest(""), "/");
        assert_eq!(canonical_guest("."), ".");
        assert_eq!(canonical_guest("/a/./b/"), "a/b");
        assert_eq!(canonical_guest("a/../b"), "b");
        assert_eq!(canonical_guest("//srv//www"), "srv/www");
    }

    #[test]
    fn trap_exit_code_is_134() {
        assert_eq!(Outcome::Trapped(wasmtime::Error::msg("unreachable")).exit_code(), 134);
        assert_eq!(Outcome::Exited(3).exit_code(), 3);
    }
}
