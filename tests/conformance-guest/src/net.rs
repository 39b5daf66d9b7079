//! Socket set-ups that many cases share: loopback listeners, a connected pair
//! inside the guest, and a connection accepted from the native peer.
//!
//! Everything here goes through the raw imports of [`crate::abi`], so a
//! set-up step that the host gets wrong fails the case with the step's name.

use crate::abi::{self, consts::*, Side};
use crate::peer::Peer;
use crate::report::{fail, setup, setup_rc, Failure};

/// 127.0.0.1 as a raw V1 address buffer.
pub const LO4: [u8; 4] = [127, 0, 0, 1];
/// ::1 as a raw V1 address buffer.
pub const LO6: [u8; 16] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

/// A socket fd that is closed (plain `fd_close`) when dropped.
#[derive(Debug)]
pub struct Fd(pub u32);

impl Drop for Fd {
    fn drop(&mut self) {
        abi::close(self.0);
    }
}

/// Opens a socket of family `af` and type `ty`.
pub fn open(af: u32, ty: u32) -> Result<Fd, Failure> {
    setup(&format!("sock_open({af},{ty})"), abi::open(af, ty)).map(Fd)
}

/// The host-order port a socket is bound to, via V1 `sock_getlocaladdr`.
pub fn local_port(fd: u32) -> Result<u16, Failure> {
    let a = setup("sock_getlocaladdr", abi::get_addr(fd, Side::Local, 16))?;
    Ok(a.port as u16)
}

/// A TCP listener on 127.0.0.1 (or ::1 with `v6`), port 0, backlog 128; with its port.
pub fn listener(v6: bool) -> Result<(Fd, u16), Failure> {
    let (af, ip): (u32, &[u8]) = if v6 { (AF_INET6, &LO6) } else { (AF_INET4, &LO4) };
    let fd = open(af, SOCK_STREAM)?;
    setup_rc("sock_bind(loopback, 0)", abi::bind(fd.0, ip, 0))?;
    setup_rc("sock_listen(128)", abi::listen(fd.0, 128))?;
    let port = local_port(fd.0)?;
    Ok((fd, port))
}

/// A connected TCP pair inside the guest: (client, server side as accepted).
pub fn guest_pair() -> Result<(Fd, Fd), Failure> {
    let (lst, port) = listener(false)?;
    let client = open(AF_INET4, SOCK_STREAM)?;
    setup_rc("blocking sock_connect to the guest listener", abi::connect(client.0, &LO4, port))?;
    let server = setup("sock_accept", abi::accept(lst.0)).map(Fd)?;
    Ok((client, server))
}

/// A connection from the native peer, accepted by a guest listener.
pub struct NativeConn {
    /// The guest's (accepted) end.
    pub fd: Fd,
    /// The peer's id for its end (for SEND/CLOSE/RST/READ).
    pub peer_id: u32,
    /// The peer's local port, as the peer's kernel reports it.
    pub peer_port: u16,
}

/// Has the native peer connect to a new guest listener, and accepts it.
pub fn native_conn(peer: &mut Peer) -> Result<NativeConn, Failure> {
    let (lst, port) = listener(false)?;
    let words = peer.cmd(&format!("CONNECT 127.0.0.1 {port}"))?;
    let (peer_id, peer_port) =
        match (words.first().and_then(|w| w.parse().ok()), words.get(1).and_then(|w| w.parse().ok())) {
            (Some(id), Some(p)) => (id, p),
            _ => return fail("CONNECT reply `<id> <port>`", format!("{words:?}")),
        };
    let fd = setup("sock_accept of the native connection", abi::accept(lst.0)).map(Fd)?;
    Ok(NativeConn { fd, peer_id, peer_port })
}

/// A loopback UDP socket bound to port 0; with its port.
pub fn udp_socket() -> Result<(Fd, u16), Failure> {
    let fd = open(AF_INET4, SOCK_DGRAM)?;
    setup_rc("sock_bind(127.0.0.1, 0) on UDP", abi::bind(fd.0, &LO4, 0))?;
    let port = local_port(fd.0)?;
    Ok((fd, port))
}

/// A TCP port on 127.0.0.1 that is bound (so nobody else takes it) but not listening.
pub fn closed_port() -> Result<(Fd, u16), Failure> {
    let fd = open(AF_INET4, SOCK_STREAM)?;
    setup_rc("sock_bind(127.0.0.1, 0)", abi::bind(fd.0, &LO4, 0))?;
    let port = local_port(fd.0)?;
    Ok((fd, port))
}

/// Receives until `want` bytes or end of stream on a blocking socket.
pub fn recv_exact(fd: u32, want: usize) -> Result<Vec<u8>, Failure> {
    let mut out = Vec::with_capacity(want);
    while out.len() < want {
        let mut buf = vec![0u8; want - out.len()];
        let r = setup("sock_recv", abi::recv(fd, &mut buf, 0))?;
        if r.len == 0 {
            break;
        }
        out.extend_from_slice(&buf[..r.len as usize]);
    }
    Ok(out)
}
