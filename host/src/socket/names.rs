//! `sock_getlocaladdr` / `sock_getpeeraddr`, V1 (§4) and V2 (§5).
//!
//! V1 writes the bare address, a host-order u32 port and an address *type*
//! of 4 or 6 (not the WASI family enum: a deliberate WasmEdge compatibility
//! workaround). V2 fills a 128-byte storage buffer with the WASI family.

use wasmtime::Caller;

use super::address::{ReportedAddr, SUN_PATH_LEN};
use crate::abi::ADDR_STORAGE_SIZE;
use crate::errno::{errno_to_wasm, sock_aligned, Errno};
use crate::host_state::{memory_and_state, HostState};
use crate::sys::cvt;

/// Which end of the socket to report.
#[derive(Clone, Copy)]
enum End {
    Local,
    Peer,
}

fn query(fd: i32, end: End) -> Result<ReportedAddr, Errno> {
    // SAFETY: all-zero sockaddr_storage is valid.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    let ptr = (&mut storage as *mut libc::sockaddr_storage).cast();
    // SAFETY: `storage`/`len` describe a writable sockaddr buffer.
    cvt(unsafe {
        match end {
            End::Local => libc::getsockname(fd, ptr, &mut len),
            End::Peer => libc::getpeername(fd, ptr, &mut len),
        }
    })?;
    Ok(ReportedAddr::from_storage(&storage))
}

/// Writes the address into `target` (`NOMEM` if it does not fit) and returns
/// the port (0 for AF_UNIX).
fn write_address(reported: &ReportedAddr, target: &mut [u8]) -> Result<u16, Errno> {
    let (bytes, port): (&[u8], u16) = match reported {
        ReportedAddr::V4 { ip, port } => (ip, *port),
        ReportedAddr::V6 { ip, port } => (ip, *port),
        ReportedAddr::Unix { path } => (&path[..SUN_PATH_LEN], 0),
        ReportedAddr::None | ReportedAddr::Other => return Err(Errno::NOSYS),
    };
    if target.len() < bytes.len() {
        return Err(Errno::NOMEM);
    }
    target[..bytes.len()].copy_from_slice(bytes);
    Ok(port)
}

/// `sock_getlocaladdr(fd, addr, addr_type, port)` (V1).
pub fn sock_getlocaladdr_v1(
    mut caller: Caller<'_, HostState>,
    fd: i32,
    addr: i32,
    addr_type: i32,
    port: i32,
) -> wasmtime::Result<i32> {
    errno_to_wasm(name_v1(&mut caller, fd, [addr, addr_type, port].map(|v| v as u32), End::Local))
}

/// `sock_getpeeraddr(fd, addr, addr_type, port)` (V1).
pub fn sock_getpeeraddr_v1(
    mut caller: Caller<'_, HostState>,
    fd: i32,
    addr: i32,
    addr_type: i32,
    port: i32,
) -> wasmtime::Result<i32> {
    errno_to_wasm(name_v1(&mut caller, fd, [addr, addr_type, port].map(|v| v as u32), End::Peer))
}

fn name_v1(caller: &mut Caller<'_, HostState>, fd: i32, args: [u32; 3], end: End) -> Result<(), Errno> {
    let [addr, addr_type, port] = args;
    sock_aligned(addr, 4)?;
    sock_aligned(addr_type, 4)?;
    sock_aligned(port, 4)?;
    let (mut mem, state) = memory_and_state(caller)?;
    let buf = mem.read_u32(addr)?;
    let buf_len = mem.read_u32(addr.checked_add(4).ok_or(Errno::FAULT)?)?;
    mem.check(buf, buf_len)?;
    if buf_len != 4 && buf_len != 16 {
        return Err(Errno::INVAL);
    }
    mem.check(addr_type, 4)?;
    mem.check(port, 4)?;
    let raw = state.fds.get(fd)?.raw_fd();
    let reported = query(raw, end)?;
    let host_port = write_address(&reported, mem.bytes_mut(buf, buf_len)?)?;
    mem.write_u32(port, u32::from(host_port))?;
    let kind = match reported {
        ReportedAddr::V6 { .. } => 6,
        _ => 4,
    };
    mem.write_u32(addr_type, kind)
}

/// `sock_getlocaladdr_v2(fd, addr, port)`.
pub fn sock_getlocaladdr_v2(
    mut caller: Caller<'_, HostState>,
    fd: i32,
    addr: i32,
    port: i32,
) -> wasmtime::Result<i32> {
    errno_to_wasm(name_v2(&mut caller, fd, addr as u32, port as u32, End::Local))
}

/// `sock_getpeeraddr_v2(fd, addr, port)`.
pub fn sock_getpeeraddr_v2(
    mut caller: Caller<'_, HostState>,
    fd: i32,
    addr: i32,
    port: i32,
) -> wasmtime::Result<i32> {
    errno_to_wasm(name_v2(&mut caller, fd, addr as u32, port as u32, End::Peer))
}

fn name_v2(caller: &mut Caller<'_, HostState>, fd: i32, addr: u32, port: u32, end: End) -> Result<(), Errno> {
    sock_aligned(addr, 4)?;
    sock_aligned(port, 4)?;
    let (mut mem, state) = memory_and_state(caller)?;
    let buf = mem.read_u32(addr)?;
    let buf_len = mem.read_u32(addr.checked_add(4).ok_or(Errno::FAULT)?)?;
    mem.check(buf, buf_len)?;
    mem.check(port, 4)?;
    if buf_len != ADDR_STORAGE_SIZE {
        return Err(Errno::INVAL);
    }
    let raw = state.fds.get(fd)?.raw_fd();
    let reported = query(raw, end)?;
    let host_port = write_address(&reported, mem.bytes_mut(buf + 2, buf_len - 2)?)?;
    mem.write_u16(buf, u16::from(reported.wasi_family()))?;
    mem.write_u32(port, u32::from(host_port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_address_into_four_bytes_is_nomem() {
        let v6 = ReportedAddr::V6 { ip: [0; 16], port: 1 };
        assert_eq!(write_address(&v6, &mut [0u8; 4]), Err(Errno::NOMEM));
        assert_eq!(write_address(&v6, &mut [0u8; 16]), Ok(1));
    }

    #[test]
    fn ipv4_leaves_the_rest_of_the_buffer_alone() {
        let v4 = ReportedAddr::V4 { ip: [127, 0, 0, 1], port: 8080 };
        let mut buf = [0xEEu8; 16];
        assert_eq!(write_address(&v4, &mut buf), Ok(8080));
        assert_eq!(&buf[..5], &[127, 0, 0, 1, 0xEE]);
    }

    #[test]
    fn unbound_socket_reports_any_address() {
        let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0) };
        let reported = query(fd, End::Local).unwrap();
        assert!(matches!(reported, ReportedAddr::V4 { ip: [0, 0, 0, 0], port: 0 }));
        assert_eq!(query(fd, End::Peer).err(), Some(Errno::NOTCONN));
        unsafe { libc::close(fd) };
    }
}
