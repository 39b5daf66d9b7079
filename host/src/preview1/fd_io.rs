//! `fd_read`, `fd_write`, `fd_pread`, `fd_pwrite`, `fd_seek`, `fd_tell` on any
//! descriptor (stdio, files, sockets), straight through rustix's
//! `readv`/`writev` on guest memory. Writes to stdout/stderr are unbuffered,
//! as in WasmEdge.

use rustix::fs::SeekFrom;
use wasmtime::Caller;

use crate::abi::rights;
use crate::errno::{require_aligned, CallError, Errno};
use crate::guest_memory::ReadBuffers;
use crate::host_state::{memory_and_state, HostState};
use crate::sys::{read_overlapping, OverlappingRead};

/// Which vectored call to make: `fd_read`, `fd_write`, `fd_pread` or
/// `fd_pwrite` (the positioned ones carry their offset).
#[derive(Clone, Copy)]
pub(crate) enum Transfer {
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

/// `fd_read(fd, iovs, iovs_len, nread)` and the three other transfers
/// (`how`); `result` receives the byte count.
pub(crate) fn transfer(
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
    let vecs = mem.iovecs(iovs, count)?;
    let entry = state.fds.get(fd)?;
    entry.require(how.rights())?;
    let file = entry.fd();
    // Offsets reach the kernel as they are (a negative one is `INVAL` there).
    let done = match how {
        Transfer::Write => rustix::io::writev(file, mem.io_slices(&vecs).as_slice())?,
        Transfer::PositionedWrite(at) => rustix::io::pwritev(file, mem.io_slices(&vecs).as_slice(), at)?,
        Transfer::Read | Transfer::PositionedRead(_) => match mem.read_buffers(&vecs) {
            ReadBuffers::Disjoint(mut list) => match how {
                Transfer::PositionedRead(at) => rustix::io::preadv(file, list.as_mut_slice(), at)?,
                _ => rustix::io::readv(file, list.as_mut_slice())?,
            },
            ReadBuffers::Overlapping(mut raw) => {
                let read = match how {
                    Transfer::PositionedRead(at) => OverlappingRead::ReadAt(at),
                    _ => OverlappingRead::Read,
                };
                read_overlapping(file, &mut raw, read)?.bytes
            }
        },
    };
    mem.write_u32(result, done as u32)?;
    Ok(())
}

/// `fd_seek(fd, offset, whence, newoffset)`: whence SET 0, CUR 1, END 2.
pub(crate) fn fd_seek(
    caller: &mut Caller<'_, HostState>,
    fd: i32,
    offset: i64,
    whence: u32,
    out: u32,
) -> Result<(), CallError> {
    // A negative SET offset reaches the kernel as it is (`INVAL` there).
    let position = match whence as u8 {
        0 => Some(SeekFrom::Start(offset as u64)),
        1 => Some(SeekFrom::Current(offset)),
        2 => Some(SeekFrom::End(offset)),
        _ => None,
    };
    seek(caller, "fd_seek", fd, position, out, rights::FD_SEEK)
}

/// `fd_tell(fd, offset)`: a seek by 0 from the current position.
pub(crate) fn fd_tell(caller: &mut Caller<'_, HostState>, fd: i32, out: u32) -> Result<(), CallError> {
    seek(caller, "fd_tell", fd, Some(SeekFrom::Current(0)), out, rights::FD_TELL)
}

/// `lseek` with WasmEdge's checks: alignment (`ADDRNOTAVAIL`), whence (`INVAL`, `None`
/// here), bounds, descriptor, right.
fn seek(
    caller: &mut Caller<'_, HostState>,
    name: &'static str,
    fd: i32,
    position: Option<SeekFrom>,
    out: u32,
    needed: u64,
) -> Result<(), CallError> {
    require_aligned(name, out, 8)?;
    let (mut mem, state) = memory_and_state(caller)?;
    let position = position.ok_or(Errno::INVAL)?;
    mem.check(out, 8)?;
    let entry = state.fds.get(fd)?;
    entry.require(needed)?;
    let pos = rustix::fs::seek(entry.fd(), position).map_err(Errno::from)?;
    mem.write_u64(out, pos)?;
    Ok(())
}
