//! Raw imports the wider cases need beyond [`crate::abi`]: the remaining
//! `_v2` socket forms and the standard preview1 fd functions, each with every
//! pointer as a plain byte pointer, so a case can pass any fd, any pointer and
//! any enum value. Types match the preview1 and WasmEdge signatures exactly, so
//! every name is imported once.
#![allow(clashing_extern_declarations)]

use crate::abi::{self, consts::*, Aligned};
use crate::report::{setup, Failure};

#[link(wasm_import_module = "wasi_snapshot_preview1")]
extern "C" {
    pub fn sock_open_v2(af: u32, socktype: u32, ro_fd: *mut u8) -> u32;
    pub fn sock_listen_v2(fd: u32, backlog: i32) -> u32;
    pub fn sock_connect_v2(fd: u32, addr: *const u8, port: u32) -> u32;
    pub fn sock_recv_v2(fd: u32, iovs: *const u8, n: u32, flags: u32, len: *mut u8, oflags: *mut u8) -> u32;
    pub fn sock_send_v2(fd: u32, iovs: *const u8, n: u32, flags: u32, len: *mut u8) -> u32;
    pub fn sock_send_to_v2(
        fd: u32,
        iovs: *const u8,
        n: u32,
        addr: *const u8,
        port: u32,
        flags: u32,
        len: *mut u8,
    ) -> u32;
    pub fn sock_getpeeraddr_v2(fd: u32, addr: *const u8, port: *mut u8) -> u32;
    pub fn fd_read(fd: u32, iovs: *const u8, n: u32, nread: *mut u8) -> u32;
    pub fn fd_seek(fd: u32, offset: i64, whence: u32, newoffset: *mut u8) -> u32;
    pub fn fd_tell(fd: u32, offset: *mut u8) -> u32;
    pub fn fd_sync(fd: u32) -> u32;
    pub fn fd_datasync(fd: u32) -> u32;
    pub fn fd_filestat_get(fd: u32, buf: *mut u8) -> u32;
    pub fn fd_prestat_get(fd: u32, buf: *mut u8) -> u32;
    pub fn fd_renumber(fd: u32, to: u32) -> u32;
    pub fn fd_advise(fd: u32, offset: u64, len: u64, advice: u32) -> u32;
    pub fn fd_allocate(fd: u32, offset: u64, len: u64) -> u32;
    pub fn fd_readdir(fd: u32, buf: *mut u8, len: u32, cookie: u64, used: *mut u8) -> u32;
    pub fn fd_filestat_set_size(fd: u32, size: u64) -> u32;
    pub fn clock_res_get(id: u32, res: *mut u8) -> u32;
    pub fn random_get(buf: *mut u8, len: u32) -> u32;
    pub fn sched_yield() -> u32;
}

/// An fd number no runtime ever hands out (WasmEdge's are below 2^31).
pub const NEVER_OPENED: u32 = u32::MAX;

/// stderr: under scripts/conformance.sh a regular file, so "not a socket".
pub const FILE_FD: u32 = 2;

/// An address far beyond any memory this guest has (out of bounds).
pub const FAR: usize = 0xFFFF_FF00;

/// The number of a socket that was opened and closed again.
pub fn closed_fd() -> Result<u32, Failure> {
    let fd = setup("sock_open", abi::open(AF_INET4, SOCK_STREAM))?;
    abi::close(fd);
    Ok(fd)
}

/// The errno of a `Result` from [`crate::abi`] (0 on success).
pub fn rc<T>(r: Result<T, u32>) -> u32 {
    r.err().unwrap_or(0)
}

/// A V1 address struct `{buf, len}` for `ip`, as 8 aligned bytes.
pub fn addr_struct(ip: &[u8]) -> Aligned<8> {
    addr_parts(ip.as_ptr().cast_mut(), ip.len() as u32)
}

/// A V1 address struct `{buf, len}` with any pointer and length.
pub fn addr_parts(buf: *mut u8, len: u32) -> Aligned<8> {
    let mut a = Aligned([0u8; 8]);
    a.0[0..4].copy_from_slice(&(buf as u32).to_le_bytes());
    a.0[4..8].copy_from_slice(&len.to_le_bytes());
    a
}

/// One iovec `{buf, len}` as 8 aligned bytes.
pub fn iovec(buf: *const u8, len: u32) -> Aligned<8> {
    let mut a = Aligned([0u8; 8]);
    a.0[0..4].copy_from_slice(&(buf as u32).to_le_bytes());
    a.0[4..8].copy_from_slice(&len.to_le_bytes());
    a
}
