//! File-level calls on an open descriptor: `fd_filestat_get`,
//! `fd_filestat_set_size`, `fd_filestat_set_times`, `fd_sync`,
//! `fd_datasync`, `fd_advise`, `fd_allocate`. Each checks the right WasmEdge
//! checks (`NOTCAPABLE`), then makes the syscall on the host descriptor.

use std::num::NonZeroU64;
use std::os::fd::BorrowedFd;

use rustix::fs::{Advice, Timestamps};
use rustix::time::Timespec;
use wasmtime::Caller;

use crate::abi::{fstflags, rights, FILESTAT_SIZE};
use crate::errno::{require_aligned, CallError, Errno};
use crate::filesystem::{fstat, Filestat};
use crate::host_state::{memory_and_state, HostState};
use crate::sys::posix_fallocate;

/// `fd_filestat_get(fd, buf)`.
pub(crate) fn filestat_get(caller: &mut Caller<'_, HostState>, fd: i32, buf: u32) -> Result<(), CallError> {
    require_aligned("fd_filestat_get", buf, 8)?;
    let (mut mem, state) = memory_and_state(caller)?;
    mem.check(buf, FILESTAT_SIZE)?;
    let entry = state.fds.get(fd)?;
    entry.require(rights::FD_FILESTAT_GET)?;
    Filestat::from_stat(&fstat(entry.fd())?).write(&mut mem, buf)?;
    Ok(())
}

/// Runs `op` on the host descriptor after checking `needed` rights.
fn with_right<E: Into<Errno>>(
    state: &mut HostState,
    fd: i32,
    needed: u64,
    op: impl FnOnce(BorrowedFd<'_>) -> Result<(), E>,
) -> Result<(), Errno> {
    let entry = state.fds.get(fd)?;
    entry.require(needed)?;
    op(entry.fd()).map_err(Into::into)
}

/// `fd_filestat_set_size(fd, size)`. A negative size reaches the kernel as
/// it is (`INVAL` there).
pub(crate) fn fd_filestat_set_size(state: &mut HostState, fd: i32, size: u64) -> Result<(), Errno> {
    with_right(state, fd, rights::FD_FILESTAT_SET_SIZE, |file| rustix::fs::ftruncate(file, size))
}

/// Validates `fst_flags` (u16, no TIM together with TIM_NOW) and builds the
/// two `timespec`s for `utimensat`/`futimens`.
pub fn timespecs(atim: u64, mtim: u64, flags: u32) -> Result<[libc::timespec; 2], Errno> {
    let flags = flags as u16;
    let all = fstflags::ATIM | fstflags::ATIM_NOW | fstflags::MTIM | fstflags::MTIM_NOW;
    if flags & !all != 0
        || (flags & fstflags::ATIM != 0 && flags & fstflags::ATIM_NOW != 0)
        || (flags & fstflags::MTIM != 0 && flags & fstflags::MTIM_NOW != 0)
    {
        return Err(Errno::INVAL);
    }
    let spec = |value: u64, set: u16, now: u16| {
        if flags & set != 0 {
            libc::timespec {
                tv_sec: (value / 1_000_000_000) as _,
                tv_nsec: (value % 1_000_000_000) as libc::c_long,
            }
        } else {
            libc::timespec {
                tv_sec: 0,
                tv_nsec: if flags & now != 0 { libc::UTIME_NOW } else { libc::UTIME_OMIT },
            }
        }
    };
    Ok([spec(atim, fstflags::ATIM, fstflags::ATIM_NOW), spec(mtim, fstflags::MTIM, fstflags::MTIM_NOW)])
}

/// `fd_filestat_set_times(fd, atim, mtim, fst_flags)`.
pub(crate) fn fd_filestat_set_times(
    state: &mut HostState,
    fd: i32,
    atim: u64,
    mtim: u64,
    flags: u32,
) -> Result<(), Errno> {
    let [atime, mtime] = timespecs(atim, mtim, flags)?;
    let time = |t: libc::timespec| Timespec { tv_sec: t.tv_sec, tv_nsec: t.tv_nsec };
    let times = Timestamps { last_access: time(atime), last_modification: time(mtime) };
    with_right(state, fd, rights::FD_FILESTAT_SET_TIMES, |file| rustix::fs::futimens(file, &times))
}

/// `fd_sync(fd)`.
pub(crate) fn fd_sync(state: &mut HostState, fd: i32) -> Result<(), Errno> {
    with_right(state, fd, rights::FD_SYNC, |file| rustix::fs::fsync(file))
}

/// `fd_datasync(fd)`.
pub(crate) fn fd_datasync(state: &mut HostState, fd: i32) -> Result<(), Errno> {
    with_right(state, fd, rights::FD_DATASYNC, |file| rustix::fs::fdatasync(file))
}

/// `fd_advise(fd, offset, len, advice)`: advice 0..=5 (`INVAL` otherwise).
pub(crate) fn fd_advise(
    state: &mut HostState,
    fd: i32,
    offset: u64,
    len: u64,
    advice: u32,
) -> Result<(), Errno> {
    let native = match advice as u8 {
        0 => Advice::Normal,
        1 => Advice::Sequential,
        2 => Advice::Random,
        3 => Advice::WillNeed,
        4 => Advice::DontNeed,
        5 => Advice::NoReuse,
        _ => return Err(Errno::INVAL),
    };
    // Negative values reach the kernel as they are (`INVAL` there).
    with_right(state, fd, rights::FD_ADVISE, |file| {
        rustix::fs::fadvise(file, offset, NonZeroU64::new(len), native)
    })
}

/// `fd_allocate(fd, offset, len)`.
pub(crate) fn fd_allocate(state: &mut HostState, fd: i32, offset: i64, len: i64) -> Result<(), Errno> {
    with_right(state, fd, rights::FD_ALLOCATE, |file| posix_fallocate(file, offset, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fst_flags_validation_and_now_omit() {
        assert_eq!(timespecs(0, 0, 1 | 2).err(), Some(Errno::INVAL));
        assert_eq!(timespecs(0, 0, 4 | 8).err(), Some(Errno::INVAL));
        assert_eq!(timespecs(0, 0, 16).err(), Some(Errno::INVAL));
        let [a, m] = timespecs(1_500_000_000, 0, 1 | 8).unwrap();
        assert_eq!((a.tv_sec, a.tv_nsec), (1, 500_000_000));
        assert_eq!(m.tv_nsec, libc::UTIME_NOW);
        let [a, _] = timespecs(0, 0, 0).unwrap();
        assert_eq!(a.tv_nsec, libc::UTIME_OMIT);
    }
}
