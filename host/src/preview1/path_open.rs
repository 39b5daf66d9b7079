//! `path_open`: WasmEdge's flag validation and rights computation
//! (`wasifunc.cpp` `WasiPathOpen`, `vinode.cpp` `VINode::pathOpen`), then a
//! confined open through cap-std.

use wasmtime::Caller;

use crate::abi::{fdflags, oflags, rights};
use crate::errno::{require_aligned, CallError, Errno};
use crate::fd_table::FdEntry;
use crate::filesystem::{guest_path, open_at, OpenRequest};
use crate::host_state::{memory_and_state, HostState};
use crate::preview1::path::lookup_flags;

/// `path_open(dirfd, dirflags, path, path_len, oflags, rights_base,
/// rights_inheriting, fdflags, fd)`.
pub(crate) fn open(
    caller: &mut Caller<'_, HostState>,
    dirfd: i32,
    args: [u32; 6],
    base: u64,
    inheriting: u64,
) -> Result<(), CallError> {
    let [dirflags, path, path_len, open_flags, fd_flags, out] = args;
    require_aligned("path_open", out, 4)?;
    let (mut mem, state) = memory_and_state(caller)?;
    let follow = lookup_flags(dirflags)?;
    let open_flags = open_flags as u16;
    let fd_flags = fd_flags as u16;
    if open_flags & !oflags::ALL != 0
        || base & !rights::ALL != 0
        || inheriting & !rights::ALL != 0
        || fd_flags & !fdflags::ALL != 0
    {
        return Err(Errno::INVAL.into());
    }
    let path_bytes = mem.bytes(path, path_len)?.to_vec();
    mem.check(out, 4)?;
    if open_flags & oflags::DIRECTORY != 0 && base & rights::FD_READ != 0 && base & rights::FD_WRITE != 0 {
        return Err(Errno::ISDIR.into());
    }
    let (mut base, mut inheriting) = (base, inheriting);
    if open_flags & oflags::DIRECTORY != 0 {
        base &= !rights::FD_SEEK;
    } else {
        base &= !rights::PATH_FILESTAT_GET;
        inheriting &= !rights::PATH_FILESTAT_GET;
    }
    let mut required = rights::PATH_OPEN;
    if open_flags & oflags::CREAT != 0 {
        required |= rights::PATH_CREATE_FILE;
    }
    if open_flags & oflags::TRUNC != 0 {
        required |= rights::PATH_FILESTAT_SET_SIZE;
    }
    let mut required_inheriting = base | inheriting;
    if fd_flags & fdflags::RSYNC != 0 {
        required_inheriting |= rights::FD_SYNC;
    }
    if fd_flags & fdflags::DSYNC != 0 {
        required_inheriting |= rights::FD_DATASYNC;
    }
    let entry = state.fds.get(dirfd)?;
    if !entry.can(required, required_inheriting) {
        return Err(Errno::NOTCAPABLE.into());
    }
    let rel = guest_path(&path_bytes)?;
    let dir = entry.as_dir()?;
    let request = OpenRequest {
        follow,
        oflags: open_flags,
        fdflags: fd_flags,
        read: base & (rights::FD_READ | rights::FD_READDIR) != 0,
        write: base
            & (rights::FD_DATASYNC | rights::FD_WRITE | rights::FD_ALLOCATE | rights::FD_FILESTAT_SET_SIZE)
            != 0,
    };
    let kind = open_at(&dir.dir, rel, &request)?;
    let new_fd = state.fds.insert(FdEntry::new(kind, base, inheriting));
    mem.write_u32(out, new_fd)?;
    Ok(())
}
