//! The standard `wasi_snapshot_preview1` functions, implemented over the same
//! descriptor table as the sockets (§1: they must share one table, so
//! wasmtime-wasi's own preview1 cannot be used; see `filesystem` for why the
//! file system part is built on cap-std instead).
//!
//! A misaligned pointer is `ADDRNOTAVAIL` here too, as in WasmEdge 0.17.x
//! (its main branch traps instead; see `errno::require_aligned`).
//!
//! - [`args_env`] — `args_*`, `environ_*`.
//! - [`process`] — clocks, randomness, `sched_yield`, `proc_exit`, `proc_raise`.
//! - [`fd_io`] — `fd_read`, `fd_write`, `fd_pread`, `fd_pwrite`, `fd_seek`, `fd_tell`.
//! - [`fd_meta`] — `fd_close`, `fd_fdstat_*`, `fd_prestat_*`,
//!   `fd_renumber`.
//! - [`fd_file`] — `fd_filestat_*`, `fd_sync`, `fd_datasync`, `fd_advise`, `fd_allocate`.
//! - [`fd_dir`] — `fd_readdir`.
//! - [`path_open`] — `path_open`.
//! - [`path`] — the other `path_*` functions.

pub mod args_env;
pub mod fd_dir;
pub mod fd_file;
pub mod fd_io;
pub mod fd_meta;
pub mod path;
pub mod path_open;
pub mod process;
