//! The bridge to the operating system: rustix's errors as guest errnos, the
//! few calls rustix has no safe form of (each says why it cannot be one), and
//! a read-only file mapping.

use std::os::fd::{AsRawFd, BorrowedFd};

use rustix::event::epoll;
use rustix::net::SocketAddrAny;

use crate::errno::{CallError, Errno};
use crate::guest_memory::RawIoVecs;

impl From<rustix::io::Errno> for Errno {
    /// By the raw Linux number, so a rustix call reports exactly what the
    /// libc call it replaces reported (`Errno::from_os`).
    fn from(errno: rustix::io::Errno) -> Errno {
        Errno::from_os(errno.raw_os_error())
    }
}

impl From<rustix::io::Errno> for CallError {
    fn from(errno: rustix::io::Errno) -> CallError {
        CallError::Errno(errno.into())
    }
}

/// `Err(errno)` if a libc call returned a negative value.
pub fn cvt(ret: libc::c_int) -> Result<libc::c_int, Errno> {
    if ret < 0 {
        Err(Errno::last_os_error())
    } else {
        Ok(ret)
    }
}

/// Like [`cvt`] for calls returning `ssize_t`.
pub fn cvt_size(ret: libc::ssize_t) -> Result<usize, Errno> {
    if ret < 0 {
        Err(Errno::last_os_error())
    } else {
        Ok(ret as usize)
    }
}

/// `getsockopt(SOL_SOCKET, name)` into `buf` as the guest gave it: any
/// option, any length, the kernel's length returned. rustix only has typed
/// options, each with its own fixed size, and would change what an odd
/// length gets from the kernel.
pub fn getsockopt_bytes(fd: BorrowedFd<'_>, name: libc::c_int, buf: &mut [u8]) -> Result<u32, Errno> {
    let mut len = libc::socklen_t::try_from(buf.len()).map_err(|_| Errno::INVAL)?;
    // SAFETY: `buf` is `len` writable bytes; the kernel writes at most `len`.
    cvt(unsafe {
        libc::getsockopt(fd.as_raw_fd(), libc::SOL_SOCKET, name, buf.as_mut_ptr().cast(), &mut len)
    })?;
    Ok(len)
}

/// `setsockopt(SOL_SOCKET, name)` with the guest's payload bytes as they are
/// (see [`getsockopt_bytes`] for why not rustix).
pub fn setsockopt_bytes(fd: BorrowedFd<'_>, name: libc::c_int, payload: &[u8]) -> Result<(), Errno> {
    let len = libc::socklen_t::try_from(payload.len()).map_err(|_| Errno::INVAL)?;
    // SAFETY: `payload` is `len` readable bytes.
    cvt(unsafe { libc::setsockopt(fd.as_raw_fd(), libc::SOL_SOCKET, name, payload.as_ptr().cast(), len) })?;
    Ok(())
}

/// Bytes queued for sending and not yet acknowledged (`TIOCOUTQ`). rustix has
/// no such query, and its generic `ioctl` needs the same raw contract.
pub fn send_queue_len(fd: BorrowedFd<'_>) -> Result<i32, Errno> {
    let mut queued: libc::c_int = 0;
    // SAFETY: TIOCOUTQ writes one int.
    cvt(unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCOUTQ, &mut queued) })?;
    Ok(queued)
}

/// `posix_fallocate`, as WasmEdge calls it: glibc's writes zeros where the
/// file system has no `fallocate`, which rustix's bare system call would
/// report as `NOTSUP` instead.
pub fn posix_fallocate(fd: BorrowedFd<'_>, offset: i64, len: i64) -> Result<(), Errno> {
    // SAFETY: plain call on an open descriptor; it returns the error number.
    match unsafe { libc::posix_fallocate(fd.as_raw_fd(), offset, len) } {
        0 => Ok(()),
        errno => Err(Errno::from_os(errno)),
    }
}

/// `epoll_pwait2` with a nanosecond timeout. rustix's `epoll::wait` rounds a
/// timeout to milliseconds unless its crate-wide `linux_5_11` feature, which
/// would make every rustix user in the process (wasmtime, cap-std) assume
/// Linux 5.11; musl has no wrapper, so this is the raw system call.
pub fn epoll_pwait2(
    epoll: BorrowedFd<'_>,
    events: &mut [epoll::Event],
    timeout_ns: u64,
) -> Result<usize, Errno> {
    const { assert!(std::mem::size_of::<epoll::Event>() == std::mem::size_of::<libc::epoll_event>()) };
    // Far-future deadlines are capped (~68 years): still "never" in practice,
    // and always a timespec the kernel accepts.
    let timeout = libc::timespec {
        tv_sec: (timeout_ns / 1_000_000_000).min(i32::MAX as u64) as _,
        tv_nsec: (timeout_ns % 1_000_000_000) as libc::c_long,
    };
    let capacity = libc::c_int::try_from(events.len()).unwrap_or(libc::c_int::MAX);
    let no_sigmask = std::ptr::null::<libc::sigset_t>();
    // SAFETY: `events` has `capacity` writable entries laid out as the kernel's
    // `struct epoll_event` (rustix's `Event` is that struct, same size checked
    // above); `timeout` is a valid timespec; without a signal mask the kernel
    // ignores the mask size.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_epoll_pwait2,
            epoll.as_raw_fd(),
            events.as_mut_ptr().cast::<libc::epoll_event>(),
            capacity,
            &timeout as *const libc::timespec,
            no_sigmask,
            0usize,
        )
    };
    if rc < 0 {
        Err(Errno::last_os_error())
    } else {
        Ok(rc as usize)
    }
}

/// The bytes the kernel wrote for `addr`. rustix hands them out only as a
/// pointer, and its own decoding of AF_UNIX addresses asserts that a path is
/// NUL-terminated, which a 108-byte path is not (it would panic the host).
pub fn sockaddr_bytes(addr: &SocketAddrAny) -> &[u8] {
    let len = (addr.addr_len() as usize).min(std::mem::size_of::<libc::sockaddr_storage>());
    // SAFETY: `SocketAddrAny` keeps the first `addr_len()` bytes of its
    // storage (a `sockaddr_storage`) initialised.
    unsafe { std::slice::from_raw_parts(addr.as_ptr().cast::<u8>(), len) }
}

/// How [`read_overlapping`] reads.
pub enum OverlappingRead<'n> {
    /// `recvmsg` with these `MSG_*` flags, the source address into `name`.
    Recv { flags: libc::c_int, name: &'n mut [u8] },
    /// `readv`.
    Read,
    /// `preadv` at this offset.
    ReadAt(u64),
}

/// What [`read_overlapping`] got.
pub struct OverlappingReadResult {
    pub bytes: usize,
    /// `msg_flags` of a `recvmsg` (`MSG_TRUNC`), else 0.
    pub msg_flags: libc::c_int,
    /// Bytes of `name` the kernel wrote, else 0.
    pub name_len: usize,
}

/// A vectored read into guest buffers that share bytes, which the kernel
/// fills one after the other as it does for WasmEdge. rustix's vectored
/// calls take `IoSliceMut`s, and Rust forbids two of them over one byte; no
/// real guest passes such buffers (see `guest_memory::iovec`).
pub fn read_overlapping(
    fd: BorrowedFd<'_>,
    iovs: &mut RawIoVecs<'_>,
    how: OverlappingRead<'_>,
) -> Result<OverlappingReadResult, Errno> {
    let (raw, iov, count) = (fd.as_raw_fd(), iovs.as_mut_ptr(), iovs.len());
    // SAFETY: `iov` holds `count` (at most IOV_MAX) iovecs over bounds-checked
    // guest memory, borrowed mutably for this call (`RawIoVecs<'_>`); `name` is
    // writable for its length; all-zero is a valid msghdr (null pointers).
    unsafe {
        match how {
            OverlappingRead::Recv { flags, name } => {
                let mut msg: libc::msghdr = std::mem::zeroed();
                msg.msg_name = name.as_mut_ptr().cast();
                msg.msg_namelen = libc::socklen_t::try_from(name.len()).unwrap_or(0);
                msg.msg_iov = iov;
                // size_t with glibc, int with musl.
                msg.msg_iovlen = count as _;
                let bytes = cvt_size(libc::recvmsg(raw, &mut msg, flags))?;
                let name_len = (msg.msg_namelen as usize).min(name.len());
                Ok(OverlappingReadResult { bytes, msg_flags: msg.msg_flags, name_len })
            }
            OverlappingRead::Read => {
                let bytes = cvt_size(libc::readv(raw, iov, count as libc::c_int))?;
                Ok(OverlappingReadResult { bytes, msg_flags: 0, name_len: 0 })
            }
            OverlappingRead::ReadAt(at) => {
                let bytes = cvt_size(libc::preadv(raw, iov, count as libc::c_int, at as libc::off_t))?;
                Ok(OverlappingReadResult { bytes, msg_flags: 0, name_len: 0 })
            }
        }
    }
}

/// A read-only private mapping of a whole file, unmapped on drop: lets the
/// start-up path hash and check module files without copying them.
pub struct MappedFile {
    ptr: *mut libc::c_void,
    len: usize,
}

impl MappedFile {
    /// Maps the first `len` bytes of `file` (`len` must be > 0).
    pub fn new(file: &std::fs::File, len: usize) -> std::io::Result<Self> {
        // SAFETY: mapping `len` bytes of an open file read-only; checked below.
        // No API can map safely (rustix's `mmap` neither): the bytes are only
        // as stable as the file, which the callers checksum.
        let ptr = unsafe {
            libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ, libc::MAP_PRIVATE, file.as_raw_fd(), 0)
        };
        if ptr == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(MappedFile { ptr, len })
    }

    /// The mapped bytes.
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: `ptr` maps `len` readable bytes until drop.
        unsafe { std::slice::from_raw_parts(self.ptr.cast::<u8>(), self.len) }
    }
}

impl Drop for MappedFile {
    fn drop(&mut self) {
        // SAFETY: unmapping what `new` mapped.
        unsafe { libc::munmap(self.ptr, self.len) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapped_file_shows_the_file_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"mapped bytes").unwrap();
        let file = std::fs::File::open(&path).unwrap();
        let map = MappedFile::new(&file, 12).unwrap();
        assert_eq!(map.bytes(), b"mapped bytes");
    }

    #[test]
    fn rustix_errors_map_like_libc_errors() {
        assert_eq!(Errno::from(rustix::io::Errno::BADF), Errno::BADF);
        assert_eq!(Errno::from(rustix::io::Errno::AGAIN), Errno::AGAIN);
        assert_eq!(Errno::from(rustix::io::Errno::INPROGRESS), Errno::INPROGRESS);
        assert_eq!(Errno::from(rustix::io::Errno::CHRNG), Errno::IO);
        assert_eq!(cvt(3), Ok(3));
        assert_eq!(cvt_size(5), Ok(5));
    }
}
