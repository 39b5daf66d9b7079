//! `fd_readdir`: directory entries as `__wasi_dirent_t` records.
//!
//! The listing starts with `.` and `..` (as the kernel's getdents does) and
//! each record's `d_next` is the cookie of the entry after it; the directory
//! is re-read on every call, so cookies stay valid while it is unchanged.

use std::os::unix::ffi::OsStrExt;

use cap_std::fs::MetadataExt;
use wasmtime::Caller;

use crate::abi::{filetype, rights, DIRENT_SIZE};
use crate::errno::{require_aligned, CallError, Errno};
use crate::fd_table::FdKind;
use crate::filesystem::{fstat, wasi_filetype};
use crate::guest_memory::GuestMemory;
use crate::host_state::{memory_and_state, HostState};

/// One directory entry as it will be written.
pub struct Dirent<'a> {
    pub next: u64,
    pub ino: u64,
    pub kind: u8,
    pub name: &'a [u8],
}

/// Appends `dirent` at `buf[*used..len]`, truncating at the end of the
/// buffer; returns false once the buffer is full.
pub fn write_dirent(
    mem: &mut GuestMemory,
    buf: u32,
    len: u32,
    used: &mut u32,
    dirent: &Dirent,
) -> Result<bool, Errno> {
    let mut raw = [0u8; DIRENT_SIZE as usize];
    raw[0..8].copy_from_slice(&dirent.next.to_le_bytes());
    raw[8..16].copy_from_slice(&dirent.ino.to_le_bytes());
    raw[16..20].copy_from_slice(&(dirent.name.len() as u32).to_le_bytes());
    raw[20] = dirent.kind;
    for part in [&raw[..], dirent.name] {
        let room = (len - *used) as usize;
        let take = part.len().min(room);
        mem.write_bytes(buf + *used, &part[..take])?;
        *used += take as u32;
        if take < part.len() {
            return Ok(false);
        }
    }
    Ok(*used < len)
}

/// `fd_readdir(fd, buf, buf_len, cookie, bufused)`.
pub(crate) fn readdir(
    caller: &mut Caller<'_, HostState>,
    fd: i32,
    buf: u32,
    len: u32,
    cookie: u64,
    used_ptr: u32,
) -> Result<(), CallError> {
    require_aligned("fd_readdir", used_ptr, 4)?;
    let (mut mem, state) = memory_and_state(caller)?;
    mem.check(buf, len)?;
    mem.check(used_ptr, 4)?;
    let entry = state.fds.get(fd)?;
    entry.require(rights::FD_READDIR)?;
    let FdKind::Dir(handle) = &entry.kind else {
        return Err(Errno::NOTDIR.into());
    };
    let mut used = 0u32;
    let self_ino = fstat(entry.fd())?.st_ino;
    let dots = [(&b"."[..], self_ino), (&b".."[..], 0)];
    let mut index = 0u64;
    let mut room = len > 0;
    for (name, ino) in dots {
        if index >= cookie && room {
            let d = Dirent { next: index + 1, ino, kind: filetype::DIRECTORY, name };
            room = write_dirent(&mut mem, buf, len, &mut used, &d)?;
        }
        index += 1;
    }
    if room {
        for item in handle.dir.entries()? {
            let item = item?;
            if index >= cookie {
                let name = item.file_name();
                let kind = item.file_type().map(wasi_filetype).unwrap_or(filetype::UNKNOWN);
                let ino = item.metadata().map(|m| m.ino()).unwrap_or(0);
                let d = Dirent { next: index + 1, ino, kind, name: name.as_bytes() };
                if !write_dirent(&mut mem, buf, len, &mut used, &d)? {
                    break;
                }
            }
            index += 1;
        }
    }
    mem.write_u32(used_ptr, used)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dirents_are_packed_and_the_last_one_truncated() {
        let mut raw = vec![0u8; 64];
        let mut mem = GuestMemory::new(&mut raw);
        let mut used = 0;
        let a = Dirent { next: 1, ino: 9, kind: filetype::REGULAR_FILE, name: b"a.txt" };
        assert!(write_dirent(&mut mem, 0, 40, &mut used, &a).unwrap());
        assert_eq!(used, 29);
        assert!(!write_dirent(&mut mem, 0, 40, &mut used, &a).unwrap());
        assert_eq!(used, 40, "buffer filled completely signals more entries");
        assert_eq!(&raw[16..20], &5u32.to_le_bytes());
        assert_eq!(raw[20], filetype::REGULAR_FILE);
        assert_eq!(&raw[24..29], b"a.txt");
    }
}
