//! Calls made in the wrong socket state (send before connect, listen twice,
//! accept on a connected socket, connect or bind twice, recv on a listener)
//! and enum arguments out of range (family, type, address length, accept
//! flags). The kernel decides most of these and the runtime must pass its
//! errno through by name.

use super::raw::{self, rc};
use crate::abi::{self, consts::*, errno, Aligned};
use crate::net::{guest_pair, listener, open, LO4, LO6};
use crate::report::{expect_errno, setup_rc, Outcome, Reporter};

const PIPE: u32 = errno::PIPE;
const ISCONN: u32 = 30;
const NOTSUP: u32 = 58;
const AFNOSUPPORT: u32 = 5;

/// `(case, body)`: each body checks one call's errno.
type Case = (&'static str, fn() -> Outcome);

const CASES: [Case; 24] = [
    ("send-before-connect-tcp", || {
        let fd = open(AF_INET4, SOCK_STREAM)?;
        expect_errno("sock_send on a fresh TCP socket", PIPE, rc(abi::send(fd.0, b"x", 0)))
    }),
    ("recv-before-connect-tcp", || {
        let fd = open(AF_INET4, SOCK_STREAM)?;
        let mut b = [0u8; 4];
        expect_errno("sock_recv on a fresh TCP socket", errno::NOTCONN, rc(abi::recv(fd.0, &mut b, 0)))
    }),
    ("listen-twice", || {
        let (lst, _) = listener(false)?;
        expect_errno("second sock_listen", errno::SUCCESS, abi::listen(lst.0, 4))
    }),
    ("listen-unbound-autobinds", || {
        let fd = open(AF_INET4, SOCK_STREAM)?;
        expect_errno("sock_listen before bind", errno::SUCCESS, abi::listen(fd.0, 4))
    }),
    ("listen-connected", || {
        let (c, _s) = guest_pair()?;
        expect_errno("sock_listen on a connected socket", errno::INVAL, abi::listen(c.0, 4))
    }),
    ("accept-on-connected", || {
        let (c, _s) = guest_pair()?;
        expect_errno("sock_accept on a connected socket", errno::INVAL, rc(abi::accept(c.0)))
    }),
    ("accept-on-fresh", || {
        let fd = open(AF_INET4, SOCK_STREAM)?;
        expect_errno("sock_accept on a fresh socket", errno::INVAL, rc(abi::accept(fd.0)))
    }),
    ("accept-on-udp", || {
        let fd = open(AF_INET4, SOCK_DGRAM)?;
        expect_errno("sock_accept on UDP", NOTSUP, rc(abi::accept(fd.0)))
    }),
    ("connect-twice", || {
        let (c, _s) = guest_pair()?;
        let (_l, port) = listener(false)?;
        expect_errno("second sock_connect", ISCONN, abi::connect(c.0, &LO4, port))
    }),
    ("connect-on-listener", || {
        let (lst, port) = listener(false)?;
        expect_errno("sock_connect on a listener", ISCONN, abi::connect(lst.0, &LO4, port))
    }),
    ("connect-v6-address-on-v4-socket", || {
        let fd = open(AF_INET4, SOCK_STREAM)?;
        expect_errno("sock_connect(::1) on IPv4", AFNOSUPPORT, abi::connect(fd.0, &LO6, 1))
    }),
    ("connect-address-length-0", || {
        let fd = open(AF_INET4, SOCK_STREAM)?;
        expect_errno("sock_connect with a 0-byte address", errno::INVAL, abi::connect(fd.0, &[], 1))
    }),
    ("bind-twice", || {
        let (lst, _) = listener(false)?;
        expect_errno("second sock_bind", errno::INVAL, abi::bind(lst.0, &LO4, 0))
    }),
    ("bind-after-connect", || {
        let (c, _s) = guest_pair()?;
        expect_errno("sock_bind on a connected socket", errno::INVAL, abi::bind(c.0, &LO4, 0))
    }),
    ("bind-address-length-5", || {
        let fd = open(AF_INET4, SOCK_STREAM)?;
        expect_errno("sock_bind with a 5-byte address", errno::INVAL, abi::bind(fd.0, &[127, 0, 0, 1, 0], 0))
    }),
    ("recv-on-listener", || {
        let (lst, _) = listener(false)?;
        let mut b = [0u8; 4];
        expect_errno("sock_recv on a listener", errno::NOTCONN, rc(abi::recv(lst.0, &mut b, 0)))
    }),
    ("send-on-listener", || {
        let (lst, _) = listener(false)?;
        expect_errno("sock_send on a listener", PIPE, rc(abi::send(lst.0, b"x", 0)))
    }),
    ("getpeeraddr-unconnected", || {
        let fd = open(AF_INET4, SOCK_STREAM)?;
        expect_errno(
            "sock_getpeeraddr on a fresh socket",
            errno::NOTCONN,
            rc(abi::get_addr(fd.0, abi::Side::Peer, 16)),
        )
    }),
    ("open-family-4", || expect_errno("sock_open(4, STREAM)", errno::INVAL, rc(abi::open(4, SOCK_STREAM)))),
    ("open-family-max", || {
        expect_errno("sock_open(2^32-1, STREAM)", errno::INVAL, rc(abi::open(u32::MAX, SOCK_STREAM)))
    }),
    ("open-type-3", || expect_errno("sock_open(INET4, 3)", errno::INVAL, rc(abi::open(AF_INET4, 3)))),
    ("open-type-256", || expect_errno("sock_open(INET4, 256)", errno::INVAL, rc(abi::open(AF_INET4, 256)))),
    ("accept-v2-flags-0x20", || {
        let (lst, _) = listener(false)?;
        let mut out = Aligned([0u8; 4]);
        expect_errno("sock_accept_v2 with fdflags 0x20", errno::INVAL, unsafe {
            abi::sock_accept_v2(lst.0, 0x20, out.0.as_mut_ptr())
        })
    }),
    ("accept-v2-append-flag-nonblocking-listener", || {
        let (lst, _) = listener(false)?;
        setup_rc("set_flags(listener, NONBLOCK)", abi::set_flags(lst.0, FDFLAGS_NONBLOCK))?;
        let mut out = Aligned([0u8; 4]);
        expect_errno("sock_accept_v2 with fdflags APPEND, nothing pending", errno::AGAIN, unsafe {
            abi::sock_accept_v2(lst.0, 1, out.0.as_mut_ptr())
        })
    }),
];

/// Registers `x-state-*`.
pub fn register(r: &mut Reporter) {
    for (name, body) in CASES {
        r.case(&format!("x-state-{name}"), body);
    }
    r.case("x-state-open-v2-listen-v2-tcp6", || {
        let mut out = Aligned([0u8; 4]);
        let rc2 = unsafe { raw::sock_open_v2(AF_INET6, SOCK_STREAM, out.0.as_mut_ptr()) };
        expect_errno("sock_open_v2(INET6, STREAM)", errno::SUCCESS, rc2)?;
        let fd = crate::net::Fd(u32::from_le_bytes(out.0));
        setup_rc("sock_bind(::1, 0)", abi::bind(fd.0, &LO6, 0))?;
        expect_errno("sock_listen_v2", errno::SUCCESS, unsafe { raw::sock_listen_v2(fd.0, 8) })
    });
}
