//! WasmEdge's socket extension (`sock_*` in `wasi_snapshot_preview1`), V1 and
//! `_v2` forms, on host sockets in the shared descriptor table.
//!
//! None of these functions traps: misaligned pointers give `ADDRNOTAVAIL`,
//! bad ranges `FAULT` (§2.1). No rights are checked and the descriptor's type
//! is not checked either; the kernel answers (`NOTSOCK` for a file).
//!
//! - [`address`] — guest address structs ↔ native sockaddrs.
//! - [`lifecycle`] — open, bind, listen, accept, connect, shutdown.
//! - [`transfer`] — recv, recv_from, send, send_to.
//! - [`options`] — getsockopt, setsockopt.
//! - [`names`] — getlocaladdr, getpeeraddr.
//! - [`addrinfo`] — getaddrinfo.
//! - [`resolver`] — the OS resolver (libc `getaddrinfo`) behind a safe type.

pub mod address;
pub mod addrinfo;
pub mod lifecycle;
pub mod names;
pub mod options;
pub mod resolver;
pub mod transfer;
