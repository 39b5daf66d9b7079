//! §10 checks 22 and 23: misaligned out-pointers are ADDRNOTAVAIL rather than
//! a trap (in `sock_*` calls on every version; in the standard preview1 calls
//! up to 0.17.x, while WasmEdge's main branch traps there, a check that runs as
//! its own process, see main.rs), and the life of an fd: close, close again,
//! use after close, a socket call on stdout.

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

/// Check 22 (standard half) as WasmEdge 0.17.x behaves: `fd_fdstat_get` with a
/// buffer at 8k+4 returns ADDRNOTAVAIL (4) and writes nothing (0.17.0
/// lib/host/wasi/wasifunc.cpp, every `isMisaligned` check returns
/// `__WASI_ERRNO_ADDRNOTAVAIL`; main traps instead).
pub fn c22_misaligned_fdstat_buffer_addrnotavail() -> Outcome {
    let mut buf = Aligned([0xCCu8; 40]);
    let rc = unsafe { abi::fd_fdstat_get(1, buf.0.as_mut_ptr().add(4)) };
    expect_errno("fd_fdstat_get(1) with the buffer at 8k+4", errno::ADDRNOTAVAIL, rc)?;
    expect_eq("the buffer (nothing written)", [0xCCu8; 40], buf.0)
}

/// The other standard calls follow the same 0.17.x rule: a misaligned pointer
/// is ADDRNOTAVAIL, checked before the descriptor and before memory bounds, and
/// nothing is written (`fd_write` iovs/nwritten, `clock_time_get`,
/// `args_sizes_get`, `poll_oneoff` subscriptions/events/nevents).
pub fn x_misaligned_standard_pointers_addrnotavail() -> Outcome {
    let mut out = Aligned([0xCCu8; 64]);
    let base = out.0.as_mut_ptr();
    let iov = Aligned([0u8; 16]);
    let far = 0xFFFF_FFF1usize as *mut u8;
    let calls: [(&str, u32); 9] = unsafe {
        [
            ("fd_write(1) with iovs at 4k+2", abi::fd_write(1, iov.0.as_ptr().add(2), 1, base.add(8))),
            ("fd_write(1) with nwritten at 4k+1", abi::fd_write(1, iov.0.as_ptr(), 0, base.add(9))),
            (
                "fd_write(closed fd) with nwritten at 4k+1",
                abi::fd_write(u32::MAX, iov.0.as_ptr(), 0, base.add(9)),
            ),
            (
                "fd_write(1) with nwritten misaligned and out of bounds",
                abi::fd_write(1, iov.0.as_ptr(), 0, far),
            ),
            ("clock_time_get with time at 8k+4", abi::clock_time_get(1, 0, base.add(4))),
            ("args_sizes_get with argc at 4k+2", abi::args_sizes_get(base.add(2), base.add(16))),
            ("args_sizes_get with the size at 4k+3", abi::args_sizes_get(base.add(16), base.add(19))),
            (
                "poll_oneoff with subscriptions at 8k+4",
                abi::poll_oneoff(base.add(4), base.add(32), 1, base.add(24)),
            ),
            ("poll_oneoff with nevents at 4k+2", abi::poll_oneoff(base, base.add(32), 0, base.add(26))),
        ]
    };
    for (what, rc) in calls {
        expect_errno(what, errno::ADDRNOTAVAIL, rc)?;
    }
    expect_eq("the output buffer (nothing written)", [0xCCu8; 64], out.0)
}
