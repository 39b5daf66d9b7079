//! Thin helpers for raw libc calls: turn the `-1` + `errno` convention into
//! `Result<_, Errno>` so call sites stay one line.

use crate::errno::Errno;

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

/// Reads an `int` socket option.
pub fn getsockopt_int(fd: libc::c_int, level: libc::c_int, name: libc::c_int) -> Result<i32, Errno> {
    let mut value: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: value/len describe a valid, writable c_int.
    cvt(unsafe { libc::getsockopt(fd, level, name, (&mut value as *mut libc::c_int).cast(), &mut len) })?;
    Ok(value)
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
        use std::os::fd::AsRawFd;
        // SAFETY: mapping `len` bytes of an open file read-only; checked below.
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
    fn negative_returns_carry_errno() {
        // SAFETY: closing an invalid descriptor only sets errno.
        let ret = unsafe { libc::close(-1) };
        assert_eq!(cvt(ret), Err(Errno::BADF));
        assert_eq!(cvt(3), Ok(3));
        assert_eq!(cvt_size(5), Ok(5));
    }
}
