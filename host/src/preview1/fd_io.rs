//! `fd_read`, `fd_write`, `fd_pread`, `fd_pwrite`, `fd_seek`, `fd_tell` on any
//! descriptor (stdio, files, sockets), straight through `readv`/`writev` on
//! guest memory. Writes to stdout/stderr are unbuffered, as in WasmEdge.

use wasmtime::Caller;

use crate::abi::rights;
use crate::errno::{into_wasm, require_aligned, CallError, Errno};
use crate::host_state::{memory_and_state, HostState};
use crate::sys::cvt_size;

/// Which vectored call to make.
#[derive(Clone, Copy)]
enum Transfer {
    Read,
    Write,
    PositionedRead(u64),
    PositionedWrite(u64),
}

impl Transfer {
    fn name(self) -> &'static str {
        match self {
            Transfer::Read => "fd_read",
            Transfer::Write => "fd_write",
            Transfer::PositionedRead(_) => "fd_pread",
            Transfer::PositionedWrite(_) => "fd_pwrite",
        }
    }

    fn rights(self) -> u64 {
        match self {
            Transfer::Read => rights::FD_READ,
            Transfer::Write => rights::FD_WRITE,
            Transfer::PositionedRead(_) => rights::FD_READ | rights::FD_SEEK,
            Transfer::PositionedWrite(_) => rights::FD_WRITE | rights::FD_SEEK,
        }
    }
}

fn transfer(
    caller: &mut Caller<'_, HostState>,
    fd: i32,
    iovs: u32,
    count: u32,
    result: u32,
    how: Transfer,
) -> Result<(), CallError> {
    require_aligned(how.name(), iovs, 4)?;
    require_aligned(how.name(), result, 4)?;
    let (mut mem, state) = memory_and_state(caller)?;
    mem.check_iovec_array(iovs, count)?;
    mem.check(result, 4)?;
    let mut vecs = mem.iovecs(iovs, count)?;
    let entry = state.fds.get(fd)?;
    entry.require(how.rights())?;
    let raw = entry.raw_fd();
    let (ptr, n) = (vecs.as_mut_ptr(), vecs.len() as libc::c_int);
    // SAFETY: the iovecs point at bounds-checked guest memory.
    let done = cvt_size(unsafe {
        match how {
            Transfer::Read => libc::readv(raw, ptr, n),
            Transfer::Write => libc::writev(raw, ptr, n),
            Transfer::PositionedRead(at) => libc::preadv(raw, ptr, n, at as libc::off_t),
            Transfer::PositionedWrite(at) => libc::pwritev(raw, ptr, n, at as libc::off_t),
        }
    })?;
    mem.write_u32(result, done as u32)?;
    Ok(())
}

/// `fd_read(fd, iovs, iovs_len, nread)`.
pub fn fd_read(
    mut caller: Caller<'_, HostState>,
    fd: i32,
    iovs: i32,
    count: i32,
    nread: i32,
) -> wasmtime::Result<i32> {
    into_wasm(transfer(&mut caller, fd, iovs as u32, count as u32, nread as u32, Transfer::Read))
}

/// `fd_write(fd, iovs, iovs_len, nwritten)`.
pub fn fd_write(
    mut caller: Caller<'_, HostState>,
    fd: i32,
    iovs: i32,
    count: i32,
    nwritten: i32,
) -> wasmtime::Result<i32> {
    into_wasm(transfer(&mut caller, fd, iovs as u32, count as u32, nwritten as u32, Transfer::Write))
}

/// `fd_pread(fd, iovs, iovs_len, offset, nread)`.
pub fn fd_pread(
    mut caller: Caller<'_, HostState>,
    fd: i32,
    iovs: i32,
    count: i32,
    offset: i64,
    nread: i32,
) -> wasmtime::Result<i32> {
    let how = Transfer::PositionedRead(offset as u64);
    into_wasm(transfer(&mut caller, fd, iovs as u32, count as u32, nread as u32, how))
}

/// `fd_pwrite(fd, iovs, iovs_len, offset, nwritten)`.
pub fn fd_pwrite(
    mut caller: Caller<'_, HostState>,
    fd: i32,
    iovs: i32,
    count: i32,
    offset: i64,
    nwritten: i32,
) -> wasmtime::Result<i32> {
    let how = Transfer::PositionedWrite(offset as u64);
    into_wasm(transfer(&mut caller, fd, iovs as u32, count as u32, nwritten as u32, how))
}

/// `fd_seek(fd, offset, whence, newoffset)`: whence SET 0, CUR 1, END 2.
pub fn fd_seek(
    mut caller: Caller<'_, HostState>,
    fd: i32,
    offset: i64,
    whence: i32,
    out: i32,
) -> wasmtime::Result<i32> {
    let whence = match whence as u8 {
        0 => Some(libc::SEEK_SET),
        1 => Some(libc::SEEK_CUR),
        2 => Some(libc::SEEK_END),
        _ => None,
    };
    into_wasm(seek(&mut caller, "fd_seek", fd, offset, whence, out as u32, rights::FD_SEEK))
}

/// `fd_tell(fd, offset)`: a seek by 0 from the current position.
pub fn fd_tell(mut caller: Caller<'_, HostState>, fd: i32, out: i32) -> wasmtime::Result<i32> {
    into_wasm(seek(&mut caller, "fd_tell", fd, 0, Some(libc::SEEK_CUR), out as u32, rights::FD_TELL))
}

/// `lseek` with WasmEdge's checks: alignment (`ADDRNOTAVAIL`), whence (`INVAL`, `None`
/// here), bounds, descriptor, right.
fn seek(
    caller: &mut Caller<'_, HostState>,
    name: &'static str,
    fd: i32,
    offset: i64,
    whence: Option<libc::c_int>,
    out: u32,
    needed: u64,
) -> Result<(), CallError> {
    require_aligned(name, out, 8)?;
    let (mut mem, state) = memory_and_state(caller)?;
    let whence = whence.ok_or(Errno::INVAL)?;
    mem.check(out, 8)?;
    let entry = state.fds.get(fd)?;
    entry.require(needed)?;
    // SAFETY: plain syscall.
    let pos = unsafe { libc::lseek(entry.raw_fd(), offset, whence) };
    if pos < 0 {
        return Err(Errno::last_os_error().into());
    }
    mem.write_u64(out, pos as u64)?;
    Ok(())
}
