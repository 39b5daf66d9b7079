//! edge-host runs `wasm32-wasip1` modules written for WasmEdge's socket
//! extension on wasmtime, behaving as WasmEdge 0.17.x does. The specification
//! is `docs/wasmedge-socket-abi.md` in this repository: every `§N` in this
//! crate's comments (`§2.1`, `§8 step 4`, ...) is a section of that document.
//!
//! Map of the crate:
//! - [`cli`] — command line (`run`, `compile`, the bare `MODULE` form).
//! - [`run_config`] — the typed run configuration (`--env`, `--dir`, rules).
//! - [`runner`] — engine configuration, loading, instantiation, `_start`,
//!   exit status.
//! - [`cache`] — on-disk cache of compiled modules, checksummed.
//! - [`module_hash`] — a module file's SHA-256, remembered by file identity.
//! - [`perfmap`] — `EDGE_HOST_PERFMAP=1`: guest function names for profilers.
//! - [`report`] — an error and its causes on one line (how failures are
//!   printed).
//! - [`host_functions`] — the one table of host functions: name, typed
//!   signature, implementation; the errno conversion applied once.
//! - [`imports`] — binding imports by name and type (V1/V2), reporting every
//!   missing import before start.
//! - [`host_state`] — the per-instance state and access to guest memory.
//! - [`guest_memory`] — bounds-checked reads and writes of guest structs.
//! - [`errno`] — WASI errno values, Linux→WASI mapping, the one conversion
//!   from a host function's outcome to what the guest sees.
//! - [`abi`] — WASI/WasmEdge constants and struct sizes.
//! - [`fd_table`] — the single descriptor table (stdio, preopens, files,
//!   sockets).
//! - [`socket`] — the `sock_*` functions.
//! - [`poll`] — `poll_oneoff` / `epoll_oneoff` on epoll.
//! - [`preview1`] — the standard preview1 functions.
//! - [`filesystem`] — `--dir` access confined by cap-std.
//! - [`sandbox`] — `--allow-connect` / `--allow-listen` policy.
//! - [`shutdown`] — SIGTERM/SIGINT: listeners shut down, then a deadline.
//! - [`sys`] — the bridge to the OS: rustix errors as guest errnos, and the
//!   few raw libc calls rustix has no safe form of.

pub mod abi;
pub mod cache;
pub mod cli;
pub mod errno;
pub mod fd_table;
pub mod filesystem;
pub mod guest_memory;
pub mod host_functions;
pub mod host_state;
pub mod imports;
pub mod module_hash;
pub mod perfmap;
pub mod poll;
pub mod preview1;
pub mod report;
pub mod run_config;
pub mod runner;
pub mod sandbox;
pub mod shutdown;
pub mod socket;
pub mod sys;
