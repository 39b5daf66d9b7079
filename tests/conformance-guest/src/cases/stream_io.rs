//! §10 checks 9, 10, 11 and 13 plus stream extras: argument validation of
//! recv/send, end of stream, resets without SIGPIPE, shutdown, peek, peer
//! hang-up and partial writes on a full send buffer.

use crate::abi::{self, consts::*, errno, Iovec};
use crate::net::{guest_pair, native_conn, open};
use crate::peer::{hex, Peer};
use crate::poll;
use crate::report::{expect_eq, expect_errno, fail, setup, setup_rc, Outcome};
use std::time::{Duration, Instant};

/// Check 9: Non-blocking recv with no data is AGAIN; ri_flags 4, si_flags 1 and 1025
/// iovecs are INVAL; 1024 ciovecs are accepted (§2.2, §4 recv/send).
pub fn c09_recv_send_argument_checks() -> Outcome {
    let mut peer = Peer::connect()?;
    let conn = native_conn(&mut peer)?;
    let fd = conn.fd.0;
    let peer_addr = setup("getpeeraddr", abi::get_addr(fd, abi::Side::Peer, 16))?;
    expect_eq("getpeeraddr port = the native client's port", u32::from(conn.peer_port), peer_addr.port)?;
    setup_rc("fd_fdstat_set_flags(accepted, NONBLOCK)", abi::set_flags(fd, FDFLAGS_NONBLOCK))?;
    let mut buf = [0u8; 16];
    expect_errno("sock_recv with no data", errno::AGAIN, abi::recv(fd, &mut buf, 0).err().unwrap_or(0))?;
    expect_errno("sock_recv with ri_flags 4", errno::INVAL, abi::recv(fd, &mut buf, 4).err().unwrap_or(0))?;
    expect_errno("sock_send with si_flags 1", errno::INVAL, abi::send(fd, b"x", 1).err().unwrap_or(0))?;
    let byte = [b'z'; 1];
    let many: Vec<Iovec> = (0..1025).map(|_| Iovec { buf: byte.as_ptr(), len: 1 }).collect();
    let (mut len, mut flags) = (0u32, 0u32);
    let rc = unsafe {
        abi::sock_recv(
            fd,
            many.as_ptr(),
            1025,
            0,
            (&mut len as *mut u32).cast(),
            (&mut flags as *mut u32).cast(),
        )
    };
    expect_errno("sock_recv with 1025 iovecs", errno::INVAL, rc)?;
    let rc = unsafe { abi::sock_send(fd, many.as_ptr(), 1025, 0, (&mut len as *mut u32).cast()) };
    expect_errno("sock_send with 1025 ciovecs", errno::INVAL, rc)?;
    let rc = unsafe { abi::sock_send(fd, many.as_ptr(), 1024, 0, (&mut len as *mut u32).cast()) };
    expect_errno("sock_send with 1024 ciovecs", errno::SUCCESS, rc)?;
    expect_eq("so_datalen for 1024 one-byte ciovecs", 1024, len)?;
    let words = peer.cmd(&format!("READ {} 1024 2000", conn.peer_id))?;
    expect_eq(
        "bytes the native peer received",
        hex(&[b'z'; 1024]),
        words.first().cloned().unwrap_or_default(),
    )?;
    peer.cmd(&format!("CLOSE {}", conn.peer_id)).map(drop)
}

/// Check 10: The native client sends "hi" and closes: FD_READ flags 0 (a FIN alone is
/// not HANGUP), nbytes 1; recv gives 2 bytes, then 0 bytes with SUCCESS; the
/// u16 ro_flags is written as 0 and the upper half of the guest's word untouched.
pub fn c10_native_send_then_close_gives_eof() -> Outcome {
    let mut peer = Peer::connect()?;
    let conn = native_conn(&mut peer)?;
    peer.cmd(&format!("SEND {} {}", conn.peer_id, hex(b"hi")))?;
    peer.cmd(&format!("CLOSE {}", conn.peer_id))?;
    let Some(ev) = poll::wait_readable(conn.fd.0, Duration::from_secs(2)) else {
        return fail("an FD_READ event within 2 s", "none");
    };
    expect_eq(
        "FD_READ (type, error, flags, nbytes) (§8)",
        (1u8, 0u16, 0u16, 1u64),
        (ev.kind, ev.error, ev.flags, ev.nbytes),
    )?;
    let mut buf = [0u8; 16];
    let r = setup("sock_recv", abi::recv(conn.fd.0, &mut buf, 0))?;
    expect_eq("received bytes", b"hi".to_vec(), buf[..(r.len as usize).min(16)].to_vec())?;
    expect_eq("ro_flags word (u16 0 written, bytes 2..4 untouched, §2.3)", 0xA5A5_0000, r.flags_word)?;
    let r = setup("sock_recv after the peer's FIN", abi::recv(conn.fd.0, &mut buf, 0))?;
    expect_eq("(ro_datalen, ro_flags u16) at end of stream", (0, 0), (r.len, r.flags_word & 0xFFFF))
}

/// Sends `data` until an errno comes back (at most `tries` sends, polling
/// briefly between them); the errno, or None if every send succeeded.
fn send_until_error(fd: u32, data: &[u8], tries: usize) -> Option<u32> {
    for _ in 0..tries {
        if let Err(e) = abi::send(fd, data, 0) {
            return Some(e);
        }
        poll::poll(&[poll::Sub::timer(0, Duration::from_millis(2))]);
    }
    None
}

/// Check 11: The native peer closes with unread data (the kernel sends RST): sends
/// eventually fail with PIPE or CONNRESET, and the process is not killed by
/// SIGPIPE (this case and every later one still report).
pub fn c11_send_after_reset_no_sigpipe() -> Outcome {
    let mut peer = Peer::connect()?;
    let conn = native_conn(&mut peer)?;
    setup("sock_send of data the peer never reads", abi::send(conn.fd.0, b"unread", 0))?;
    // Let the bytes reach the peer's receive queue, so its close is a reset.
    poll::poll(&[poll::Sub::timer(0, Duration::from_millis(20))]);
    peer.cmd(&format!("CLOSE {}", conn.peer_id))?;
    match send_until_error(conn.fd.0, b"more", 100) {
        Some(e) if e == errno::PIPE || e == errno::CONNRESET => {}
        other => {
            return fail("sock_send to eventually give 64 (PIPE) or 15 (CONNRESET)", format!("{other:?}"))
        }
    }
    let again = abi::send(conn.fd.0, b"again", 0);
    if again.is_ok() {
        return fail("a send after the reset to fail", format!("{again:?}"));
    }
    Ok(())
}

/// Extra (peer hang-up): the native peer closes cleanly; FD_READ fires without
/// HANGUP, recv gives end of stream, and sending on eventually gives PIPE or
/// CONNRESET without killing the process.
pub fn x_peer_hangup() -> Outcome {
    let mut peer = Peer::connect()?;
    let conn = native_conn(&mut peer)?;
    peer.cmd(&format!("CLOSE {}", conn.peer_id))?;
    let Some(ev) = poll::wait_readable(conn.fd.0, Duration::from_secs(2)) else {
        return fail("an FD_READ event after the peer closed", "none");
    };
    expect_eq("FD_READ (error, flags) after a FIN", (0u16, 0u16), (ev.error, ev.flags))?;
    let mut buf = [0u8; 8];
    let r = setup("sock_recv after hang-up", abi::recv(conn.fd.0, &mut buf, 0))?;
    expect_eq("ro_datalen at end of stream", 0, r.len)?;
    match send_until_error(conn.fd.0, b"after-hangup", 100) {
        Some(e) if e == errno::PIPE || e == errno::CONNRESET => Ok(()),
        other => fail("sending to a closed peer to give 64 or 15", format!("{other:?}")),
    }
}

/// Check 13: shutdown: NOTCONN unconnected, INVAL for how=4, and how=0 acts as
/// SHUT_RD (guest pair: reads end at once, writes still reach the other side).
pub fn c13_shutdown_rules_guest_pair() -> Outcome {
    let lone = open(AF_INET4, SOCK_STREAM)?;
    expect_errno("sock_shutdown on an unconnected socket", errno::NOTCONN, abi::shutdown(lone.0, 3))?;
    let (client, server) = guest_pair()?;
    expect_errno("sock_shutdown how=4", errno::INVAL, abi::shutdown(client.0, 4))?;
    expect_errno("sock_shutdown how=0", errno::SUCCESS, abi::shutdown(client.0, 0))?;
    setup_rc("set_flags(client, NONBLOCK)", abi::set_flags(client.0, FDFLAGS_NONBLOCK))?;
    let mut buf = [0u8; 8];
    let r = abi::recv(client.0, &mut buf, 0).map(|r| r.len);
    expect_eq("recv after how=0 (SHUT_RD: end of stream, not AGAIN)", Ok(0), r)?;
    expect_eq("send after how=0 (writes still open)", Ok(5), abi::send(client.0, b"still", 0))?;
    let mut got = [0u8; 8];
    let r = setup("recv on the other end", abi::recv(server.0, &mut got, 0))?;
    expect_eq("data on the other end", b"still".to_vec(), got[..(r.len as usize).min(8)].to_vec())
}

/// Extra: RECV_PEEK (ri_flags 1) leaves the data queued (guest pair).
pub fn x_recv_peek_guest_pair() -> Outcome {
    let (client, server) = guest_pair()?;
    setup("send", abi::send(client.0, b"peek", 0))?;
    let mut buf = [0u8; 8];
    let first = setup("recv with RECV_PEEK", abi::recv(server.0, &mut buf, 1))?;
    expect_eq("peeked bytes", b"peek".to_vec(), buf[..(first.len as usize).min(8)].to_vec())?;
    let mut again = [0u8; 8];
    let second = setup("recv after peek", abi::recv(server.0, &mut again, 0))?;
    expect_eq(
        "bytes after peek (same data)",
        b"peek".to_vec(),
        again[..(second.len as usize).min(8)].to_vec(),
    )
}

/// Extra: partial writes. The client's SO_SNDBUF is shrunk and it is made
/// non-blocking; 64 KiB sends are repeated until AGAIN. At least one send must
/// be partial (0 < n < 64 KiB), and the receiver must get exactly the number of
/// bytes the sends reported (guest pair).
pub fn x_partial_write_full_buffer_guest_pair() -> Outcome {
    let (client, server) = guest_pair()?;
    setup_rc("setsockopt(SO_SNDBUF, 4096)", abi::setsockopt_i32(client.0, 0, SO_SNDBUF, 4096))?;
    setup_rc(
        "setsockopt(SO_RCVBUF, 4096) on the receiver",
        abi::setsockopt_i32(server.0, 0, SO_RCVBUF, 4096),
    )?;
    let (sndbuf, _) = setup("getsockopt(SO_SNDBUF)", abi::getsockopt_i32(client.0, 0, SO_SNDBUF))?;
    if !(4096..=65536).contains(&sndbuf) {
        return fail("SO_SNDBUF to read back shrunk (Linux doubles it: 4096..65536)", sndbuf.to_string());
    }
    setup_rc("set_flags(client, NONBLOCK)", abi::set_flags(client.0, FDFLAGS_NONBLOCK))?;
    let chunk = vec![0x5Au8; 65536];
    let (mut sent, mut partial, mut again) = (0u64, 0u32, false);
    for _ in 0..10_000 {
        match abi::send(client.0, &chunk, 0) {
            Ok(n) if (n as usize) < chunk.len() => {
                partial += 1;
                sent += u64::from(n);
            }
            Ok(n) => sent += u64::from(n),
            Err(errno::AGAIN) => {
                again = true;
                break;
            }
            Err(e) => return fail("sends to end with AGAIN", format!("errno {e} after {sent} bytes")),
        }
    }
    if !again || partial == 0 {
        return fail(
            "AGAIN after at least one partial send",
            format!("again={again}, partial sends={partial}, sent={sent}"),
        );
    }
    setup_rc("set_flags(server, NONBLOCK)", abi::set_flags(server.0, FDFLAGS_NONBLOCK))?;
    let (mut received, deadline) = (0u64, Instant::now() + Duration::from_secs(5));
    let mut buf = vec![0u8; 65536];
    while received < sent && Instant::now() < deadline {
        match abi::recv(server.0, &mut buf, 0) {
            Ok(r) if r.len > 0 => received += u64::from(r.len),
            Ok(_) => break,
            Err(errno::AGAIN) => {
                poll::wait_readable(server.0, Duration::from_millis(200));
            }
            Err(e) => return fail("draining the receiver", format!("errno {e}")),
        }
    }
    expect_eq("bytes received = bytes the sends reported", sent, received)
}
