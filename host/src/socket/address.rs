//! Guest address structs (§3.2) and their native `sockaddr` counterparts
//! (`sockAddressAssignHelper` in WasmEdge's `inode-linux.cpp`), built and
//! read through rustix's socket address types.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use rustix::net::{SocketAddrAny, SocketAddrUnix};

use crate::abi::{sock, ADDR_STORAGE_SIZE};
use crate::errno::Errno;
use crate::guest_memory::GuestMemory;
use crate::sys::sockaddr_bytes;

/// Length of `sockaddr_un::sun_path` on Linux.
pub const SUN_PATH_LEN: usize = 108;

/// An address as a guest passed it, without the port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuestAddr {
    V4([u8; 4]),
    V6([u8; 16]),
    Unix([u8; SUN_PATH_LEN]),
}

/// Reads the `__wasi_address_t` at `addr_ptr` and its buffer. The buffer is
/// raw (4 or 16 bytes; family from the length) or, when `allow_storage`
/// (the `_v2` calls), a 128-byte `WasiAddrStorage`. Other lengths are
/// `INVAL`; out-of-bounds struct or buffer is `FAULT`.
pub fn read_guest_addr(mem: &GuestMemory, addr_ptr: u32, allow_storage: bool) -> Result<GuestAddr, Errno> {
    let buf = mem.read_u32(addr_ptr)?;
    let len = mem.read_u32(addr_ptr.checked_add(4).ok_or(Errno::FAULT)?)?;
    let bytes = mem.bytes(buf, len)?;
    decode_addr_bytes(bytes, allow_storage)
}

/// Decodes an address buffer's content (see [`read_guest_addr`]).
pub fn decode_addr_bytes(bytes: &[u8], allow_storage: bool) -> Result<GuestAddr, Errno> {
    match bytes.len() {
        4 => Ok(GuestAddr::V4(copy_array(bytes))),
        16 => Ok(GuestAddr::V6(copy_array(bytes))),
        len if allow_storage && len == ADDR_STORAGE_SIZE as usize => {
            let family = u16::from_le_bytes([bytes[0], bytes[1]]);
            let body = &bytes[2..];
            match family {
                f if f == u16::from(sock::AF_INET4) => Ok(GuestAddr::V4(copy_array(&body[..4]))),
                f if f == u16::from(sock::AF_INET6) => Ok(GuestAddr::V6(copy_array(&body[..16]))),
                f if f == u16::from(sock::AF_UNIX) => Ok(GuestAddr::Unix(copy_array(&body[..SUN_PATH_LEN]))),
                _ => Err(Errno::INVAL),
            }
        }
        _ => Err(Errno::INVAL),
    }
}

fn copy_array<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&bytes[..N]);
    out
}

impl GuestAddr {
    /// The IP socket address for sandbox checks; `None` for AF_UNIX.
    pub fn socket_addr(&self, port: u16) -> Option<SocketAddr> {
        match self {
            GuestAddr::V4(a) => Some(SocketAddr::new(IpAddr::V4(Ipv4Addr::from(*a)), port)),
            GuestAddr::V6(a) => Some(SocketAddr::new(IpAddr::V6(Ipv6Addr::from(*a)), port)),
            GuestAddr::Unix(_) => None,
        }
    }

    /// The native sockaddr WasmEdge builds: `htons(port)`, flowinfo and
    /// scope_id 0, length `sizeof(sockaddr_in[6])`; for AF_UNIX the path
    /// length rule of `VarAddrSize` (the whole `sockaddr_un` for an empty or
    /// unterminated path, else the path and its NUL).
    pub fn to_native(&self, port: u16) -> Result<SocketAddrAny, Errno> {
        Ok(match self {
            GuestAddr::V4(a) => SocketAddrV4::new(Ipv4Addr::from(*a), port).into(),
            GuestAddr::V6(a) => SocketAddrV6::new(Ipv6Addr::from(*a), port, 0, 0).into(),
            GuestAddr::Unix(path) => {
                let path_len = path.iter().position(|&b| b == 0).unwrap_or(SUN_PATH_LEN);
                let unix = if path_len == 0 {
                    // All 108 bytes: an abstract name is a leading NUL and the rest.
                    SocketAddrUnix::new_abstract_name(&path[1..])?
                } else {
                    SocketAddrUnix::new(&path[..path_len])?
                };
                unix.into()
            }
        })
    }
}

/// An address as the kernel reported it (`getsockname`, `recvmsg`).
pub enum ReportedAddr {
    V4 {
        ip: [u8; 4],
        port: u16,
    },
    V6 {
        ip: [u8; 16],
        port: u16,
    },
    Unix {
        path: [u8; SUN_PATH_LEN],
    },
    /// `AF_UNSPEC`: no address (e.g. `recvmsg` on a TCP socket).
    None,
    /// Any other family.
    Other,
}

impl ReportedAddr {
    /// Decodes an address rustix returned. Ports are host order.
    pub fn from_any(addr: &SocketAddrAny) -> ReportedAddr {
        ReportedAddr::from_sockaddr_bytes(sockaddr_bytes(addr))
    }

    /// Decodes a kernel-filled `sockaddr` of `bytes.len()` bytes (family in
    /// native order, then the `sockaddr_in[6]`/`sockaddr_un` fields; what the
    /// kernel did not write reads as zero). Ports are host order.
    pub fn from_sockaddr_bytes(bytes: &[u8]) -> ReportedAddr {
        let mut raw = [0u8; 2 + SUN_PATH_LEN];
        let n = bytes.len().min(raw.len());
        raw[..n].copy_from_slice(&bytes[..n]);
        if n < 2 {
            return ReportedAddr::None;
        }
        let port = u16::from_be_bytes([raw[2], raw[3]]);
        match i32::from(u16::from_ne_bytes([raw[0], raw[1]])) {
            libc::AF_INET => ReportedAddr::V4 { ip: copy_array(&raw[4..8]), port },
            libc::AF_INET6 => ReportedAddr::V6 { ip: copy_array(&raw[8..24]), port },
            libc::AF_UNIX => ReportedAddr::Unix { path: copy_array(&raw[2..]) },
            libc::AF_UNSPEC => ReportedAddr::None,
            _ => ReportedAddr::Other,
        }
    }

    /// The WASI family enum (1, 2, 3), 0 when there is none.
    pub fn wasi_family(&self) -> u8 {
        match self {
            ReportedAddr::V4 { .. } => sock::AF_INET4,
            ReportedAddr::V6 { .. } => sock::AF_INET6,
            ReportedAddr::Unix { .. } => sock::AF_UNIX,
            ReportedAddr::None | ReportedAddr::Other => sock::AF_UNSPEC,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_buffers_infer_family_from_length() {
        assert_eq!(decode_addr_bytes(&[127, 0, 0, 1], false), Ok(GuestAddr::V4([127, 0, 0, 1])));
        let mut v6 = [0u8; 16];
        v6[15] = 1;
        assert_eq!(decode_addr_bytes(&v6, false), Ok(GuestAddr::V6(v6)));
        assert_eq!(decode_addr_bytes(&[0; 8], false), Err(Errno::INVAL));
    }

    #[test]
    fn storage_form_only_through_v2() {
        let mut storage = [0u8; 128];
        storage[0] = 1;
        storage[2..6].copy_from_slice(&[10, 0, 0, 7]);
        assert_eq!(decode_addr_bytes(&storage, false), Err(Errno::INVAL));
        assert_eq!(decode_addr_bytes(&storage, true), Ok(GuestAddr::V4([10, 0, 0, 7])));
        storage[0] = 2;
        storage[2..18].copy_from_slice(&[0xfe; 16]);
        assert_eq!(decode_addr_bytes(&storage, true), Ok(GuestAddr::V6([0xfe; 16])));
        storage[0] = 9;
        assert_eq!(decode_addr_bytes(&storage, true), Err(Errno::INVAL));
    }

    #[test]
    fn guest_address_struct_is_read_through_its_pointer() {
        let mut raw = vec![0u8; 256];
        raw[16..20].copy_from_slice(&100u32.to_le_bytes());
        raw[20..24].copy_from_slice(&4u32.to_le_bytes());
        raw[100..104].copy_from_slice(&[192, 168, 0, 1]);
        let mem = GuestMemory::new(&mut raw);
        assert_eq!(read_guest_addr(&mem, 16, false), Ok(GuestAddr::V4([192, 168, 0, 1])));
        // A buffer that runs past the end of memory is FAULT, not INVAL.
        let mut raw = vec![0u8; 64];
        raw[0..4].copy_from_slice(&60u32.to_le_bytes());
        raw[4..8].copy_from_slice(&16u32.to_le_bytes());
        let mem = GuestMemory::new(&mut raw);
        assert_eq!(read_guest_addr(&mem, 0, false), Err(Errno::FAULT));
        assert_eq!(read_guest_addr(&mem, 60, false), Err(Errno::FAULT));
    }

    #[test]
    fn native_addresses_round_trip_with_network_order_ports() {
        let native = GuestAddr::V4([127, 0, 0, 1]).to_native(8080).unwrap();
        assert_eq!(native.addr_len(), 16);
        let back = ReportedAddr::from_any(&native);
        assert!(matches!(back, ReportedAddr::V4 { ip: [127, 0, 0, 1], port: 8080 }));
        let native6 = GuestAddr::V6([0; 16]).to_native(1).unwrap();
        assert_eq!(native6.addr_len(), 28);
        assert!(matches!(ReportedAddr::from_any(&native6), ReportedAddr::V6 { port: 1, .. }));
        let mut raw = [0u8; 16];
        raw[..2].copy_from_slice(&(libc::AF_INET as u16).to_ne_bytes());
        raw[2..8].copy_from_slice(&[0x1f, 0x90, 10, 0, 0, 7]);
        assert!(matches!(
            ReportedAddr::from_sockaddr_bytes(&raw),
            ReportedAddr::V4 { ip: [10, 0, 0, 7], port: 8080 }
        ));
        assert!(matches!(ReportedAddr::from_sockaddr_bytes(&[]), ReportedAddr::None));
    }

    #[test]
    fn unix_addresses_keep_wasmedge_lengths() {
        let mut path = [0u8; SUN_PATH_LEN];
        // Empty path: the whole sockaddr_un.
        assert_eq!(GuestAddr::Unix(path).to_native(0).unwrap().addr_len(), 110);
        path[..4].copy_from_slice(b"/tmp");
        path[10] = b'x';
        // A path: family, the path and its NUL; bytes after the NUL are not sent.
        assert_eq!(GuestAddr::Unix(path).to_native(0).unwrap().addr_len(), 2 + 4 + 1);
        let full = [b'a'; SUN_PATH_LEN];
        let native = GuestAddr::Unix(full).to_native(0).unwrap();
        assert_eq!(native.addr_len(), 110);
        let ReportedAddr::Unix { path: back } = ReportedAddr::from_any(&native) else {
            panic!("unix address expected");
        };
        assert_eq!(back, full);
    }
}
