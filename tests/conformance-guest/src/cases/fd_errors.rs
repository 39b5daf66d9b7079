//! Every imported fd-taking function with a bad descriptor: one that was
//! closed, one never opened, and a regular file (stderr under the script)
//! where a socket is expected; then file-only calls on a socket. All other
//! arguments are valid (aligned, in bounds), so the errno is the fd's.
//!
//! Socket calls never check the fd's type: on a file they reach the kernel,
//! which answers NOTSOCK. Unknown fds are BADF everywhere.

use super::raw::{self, addr_struct, closed_fd, iovec, FILE_FD, NEVER_OPENED};
use crate::abi::{self, consts::*, errno, Aligned};
use crate::net::{open, LO4};
use crate::report::{expect_errno, Outcome, Reporter};

/// A call on one fd, with valid other arguments; its errno.
type Call = fn(u32) -> u32;

fn bind(fd: u32) -> u32 {
    abi::bind(fd, &LO4, 0)
}
fn bind_v2(fd: u32) -> u32 {
    let a = addr_struct(&LO4);
    unsafe { abi::sock_bind_v2(fd, a.0.as_ptr().cast(), 0) }
}
fn listen(fd: u32) -> u32 {
    abi::listen(fd, 16)
}
fn listen_v2(fd: u32) -> u32 {
    unsafe { raw::sock_listen_v2(fd, 16) }
}
fn accept(fd: u32) -> u32 {
    raw::rc(abi::accept(fd))
}
fn accept_v2(fd: u32) -> u32 {
    let mut out = Aligned([0u8; 4]);
    unsafe { abi::sock_accept_v2(fd, 0, out.0.as_mut_ptr()) }
}
fn connect(fd: u32) -> u32 {
    abi::connect(fd, &LO4, 1)
}
fn connect_v2(fd: u32) -> u32 {
    let a = addr_struct(&LO4);
    unsafe { raw::sock_connect_v2(fd, a.0.as_ptr(), 1) }
}
fn recv(fd: u32) -> u32 {
    let mut buf = [0u8; 8];
    raw::rc(abi::recv(fd, &mut buf, 0))
}
fn recv_v2(fd: u32) -> u32 {
    let mut buf = [0u8; 8];
    let iov = iovec(buf.as_mut_ptr(), 8);
    let mut out = Aligned([0u8; 8]);
    let p = out.0.as_mut_ptr();
    unsafe { raw::sock_recv_v2(fd, iov.0.as_ptr(), 1, 0, p, p.add(4)) }
}
fn recv_from_v2(fd: u32) -> u32 {
    let mut buf = [0u8; 8];
    let iov = abi::Iovec { buf: buf.as_mut_ptr(), len: 8 };
    let mut storage = [0u8; 128];
    let addr = abi::WasiAddress { buf: storage.as_mut_ptr(), len: 128 };
    let mut out = Aligned([0u8; 16]);
    let p = out.0.as_mut_ptr();
    unsafe { abi::sock_recv_from_v2(fd, &iov, 1, &addr, 0, p, p.add(4), p.add(8)) }
}
fn send(fd: u32) -> u32 {
    raw::rc(abi::send(fd, b"x", 0))
}
fn send_v2(fd: u32) -> u32 {
    let data = *b"x";
    let iov = iovec(data.as_ptr(), 1);
    let mut out = Aligned([0u8; 4]);
    unsafe { raw::sock_send_v2(fd, iov.0.as_ptr(), 1, 0, out.0.as_mut_ptr()) }
}
fn send_to(fd: u32) -> u32 {
    let data = *b"x";
    let iov = abi::Iovec { buf: data.as_ptr(), len: 1 };
    let addr = abi::WasiAddress { buf: LO4.as_ptr().cast_mut(), len: 4 };
    let mut out = Aligned([0u8; 4]);
    unsafe { abi::sock_send_to(fd, &iov, 1, &addr, 9, 0, out.0.as_mut_ptr()) }
}
fn send_to_v2(fd: u32) -> u32 {
    let data = *b"x";
    let iov = iovec(data.as_ptr(), 1);
    let a = addr_struct(&LO4);
    let mut out = Aligned([0u8; 4]);
    unsafe { raw::sock_send_to_v2(fd, iov.0.as_ptr(), 1, a.0.as_ptr(), 9, 0, out.0.as_mut_ptr()) }
}
fn shutdown(fd: u32) -> u32 {
    abi::shutdown(fd, 3)
}
fn getsockopt(fd: u32) -> u32 {
    raw::rc(abi::getsockopt_i32(fd, 0, SO_TYPE))
}
fn setsockopt(fd: u32) -> u32 {
    abi::setsockopt_i32(fd, 0, SO_REUSEADDR, 1)
}
fn getlocaladdr(fd: u32) -> u32 {
    raw::rc(abi::get_addr(fd, abi::Side::Local, 16))
}
fn getpeeraddr(fd: u32) -> u32 {
    raw::rc(abi::get_addr(fd, abi::Side::Peer, 16))
}
fn getlocaladdr_v2(fd: u32) -> u32 {
    let mut storage = [0u8; 128];
    let addr = abi::WasiAddress { buf: storage.as_mut_ptr(), len: 128 };
    let mut port = Aligned([0u8; 4]);
    unsafe { abi::sock_getlocaladdr_v2(fd, &addr, port.0.as_mut_ptr()) }
}
fn getpeeraddr_v2(fd: u32) -> u32 {
    let mut storage = [0u8; 128];
    let a = raw::addr_parts(storage.as_mut_ptr(), 128);
    let mut port = Aligned([0u8; 4]);
    unsafe { raw::sock_getpeeraddr_v2(fd, a.0.as_ptr(), port.0.as_mut_ptr()) }
}
fn fd_close(fd: u32) -> u32 {
    abi::close(fd)
}
fn fd_fdstat_get(fd: u32) -> u32 {
    raw::rc(abi::fdstat(fd))
}
fn fd_fdstat_set_flags(fd: u32) -> u32 {
    abi::set_flags(fd, 0)
}
fn fd_write(fd: u32) -> u32 {
    let iov = Aligned([0u8; 8]);
    let mut n = Aligned([0u8; 4]);
    unsafe { abi::fd_write(fd, iov.0.as_ptr(), 0, n.0.as_mut_ptr()) }
}
fn fd_read(fd: u32) -> u32 {
    let iov = Aligned([0u8; 8]);
    let mut n = Aligned([0u8; 4]);
    unsafe { raw::fd_read(fd, iov.0.as_ptr(), 0, n.0.as_mut_ptr()) }
}
fn fd_seek(fd: u32) -> u32 {
    let mut n = Aligned([0u8; 8]);
    unsafe { raw::fd_seek(fd, 0, 1, n.0.as_mut_ptr()) }
}
fn fd_tell(fd: u32) -> u32 {
    let mut n = Aligned([0u8; 8]);
    unsafe { raw::fd_tell(fd, n.0.as_mut_ptr()) }
}
fn fd_sync(fd: u32) -> u32 {
    unsafe { raw::fd_sync(fd) }
}
fn fd_datasync(fd: u32) -> u32 {
    unsafe { raw::fd_datasync(fd) }
}
fn fd_filestat_get(fd: u32) -> u32 {
    let mut b = Aligned([0u8; 64]);
    unsafe { raw::fd_filestat_get(fd, b.0.as_mut_ptr()) }
}
fn fd_prestat_get(fd: u32) -> u32 {
    let mut b = Aligned([0u8; 8]);
    unsafe { raw::fd_prestat_get(fd, b.0.as_mut_ptr()) }
}
fn fd_advise(fd: u32) -> u32 {
    unsafe { raw::fd_advise(fd, 0, 0, 0) }
}
fn fd_allocate(fd: u32) -> u32 {
    unsafe { raw::fd_allocate(fd, 0, 1) }
}
fn fd_readdir(fd: u32) -> u32 {
    let mut b = Aligned([0u8; 64]);
    let mut used = Aligned([0u8; 4]);
    unsafe { raw::fd_readdir(fd, b.0.as_mut_ptr(), 64, 0, used.0.as_mut_ptr()) }
}
fn fd_filestat_set_size(fd: u32) -> u32 {
    unsafe { raw::fd_filestat_set_size(fd, 0) }
}
fn fd_renumber_from(fd: u32) -> u32 {
    unsafe { raw::fd_renumber(fd, NEVER_OPENED - 1) }
}

/// Socket calls: BADF on unknown fds, NOTSOCK from the kernel on a file.
const SOCKET_CALLS: [(&str, Call); 22] = [
    ("sock_bind", bind),
    ("sock_bind_v2", bind_v2),
    ("sock_listen", listen),
    ("sock_listen_v2", listen_v2),
    ("sock_accept", accept),
    ("sock_accept_v2", accept_v2),
    ("sock_connect", connect),
    ("sock_connect_v2", connect_v2),
    ("sock_recv", recv),
    ("sock_recv_v2", recv_v2),
    ("sock_recv_from_v2", recv_from_v2),
    ("sock_send", send),
    ("sock_send_v2", send_v2),
    ("sock_send_to", send_to),
    ("sock_send_to_v2", send_to_v2),
    ("sock_shutdown", shutdown),
    ("sock_getsockopt", getsockopt),
    ("sock_setsockopt", setsockopt),
    ("sock_getlocaladdr", getlocaladdr),
    ("sock_getpeeraddr", getpeeraddr),
    ("sock_getlocaladdr_v2", getlocaladdr_v2),
    ("sock_getpeeraddr_v2", getpeeraddr_v2),
];

/// Standard fd calls on unknown fds (BADF), with the errno each gives on a
/// TCP socket that was only opened (`None`: not checked on a socket).
const FD_CALLS: [(&str, Call, Option<u32>); 16] = [
    ("fd_close", fd_close, None),
    ("fd_fdstat_get", fd_fdstat_get, None),
    ("fd_fdstat_set_flags", fd_fdstat_set_flags, None),
    ("fd_write", fd_write, None),
    ("fd_read", fd_read, None),
    ("fd_seek", fd_seek, Some(errno::NOTCAPABLE)),
    ("fd_tell", fd_tell, Some(errno::NOTCAPABLE)),
    ("fd_sync", fd_sync, Some(errno::NOTCAPABLE)),
    ("fd_datasync", fd_datasync, Some(errno::NOTCAPABLE)),
    ("fd_filestat_get", fd_filestat_get, Some(errno::NOTCAPABLE)),
    ("fd_prestat_get", fd_prestat_get, Some(errno::INVAL)),
    ("fd_advise", fd_advise, Some(errno::NOTCAPABLE)),
    ("fd_allocate", fd_allocate, Some(errno::NOTCAPABLE)),
    ("fd_readdir", fd_readdir, Some(errno::NOTCAPABLE)),
    ("fd_filestat_set_size", fd_filestat_set_size, Some(errno::NOTCAPABLE)),
    ("fd_renumber", fd_renumber_from, None),
];

/// Registers `x-badfd-*` (every call × closed / never opened / file) and
/// `x-sockfd-*` (file calls on a socket).
pub fn register(r: &mut Reporter) {
    for (name, call) in SOCKET_CALLS {
        r.case(&format!("x-badfd-closed-{name}"), || {
            let fd = closed_fd()?;
            expect_errno(&format!("{name} on a closed fd"), errno::BADF, call(fd))
        });
        r.case(&format!("x-badfd-never-opened-{name}"), || {
            expect_errno(&format!("{name} on fd 2^32-1"), errno::BADF, call(NEVER_OPENED))
        });
        r.case(&format!("x-badfd-file-{name}"), || {
            expect_errno(&format!("{name} on stderr (a file)"), errno::NOTSOCK, call(FILE_FD))
        });
    }
    for (name, call, on_socket) in FD_CALLS {
        r.case(&format!("x-badfd-closed-{name}"), || {
            let fd = closed_fd()?;
            expect_errno(&format!("{name} on a closed fd"), errno::BADF, call(fd))
        });
        r.case(&format!("x-badfd-never-opened-{name}"), || {
            expect_errno(&format!("{name} on fd 2^32-1"), errno::BADF, call(NEVER_OPENED))
        });
        if let Some(want) = on_socket {
            r.case(&format!("x-sockfd-{name}"), || {
                let fd = open(AF_INET4, SOCK_STREAM)?;
                expect_errno(&format!("{name} on a TCP socket"), want, call(fd.0))
            });
        }
    }
    r.case("x-sched-yield-random-get-clock-res", sched_random_clock);
}

/// The argument-free and fd-free calls: `sched_yield` 0, `random_get` of 0 and
/// 16 bytes 0, `clock_res_get` of MONOTONIC 0 and of clock 4 INVAL, and
/// `random_get` into out-of-bounds memory FAULT.
fn sched_random_clock() -> Outcome {
    expect_errno("sched_yield", errno::SUCCESS, unsafe { raw::sched_yield() })?;
    let mut buf = Aligned([0u8; 16]);
    expect_errno("random_get(16)", errno::SUCCESS, unsafe { raw::random_get(buf.0.as_mut_ptr(), 16) })?;
    expect_errno("random_get(0)", errno::SUCCESS, unsafe { raw::random_get(buf.0.as_mut_ptr(), 0) })?;
    expect_errno("random_get out of bounds", 21, unsafe { raw::random_get(raw::FAR as *mut u8, 16) })?;
    let mut res = Aligned([0u8; 8]);
    expect_errno("clock_res_get(MONOTONIC)", errno::SUCCESS, unsafe {
        raw::clock_res_get(1, res.0.as_mut_ptr())
    })?;
    expect_errno("clock_res_get(4)", errno::INVAL, unsafe { raw::clock_res_get(4, res.0.as_mut_ptr()) })
}
