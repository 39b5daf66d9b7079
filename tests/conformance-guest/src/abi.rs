//! Raw `wasi_snapshot_preview1` imports with exact control of every argument.
//!
//! `wasmedge_wasi_socket` hides pointers, flags and variants behind a safe API;
//! the conformance cases need to pass misaligned pointers, unknown flags, the
//! `_v2` functions and hand-built layouts (reference §2–§8), so they call the
//! host through these declarations instead. Every pointer parameter is a plain
//! byte pointer so a case can point anywhere; the wasm signatures are identical
//! to the ones `wasmedge_wasi_socket` 0.5 declares for the same names, so the
//! module still imports each name once.
//!
//! Only names whose type never differs from wws' import are declared here.
//! The 3-parameter `sock_accept`, the 7-parameter `sock_recv_from` and the
//! 3-parameter address getters are reached through their `_v2` names (§1:
//! "each name may also be imported directly with its `_v2` suffix"); binding by
//! type under the plain name is checked by the WAT modules of case 24.
#![allow(clashing_extern_declarations)]

/// `__wasi_iovec_t` / `__wasi_ciovec_t` (§2.2): 8 bytes, 4-aligned.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Iovec {
    pub buf: *const u8,
    pub len: u32,
}

/// `__wasi_address_t` (§3.2): a pointer to this struct is what the host receives.
///
/// `buf` is a `*mut` pointer: for the getters the host writes through it, and a
/// buffer the host may write must be `mut` on the Rust side, or the compiler may
/// assume it unchanged and fold reads of it (the very mistake wws 0.5.5 makes
/// in `recv_from`, see cases/udp.rs).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct WasiAddress {
    pub buf: *mut u8,
    pub len: u32,
}

#[link(wasm_import_module = "wasi_snapshot_preview1")]
extern "C" {
    pub fn sock_open(af: u32, socktype: u32, ro_fd: *mut u8) -> u32;
    pub fn sock_bind(fd: u32, addr: *const WasiAddress, port: u32) -> u32;
    pub fn sock_bind_v2(fd: u32, addr: *const WasiAddress, port: u32) -> u32;
    pub fn sock_listen(fd: u32, backlog: i32) -> u32;
    pub fn sock_accept(fd: u32, ro_fd: *mut u8) -> u32;
    pub fn sock_accept_v2(fd: u32, fdflags: u32, ro_fd: *mut u8) -> u32;
    pub fn sock_connect(fd: u32, addr: *const WasiAddress, port: u32) -> u32;
    pub fn sock_recv(
        fd: u32,
        ri_data: *const Iovec,
        ri_data_len: u32,
        ri_flags: u32,
        ro_datalen: *mut u8,
        ro_flags: *mut u8,
    ) -> u32;
    pub fn sock_recv_from_v2(
        fd: u32,
        ri_data: *const Iovec,
        ri_data_len: u32,
        addr: *const WasiAddress,
        ri_flags: u32,
        ro_port: *mut u8,
        ro_datalen: *mut u8,
        ro_flags: *mut u8,
    ) -> u32;
    pub fn sock_send(
        fd: u32,
        si_data: *const Iovec,
        si_data_len: u32,
        si_flags: u32,
        so_datalen: *mut u8,
    ) -> u32;
    pub fn sock_send_to(
        fd: u32,
        si_data: *const Iovec,
        si_data_len: u32,
        addr: *const WasiAddress,
        port: u32,
        si_flags: u32,
        so_datalen: *mut u8,
    ) -> u32;
    pub fn sock_shutdown(fd: u32, how: u32) -> u32;
    pub fn sock_getsockopt(fd: u32, level: u32, name: u32, flag: *mut u8, flag_size: *mut u8) -> u32;
    pub fn sock_setsockopt(fd: u32, level: u32, name: u32, flag: *const u8, flag_size: u32) -> u32;
    pub fn sock_getlocaladdr(fd: u32, addr: *const WasiAddress, addr_type: *mut u8, port: *mut u8) -> u32;
    pub fn sock_getpeeraddr(fd: u32, addr: *const WasiAddress, addr_type: *mut u8, port: *mut u8) -> u32;
    pub fn sock_getlocaladdr_v2(fd: u32, addr: *const WasiAddress, port: *mut u8) -> u32;
    pub fn sock_getaddrinfo(
        node: *const u8,
        node_len: u32,
        service: *const u8,
        service_len: u32,
        hints: *const u8,
        res: *mut u8,
        max_res_len: u32,
        res_len: *mut u8,
    ) -> u32;
    pub fn fd_close(fd: u32) -> u32;
    pub fn fd_fdstat_get(fd: u32, buf: *mut u8) -> u32;
    pub fn fd_fdstat_set_flags(fd: u32, flags: u32) -> u32;
    pub fn poll_oneoff(subs: *const u8, events: *mut u8, nsubscriptions: u32, nevents: *mut u8) -> u32;
    pub fn fd_write(fd: u32, iovs: *const u8, iovs_len: u32, nwritten: *mut u8) -> u32;
    pub fn clock_time_get(id: u32, precision: u64, time: *mut u8) -> u32;
    pub fn args_sizes_get(argc: *mut u8, argv_buf_size: *mut u8) -> u32;
    pub fn proc_exit(code: u32) -> !;
}

/// WASI errno values used by the checks (§2.4).
pub mod errno {
    pub const SUCCESS: u32 = 0;
    pub const ADDRNOTAVAIL: u32 = 4;
    pub const AGAIN: u32 = 6;
    pub const BADF: u32 = 8;
    pub const CONNREFUSED: u32 = 14;
    pub const CONNRESET: u32 = 15;
    pub const EXIST: u32 = 20;
    pub const INPROGRESS: u32 = 26;
    pub const INVAL: u32 = 28;
    pub const NOMEM: u32 = 48;
    pub const NOSYS: u32 = 52;
    pub const NOTCONN: u32 = 53;
    pub const NOTSOCK: u32 = 57;
    pub const NOTCAPABLE: u32 = 76;
    pub const PIPE: u32 = 64;
    pub const AIMEMORY: u32 = 82;
    pub const AINONAME: u32 = 84;
}

/// Address families, socket types and flag values (§3.1).
pub mod consts {
    pub const AF_INET4: u32 = 1;
    pub const AF_INET6: u32 = 2;
    pub const AF_UNIX: u32 = 3;
    pub const SOCK_DGRAM: u32 = 1;
    pub const SOCK_STREAM: u32 = 2;
    pub const FDFLAGS_NONBLOCK: u32 = 4;
    pub const FILETYPE_SOCKET_STREAM: u8 = 6;
    pub const SO_REUSEADDR: u32 = 0;
    pub const SO_TYPE: u32 = 1;
    pub const SO_ERROR: u32 = 2;
    pub const SO_SNDBUF: u32 = 5;
    pub const SO_RCVBUF: u32 = 6;
    pub const RIGHTS_SOCK_OPEN: u64 = 0xF_F800_004A;
    pub const RIGHTS_SOCK_ACCEPTED: u64 = 0xF_1800_004A;
}

/// The 24-byte `__wasi_fdstat_t` (§6), read through `fd_fdstat_get`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fdstat {
    pub filetype: u8,
    pub flags: u16,
    pub rights_base: u64,
    pub rights_inheriting: u64,
}

/// An 8-aligned scratch buffer, as `fd_fdstat_get` and `poll_oneoff` demand.
#[repr(C, align(8))]
pub struct Aligned<const N: usize>(pub [u8; N]);

/// Calls `fd_fdstat_get` with a correctly aligned buffer.
pub fn fdstat(fd: u32) -> Result<Fdstat, u32> {
    let mut buf = Aligned([0u8; 24]);
    let rc = unsafe { fd_fdstat_get(fd, buf.0.as_mut_ptr()) };
    if rc != 0 {
        return Err(rc);
    }
    let b = &buf.0;
    Ok(Fdstat {
        filetype: b[0],
        flags: u16::from_le_bytes([b[2], b[3]]),
        rights_base: u64::from_le_bytes(b[8..16].try_into().unwrap_or_default()),
        rights_inheriting: u64::from_le_bytes(b[16..24].try_into().unwrap_or_default()),
    })
}

/// `sock_open` with an aligned out-pointer; the new fd or the errno.
pub fn open(af: u32, socktype: u32) -> Result<u32, u32> {
    let mut fd: u32 = u32::MAX;
    let rc = unsafe { sock_open(af, socktype, (&mut fd as *mut u32).cast()) };
    if rc == 0 {
        Ok(fd)
    } else {
        Err(rc)
    }
}

/// Calls `sock_bind` or `sock_connect` style functions with a raw address buffer.
pub fn with_address<R>(bytes: &[u8], f: impl FnOnce(*const WasiAddress) -> R) -> R {
    let addr = WasiAddress { buf: bytes.as_ptr().cast_mut(), len: bytes.len() as u32 };
    f(&addr)
}

/// `sock_bind` with a raw (4- or 16-byte, or any test length) address.
pub fn bind(fd: u32, ip: &[u8], port: u16) -> u32 {
    with_address(ip, |a| unsafe { sock_bind(fd, a, u32::from(port)) })
}

/// `sock_connect` with a raw address.
pub fn connect(fd: u32, ip: &[u8], port: u16) -> u32 {
    with_address(ip, |a| unsafe { sock_connect(fd, a, u32::from(port)) })
}

/// `sock_accept` (V1, two parameters): the new fd or the errno.
pub fn accept(fd: u32) -> Result<u32, u32> {
    let mut new_fd: u32 = u32::MAX;
    let rc = unsafe { sock_accept(fd, (&mut new_fd as *mut u32).cast()) };
    if rc == 0 {
        Ok(new_fd)
    } else {
        Err(rc)
    }
}

/// What V1 `sock_getlocaladdr`/`sock_getpeeraddr` return (§4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct V1Addr {
    pub buf: [u8; 16],
    pub addr_type: u32,
    pub port: u32,
}

/// Which side of the socket an address query asks about.
#[derive(Clone, Copy, Debug)]
pub enum Side {
    Local,
    Peer,
}

/// Calls V1 `sock_getlocaladdr` or `sock_getpeeraddr` with a buffer of `len` bytes
/// (at most 16), prefilled with 0xEE so untouched bytes stay visible.
pub fn get_addr(fd: u32, side: Side, len: u32) -> Result<V1Addr, u32> {
    let mut buf = [0xEEu8; 16];
    let addr = WasiAddress { buf: buf.as_mut_ptr(), len };
    let mut addr_type: u32 = SENTINEL;
    let mut port: u32 = SENTINEL;
    let (t, p) = ((&mut addr_type as *mut u32).cast(), (&mut port as *mut u32).cast());
    let rc = unsafe {
        match side {
            Side::Local => sock_getlocaladdr(fd, &addr, t, p),
            Side::Peer => sock_getpeeraddr(fd, &addr, t, p),
        }
    };
    if rc == 0 {
        Ok(V1Addr { buf, addr_type, port })
    } else {
        Err(rc)
    }
}

/// `sock_listen`.
pub fn listen(fd: u32, backlog: i32) -> u32 {
    unsafe { sock_listen(fd, backlog) }
}

/// `fd_fdstat_set_flags`.
pub fn set_flags(fd: u32, flags: u32) -> u32 {
    unsafe { fd_fdstat_set_flags(fd, flags) }
}

/// `fd_close`.
pub fn close(fd: u32) -> u32 {
    unsafe { fd_close(fd) }
}

/// `sock_shutdown`.
pub fn shutdown(fd: u32, how: u32) -> u32 {
    unsafe { sock_shutdown(fd, how) }
}

/// Result of one `sock_recv`: byte count, and the whole 4-byte `ro_flags` word
/// the guest passed (so a case can see that only its low u16 was written).
#[derive(Clone, Copy, Debug)]
pub struct Received {
    pub len: u32,
    pub flags_word: u32,
}

/// Sentinel placed in out-parameters to see which bytes the host wrote.
pub const SENTINEL: u32 = 0xA5A5_A5A5;

/// `sock_recv` into `buf` with one iovec and the given `ri_flags`.
pub fn recv(fd: u32, buf: &mut [u8], flags: u32) -> Result<Received, u32> {
    let iov = Iovec { buf: buf.as_mut_ptr(), len: buf.len() as u32 };
    let mut len: u32 = SENTINEL;
    let mut flags_word: u32 = SENTINEL;
    let rc = unsafe {
        sock_recv(fd, &iov, 1, flags, (&mut len as *mut u32).cast(), (&mut flags_word as *mut u32).cast())
    };
    if rc == 0 {
        Ok(Received { len, flags_word })
    } else {
        Err(rc)
    }
}

/// `sock_send` of `data` with one iovec and the given `si_flags`.
pub fn send(fd: u32, data: &[u8], flags: u32) -> Result<u32, u32> {
    let iov = Iovec { buf: data.as_ptr(), len: data.len() as u32 };
    let mut len: u32 = SENTINEL;
    let rc = unsafe { sock_send(fd, &iov, 1, flags, (&mut len as *mut u32).cast()) };
    if rc == 0 {
        Ok(len)
    } else {
        Err(rc)
    }
}

/// `sock_getsockopt` for an i32 option: (value, size written back).
pub fn getsockopt_i32(fd: u32, level: u32, name: u32) -> Result<(i32, u32), u32> {
    let mut value: i32 = 0x5A5A_5A5A;
    let mut size: u32 = 4;
    let rc = unsafe {
        sock_getsockopt(fd, level, name, (&mut value as *mut i32).cast(), (&mut size as *mut u32).cast())
    };
    if rc == 0 {
        Ok((value, size))
    } else {
        Err(rc)
    }
}

/// `sock_setsockopt` for an i32 option.
pub fn setsockopt_i32(fd: u32, level: u32, name: u32, value: i32) -> u32 {
    unsafe { sock_setsockopt(fd, level, name, (&value as *const i32).cast(), 4) }
}

/// Ends the process with `code` through `proc_exit`.
pub fn exit(code: u32) -> ! {
    unsafe { proc_exit(code) }
}
