//! Descriptor bookkeeping: `fd_close`, `fd_fdstat_get`,
//! `fd_fdstat_set_flags`, `fd_fdstat_set_rights`, `fd_prestat_get`,
//! `fd_prestat_dir_name`, `fd_renumber` (§6 for the socket-specific rules).

use rustix::fs::OFlags;
use wasmtime::Caller;

use crate::abi::{fdflags, filetype, rights, FDSTAT_SIZE, PRESTAT_SIZE};
use crate::errno::{require_aligned, CallError, Errno};
use crate::fd_table::FdKind;
use crate::filesystem::fstat;
use crate::host_state::{memory_and_state, HostState};

/// `fd_close(fd)`: drops the entry (closing the host descriptor without a
/// shutdown; stdio stays open on the host) and its poll registrations.
pub(crate) fn fd_close(state: &mut HostState, fd: i32) -> Result<(), Errno> {
    let mut entry = state.fds.remove(fd)?;
    for poller in &mut state.pollers {
        poller.forget(&mut entry);
    }
    drop(entry);
    Ok(())
}

/// WASI fdflags from `F_GETFL` (WasmEdge's `fdFdstatGet`, including its
/// test `flags & O_SYNC`, which O_DSYNC alone also passes).
fn wasi_fdflags(native: libc::c_int) -> u16 {
    let mut flags = 0;
    if native & libc::O_APPEND != 0 {
        flags |= fdflags::APPEND;
    }
    if native & libc::O_DSYNC != 0 {
        flags |= fdflags::DSYNC;
    }
    if native & libc::O_NONBLOCK != 0 {
        flags |= fdflags::NONBLOCK;
    }
    if native & libc::O_SYNC != 0 {
        flags |= fdflags::RSYNC | fdflags::SYNC;
    }
    flags
}

/// `fd_fdstat_get(fd, buf)`: 24 bytes; sockets are always SOCKET_STREAM.
pub(crate) fn fdstat_get(caller: &mut Caller<'_, HostState>, fd: i32, buf: u32) -> Result<(), CallError> {
    require_aligned("fd_fdstat_get", buf, 8)?;
    let (mut mem, state) = memory_and_state(caller)?;
    mem.check(buf, FDSTAT_SIZE)?;
    let entry = state.fds.get(fd)?;
    let kind = match entry.kind {
        FdKind::Socket(_) => filetype::SOCKET_STREAM,
        _ => filetype::from_mode(fstat(entry.fd())?.st_mode),
    };
    let native = rustix::fs::fcntl_getfl(entry.fd())?.bits() as libc::c_int;
    let mut out = [0u8; FDSTAT_SIZE as usize];
    out[0] = kind;
    out[2..4].copy_from_slice(&wasi_fdflags(native).to_le_bytes());
    out[8..16].copy_from_slice(&entry.rights_base.to_le_bytes());
    out[16..24].copy_from_slice(&entry.rights_inheriting.to_le_bytes());
    mem.write_bytes(buf, &out)?;
    Ok(())
}

/// The rights `fd_fdstat_set_flags` needs for `flags`.
fn set_flags_rights(flags: u16) -> u64 {
    let mut needed = rights::FD_FDSTAT_SET_FLAGS;
    if flags & fdflags::DSYNC != 0 {
        needed |= rights::FD_DATASYNC;
    }
    if flags & (fdflags::RSYNC | fdflags::SYNC) != 0 {
        needed |= rights::FD_SYNC;
    }
    needed
}

/// `fd_fdstat_set_flags(fd, flags)`: `F_SETFL` with exactly these flags
/// (they replace the old ones; 0 clears NONBLOCK).
pub(crate) fn set_flags(state: &mut HostState, fd: i32, flags: u32) -> Result<(), Errno> {
    let flags = flags as u16;
    if flags & !fdflags::ALL != 0 {
        return Err(Errno::INVAL);
    }
    let entry = state.fds.get(fd)?;
    entry.require(set_flags_rights(flags))?;
    let mut native = 0;
    if flags & fdflags::NONBLOCK != 0 {
        native |= libc::O_NONBLOCK;
    }
    if flags & fdflags::APPEND != 0 {
        native |= libc::O_APPEND;
    }
    if flags & fdflags::DSYNC != 0 {
        native |= libc::O_DSYNC;
    }
    if flags & (fdflags::RSYNC | fdflags::SYNC) != 0 {
        native |= libc::O_SYNC;
    }
    rustix::fs::fcntl_setfl(entry.fd(), OFlags::from_bits_retain(native as u32))?;
    Ok(())
}

/// `fd_fdstat_set_rights(fd, base, inheriting)`: rights can only shrink.
pub(crate) fn set_rights(state: &mut HostState, fd: i32, base: u64, inheriting: u64) -> Result<(), Errno> {
    if base & !rights::ALL != 0 || inheriting & !rights::ALL != 0 {
        return Err(Errno::INVAL);
    }
    let entry = state.fds.get_mut(fd)?;
    if !entry.can(base, inheriting) {
        return Err(Errno::NOTCAPABLE);
    }
    entry.rights_base = base;
    entry.rights_inheriting = inheriting;
    Ok(())
}

/// The guest name of a preopen; `INVAL` for any other descriptor.
fn preopen_name(state: &HostState, fd: i32) -> Result<&str, Errno> {
    match &state.fds.get(fd)?.kind {
        FdKind::Dir(d) => d.preopen.as_deref().ok_or(Errno::INVAL),
        _ => Err(Errno::INVAL),
    }
}

/// `fd_prestat_get(fd, buf)`: tag 0 (directory) and the name length.
pub(crate) fn prestat_get(caller: &mut Caller<'_, HostState>, fd: i32, buf: u32) -> Result<(), CallError> {
    require_aligned("fd_prestat_get", buf, 4)?;
    let (mut mem, state) = memory_and_state(caller)?;
    mem.check(buf, PRESTAT_SIZE)?;
    let len = preopen_name(state, fd)?.len() as u32;
    let mut out = [0u8; PRESTAT_SIZE as usize];
    out[4..8].copy_from_slice(&len.to_le_bytes());
    mem.write_bytes(buf, &out)?;
    Ok(())
}

/// `fd_prestat_dir_name(fd, buf, len)`: `NAMETOOLONG` if it does not fit.
pub(crate) fn prestat_dir_name(
    caller: &mut Caller<'_, HostState>,
    fd: i32,
    buf: u32,
    len: u32,
) -> Result<(), CallError> {
    let (mut mem, state) = memory_and_state(caller)?;
    mem.check(buf, len)?;
    let name = preopen_name(state, fd)?;
    if (len as usize) < name.len() {
        return Err(Errno::NAMETOOLONG.into());
    }
    mem.write_bytes(buf, name.as_bytes())?;
    Ok(())
}

/// `fd_renumber(from, to)`: both must be open; `to` is closed first.
pub(crate) fn renumber(state: &mut HostState, from: i32, to: i32) -> Result<(), Errno> {
    state.fds.get(from)?;
    if from == to {
        return Ok(());
    }
    state.fds.get(to)?;
    // Registrations carry the descriptor number: drop them before it moves.
    for fd in [from, to] {
        let entry = state.fds.get_mut(fd)?;
        for poller in &mut state.pollers {
            poller.forget(entry);
        }
    }
    state.fds.renumber(from, to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fdflags_follow_wasmedge_bit_tests() {
        assert_eq!(wasi_fdflags(libc::O_NONBLOCK | libc::O_RDWR), fdflags::NONBLOCK);
        assert_eq!(wasi_fdflags(libc::O_APPEND), fdflags::APPEND);
        assert_eq!(wasi_fdflags(libc::O_SYNC), fdflags::DSYNC | fdflags::RSYNC | fdflags::SYNC);
        assert_eq!(wasi_fdflags(0), 0);
    }

    #[test]
    fn sync_flags_need_sync_rights() {
        assert_eq!(set_flags_rights(fdflags::NONBLOCK), rights::FD_FDSTAT_SET_FLAGS);
        assert_eq!(set_flags_rights(fdflags::DSYNC), rights::FD_FDSTAT_SET_FLAGS | rights::FD_DATASYNC);
        assert_eq!(set_flags_rights(fdflags::RSYNC), rights::FD_FDSTAT_SET_FLAGS | rights::FD_SYNC);
    }
}
