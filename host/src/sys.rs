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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_returns_carry_errno() {
        // SAFETY: closing an invalid descriptor only sets errno.
        let ret = unsafe { libc::close(-1) };
        assert_eq!(cvt(ret), Err(Errno::BADF));
        assert_eq!(cvt(3), Ok(3));
        assert_eq!(cvt_size(5), Ok(5));
    }
}
