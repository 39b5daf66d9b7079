//! Error paths the §10 list touches only in passing: kernel errnos passed
//! through by name (§2.1 step 6, §4), pointer validation (§2.1 steps 1–3),
//! options with non-i32 payloads (§3.1), the truncation flag (§3.1 roflags)
//! and error events of `poll_oneoff` (§8.2).

use crate::abi::{self, consts::*, errno, Aligned, Iovec, WasiAddress};
use crate::net::{closed_port, guest_pair, listener, open, udp_socket, LO4, LO6};
use crate::poll::{self, Sub};
use crate::report::{expect_eq, expect_errno, fail, setup, setup_rc, Outcome};
use std::time::Duration;

/// Kernel errors reach the guest under their own names: ADDRINUSE, AFNOSUPPORT
/// and INVAL from bind, NOTSUP from listen on UDP, INVAL from accept on a
/// socket that is not listening, DESTADDRREQ from send on an unconnected UDP
/// socket (§4 sock_bind, sock_accept, sock_send).
pub fn x_kernel_errnos_by_name() -> Outcome {
    let (_lst, port) = listener(false)?;
    let second = open(AF_INET4, SOCK_STREAM)?;
    expect_errno("bind to a port with a listener (ADDRINUSE)", 3, abi::bind(second.0, &LO4, port))?;
    expect_errno("16-byte address on an IPv4 socket (AFNOSUPPORT)", 5, abi::bind(second.0, &LO6, 0))?;
    let v6 = open(AF_INET6, SOCK_STREAM)?;
    expect_errno("4-byte address on an IPv6 socket (INVAL)", errno::INVAL, abi::bind(v6.0, &LO4, 0))?;
    let (bound, _) = closed_port()?;
    expect_errno("bind of an already bound socket (INVAL)", errno::INVAL, abi::bind(bound.0, &LO4, 0))?;
    expect_errno(
        "sock_accept on a bound, non-listening socket (INVAL)",
        errno::INVAL,
        abi::accept(bound.0).err().unwrap_or(0),
    )?;
    let (udp, _) = udp_socket()?;
    expect_errno("sock_listen on UDP (NOTSUP)", 58, abi::listen(udp.0, 128))?;
    expect_errno(
        "sock_send on an unconnected UDP socket (DESTADDRREQ)",
        17,
        abi::send(udp.0, b"x", 0).err().unwrap_or(0),
    )
}

/// Pointer checks of `sock_*` (§2.1): out of bounds is FAULT (21); a
/// misaligned `ro_datalen` (4-aligned) or `ro_flags` (2-aligned) is
/// ADDRNOTAVAIL (4), while `ro_flags` at 2 mod 4 is accepted; misaligned
/// getaddrinfo hints are ADDRNOTAVAIL. Nothing blocks: the socket is non-blocking.
pub fn x_pointer_bounds_and_alignment() -> Outcome {
    let far = 0xFFFF_FFF0usize as *mut u8;
    expect_errno("sock_open with ro_fd out of bounds", 21, unsafe {
        abi::sock_open(AF_INET4, SOCK_STREAM, far)
    })?;
    let (_client, server) = guest_pair()?;
    setup_rc("set_flags(NONBLOCK)", abi::set_flags(server.0, FDFLAGS_NONBLOCK))?;
    let mut out = Aligned([0u8; 16]);
    let base = out.0.as_mut_ptr();
    let mut data = [0u8; 8];
    let iov = Iovec { buf: data.as_mut_ptr(), len: 8 };
    let recv = |len_ptr: *mut u8, flags_ptr: *mut u8, iov: &Iovec| unsafe {
        abi::sock_recv(server.0, iov, 1, 0, len_ptr, flags_ptr)
    };
    let (at0, at1, at2, at8) = unsafe { (base, base.add(1), base.add(2), base.add(8)) };
    expect_errno("sock_recv with ro_datalen at 1 mod 4", errno::ADDRNOTAVAIL, recv(at1, at8, &iov))?;
    expect_errno("sock_recv with ro_flags at an odd address", errno::ADDRNOTAVAIL, recv(at8, at1, &iov))?;
    expect_errno(
        "sock_recv with ro_flags at 2 mod 4 (valid; no data yet)",
        errno::AGAIN,
        recv(at8, at2, &iov),
    )?;
    let far_iov = Iovec { buf: 0xFFFF_0000usize as *const u8, len: 16 };
    expect_errno("sock_recv into a buffer out of bounds", 21, recv(at0, at8, &far_iov))?;
    let hints = Aligned([0u8; 40]);
    let (mut res, mut res_len) = (0u32, 0u32);
    let rc = unsafe {
        abi::sock_getaddrinfo(
            c"localhost".as_ptr().cast(),
            10,
            c"http".as_ptr().cast(),
            5,
            hints.0.as_ptr().add(1),
            (&mut res as *mut u32).cast(),
            1,
            (&mut res_len as *mut u32).cast(),
        )
    };
    expect_errno("sock_getaddrinfo with misaligned hints", errno::ADDRNOTAVAIL, rc)
}

/// Options whose payload is not an i32 pass through as raw bytes (§3.1):
/// SO_RCVTIMEO as a 16-byte timeval and SO_LINGER as {i32, i32}.
pub fn x_sockopt_timeval_and_linger_round_trip() -> Outcome {
    let fd = open(AF_INET4, SOCK_STREAM)?;
    let mut tv = Aligned([0u8; 16]);
    tv.0[0..8].copy_from_slice(&1i64.to_le_bytes());
    tv.0[8..16].copy_from_slice(&500_000i64.to_le_bytes());
    setup_rc("setsockopt(SO_RCVTIMEO, {1 s, 500000 us}, 16)", unsafe {
        abi::sock_setsockopt(fd.0, 0, 11, tv.0.as_ptr(), 16)
    })?;
    let mut got = Aligned([0u8; 16]);
    let mut size: u32 = 16;
    let rc = unsafe { abi::sock_getsockopt(fd.0, 0, 11, got.0.as_mut_ptr(), (&mut size as *mut u32).cast()) };
    expect_errno("getsockopt(SO_RCVTIMEO)", errno::SUCCESS, rc)?;
    expect_eq("SO_RCVTIMEO (bytes, size)", (tv.0.to_vec(), 16), (got.0.to_vec(), size))?;
    let linger: [i32; 2] = [1, 5];
    let rc = unsafe { abi::sock_setsockopt(fd.0, 0, 9, linger.as_ptr().cast(), 8) };
    setup_rc("setsockopt(SO_LINGER, {1, 5}, 8)", rc)?;
    let mut back: [i32; 2] = [0, 0];
    let mut size: u32 = 8;
    let rc =
        unsafe { abi::sock_getsockopt(fd.0, 0, 9, back.as_mut_ptr().cast(), (&mut size as *mut u32).cast()) };
    expect_errno("getsockopt(SO_LINGER)", errno::SUCCESS, rc)?;
    expect_eq("SO_LINGER (value, size)", ([1, 5], 8), (back, size))
}

/// A datagram larger than the buffer: the bytes that fit, and ro_flags
/// RECV_DATA_TRUNCATED (1) in the u16 (§3.1 roflags, §4 sock_recv).
pub fn x_recv_truncated_datagram_flag() -> Outcome {
    let (rx, port) = udp_socket()?;
    let (tx, _) = udp_socket()?;
    let payload = b"0123456789";
    let iov = Iovec { buf: payload.as_ptr(), len: payload.len() as u32 };
    let addr = WasiAddress { buf: LO4.as_ptr().cast_mut(), len: 4 };
    let mut sent = 0u32;
    let rc = unsafe {
        abi::sock_send_to(tx.0, &iov, 1, &addr, u32::from(port), 0, (&mut sent as *mut u32).cast())
    };
    setup_rc("sock_send_to", rc)?;
    if poll::wait_readable(rx.0, Duration::from_secs(2)).is_none() {
        return fail("the datagram within 2 s", "no FD_READ event");
    }
    let mut small = [0u8; 4];
    let r = setup("sock_recv into 4 bytes", abi::recv(rx.0, &mut small, 0))?;
    expect_eq(
        "(ro_datalen, bytes, ro_flags u16)",
        (4, b"0123".to_vec(), 1),
        (r.len, small.to_vec(), r.flags_word & 0xFFFF),
    )
}

/// Error events (§8.2): an unknown subscription tag gives INVAL with the raw
/// tag as type, FD_WRITE on an unknown fd gives BADF with type 2; neither ends
/// the wait, which the 20 ms clock does.
pub fn x_poll_unknown_tag_and_write_badf() -> Outcome {
    let fd = setup("sock_open", abi::open(AF_INET4, SOCK_STREAM))?;
    abi::close(fd);
    let mut tagged = Sub::timer(1, Duration::from_millis(1));
    tagged.set_tag(7);
    let p = poll::poll(&[tagged, Sub::write(2, fd), Sub::timer(3, Duration::from_millis(20))]);
    let got: Vec<(u64, u16, u8)> = p.events.iter().map(|e| (e.userdata, e.error, e.kind)).collect();
    expect_eq(
        "events (userdata, error, type)",
        vec![(1, errno::INVAL as u16, 7), (2, errno::BADF as u16, 2), (3, 0, 0)],
        got,
    )?;
    if p.elapsed < Duration::from_millis(19) {
        return fail("the wait to last until the 20 ms clock", format!("{:?}", p.elapsed));
    }
    Ok(())
}
