//! §10 check 12 and connect extras: in-progress connects, refused connects
//! surfaced as HANGUP + SO_ERROR, `ISCONN`, the crate's blocking connect, and
//! IPv6 on ::1 through the raw imports (wws' own connect refuses IPv6).

use crate::abi::{self, consts::*, errno, Side};
use crate::net::{closed_port, listener, open, Fd, LO4, LO6};
use crate::peer::Peer;
use crate::poll::{self, Sub, HANGUP};
use crate::report::{expect_eq, expect_errno, fail, setup, setup_rc, Outcome};
use std::time::Duration;

/// Check 12: Non-blocking connect to a closed port: INPROGRESS; FD_WRITE and FD_READ
/// events with error 0 and HANGUP; SO_ERROR reads 14 once, then 0; a blocking
/// connect gives 14 directly (§4 sock_connect, §8).
pub fn c12_connect_closed_port() -> Outcome {
    let (_hold, port) = closed_port()?;
    let fd = open(AF_INET4, SOCK_STREAM)?;
    setup_rc("set_flags(NONBLOCK)", abi::set_flags(fd.0, FDFLAGS_NONBLOCK))?;
    expect_errno("non-blocking sock_connect", errno::INPROGRESS, abi::connect(fd.0, &LO4, port))?;
    let p = poll::poll(&[Sub::write(1, fd.0), Sub::read(2, fd.0), Sub::timer(3, Duration::from_secs(2))]);
    let (w, r) = (p.events.iter().find(|e| e.userdata == 1), p.events.iter().find(|e| e.userdata == 2));
    let (Some(w), Some(r)) = (w, r) else {
        return fail("FD_WRITE and FD_READ events", poll::describe(&p.events));
    };
    expect_eq("FD_WRITE (type, error, flags)", (2u8, 0u16, HANGUP), (w.kind, w.error, w.flags))?;
    expect_eq("FD_READ (type, error, flags)", (1u8, 0u16, HANGUP), (r.kind, r.error, r.flags))?;
    let first = setup("getsockopt(SO_ERROR)", abi::getsockopt_i32(fd.0, 0, SO_ERROR))?;
    expect_eq("SO_ERROR (value, size): WASI errno, §3.1", (14, 4), first)?;
    let second = setup("getsockopt(SO_ERROR) again", abi::getsockopt_i32(fd.0, 0, SO_ERROR))?;
    expect_eq("SO_ERROR second read", (0, 4), second)?;
    let blocking = open(AF_INET4, SOCK_STREAM)?;
    expect_errno(
        "blocking sock_connect to a closed port",
        errno::CONNREFUSED,
        abi::connect(blocking.0, &LO4, port),
    )
}

/// Extra: a refused non-blocking connect that nobody reads SO_ERROR from fails
/// the first sock_recv with CONNREFUSED (§9: how tokio sees it).
pub fn x_refused_connect_surfaces_in_recv() -> Outcome {
    let (_hold, port) = closed_port()?;
    let fd = open(AF_INET4, SOCK_STREAM)?;
    setup_rc("set_flags(NONBLOCK)", abi::set_flags(fd.0, FDFLAGS_NONBLOCK))?;
    expect_errno("non-blocking sock_connect", errno::INPROGRESS, abi::connect(fd.0, &LO4, port))?;
    poll::wait_writable(fd.0, Duration::from_secs(2));
    let mut buf = [0u8; 4];
    expect_errno("first sock_recv", errno::CONNREFUSED, abi::recv(fd.0, &mut buf, 0).err().unwrap_or(0))
}

/// Extra: wasmedge_wasi_socket's own `TcpStream::connect` to a closed port
/// reports ConnectionRefused (raw errno 14).
pub fn x_wws_connect_closed_port() -> Outcome {
    let (_hold, port) = closed_port()?;
    match wasmedge_wasi_socket::TcpStream::connect(("127.0.0.1", port)) {
        Ok(_) => fail("connect to a closed port to fail", "it succeeded"),
        Err(e) => expect_eq("raw_os_error", Some(14), e.raw_os_error()),
    }
}

/// Extra: non-blocking connect to a listener: INPROGRESS, then FD_WRITE without
/// HANGUP, SO_ERROR 0; connecting again once connected gives ISCONN (30).
///
/// §4 says "a call after it succeeds gives ISCONN". On Linux the first
/// `connect` after a non-blocking connect completed returns 0 (it is the call
/// that reports the completion: `__inet_stream_connect` moves the socket from
/// SS_CONNECTING to SS_CONNECTED), and only calls after that give EISCONN; the
/// same happens natively (Python on this kernel: EINPROGRESS, 0, EISCONN), and
/// WasmEdge passes the kernel's answer through. The case checks that exact
/// sequence.
pub fn x_connect_inprogress_then_isconn() -> Outcome {
    let (lst, port) = listener(false)?;
    let fd = open(AF_INET4, SOCK_STREAM)?;
    setup_rc("set_flags(NONBLOCK)", abi::set_flags(fd.0, FDFLAGS_NONBLOCK))?;
    expect_errno("non-blocking sock_connect", errno::INPROGRESS, abi::connect(fd.0, &LO4, port))?;
    let Some(w) = poll::wait_writable(fd.0, Duration::from_secs(2)) else {
        return fail("FD_WRITE once connected", "no event in 2 s");
    };
    expect_eq("FD_WRITE (error, flags)", (0u16, 0u16), (w.error, w.flags))?;
    if w.nbytes == 0 {
        return fail("FD_WRITE nbytes > 0 (SO_SNDBUF - TIOCOUTQ, §8)", "0");
    }
    expect_eq("SO_ERROR", (0, 4), setup("getsockopt(SO_ERROR)", abi::getsockopt_i32(fd.0, 0, SO_ERROR))?)?;
    expect_errno(
        "second sock_connect (Linux reports the completion once)",
        errno::SUCCESS,
        abi::connect(fd.0, &LO4, port),
    )?;
    expect_errno("third sock_connect (§4: ISCONN once connected)", 30, abi::connect(fd.0, &LO4, port))?;
    setup("accept", abi::accept(lst.0)).map(|fd| drop(Fd(fd)))
}

/// Extra: IPv6 on ::1 via raw imports. Listen, getlocaladdr (type 6), connect
/// from the guest (16-byte address) and from the native peer, getpeeraddr, data.
pub fn x_ipv6_listen_connect_loopback() -> Outcome {
    let (lst, port) = listener(true)?;
    let local = setup("getlocaladdr(listener)", abi::get_addr(lst.0, Side::Local, 16))?;
    expect_eq("listener (type, address)", (6, LO6.to_vec()), (local.addr_type, local.buf.to_vec()))?;
    let client = open(AF_INET6, SOCK_STREAM)?;
    expect_errno("blocking sock_connect to [::1]", errno::SUCCESS, abi::connect(client.0, &LO6, port))?;
    let client_port = setup("getlocaladdr(client)", abi::get_addr(client.0, Side::Local, 16))?.port;
    let server = setup("sock_accept", abi::accept(lst.0)).map(Fd)?;
    let peer_addr = setup("getpeeraddr(accepted)", abi::get_addr(server.0, Side::Peer, 16))?;
    expect_eq(
        "peer (type, address, port)",
        (6, LO6.to_vec(), client_port),
        (peer_addr.addr_type, peer_addr.buf.to_vec(), peer_addr.port),
    )?;
    expect_eq("send over IPv6", Ok(2), abi::send(client.0, b"v6", 0))?;
    let mut buf = [0u8; 4];
    let r = setup("recv over IPv6", abi::recv(server.0, &mut buf, 0))?;
    expect_eq("data over IPv6", b"v6".to_vec(), buf[..(r.len as usize).min(4)].to_vec())?;
    let mut peer = Peer::connect()?;
    let words = peer.cmd(&format!("CONNECT ::1 {port}"))?;
    let native_port: u32 = words.get(1).and_then(|w| w.parse().ok()).unwrap_or(0);
    let native = setup("sock_accept of the native IPv6 client", abi::accept(lst.0)).map(Fd)?;
    let a = setup("getpeeraddr(native)", abi::get_addr(native.0, Side::Peer, 16))?;
    expect_eq("native peer (type, port)", (6, native_port), (a.addr_type, a.port))?;
    if let Some(id) = words.first() {
        peer.cmd(&format!("CLOSE {id}"))?;
    }
    Ok(())
}
