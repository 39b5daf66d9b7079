//! §10 checks 7 and 8, the `_v2` accept, and 1,000 native accepts in a row:
//! non-blocking listeners, what an accepted socket looks like, and that the
//! fd table survives churn.

use crate::abi::{self, consts::*, errno, Side};
use crate::net::{self, listener, Fd, LO4};
use crate::peer::Peer;
use crate::poll::{self, Sub};
use crate::report::{expect_eq, expect_errno, fail, observe, setup, setup_rc, Failure, Outcome};
use std::time::Duration;

/// Check 7: NONBLOCK on a listener: fdstat shows 4, accept gives AGAIN; flags are
/// replaced (0 clears); 32 is INVAL; DSYNC (2) is NOTCAPABLE (§6).
pub fn c07_listener_nonblocking_flags() -> Outcome {
    let (lst, _) = listener(false)?;
    setup_rc("fd_fdstat_set_flags(fd, NONBLOCK)", abi::set_flags(lst.0, FDFLAGS_NONBLOCK))?;
    expect_eq("fs_flags after set_flags(4)", 4, setup("fd_fdstat_get", abi::fdstat(lst.0))?.flags)?;
    expect_errno(
        "sock_accept with nothing pending (§4)",
        errno::AGAIN,
        abi::accept(lst.0).err().unwrap_or(0),
    )?;
    setup_rc("fd_fdstat_set_flags(fd, 0)", abi::set_flags(lst.0, 0))?;
    expect_eq(
        "fs_flags after set_flags(0) (flags are replaced, §6)",
        0,
        setup("fd_fdstat_get", abi::fdstat(lst.0))?.flags,
    )?;
    expect_errno("fd_fdstat_set_flags(fd, 32)", errno::INVAL, abi::set_flags(lst.0, 32))?;
    expect_errno("fd_fdstat_set_flags(fd, DSYNC) on a socket", errno::NOTCAPABLE, abi::set_flags(lst.0, 2))
}

/// Check 8: A native client connects: the listener's FD_READ event (nbytes 0 on a
/// listener), the accepted socket's flags (0: V1 never inherits NONBLOCK) and
/// rights, and getpeeraddr = the client's real port.
pub fn c08_native_client_accept() -> Outcome {
    let (lst, port) = listener(false)?;
    setup_rc("fd_fdstat_set_flags(listener, NONBLOCK)", abi::set_flags(lst.0, FDFLAGS_NONBLOCK))?;
    let mut peer = Peer::connect()?;
    let words = peer.cmd(&format!("CONNECT 127.0.0.1 {port}"))?;
    let client_port: u32 = words.get(1).and_then(|w| w.parse().ok()).unwrap_or(0);
    let p = poll::poll(&[Sub::read(11, lst.0), Sub::timer(12, Duration::from_secs(2))]);
    let ev = p.events.iter().find(|e| e.userdata == 11);
    let Some(ev) = ev else { return fail("an FD_READ event on the listener", poll::describe(&p.events)) };
    expect_eq(
        "listener event (type, error, flags, nbytes) (§8: nbytes 0 on a listener)",
        (1u8, 0u16, 0u16, 0u64),
        (ev.kind, ev.error, ev.flags, ev.nbytes),
    )?;
    let fd = setup("sock_accept", abi::accept(lst.0)).map(Fd)?;
    let st = setup("fd_fdstat_get(accepted)", abi::fdstat(fd.0))?;
    expect_eq("accepted fs_flags (V1 accept: blocking, §4)", 0, st.flags)?;
    expect_eq(
        "accepted rights (base, inheriting) (§6)",
        (RIGHTS_SOCK_ACCEPTED, RIGHTS_SOCK_ACCEPTED),
        (st.rights_base, st.rights_inheriting),
    )?;
    let a = setup("sock_getpeeraddr", abi::get_addr(fd.0, Side::Peer, 16))?;
    expect_eq(
        "peer (type, address, port)",
        (4, LO4.to_vec(), client_port),
        (a.addr_type, a.buf[..4].to_vec(), a.port),
    )?;
    if let Some(id) = words.first() {
        peer.cmd(&format!("CLOSE {id}"))?;
    }
    Ok(())
}

/// A blocking listener with a guest client connected to it, waiting to be
/// accepted; checks on the way that `sock_accept_v2` refuses flags outside 0x1F
/// with INVAL (every version). The client is returned to keep it open.
fn pending_v2_accept() -> Result<(Fd, Fd), Failure> {
    let (lst, port) = listener(false)?;
    let client = net::open(AF_INET4, SOCK_STREAM)?;
    setup_rc("sock_connect (guest client)", abi::connect(client.0, &LO4, port))?;
    let mut fd: u32 = u32::MAX;
    let rc = unsafe { abi::sock_accept_v2(lst.0, 0x20, (&mut fd as *mut u32).cast()) };
    expect_errno("sock_accept_v2 with fdflags 0x20", errno::INVAL, rc)?;
    Ok((lst, client))
}

/// §5 as WasmEdge 0.17.x behaves: `sock_accept_v2(fd, NONBLOCK, ...)` sets
/// O_NONBLOCK on the *listening* socket and leaves the accepted one blocking
/// (0.17.0 lib/host/wasi/inode-linux.cpp `INode::sockAccept`,
/// `fcntl(Fd, F_SETFL, ...)` on the listener's fd); flags outside 0x1F are
/// INVAL. Main fixed this (see [`x_accept_v2_nonblock_flag`]).
pub fn x_accept_v2_nonblock_sets_listener_flag() -> Outcome {
    let (lst, _client) = pending_v2_accept()?;
    let mut fd: u32 = u32::MAX;
    expect_eq("listener fs_flags before", 0, setup("fd_fdstat_get(listener)", abi::fdstat(lst.0))?.flags)?;
    let rc = unsafe { abi::sock_accept_v2(lst.0, FDFLAGS_NONBLOCK, (&mut fd as *mut u32).cast()) };
    expect_errno("sock_accept_v2 with NONBLOCK", errno::SUCCESS, rc)?;
    let fd = Fd(fd);
    let accepted = setup("fd_fdstat_get(accepted)", abi::fdstat(fd.0))?.flags;
    let listening = setup("fd_fdstat_get(listener)", abi::fdstat(lst.0))?.flags;
    observe("fs_flags (accepted, listener)", (accepted, listening));
    expect_eq("fs_flags (accepted, listener) after a NONBLOCK accept", (0, 4), (accepted, listening))?;
    expect_errno(
        "sock_accept on the now non-blocking, empty listener",
        errno::AGAIN,
        abi::accept(lst.0).err().unwrap_or(0),
    )
}

/// §5 as WasmEdge's main branch behaves (after 0.17.1):
/// `sock_accept_v2(fd, NONBLOCK, ...)` makes the accepted socket
/// non-blocking; flags outside 0x1F are INVAL.
pub fn x_accept_v2_nonblock_flag() -> Outcome {
    let (lst, _client) = pending_v2_accept()?;
    let mut fd: u32 = u32::MAX;
    let rc = unsafe { abi::sock_accept_v2(lst.0, FDFLAGS_NONBLOCK, (&mut fd as *mut u32).cast()) };
    expect_errno("sock_accept_v2 with NONBLOCK", errno::SUCCESS, rc)?;
    let fd = Fd(fd);
    expect_eq("fs_flags of the V2-accepted socket", 4, setup("fd_fdstat_get", abi::fdstat(fd.0))?.flags)?;
    let mut buf = [0u8; 4];
    expect_errno(
        "sock_recv on it with no data (non-blocking)",
        errno::AGAIN,
        abi::recv(fd.0, &mut buf, 0).err().unwrap_or(0),
    )
}

/// Number of connections in the accept burst.
const BURST: u32 = 1000;

/// 1,000 native connections accepted in a row by a blocking listener; each
/// carries its index, so every accepted socket is shown to be a distinct,
/// correct connection. Afterwards the listener has nothing pending.
pub fn x_accept_1000_native() -> Outcome {
    let (lst, port) = listener(false)?;
    let mut peer = Peer::connect()?;
    peer.cmd(&format!("BURST 127.0.0.1 {port} {BURST}"))?;
    let mut seen = vec![false; BURST as usize];
    for n in 0..BURST {
        let fd = match abi::accept(lst.0) {
            Ok(fd) => Fd(fd),
            Err(e) => return fail(format!("{BURST} accepts"), format!("accept #{n} gave errno {e}")),
        };
        let bytes = net::recv_exact(fd.0, 4)?;
        let Ok(index) = <[u8; 4]>::try_from(bytes.as_slice()).map(u32::from_be_bytes) else {
            return fail(format!("4 index bytes on connection #{n}"), format!("{bytes:?}"));
        };
        match seen.get_mut(index as usize) {
            Some(slot) if !*slot => *slot = true,
            _ => return fail("each index once", format!("index {index} on connection #{n}")),
        }
    }
    let done = peer.cmd("BURSTWAIT 10000")?;
    expect_eq("peer (connected, errors)", vec![BURST.to_string(), "0".to_string()], done)?;
    setup_rc("set_flags(listener, NONBLOCK)", abi::set_flags(lst.0, FDFLAGS_NONBLOCK))?;
    expect_errno(
        "accept after the burst (nothing left)",
        errno::AGAIN,
        abi::accept(lst.0).err().unwrap_or(0),
    )?;
    net::open(AF_INET4, SOCK_STREAM).map(drop)
}
