//! `sock_getlocaladdr` / `sock_getpeeraddr`, V1 (§4) and V2 (§5).
//!
//! V1 writes the bare address, a host-order u32 port and an address *type*
//! of 4 or 6 (not the WASI family enum: a deliberate WasmEdge compatibility
//! workaround). V2 fills a 128-byte storage buffer with the WASI family.

use std::os::fd::BorrowedFd;

use wasmtime::Caller;

use super::address::{ReportedAddr, SUN_PATH_LEN};
use crate::abi::ADDR_STORAGE_SIZE;
use crate::errno::{sock_aligned, Errno};
use crate::host_state::{memory_and_state, HostState};

/// Which end of the socket to report.
#[derive(Clone, Copy)]
pub(crate) enum End {
    Local,
    Peer,
}

fn query(fd: BorrowedFd<'_>, end: End) -> Result<ReportedAddr, Errno> {
    let address = match end {
        End::Local => Some(rustix::net::getsockname(fd)?),
        // An empty peer address (length 0) reads as AF_UNSPEC.
        End::Peer => rustix::net::getpeername(fd)?,
    };
    Ok(address.as_ref().map_or(ReportedAddr::None, ReportedAddr::from_any))
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
pub(crate) fn name_v1(
    caller: &mut Caller<'_, HostState>,
    fd: i32,
    args: [u32; 3],
    end: End,
) -> Result<(), Errno> {
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
    let reported = query(state.fds.get(fd)?.fd(), end)?;
    let host_port = write_address(&reported, mem.bytes_mut(buf, buf_len)?)?;
    mem.write_u32(port, u32::from(host_port))?;
    let kind = match reported {
        ReportedAddr::V6 { .. } => 6,
        _ => 4,
    };
    mem.write_u32(addr_type, kind)
}

/// `sock_getlocaladdr_v2(fd, addr, port)`.
pub(crate) fn name_v2(
    caller: &mut Caller<'_, HostState>,
    fd: i32,
    addr: u32,
    port: u32,
    end: End,
) -> Result<(), Errno> {
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
    let reported = query(state.fds.get(fd)?.fd(), end)?;
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
        use rustix::net::{socket, AddressFamily, SocketType};
        use std::os::fd::AsFd;
        let fd = socket(AddressFamily::INET, SocketType::STREAM, None).unwrap();
        let reported = query(fd.as_fd(), End::Local).unwrap();
        assert!(matches!(reported, ReportedAddr::V4 { ip: [0, 0, 0, 0], port: 0 }));
        assert_eq!(query(fd.as_fd(), End::Peer).err(), Some(Errno::NOTCONN));
    }

    #[test]
    fn a_unix_socket_with_an_unterminated_108_byte_path_reports_it_whole() {
        use rustix::net::{bind, socket, AddressFamily, SocketAddrUnix, SocketType};
        use std::os::fd::AsFd;
        let dir = tempfile::tempdir().unwrap();
        let mut path = dir.path().as_os_str().as_encoded_bytes().to_vec();
        path.push(b'/');
        path.resize(SUN_PATH_LEN, b's');
        let fd = socket(AddressFamily::UNIX, SocketType::STREAM, None).unwrap();
        bind(&fd, &SocketAddrUnix::new(&path[..]).unwrap()).unwrap();
        let Ok(ReportedAddr::Unix { path: reported }) = query(fd.as_fd(), End::Local) else {
            panic!("expected a unix address");
        };
        assert_eq!(&reported[..], &path[..]);
    }
}
