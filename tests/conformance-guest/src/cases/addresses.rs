//! §10 checks 5, 6 and 14, plus the V2 storage form: how addresses go in
//! (raw 4/16-byte buffers, V2 128-byte storage) and come out (V1 type 4/6,
//! host-order port) of bind and the address getters.

use crate::abi::{self, consts::*, errno, Side, WasiAddress};
use crate::net::{self, listener, open, Fd, LO4, LO6};
use crate::peer::Peer;
use crate::report::{expect_eq, expect_errno, fail, setup, setup_rc, Outcome};

/// Check 5: bind 127.0.0.1:0, getlocaladdr: type 4, bytes 7f000001 (rest untouched), the
/// kernel's port, proven by a native client connecting to it.
pub fn c05_bind_port0_getlocaladdr_matches_kernel() -> Outcome {
    let fd = open(AF_INET4, SOCK_STREAM)?;
    setup_rc("sock_bind(127.0.0.1, 0)", abi::bind(fd.0, &LO4, 0))?;
    let a = setup("sock_getlocaladdr(16-byte buffer)", abi::get_addr(fd.0, Side::Local, 16))?;
    expect_eq("addr_type (4 for IPv4, §4 getlocaladdr)", 4, a.addr_type)?;
    expect_eq("address bytes [0..4]", LO4.to_vec(), a.buf[..4].to_vec())?;
    expect_eq(
        "bytes [4..16] untouched (§4: rest of the buffer untouched)",
        vec![0xEE; 12],
        a.buf[4..].to_vec(),
    )?;
    if a.port == 0 || a.port > 65535 {
        return fail("a kernel-assigned port in 1..65535", a.port.to_string());
    }
    setup_rc("sock_listen", abi::listen(fd.0, 128))?;
    let mut peer = Peer::connect()?;
    let words = peer.cmd(&format!("CONNECT 127.0.0.1 {}", a.port))?;
    let accepted =
        setup("sock_accept of the native client that connected to the reported port", abi::accept(fd.0))
            .map(Fd)?;
    let local = setup("getlocaladdr of the accepted socket", abi::get_addr(accepted.0, Side::Local, 16))?;
    expect_eq("accepted socket's local port = reported port", a.port, local.port)?;
    if let Some(id) = words.first() {
        peer.cmd(&format!("CLOSE {id}"))?;
    }
    Ok(())
}

/// Check 6: Plain (V1) sock_bind accepts only raw 4/16-byte buffers: 8 bytes and the
/// 128-byte storage form both give INVAL (§1, §3.2).
pub fn c06_v1_bind_rejects_len8_and_storage128() -> Outcome {
    let fd = open(AF_INET4, SOCK_STREAM)?;
    expect_errno(
        "sock_bind with an 8-byte buffer (§4 sock_bind)",
        errno::INVAL,
        abi::bind(fd.0, &[127, 0, 0, 1, 0, 0, 0, 0], 0),
    )?;
    let storage = storage_v4();
    expect_errno(
        "sock_bind with a 128-byte storage buffer (§1: V1 never takes storage)",
        errno::INVAL,
        abi::bind(fd.0, &storage, 0),
    )
}

/// A 128-byte `WasiAddrStorage` for 127.0.0.1 (§3.2): family u16 1, address at [2..6].
fn storage_v4() -> [u8; 128] {
    let mut s = [0u8; 128];
    s[0] = 1;
    s[2..6].copy_from_slice(&LO4);
    s
}

/// §5: `sock_bind_v2` takes the storage form; `sock_getlocaladdr_v2` writes family
/// (WASI enum) at [0..2], the address at [2..] and a host-order u32 port.
pub fn x_v2_bind_storage_and_getlocaladdr_v2() -> Outcome {
    let fd = open(AF_INET4, SOCK_STREAM)?;
    let storage = storage_v4();
    let rc = abi::with_address(&storage, |a| unsafe { abi::sock_bind_v2(fd.0, a, 0) });
    expect_errno("sock_bind_v2 with 128-byte storage (§5)", errno::SUCCESS, rc)?;
    let v1_port = net::local_port(fd.0)?;
    let mut out = [0xEEu8; 128];
    let addr = WasiAddress { buf: out.as_mut_ptr(), len: 128 };
    let mut port: u32 = abi::SENTINEL;
    let rc = unsafe { abi::sock_getlocaladdr_v2(fd.0, &addr, (&mut port as *mut u32).cast()) };
    expect_errno("sock_getlocaladdr_v2 (128-byte buffer)", errno::SUCCESS, rc)?;
    expect_eq("family u16 at [0..2] (WASI enum, §5)", [1u8, 0], [out[0], out[1]])?;
    expect_eq("address at [2..6]", LO4.to_vec(), out[2..6].to_vec())?;
    expect_eq("port (host-order u32, §5) = V1 getlocaladdr port", u32::from(v1_port), port)?;
    let mut short = [0u8; 16];
    let addr = WasiAddress { buf: short.as_mut_ptr(), len: 16 };
    let rc = unsafe { abi::sock_getlocaladdr_v2(fd.0, &addr, (&mut port as *mut u32).cast()) };
    expect_errno("sock_getlocaladdr_v2 with a 16-byte buffer (must be 128, §5)", errno::INVAL, rc)
}

/// Check 14: getpeeraddr on a listener is NOTCONN; an IPv6 address into 4 bytes is
/// NOMEM; a 5-byte buffer is INVAL (§4 getlocaladdr).
pub fn c14_getaddr_errors() -> Outcome {
    let (lst, _) = listener(false)?;
    expect_errno(
        "getpeeraddr on a listener",
        errno::NOTCONN,
        abi::get_addr(lst.0, Side::Peer, 16).err().unwrap_or(0),
    )?;
    let v6 = open(AF_INET6, SOCK_STREAM)?;
    setup_rc("sock_bind(::1, 0)", abi::bind(v6.0, &LO6, 0))?;
    expect_errno(
        "getlocaladdr of an IPv6 socket into a 4-byte buffer",
        errno::NOMEM,
        abi::get_addr(v6.0, Side::Local, 4).err().unwrap_or(0),
    )?;
    expect_errno(
        "getlocaladdr with a 5-byte buffer",
        errno::INVAL,
        abi::get_addr(v6.0, Side::Local, 5).err().unwrap_or(0),
    )
}
