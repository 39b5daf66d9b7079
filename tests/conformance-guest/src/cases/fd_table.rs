//! §10 checks 22 and 23: misaligned out-pointers in `sock_*` calls are
//! ADDRNOTAVAIL rather than a trap (the trapping half of 22 runs as its own
//! process, see main.rs), and the life of an fd: close, close again, use after
//! close, a socket call on stdout.

use crate::abi::{self, consts::*, errno, Aligned};
use crate::net::{listener, open};
use crate::report::{expect_eq, expect_errno, setup_rc, Outcome};

/// Check 22 (sock_* half): A misaligned `ro_fd` in `sock_open` and `sock_accept`
/// returns ADDRNOTAVAIL (4) and writes nothing (§2.1).
pub fn c22_misaligned_ro_fd_is_addrnotavail() -> Outcome {
    let mut buf = Aligned([0xCCu8; 8]);
    let odd = unsafe { buf.0.as_mut_ptr().add(1) };
    expect_errno("sock_open with ro_fd at an odd address", errno::ADDRNOTAVAIL, unsafe {
        abi::sock_open(AF_INET4, SOCK_STREAM, odd)
    })?;
    expect_eq("bytes around the misaligned ro_fd (nothing written)", [0xCCu8; 8], buf.0)?;
    let (lst, _) = listener(false)?;
    // Non-blocking, so a host that skips the alignment check answers AGAIN instead of hanging.
    setup_rc("set_flags(listener, NONBLOCK)", abi::set_flags(lst.0, FDFLAGS_NONBLOCK))?;
    let odd = unsafe { buf.0.as_mut_ptr().add(2) };
    expect_errno("sock_accept with ro_fd at address 2 mod 4", errno::ADDRNOTAVAIL, unsafe {
        abi::sock_accept(lst.0, odd)
    })
}

/// Check 23: `fd_close` gives 0, then BADF; `sock_recv` on the closed fd is BADF;
/// `sock_recv` on stdout reaches the kernel and is NOTSOCK (§2.1 step 5).
pub fn c23_close_twice_and_recv_on_stdout() -> Outcome {
    let fd = open(AF_INET4, SOCK_STREAM)?;
    let n = fd.0;
    std::mem::forget(fd);
    expect_errno("fd_close(socket)", errno::SUCCESS, abi::close(n))?;
    expect_errno("fd_close again", errno::BADF, abi::close(n))?;
    let mut buf = [0u8; 4];
    expect_errno("sock_recv on the closed fd", errno::BADF, abi::recv(n, &mut buf, 0).err().unwrap_or(0))?;
    expect_errno("sock_recv on fd 1 (stdout)", errno::NOTSOCK, abi::recv(1, &mut buf, 0).err().unwrap_or(0))
}
