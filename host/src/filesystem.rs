//! File-system access for `--dir`, confined with cap-std.
//!
//! Why cap-std and not wasmtime-wasi: the socket extension needs sockets,
//! stdio, files and `poll_oneoff` in one descriptor table (§1), and
//! wasmtime-wasi's preview1 keeps its own private table that cannot hold our
//! sockets or be polled by our poller. cap-std is the crate wasmtime-wasi
//! itself builds on for the part that matters here: every path is resolved
//! below a directory handle with `openat2`-style checks, so `..`, absolute
//! paths and symlinks cannot leave the preopened directory. What remains —
//! WASI rights, flags and struct layouts — is a thin layer in `preview1`.

use std::ffi::OsStr;
use std::os::fd::BorrowedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use cap_fs_ext::{FollowSymlinks, OpenOptionsFollowExt, OpenOptionsMaybeDirExt};
use cap_std::fs::{Dir, FileType, FileTypeExt, Metadata, MetadataExt, OpenOptions, OpenOptionsExt};

use crate::abi::{fdflags, filetype, oflags, FILESTAT_SIZE};
use crate::errno::Errno;
use crate::fd_table::{DirHandle, FdKind};
use crate::guest_memory::GuestMemory;

/// A guest path as a host path relative to a directory handle. Empty paths
/// are `NOENT` and absolute ones `PERM`, as in WasmEdge's `resolvePath`.
pub fn guest_path(bytes: &[u8]) -> Result<&Path, Errno> {
    if bytes.is_empty() {
        return Err(Errno::NOENT);
    }
    if bytes[0] == b'/' {
        return Err(Errno::PERM);
    }
    if bytes.contains(&0) {
        return Err(Errno::INVAL);
    }
    Ok(Path::new(OsStr::from_bytes(bytes)))
}

/// `__wasi_filestat_t`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Filestat {
    pub dev: u64,
    pub ino: u64,
    pub filetype: u8,
    pub nlink: u64,
    pub size: u64,
    pub atim: u64,
    pub mtim: u64,
    pub ctim: u64,
}

fn ns(sec: i64, nsec: i64) -> u64 {
    (sec as u64).wrapping_mul(1_000_000_000).wrapping_add(nsec as u64)
}

impl Filestat {
    /// From an `fstat` result.
    pub fn from_stat(st: &rustix::fs::Stat) -> Self {
        Filestat {
            dev: st.st_dev,
            ino: st.st_ino,
            filetype: filetype::from_mode(st.st_mode),
            nlink: st.st_nlink,
            size: st.st_size as u64,
            atim: ns(st.st_atime, st.st_atime_nsec as i64),
            mtim: ns(st.st_mtime, st.st_mtime_nsec as i64),
            ctim: ns(st.st_ctime, st.st_ctime_nsec as i64),
        }
    }

    /// From cap-std metadata (path-based calls).
    pub fn from_metadata(m: &Metadata) -> Self {
        Filestat {
            dev: m.dev(),
            ino: m.ino(),
            filetype: filetype::from_mode(m.mode()),
            nlink: m.nlink(),
            size: m.size(),
            atim: ns(m.atime(), m.atime_nsec()),
            mtim: ns(m.mtime(), m.mtime_nsec()),
            ctim: ns(m.ctime(), m.ctime_nsec()),
        }
    }

    /// Writes the 64-byte struct at `ptr`.
    pub fn write(&self, mem: &mut GuestMemory, ptr: u32) -> Result<(), Errno> {
        let mut raw = [0u8; FILESTAT_SIZE as usize];
        raw[0..8].copy_from_slice(&self.dev.to_le_bytes());
        raw[8..16].copy_from_slice(&self.ino.to_le_bytes());
        raw[16] = self.filetype;
        raw[24..32].copy_from_slice(&self.nlink.to_le_bytes());
        raw[32..40].copy_from_slice(&self.size.to_le_bytes());
        raw[40..48].copy_from_slice(&self.atim.to_le_bytes());
        raw[48..56].copy_from_slice(&self.mtim.to_le_bytes());
        raw[56..64].copy_from_slice(&self.ctim.to_le_bytes());
        mem.write_bytes(ptr, &raw)
    }
}

/// `fstat` on any descriptor.
pub fn fstat(fd: BorrowedFd<'_>) -> Result<rustix::fs::Stat, Errno> {
    Ok(rustix::fs::fstat(fd)?)
}

/// The WASI file type of a directory entry.
pub fn wasi_filetype(ft: FileType) -> u8 {
    if ft.is_dir() {
        filetype::DIRECTORY
    } else if ft.is_file() {
        filetype::REGULAR_FILE
    } else if ft.is_symlink() {
        filetype::SYMBOLIC_LINK
    } else if ft.is_block_device() {
        filetype::BLOCK_DEVICE
    } else if ft.is_char_device() {
        filetype::CHARACTER_DEVICE
    } else if ft.is_socket() {
        filetype::SOCKET_STREAM
    } else {
        filetype::UNKNOWN
    }
}

/// What `path_open` asked for, after WasmEdge's rights computation.
pub struct OpenRequest {
    pub follow: bool,
    pub oflags: u16,
    pub fdflags: u16,
    pub read: bool,
    pub write: bool,
}

/// Opens `path` below `dir`: a directory handle for directories, a file
/// otherwise. Every path component stays inside `dir` (cap-std).
pub fn open_at(dir: &Dir, path: &Path, req: &OpenRequest) -> Result<FdKind, Errno> {
    let follow = if req.follow { FollowSymlinks::Yes } else { FollowSymlinks::No };
    if req.oflags & oflags::DIRECTORY != 0 {
        if req.oflags & oflags::CREAT != 0 {
            return Err(Errno::INVAL);
        }
        let opened =
            if req.follow { dir.open_dir(path) } else { cap_fs_ext::DirExt::open_dir_nofollow(dir, path) }?;
        return Ok(FdKind::Dir(DirHandle { dir: opened, preopen: None }));
    }
    let mut options = OpenOptions::new();
    options
        .read(req.read || !req.write)
        .write(req.write)
        .append(req.fdflags & fdflags::APPEND != 0)
        .create(req.oflags & oflags::CREAT != 0)
        .create_new(req.oflags & oflags::CREAT != 0 && req.oflags & oflags::EXCL != 0)
        .truncate(req.oflags & oflags::TRUNC != 0 && req.write)
        .follow(follow)
        .maybe_dir(true);
    let mut custom = 0;
    if req.fdflags & fdflags::DSYNC != 0 {
        custom |= libc::O_DSYNC;
    }
    if req.fdflags & (fdflags::RSYNC | fdflags::SYNC) != 0 {
        custom |= libc::O_SYNC;
    }
    if req.fdflags & fdflags::NONBLOCK != 0 {
        custom |= libc::O_NONBLOCK;
    }
    options.custom_flags(custom);
    let file = dir.open_with(path, &options)?;
    if file.metadata()?.is_dir() {
        return Ok(FdKind::Dir(DirHandle { dir: Dir::from_std_file(file.into_std()), preopen: None }));
    }
    Ok(FdKind::File(file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_absolute_and_nul_paths_are_rejected() {
        assert_eq!(guest_path(b"").err(), Some(Errno::NOENT));
        assert_eq!(guest_path(b"/etc/passwd").err(), Some(Errno::PERM));
        assert_eq!(guest_path(b"a\0b").err(), Some(Errno::INVAL));
        assert_eq!(guest_path(b"a/b.txt").unwrap(), Path::new("a/b.txt"));
    }

    #[test]
    fn filestat_layout_is_64_bytes_little_endian() {
        let stat = Filestat {
            dev: 1,
            ino: 2,
            filetype: filetype::REGULAR_FILE,
            nlink: 3,
            size: 4,
            atim: 5,
            mtim: 6,
            ctim: 7,
        };
        let mut raw = vec![0xFFu8; 64];
        let mut mem = GuestMemory::new(&mut raw);
        stat.write(&mut mem, 0).unwrap();
        assert_eq!(raw[16], 4);
        assert_eq!(&raw[17..24], &[0; 7]);
        assert_eq!(&raw[32..40], &4u64.to_le_bytes());
        assert_eq!(&raw[56..64], &7u64.to_le_bytes());
    }

    #[test]
    fn open_at_never_leaves_the_directory() {
        let outer = tempfile::tempdir().unwrap();
        std::fs::create_dir(outer.path().join("inner")).unwrap();
        std::fs::write(outer.path().join("secret"), b"x").unwrap();
        std::os::unix::fs::symlink("../secret", outer.path().join("inner/link")).unwrap();
        let dir = Dir::open_ambient_dir(outer.path().join("inner"), cap_std::ambient_authority()).unwrap();
        let req = OpenRequest { follow: true, oflags: 0, fdflags: 0, read: true, write: false };
        assert!(open_at(&dir, Path::new("../secret"), &req).is_err());
        assert!(open_at(&dir, Path::new("link"), &req).is_err());
        std::fs::write(outer.path().join("inner/ok"), b"y").unwrap();
        assert!(matches!(open_at(&dir, Path::new("ok"), &req), Ok(FdKind::File(_))));
        assert!(matches!(open_at(&dir, Path::new("."), &req), Ok(FdKind::Dir(_))));
    }
}
