//! The `path_*` functions, below preopened directories only. Every path is
//! resolved by cap-std inside the directory handle (see `filesystem`);
//! rights and argument checks follow WasmEdge (`wasifunc.cpp`, `vinode.cpp`).

use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use cap_fs_ext::{DirExt, SystemTimeSpec};
use wasmtime::Caller;

use crate::abi::{rights, FILESTAT_SIZE, LOOKUP_SYMLINK_FOLLOW};
use crate::errno::{require_aligned, CallError, Errno};
use crate::fd_table::{DirHandle, FdTable};
use crate::filesystem::{guest_path, Filestat};
use crate::guest_memory::GuestMemory;
use crate::host_state::{memory_and_state, HostState};
use crate::preview1::fd_file::timespecs;

/// Looks up `fd`, checks `needed` rights, then the path, then that `fd` is a
/// directory (WasmEdge's order: BADF, NOTCAPABLE, NOENT/PERM, NOTDIR).
fn dir_for<'a>(fds: &'a FdTable, fd: i32, needed: u64, path: &[u8]) -> Result<&'a DirHandle, Errno> {
    let entry = fds.get(fd)?;
    entry.require(needed)?;
    guest_path(path)?;
    entry.as_dir()
}

pub(crate) fn lookup_flags(flags: u32) -> Result<bool, Errno> {
    if flags & !LOOKUP_SYMLINK_FOLLOW != 0 {
        Err(Errno::INVAL)
    } else {
        Ok(flags & LOOKUP_SYMLINK_FOLLOW != 0)
    }
}

fn path_of(bytes: &[u8]) -> &Path {
    Path::new(std::ffi::OsStr::from_bytes(bytes))
}

/// Shared shape of the one-path calls (`path_create_directory`,
/// `path_remove_directory`, `path_unlink_file`): read the path, find the
/// directory with `needed` rights, run `op`.
pub(crate) fn with_dir_path(
    caller: &mut Caller<'_, HostState>,
    fd: i32,
    path: u32,
    path_len: u32,
    needed: u64,
    op: impl FnOnce(&DirHandle, &Path) -> std::io::Result<()>,
) -> Result<(), CallError> {
    let (mem, state) = memory_and_state(caller)?;
    let bytes = mem.bytes(path, path_len)?;
    let dir = dir_for(&state.fds, fd, needed, bytes)?;
    op(dir, path_of(bytes))?;
    Ok(())
}

/// `path_filestat_get(fd, flags, path, path_len, buf)`.
pub(crate) fn filestat_get(
    caller: &mut Caller<'_, HostState>,
    fd: i32,
    args: [u32; 4],
) -> Result<(), CallError> {
    let [flags, path, len, buf] = args;
    require_aligned("path_filestat_get", buf, 8)?;
    let (mut mem, state) = memory_and_state(caller)?;
    let follow = lookup_flags(flags)?;
    mem.check(buf, FILESTAT_SIZE)?;
    let bytes = mem.bytes(path, len)?;
    let dir = dir_for(&state.fds, fd, rights::PATH_FILESTAT_GET, bytes)?;
    let meta =
        if follow { dir.dir.metadata(path_of(bytes)) } else { dir.dir.symlink_metadata(path_of(bytes)) }?;
    Filestat::from_metadata(&meta).write(&mut mem, buf)?;
    Ok(())
}

fn time_spec(ts: &libc::timespec) -> Option<SystemTimeSpec> {
    match ts.tv_nsec {
        libc::UTIME_OMIT => None,
        libc::UTIME_NOW => Some(SystemTimeSpec::SymbolicNow),
        _ => {
            let since_epoch = std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32);
            let time = std::time::SystemTime::UNIX_EPOCH + since_epoch;
            Some(SystemTimeSpec::Absolute(cap_std::time::SystemTime::from_std(time)))
        }
    }
}

/// `path_filestat_set_times(fd, flags, path, path_len, atim, mtim,
/// fst_flags)`, `args` = `[flags, path, path_len, fst_flags]`.
pub(crate) fn set_times(
    caller: &mut Caller<'_, HostState>,
    fd: i32,
    args: [u32; 4],
    atim: u64,
    mtim: u64,
) -> Result<(), CallError> {
    let [flags, path, len, fst_flags] = args;
    let follow = lookup_flags(flags)?;
    let [a, m] = timespecs(atim, mtim, fst_flags)?;
    with_dir_path(caller, fd, path, len, rights::PATH_FILESTAT_SET_TIMES, |d, p| {
        if follow {
            d.dir.set_times(p, time_spec(&a), time_spec(&m))
        } else {
            d.dir.set_symlink_times(p, time_spec(&a), time_spec(&m))
        }
    })
}

/// `path_readlink(fd, path, path_len, buf, buf_len, bufused)`: the target is
/// truncated to the buffer.
pub(crate) fn readlink(caller: &mut Caller<'_, HostState>, fd: i32, args: [u32; 5]) -> Result<(), CallError> {
    let [path, len, buf, buf_len, used] = args;
    require_aligned("path_readlink", used, 4)?;
    let (mut mem, state) = memory_and_state(caller)?;
    let bytes = mem.bytes(path, len)?.to_vec();
    mem.check(buf, buf_len)?;
    mem.check(used, 4)?;
    let dir = dir_for(&state.fds, fd, rights::PATH_READLINK, &bytes)?;
    let target = dir.dir.read_link_contents(path_of(&bytes))?;
    let target = target.as_os_str().as_bytes();
    let n = target.len().min(buf_len as usize);
    mem.write_bytes(buf, &target[..n])?;
    mem.write_u32(used, n as u32)?;
    Ok(())
}

/// Reads the two paths of `path_link` / `path_rename` (FAULT first).
fn two_paths(mem: &GuestMemory, a: (u32, u32), b: (u32, u32)) -> Result<(Vec<u8>, Vec<u8>), Errno> {
    Ok((mem.bytes(a.0, a.1)?.to_vec(), mem.bytes(b.0, b.1)?.to_vec()))
}

/// Which two-directory operation to run.
#[derive(Clone, Copy)]
pub(crate) enum TwoDirOp {
    Link,
    Rename,
}

/// `path_link` and `path_rename(fd, old_path, old_len, new_fd, new_path,
/// new_len)`: two (directory, path) pairs, each side with its own right,
/// then the cap-std call between the two handles.
pub(crate) fn two_dir_op(
    caller: &mut Caller<'_, HostState>,
    op: TwoDirOp,
    old: (i32, u32, u32),
    new: (i32, u32, u32),
) -> Result<(), CallError> {
    let (mem, state) = memory_and_state(caller)?;
    let (old_path, new_path) = two_paths(&mem, (old.1, old.2), (new.1, new.2))?;
    let (source_right, target_right) = match op {
        TwoDirOp::Link => (rights::PATH_LINK_SOURCE, rights::PATH_LINK_TARGET),
        TwoDirOp::Rename => (rights::PATH_RENAME_SOURCE, rights::PATH_RENAME_TARGET),
    };
    let src = dir_for(&state.fds, old.0, source_right, &old_path)?;
    let dst = dir_for(&state.fds, new.0, target_right, &new_path)?;
    match op {
        TwoDirOp::Link => src.dir.hard_link(path_of(&old_path), &dst.dir, path_of(&new_path))?,
        TwoDirOp::Rename => src.dir.rename(path_of(&old_path), &dst.dir, path_of(&new_path))?,
    }
    Ok(())
}

/// `path_link(old_fd, old_flags, old_path, old_len, new_fd, new_path,
/// new_len)`: the flags are checked, then ignored (as in WasmEdge).
pub(crate) fn link(
    caller: &mut Caller<'_, HostState>,
    old_flags: u32,
    old: (i32, u32, u32),
    new: (i32, u32, u32),
) -> Result<(), CallError> {
    lookup_flags(old_flags)?;
    two_dir_op(caller, TwoDirOp::Link, old, new)
}

/// WasmEdge's `isSymlinkTargetEscaping`: a relative target that climbs above
/// the preopen (given the link's directory depth below it).
fn symlink_target_escapes(target: &[u8], depth: i64) -> bool {
    let mut level = depth;
    for part in target.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => {
                level -= 1;
                if level < 0 {
                    return true;
                }
            }
            _ => level += 1,
        }
    }
    false
}

/// Depth of the directory that will hold `link` below the preopen.
fn parent_depth(link: &[u8]) -> i64 {
    let parts: Vec<&[u8]> = link.split(|&b| b == b'/').filter(|p| !p.is_empty()).collect();
    let parents = &parts[..parts.len().saturating_sub(1)];
    parents.iter().fold(0i64, |level, part| match *part {
        b"." => level,
        b".." => level - 1,
        _ => level + 1,
    })
}

/// `path_symlink(old_path, old_len, fd, new_path, new_len)`: a relative
/// target that would point outside the preopen is `PERM`.
pub(crate) fn symlink(
    caller: &mut Caller<'_, HostState>,
    old: (u32, u32),
    fd: i32,
    new: (u32, u32),
) -> Result<(), CallError> {
    let (mem, state) = memory_and_state(caller)?;
    let (target, link) = two_paths(&mem, old, new)?;
    if target.is_empty() || link.is_empty() {
        return Err(Errno::NOENT.into());
    }
    let dir = dir_for(&state.fds, fd, rights::PATH_SYMLINK, &link)?;
    if symlink_target_escapes(&target, parent_depth(&link)) {
        return Err(Errno::PERM.into());
    }
    dir.dir.symlink(path_of(&target), path_of(&link))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_symlink_targets_are_detected() {
        assert!(symlink_target_escapes(b"../x", 0));
        assert!(!symlink_target_escapes(b"../x", 1));
        assert!(!symlink_target_escapes(b"a/../b", 0));
        assert!(symlink_target_escapes(b"a/../../b", 0));
        assert!(!symlink_target_escapes(b"/etc/passwd", 0));
        assert_eq!(parent_depth(b"link"), 0);
        assert_eq!(parent_depth(b"a/b/link"), 2);
        assert_eq!(parent_depth(b"a/../link"), 0);
    }

    #[test]
    fn lookup_flags_allow_only_symlink_follow() {
        assert_eq!(lookup_flags(0), Ok(false));
        assert_eq!(lookup_flags(1), Ok(true));
        assert_eq!(lookup_flags(2), Err(Errno::INVAL));
    }
}
