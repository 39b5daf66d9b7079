//! Guest address structs (§3.2) and their native `sockaddr` counterparts
//! (`sockAddressAssignHelper` in WasmEdge's `inode-linux.cpp`).

use std::mem::size_of;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::abi::{sock, ADDR_STORAGE_SIZE};
use crate::errno::Errno;
use crate::guest_memory::GuestMemory;

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
    /// length rule of `VarAddrSize`.
    pub fn to_native(&self, port: u16) -> NativeSockaddr {
        // SAFETY: sockaddr_storage is plain data; all-zero is a valid value.
        let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
        let len = match self {
            GuestAddr::V4(a) => {
                let sin = libc::sockaddr_in {
                    sin_family: libc::AF_INET as libc::sa_family_t,
                    sin_port: port.to_be(),
                    sin_addr: libc::in_addr { s_addr: u32::from_ne_bytes(*a) },
                    sin_zero: [0; 8],
                };
                // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in.
                unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sin) };
                size_of::<libc::sockaddr_in>()
            }
            GuestAddr::V6(a) => {
                let sin6 = libc::sockaddr_in6 {
                    sin6_family: libc::AF_INET6 as libc::sa_family_t,
                    sin6_port: port.to_be(),
                    sin6_flowinfo: 0,
                    sin6_addr: libc::in6_addr { s6_addr: *a },
                    sin6_scope_id: 0,
                };
                // SAFETY: as above, for sockaddr_in6.
                unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sin6) };
                size_of::<libc::sockaddr_in6>()
            }
            GuestAddr::Unix(path) => {
                // SAFETY: all-zero sockaddr_un is valid.
                let mut sun: libc::sockaddr_un = unsafe { std::mem::zeroed() };
                sun.sun_family = libc::AF_UNIX as libc::sa_family_t;
                for (dst, src) in sun.sun_path.iter_mut().zip(path.iter()) {
                    *dst = *src as libc::c_char;
                }
                let path_len = path.iter().position(|&b| b == 0).unwrap_or(SUN_PATH_LEN);
                // SAFETY: as above, for sockaddr_un.
                unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sun) };
                if path_len == 0 || path_len == SUN_PATH_LEN {
                    size_of::<libc::sockaddr_un>()
                } else {
                    2 + path_len + 1
                }
            }
        };
        NativeSockaddr { storage, len: len as libc::socklen_t }
    }
}

/// A native socket address ready for `bind`/`connect`/`sendmsg`.
pub struct NativeSockaddr {
    pub storage: libc::sockaddr_storage,
    pub len: libc::socklen_t,
}

impl NativeSockaddr {
    /// Pointer for `bind`/`connect`/`sendmsg`.
    pub fn as_ptr(&self) -> *const libc::sockaddr {
        (&self.storage as *const libc::sockaddr_storage).cast()
    }
}

/// A native address as reported by the kernel (`getsockname`, `recvmsg`).
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
    /// Decodes a kernel-filled `sockaddr_storage`. Ports are host order.
    pub fn from_storage(storage: &libc::sockaddr_storage) -> ReportedAddr {
        match i32::from(storage.ss_family) {
            libc::AF_INET => {
                // SAFETY: the kernel wrote a sockaddr_in for AF_INET.
                let sin: &libc::sockaddr_in = unsafe { &*(storage as *const _ as *const _) };
                ReportedAddr::V4 { ip: sin.sin_addr.s_addr.to_ne_bytes(), port: u16::from_be(sin.sin_port) }
            }
            libc::AF_INET6 => {
                // SAFETY: the kernel wrote a sockaddr_in6 for AF_INET6.
                let sin6: &libc::sockaddr_in6 = unsafe { &*(storage as *const _ as *const _) };
                ReportedAddr::V6 { ip: sin6.sin6_addr.s6_addr, port: u16::from_be(sin6.sin6_port) }
            }
            libc::AF_UNIX => {
                // SAFETY: the kernel wrote a sockaddr_un for AF_UNIX.
                let sun: &libc::sockaddr_un = unsafe { &*(storage as *const _ as *const _) };
                let mut path = [0u8; SUN_PATH_LEN];
                for (dst, src) in path.iter_mut().zip(sun.sun_path.iter()) {
                    *dst = *src as u8;
                }
                ReportedAddr::Unix { path }
            }
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
    fn native_sockaddr_uses_network_order_port() {
        let native = GuestAddr::V4([127, 0, 0, 1]).to_native(8080);
        assert_eq!(native.len as usize, size_of::<libc::sockaddr_in>());
        let sin: &libc::sockaddr_in = unsafe { &*(native.as_ptr().cast()) };
        assert_eq!(sin.sin_port, 8080u16.to_be());
        assert_eq!(sin.sin_addr.s_addr.to_ne_bytes(), [127, 0, 0, 1]);
        let back = ReportedAddr::from_storage(&native.storage);
        assert!(matches!(back, ReportedAddr::V4 { ip: [127, 0, 0, 1], port: 8080 }));
        let native6 = GuestAddr::V6([0; 16]).to_native(1);
        assert_eq!(native6.len as usize, size_of::<libc::sockaddr_in6>());
    }
}
