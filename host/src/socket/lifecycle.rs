//! Creating, binding, listening, accepting, connecting and shutting down
//! sockets (§4 `sock_open` .. `sock_connect`, `sock_shutdown`; §5 V2 forms).
//!
//! Each function follows WasmEdge's validation order exactly: alignment
//! (`ADDRNOTAVAIL`), memory (`FAULT`), bounds (`FAULT`), enum values
//! (`INVAL`), descriptor (`BADF`), then the syscall with its errno.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::fs::OFlags;
use rustix::net::{AddressFamily, Shutdown, SocketFlags, SocketType};
use wasmtime::Caller;

use super::address::read_guest_addr;
use crate::abi::{fdflags, rights, sock};
use crate::errno::{sock_aligned, Errno};
use crate::fd_table::{FdEntry, FdKind, FdTable, SocketHandle};
use crate::host_state::{memory_and_state, HostState};
use crate::sandbox::Action;

/// `sock_open(af, socktype, ro_fd)` (V1 and V2 are identical).
pub(crate) fn open(caller: &mut Caller<'_, HostState>, af: u32, ty: u32, ro_fd: u32) -> Result<(), Errno> {
    sock_aligned(ro_fd, 4)?;
    let (mut mem, state) = memory_and_state(caller)?;
    mem.check(ro_fd, 4)?;
    // The enums are u8 in WasmEdge: the value is truncated before the check.
    let domain = match af as u8 {
        sock::AF_INET4 => AddressFamily::INET,
        sock::AF_INET6 => AddressFamily::INET6,
        // AF_UNIX is refused unless the runtime allows it; ours never does.
        sock::AF_UNIX => return Err(Errno::NOSYS),
        _ => return Err(Errno::INVAL),
    };
    let kind = match ty as u8 {
        sock::TYPE_DGRAM => SocketType::DGRAM,
        sock::TYPE_STREAM => SocketType::STREAM,
        _ => return Err(Errno::INVAL),
    };
    let socket = rustix::net::socket_with(domain, kind, SocketFlags::CLOEXEC, None)?;
    let new_fd = adopt_socket(&mut state.fds, socket, rights::SOCKET_OPENED);
    mem.write_u32(ro_fd, new_fd)
}

/// Puts a socket the kernel just created into the table (rights as base and
/// inheriting, §6) and returns its guest number.
fn adopt_socket(fds: &mut FdTable, socket: OwnedFd, socket_rights: u64) -> u32 {
    let kind = FdKind::Socket(SocketHandle::new(socket));
    fds.insert(FdEntry::new(kind, socket_rights, socket_rights))
}

/// `sock_bind(fd, addr, port)`: V1 takes raw 4/16-byte addresses only, V2
/// also the 128-byte storage form.
pub(crate) fn bind(
    caller: &mut Caller<'_, HostState>,
    fd: i32,
    addr: u32,
    port: u32,
    v2: bool,
) -> Result<(), Errno> {
    address_call(caller, fd, addr, port, v2, Action::Listen)
}

/// `sock_bind` (`Action::Listen`) and `sock_connect` (`Action::Connect`):
/// the same address rules, the sandbox check, then the syscall.
fn address_call(
    caller: &mut Caller<'_, HostState>,
    fd: i32,
    addr: u32,
    port: u32,
    v2: bool,
    action: Action,
) -> Result<(), Errno> {
    sock_aligned(addr, 4)?;
    let (mem, state) = memory_and_state(caller)?;
    let guest_addr = read_guest_addr(&mem, addr, v2)?;
    let port = port as u16;
    let socket = state.fds.get(fd)?.fd();
    state.sandbox.check(action, guest_addr.socket_addr(port))?;
    let native = guest_addr.to_native(port)?;
    // A non-blocking connect returns EINPROGRESS (26), as in WasmEdge.
    match action {
        Action::Listen => rustix::net::bind(socket, &native)?,
        Action::Connect => rustix::net::connect(socket, &native)?,
    }
    Ok(())
}

/// `sock_listen(fd, backlog)` (V1 and V2 are identical).
pub(crate) fn listen(state: &mut HostState, fd: i32, backlog: i32) -> Result<(), Errno> {
    let entry = state.fds.get_mut(fd)?;
    rustix::net::listen(entry.fd(), backlog)?;
    if let FdKind::Socket(s) = &mut entry.kind {
        s.listening = true;
        // A shutdown signal closes it to new connections (`crate::shutdown`).
        if s.shutdown_entry.is_none() {
            s.shutdown_entry = Some(state.listeners.add(s.fd.as_fd())?);
        }
    }
    Ok(())
}

/// `sock_accept(fd, ro_fd)`, WasmEdge's 2-parameter form (`flags` = `None`):
/// the accepted socket is always blocking.
///
/// `sock_accept_v2(fd, fdflags, ro_fd)`, the standard preview1 shape. As in
/// WasmEdge 0.17.x, NONBLOCK is applied to the *listening* socket, not to the
/// accepted one (0.17.0 `lib/host/wasi/inode-linux.cpp` `INode::sockAccept`
/// calls `fcntl(Fd, F_SETFL, flags(NewFd) | O_NONBLOCK)` on the listener);
/// WasmEdge's main branch sets it on the accepted socket. Other valid bits
/// are ignored.
pub(crate) fn accept(
    caller: &mut Caller<'_, HostState>,
    fd: i32,
    flags: Option<u32>,
    ro_fd: u32,
) -> Result<(), Errno> {
    sock_aligned(ro_fd, 4)?;
    let (mut mem, state) = memory_and_state(caller)?;
    mem.check(ro_fd, 4)?;
    let mut nonblock = false;
    if let Some(flags) = flags {
        let flags = flags as u16;
        if flags & !fdflags::ALL != 0 {
            return Err(Errno::INVAL);
        }
        nonblock = flags & fdflags::NONBLOCK != 0;
    }
    let listener = state.fds.get(fd)?.fd();
    // Dropping `accepted` on the error path below closes it, as WasmEdge does.
    let accepted = rustix::net::accept_with(listener, SocketFlags::CLOEXEC)?;
    if nonblock {
        set_listener_nonblocking_like_0_17(listener, accepted.as_fd())?;
    }
    let new_fd = adopt_socket(&mut state.fds, accepted, rights::SOCKET_ACCEPTED);
    mem.write_u32(ro_fd, new_fd)
}

/// WasmEdge 0.17.x's NONBLOCK accept: the accepted socket's status flags plus
/// `O_NONBLOCK`, stored on the listener (`F_SETFL` ignores the access mode).
fn set_listener_nonblocking_like_0_17(
    listener: BorrowedFd<'_>,
    accepted: BorrowedFd<'_>,
) -> Result<(), Errno> {
    let flags = rustix::fs::fcntl_getfl(accepted)?;
    rustix::fs::fcntl_setfl(listener, flags | OFlags::NONBLOCK)?;
    Ok(())
}

/// `sock_connect(fd, addr, port)`: V1 takes raw 4/16-byte addresses only,
/// V2 also the 128-byte storage form.
pub(crate) fn connect(
    caller: &mut Caller<'_, HostState>,
    fd: i32,
    addr: u32,
    port: u32,
    v2: bool,
) -> Result<(), Errno> {
    address_call(caller, fd, addr, port, v2, Action::Connect)
}

/// `sock_shutdown(fd, how)`: `how` ⊆ {RD, WR}; 0 passes and acts as SHUT_RD.
pub(crate) fn shutdown(state: &mut HostState, fd: i32, how: u32) -> Result<(), Errno> {
    let how = u32::from(how as u8);
    if how & !(sock::SHUT_RD | sock::SHUT_WR) != 0 {
        return Err(Errno::INVAL);
    }
    let native = if how == sock::SHUT_WR {
        Shutdown::Write
    } else if how == sock::SHUT_RD | sock::SHUT_WR {
        Shutdown::Both
    } else {
        Shutdown::Read
    };
    let entry = state.fds.get_mut(fd)?;
    rustix::net::shutdown(entry.fd(), native)?;
    // Shutting down the read side of a listener stops it listening (Linux).
    if native != Shutdown::Write {
        if let FdKind::Socket(s) = &mut entry.kind {
            s.listening = false;
            s.shutdown_entry = None;
        }
    }
    Ok(())
}

/// Whether `fd` is a socket currently marked listening (used by poll).
pub fn is_listening(kind: &FdKind) -> bool {
    matches!(kind, FdKind::Socket(s) if s.listening)
}
