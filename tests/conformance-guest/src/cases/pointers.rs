//! Pointer arguments of every socket function and of the standard calls the
//! guests use: out of bounds is FAULT (21), misaligned is ADDRNOTAVAIL (4) on
//! WasmEdge 0.17.x (main traps in the standard calls, see fd_table.rs), both
//! checked before the fd; zero-length buffers at the very end of memory and
//! lengths that run past it. Each case names the one pointer it breaks; every
//! other argument is valid, and sockets are non-blocking so nothing waits.

use super::raw::{self, addr_parts, closed_fd, iovec, FAR};
use crate::abi::{self, consts::*, errno, Aligned};
use crate::net::{guest_pair, open, Fd};
use crate::report::{expect_eq, expect_errno, setup_rc, Failure, Reporter};

const FAULT: u32 = 21;

/// The first address past linear memory.
fn mem_end() -> usize {
    core::arch::wasm32::memory_size(0) * 65536
}

/// A connected pair whose server side is non-blocking: (client, server).
fn nb_pair() -> Result<(Fd, Fd), Failure> {
    let (c, s) = guest_pair()?;
    setup_rc("set_flags(server, NONBLOCK)", abi::set_flags(s.0, FDFLAGS_NONBLOCK))?;
    setup_rc("set_flags(client, NONBLOCK)", abi::set_flags(c.0, FDFLAGS_NONBLOCK))?;
    Ok((c, s))
}

/// `sock_send` on `fd` with a raw iovec array pointer, count and out pointer.
fn send_raw(fd: u32, iovs: *const u8, n: u32, out: *mut u8) -> u32 {
    unsafe { abi::sock_send(fd, iovs.cast(), n, 0, out) }
}

/// `sock_recv` on `fd` with raw pointers.
fn recv_raw(fd: u32, iovs: *const u8, n: u32, len: *mut u8, flags: *mut u8) -> u32 {
    unsafe { abi::sock_recv(fd, iovs.cast(), n, 0, len, flags) }
}

/// `sock_getsockopt(SO_TYPE)` with raw value and size pointers.
fn getopt_raw(fd: u32, flag: *mut u8, size: *mut u8) -> u32 {
    unsafe { abi::sock_getsockopt(fd, 0, SO_TYPE, flag, size) }
}

/// A case body: builds its state and returns the errno of the call under test.
type Body = fn() -> Result<u32, Failure>;

fn bind_addr_oob() -> Result<u32, Failure> {
    let fd = open(AF_INET4, SOCK_STREAM)?;
    Ok(unsafe { abi::sock_bind(fd.0, FAR as *const abi::WasiAddress, 0) })
}
fn bind_addr_misaligned() -> Result<u32, Failure> {
    let fd = open(AF_INET4, SOCK_STREAM)?;
    let a = Aligned([0u8; 16]);
    Ok(unsafe { abi::sock_bind(fd.0, a.0.as_ptr().add(2).cast(), 0) })
}
fn bind_buf_oob() -> Result<u32, Failure> {
    let fd = open(AF_INET4, SOCK_STREAM)?;
    let a = addr_parts(FAR as *mut u8, 4);
    Ok(unsafe { abi::sock_bind(fd.0, a.0.as_ptr().cast(), 0) })
}
fn bind_buf_straddles_end() -> Result<u32, Failure> {
    let fd = open(AF_INET4, SOCK_STREAM)?;
    let a = addr_parts((mem_end() - 2) as *mut u8, 4);
    Ok(unsafe { abi::sock_bind(fd.0, a.0.as_ptr().cast(), 0) })
}
fn bind_v2_addr_misaligned() -> Result<u32, Failure> {
    let fd = open(AF_INET4, SOCK_STREAM)?;
    let a = Aligned([0u8; 16]);
    Ok(unsafe { abi::sock_bind_v2(fd.0, a.0.as_ptr().add(1).cast(), 0) })
}
fn connect_addr_oob() -> Result<u32, Failure> {
    let fd = open(AF_INET4, SOCK_STREAM)?;
    Ok(unsafe { abi::sock_connect(fd.0, FAR as *const abi::WasiAddress, 1) })
}
fn connect_addr_misaligned() -> Result<u32, Failure> {
    let fd = open(AF_INET4, SOCK_STREAM)?;
    let a = Aligned([0u8; 16]);
    Ok(unsafe { abi::sock_connect(fd.0, a.0.as_ptr().add(3).cast(), 1) })
}
fn connect_v2_buf_oob() -> Result<u32, Failure> {
    let fd = open(AF_INET4, SOCK_STREAM)?;
    let a = addr_parts(FAR as *mut u8, 128);
    Ok(unsafe { raw::sock_connect_v2(fd.0, a.0.as_ptr(), 1) })
}
fn send_iovs_oob() -> Result<u32, Failure> {
    let (c, _s) = nb_pair()?;
    let mut out = Aligned([0u8; 4]);
    Ok(send_raw(c.0, FAR as *const u8, 1, out.0.as_mut_ptr()))
}
fn send_iovs_misaligned() -> Result<u32, Failure> {
    let (c, _s) = nb_pair()?;
    let iov = Aligned([0u8; 16]);
    let mut out = Aligned([0u8; 4]);
    Ok(send_raw(c.0, unsafe { iov.0.as_ptr().add(2) }, 1, out.0.as_mut_ptr()))
}
fn send_buf_oob() -> Result<u32, Failure> {
    let (c, _s) = nb_pair()?;
    let iov = iovec(FAR as *const u8, 8);
    let mut out = Aligned([0u8; 4]);
    Ok(send_raw(c.0, iov.0.as_ptr(), 1, out.0.as_mut_ptr()))
}
fn send_len_past_end() -> Result<u32, Failure> {
    let (c, _s) = nb_pair()?;
    let data = [1u8; 4];
    let iov = iovec(data.as_ptr(), u32::MAX - 16);
    let mut out = Aligned([0u8; 4]);
    Ok(send_raw(c.0, iov.0.as_ptr(), 1, out.0.as_mut_ptr()))
}
fn send_datalen_misaligned() -> Result<u32, Failure> {
    let (c, _s) = nb_pair()?;
    let data = [1u8; 4];
    let iov = iovec(data.as_ptr(), 4);
    let mut out = Aligned([0u8; 8]);
    Ok(send_raw(c.0, iov.0.as_ptr(), 1, unsafe { out.0.as_mut_ptr().add(1) }))
}
fn send_datalen_oob() -> Result<u32, Failure> {
    let (c, _s) = nb_pair()?;
    let data = [1u8; 4];
    let iov = iovec(data.as_ptr(), 4);
    Ok(send_raw(c.0, iov.0.as_ptr(), 1, FAR as *mut u8))
}
fn send_misaligned_on_closed_fd() -> Result<u32, Failure> {
    let fd = closed_fd()?;
    let data = [1u8; 4];
    let iov = iovec(data.as_ptr(), 4);
    let mut out = Aligned([0u8; 8]);
    Ok(send_raw(fd, iov.0.as_ptr(), 1, unsafe { out.0.as_mut_ptr().add(2) }))
}
fn send_oob_on_closed_fd() -> Result<u32, Failure> {
    let fd = closed_fd()?;
    let mut out = Aligned([0u8; 4]);
    Ok(send_raw(fd, FAR as *const u8, 1, out.0.as_mut_ptr()))
}
fn send_empty_iov_at_mem_end() -> Result<u32, Failure> {
    let (c, _s) = nb_pair()?;
    let iov = iovec(mem_end() as *const u8, 0);
    let mut out = Aligned([0xEEu8; 4]);
    let rc = send_raw(c.0, iov.0.as_ptr(), 1, out.0.as_mut_ptr());
    crate::report::observe("so_datalen bytes", out.0);
    Ok(rc)
}
fn recv_buf_straddles_end() -> Result<u32, Failure> {
    let (c, s) = nb_pair()?;
    setup_rc("send 4 bytes", abi::send(c.0, b"abcd", 0).err().unwrap_or(0))?;
    let iov = iovec((mem_end() - 2) as *const u8, 4);
    let mut out = Aligned([0u8; 8]);
    let p = out.0.as_mut_ptr();
    Ok(recv_raw(s.0, iov.0.as_ptr(), 1, p, unsafe { p.add(4) }))
}
fn recv_flags_oob() -> Result<u32, Failure> {
    let (_c, s) = nb_pair()?;
    let mut buf = [0u8; 4];
    let iov = iovec(buf.as_mut_ptr(), 4);
    let mut out = Aligned([0u8; 4]);
    Ok(recv_raw(s.0, iov.0.as_ptr(), 1, out.0.as_mut_ptr(), FAR as *mut u8))
}
fn recv_from_v2_port_odd() -> Result<u32, Failure> {
    recv_from_v2_port_at(1)
}
fn recv_from_v2_port_2mod4() -> Result<u32, Failure> {
    recv_from_v2_port_at(2)
}
/// `sock_recv_from_v2` with its port out-pointer `offset` bytes into an aligned block.
fn recv_from_v2_port_at(offset: usize) -> Result<u32, Failure> {
    let (_c, s) = nb_pair()?;
    let mut buf = [0u8; 4];
    let iov = iovec(buf.as_mut_ptr(), 4);
    let mut storage = [0u8; 128];
    let a = addr_parts(storage.as_mut_ptr(), 128);
    let mut out = Aligned([0u8; 16]);
    let p = out.0.as_mut_ptr();
    Ok(unsafe {
        abi::sock_recv_from_v2(
            s.0,
            iov.0.as_ptr().cast(),
            1,
            a.0.as_ptr().cast(),
            0,
            p.add(offset),
            p.add(4),
            p.add(8),
        )
    })
}
fn send_to_addr_oob() -> Result<u32, Failure> {
    let fd = open(AF_INET4, SOCK_DGRAM)?;
    let data = [1u8; 4];
    let iov = iovec(data.as_ptr(), 4);
    let mut out = Aligned([0u8; 4]);
    Ok(unsafe {
        abi::sock_send_to(
            fd.0,
            iov.0.as_ptr().cast(),
            1,
            FAR as *const abi::WasiAddress,
            9,
            0,
            out.0.as_mut_ptr(),
        )
    })
}
fn send_to_addr_misaligned() -> Result<u32, Failure> {
    let fd = open(AF_INET4, SOCK_DGRAM)?;
    let data = [1u8; 4];
    let iov = iovec(data.as_ptr(), 4);
    let a = Aligned([0u8; 16]);
    let mut out = Aligned([0u8; 4]);
    Ok(unsafe {
        abi::sock_send_to(
            fd.0,
            iov.0.as_ptr().cast(),
            1,
            a.0.as_ptr().add(2).cast(),
            9,
            0,
            out.0.as_mut_ptr(),
        )
    })
}
fn getsockopt_size_misaligned() -> Result<u32, Failure> {
    let fd = open(AF_INET4, SOCK_STREAM)?;
    let mut v = Aligned([0u8; 16]);
    let p = v.0.as_mut_ptr();
    Ok(getopt_raw(fd.0, p, unsafe { p.add(10) }))
}
fn getsockopt_size_oob() -> Result<u32, Failure> {
    let fd = open(AF_INET4, SOCK_STREAM)?;
    let mut v = Aligned([0u8; 4]);
    Ok(getopt_raw(fd.0, v.0.as_mut_ptr(), FAR as *mut u8))
}
fn getsockopt_flag_oob() -> Result<u32, Failure> {
    let fd = open(AF_INET4, SOCK_STREAM)?;
    let mut size: u32 = 4;
    Ok(getopt_raw(fd.0, FAR as *mut u8, (&mut size as *mut u32).cast()))
}
fn setsockopt_flag_oob() -> Result<u32, Failure> {
    let fd = open(AF_INET4, SOCK_STREAM)?;
    Ok(unsafe { abi::sock_setsockopt(fd.0, 0, SO_REUSEADDR, FAR as *const u8, 4) })
}
fn setsockopt_size_past_end() -> Result<u32, Failure> {
    let fd = open(AF_INET4, SOCK_STREAM)?;
    let v = 1i32;
    Ok(unsafe { abi::sock_setsockopt(fd.0, 0, SO_REUSEADDR, (&v as *const i32).cast(), u32::MAX) })
}
fn getlocaladdr_type_misaligned() -> Result<u32, Failure> {
    let fd = open(AF_INET4, SOCK_STREAM)?;
    let mut buf = [0u8; 16];
    let a = addr_parts(buf.as_mut_ptr(), 16);
    let mut out = Aligned([0u8; 16]);
    let p = out.0.as_mut_ptr();
    Ok(unsafe { abi::sock_getlocaladdr(fd.0, a.0.as_ptr().cast(), p.add(1), p.add(8)) })
}
fn getlocaladdr_port_oob() -> Result<u32, Failure> {
    let fd = open(AF_INET4, SOCK_STREAM)?;
    let mut buf = [0u8; 16];
    let a = addr_parts(buf.as_mut_ptr(), 16);
    let mut out = Aligned([0u8; 16]);
    Ok(unsafe { abi::sock_getlocaladdr(fd.0, a.0.as_ptr().cast(), out.0.as_mut_ptr(), FAR as *mut u8) })
}
fn getlocaladdr_buf_oob() -> Result<u32, Failure> {
    let fd = open(AF_INET4, SOCK_STREAM)?;
    let a = addr_parts(FAR as *mut u8, 16);
    let mut out = Aligned([0u8; 16]);
    let p = out.0.as_mut_ptr();
    Ok(unsafe { abi::sock_getlocaladdr(fd.0, a.0.as_ptr().cast(), p, p.add(8)) })
}
fn getlocaladdr_v2_port_misaligned() -> Result<u32, Failure> {
    let fd = open(AF_INET4, SOCK_STREAM)?;
    let mut storage = [0u8; 128];
    let a = addr_parts(storage.as_mut_ptr(), 128);
    let mut out = Aligned([0u8; 8]);
    Ok(unsafe { abi::sock_getlocaladdr_v2(fd.0, a.0.as_ptr().cast(), out.0.as_mut_ptr().add(2)) })
}
fn getpeeraddr_v2_addr_oob() -> Result<u32, Failure> {
    let (c, _s) = nb_pair()?;
    let mut out = Aligned([0u8; 8]);
    Ok(unsafe { raw::sock_getpeeraddr_v2(c.0, FAR as *const u8, out.0.as_mut_ptr()) })
}
fn accept_v2_ro_fd_oob() -> Result<u32, Failure> {
    let (lst, _) = crate::net::listener(false)?;
    setup_rc("set_flags(listener, NONBLOCK)", abi::set_flags(lst.0, FDFLAGS_NONBLOCK))?;
    Ok(unsafe { abi::sock_accept_v2(lst.0, 0, FAR as *mut u8) })
}
fn open_v2_ro_fd_misaligned() -> Result<u32, Failure> {
    let mut out = Aligned([0xCCu8; 8]);
    let rc = unsafe { raw::sock_open_v2(AF_INET4, SOCK_STREAM, out.0.as_mut_ptr().add(2)) };
    expect_eq("bytes around ro_fd (nothing written)", [0xCCu8; 8], out.0)?;
    Ok(rc)
}
fn open_ro_fd_at_mem_end() -> Result<u32, Failure> {
    Ok(unsafe { abi::sock_open(AF_INET4, SOCK_STREAM, mem_end() as *mut u8) })
}
fn fdstat_oob() -> Result<u32, Failure> {
    Ok(unsafe { abi::fd_fdstat_get(1, FAR as *mut u8) })
}
fn fd_write_nwritten_oob() -> Result<u32, Failure> {
    let iov = Aligned([0u8; 8]);
    Ok(unsafe { abi::fd_write(1, iov.0.as_ptr(), 0, FAR as *mut u8) })
}
fn fd_write_buf_oob() -> Result<u32, Failure> {
    let iov = iovec(FAR as *const u8, 8);
    let mut n = Aligned([0u8; 4]);
    Ok(unsafe { abi::fd_write(2, iov.0.as_ptr(), 1, n.0.as_mut_ptr()) })
}
fn fd_read_iovs_oob() -> Result<u32, Failure> {
    let mut n = Aligned([0u8; 4]);
    Ok(unsafe { raw::fd_read(0, FAR as *const u8, 1, n.0.as_mut_ptr()) })
}
fn clock_time_oob() -> Result<u32, Failure> {
    Ok(unsafe { abi::clock_time_get(1, 0, FAR as *mut u8) })
}
fn args_sizes_oob() -> Result<u32, Failure> {
    let mut n = Aligned([0u8; 4]);
    Ok(unsafe { abi::args_sizes_get(n.0.as_mut_ptr(), FAR as *mut u8) })
}
fn poll_events_oob() -> Result<u32, Failure> {
    let subs = Aligned([0u8; 48]);
    let mut n = Aligned([0u8; 4]);
    Ok(unsafe { abi::poll_oneoff(subs.0.as_ptr(), FAR as *mut u8, 1, n.0.as_mut_ptr()) })
}
fn poll_nsubs_huge() -> Result<u32, Failure> {
    let subs = Aligned([0u8; 48]);
    let mut events = Aligned([0u8; 32]);
    let mut n = Aligned([0u8; 4]);
    Ok(unsafe { abi::poll_oneoff(subs.0.as_ptr(), events.0.as_mut_ptr(), 0x1000_0000, n.0.as_mut_ptr()) })
}

/// Name, body, and the errno WasmEdge 0.17.0 gives (misaligned pointers here
/// are all in `sock_*` calls, ADDRNOTAVAIL on every version).
const CASES: [(&str, Body, u32); 42] = [
    ("bind-addr-struct-oob", bind_addr_oob, FAULT),
    ("bind-addr-struct-misaligned", bind_addr_misaligned, errno::ADDRNOTAVAIL),
    ("bind-addr-buf-oob", bind_buf_oob, FAULT),
    ("bind-addr-buf-straddles-memory-end", bind_buf_straddles_end, FAULT),
    ("bind-v2-addr-struct-misaligned", bind_v2_addr_misaligned, errno::ADDRNOTAVAIL),
    ("connect-addr-struct-oob", connect_addr_oob, FAULT),
    ("connect-addr-struct-misaligned", connect_addr_misaligned, errno::ADDRNOTAVAIL),
    ("connect-v2-storage-buf-oob", connect_v2_buf_oob, FAULT),
    ("send-iovs-oob", send_iovs_oob, FAULT),
    ("send-iovs-misaligned", send_iovs_misaligned, errno::ADDRNOTAVAIL),
    ("send-iov-buf-oob", send_buf_oob, FAULT),
    ("send-iov-len-past-memory-end", send_len_past_end, FAULT),
    ("send-so-datalen-misaligned", send_datalen_misaligned, errno::ADDRNOTAVAIL),
    ("send-so-datalen-oob", send_datalen_oob, FAULT),
    ("send-misaligned-before-badf", send_misaligned_on_closed_fd, errno::ADDRNOTAVAIL),
    ("send-oob-before-badf", send_oob_on_closed_fd, FAULT),
    ("send-empty-iov-at-memory-end", send_empty_iov_at_mem_end, errno::SUCCESS),
    ("recv-iov-buf-straddles-memory-end", recv_buf_straddles_end, FAULT),
    ("recv-ro-flags-oob", recv_flags_oob, FAULT),
    ("recv-from-v2-ro-port-odd", recv_from_v2_port_odd, errno::ADDRNOTAVAIL),
    ("recv-from-v2-ro-port-2mod4-valid", recv_from_v2_port_2mod4, errno::AGAIN),
    ("send-to-addr-struct-oob", send_to_addr_oob, FAULT),
    ("send-to-addr-struct-misaligned", send_to_addr_misaligned, errno::ADDRNOTAVAIL),
    ("getsockopt-size-misaligned", getsockopt_size_misaligned, errno::ADDRNOTAVAIL),
    ("getsockopt-size-oob", getsockopt_size_oob, FAULT),
    ("getsockopt-flag-oob", getsockopt_flag_oob, FAULT),
    ("setsockopt-flag-oob", setsockopt_flag_oob, FAULT),
    ("setsockopt-size-past-memory-end", setsockopt_size_past_end, FAULT),
    ("getlocaladdr-type-misaligned", getlocaladdr_type_misaligned, errno::ADDRNOTAVAIL),
    ("getlocaladdr-port-oob", getlocaladdr_port_oob, FAULT),
    ("getlocaladdr-buf-oob", getlocaladdr_buf_oob, FAULT),
    ("getlocaladdr-v2-port-misaligned", getlocaladdr_v2_port_misaligned, errno::ADDRNOTAVAIL),
    ("getpeeraddr-v2-addr-struct-oob", getpeeraddr_v2_addr_oob, FAULT),
    ("accept-v2-ro-fd-oob", accept_v2_ro_fd_oob, FAULT),
    ("open-v2-ro-fd-misaligned", open_v2_ro_fd_misaligned, errno::ADDRNOTAVAIL),
    ("open-ro-fd-at-memory-end", open_ro_fd_at_mem_end, FAULT),
    ("fd-fdstat-get-oob", fdstat_oob, FAULT),
    ("fd-write-nwritten-oob", fd_write_nwritten_oob, FAULT),
    ("fd-write-iov-buf-oob", fd_write_buf_oob, FAULT),
    ("fd-read-iovs-oob", fd_read_iovs_oob, FAULT),
    ("clock-time-get-oob", clock_time_oob, FAULT),
    ("args-sizes-get-oob", args_sizes_oob, FAULT),
];

/// `poll_oneoff`'s arrays out of bounds.
const POLL_CASES: [(&str, Body, u32); 2] =
    [("poll-events-oob", poll_events_oob, FAULT), ("poll-nsubscriptions-huge", poll_nsubs_huge, FAULT)];

/// Registers `x-ptr-*`: one case per broken pointer.
pub fn register(r: &mut Reporter) {
    for (name, body, want) in CASES.into_iter().chain(POLL_CASES) {
        r.case(&format!("x-ptr-{name}"), || {
            let got = body()?;
            expect_errno(name, want, got)
        });
    }
}
