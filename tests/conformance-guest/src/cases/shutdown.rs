//! `sock_shutdown` in every direction, observed from the native peer (its
//! reads see end of stream or data) and from the guest (recv after SHUT_RD,
//! send after SHUT_WR), plus the `how` values and the socket kinds shutdown
//! accepts.

use super::raw::rc;
use crate::abi::{self, consts::*, errno};
use crate::net::{guest_pair, listener, native_conn, open, udp_socket, LO4};
use crate::peer::{hex, Peer};
use crate::report::{expect_eq, expect_errno, setup, setup_rc, Outcome, Reporter};

/// The peer reads up to 16 bytes within `ms`: (hex or "-", eof "0"/"1").
fn peer_read(peer: &mut Peer, id: u32, ms: u32) -> Result<(String, String), crate::report::Failure> {
    let w = peer.cmd(&format!("READ {id} 16 {ms}"))?;
    Ok((w.first().cloned().unwrap_or_default(), w.get(1).cloned().unwrap_or_default()))
}

fn shut_wr_peer_sees_eof() -> Outcome {
    let mut peer = Peer::connect()?;
    let c = native_conn(&mut peer)?;
    expect_errno("sock_shutdown(WR)", errno::SUCCESS, abi::shutdown(c.fd.0, 2))?;
    expect_eq(
        "peer read (data, eof)",
        ("-".to_string(), "1".to_string()),
        peer_read(&mut peer, c.peer_id, 2000)?,
    )?;
    peer.cmd(&format!("SEND {} {}", c.peer_id, hex(b"late")))?;
    let got = crate::net::recv_exact(c.fd.0, 4)?;
    expect_eq("guest still receives after SHUT_WR", b"late".to_vec(), got)?;
    expect_errno("sock_send after SHUT_WR", errno::PIPE, rc(abi::send(c.fd.0, b"x", 0)))
}

fn shut_rd_recv_zero_peer_still_reads() -> Outcome {
    let mut peer = Peer::connect()?;
    let c = native_conn(&mut peer)?;
    expect_errno("sock_shutdown(RD)", errno::SUCCESS, abi::shutdown(c.fd.0, 1))?;
    let mut b = [0u8; 4];
    let r = setup("sock_recv after SHUT_RD", abi::recv(c.fd.0, &mut b, 0))?;
    expect_eq("bytes received after SHUT_RD", 0, r.len)?;
    setup("sock_send after SHUT_RD", abi::send(c.fd.0, b"ok", 0))?;
    expect_eq("peer read (data, eof)", (hex(b"ok"), "0".to_string()), peer_read(&mut peer, c.peer_id, 2000)?)
}

fn shut_rdwr_peer_eof_send_pipe() -> Outcome {
    let mut peer = Peer::connect()?;
    let c = native_conn(&mut peer)?;
    expect_errno("sock_shutdown(RDWR)", errno::SUCCESS, abi::shutdown(c.fd.0, 3))?;
    expect_eq(
        "peer read (data, eof)",
        ("-".to_string(), "1".to_string()),
        peer_read(&mut peer, c.peer_id, 2000)?,
    )?;
    expect_errno("sock_send after SHUT_RDWR", errno::PIPE, rc(abi::send(c.fd.0, b"x", 0)))?;
    let mut b = [0u8; 4];
    let r = setup("sock_recv after SHUT_RDWR", abi::recv(c.fd.0, &mut b, 0))?;
    expect_eq("bytes received after SHUT_RDWR", 0, r.len)
}

fn shut_wr_twice() -> Outcome {
    let (c, _s) = guest_pair()?;
    setup_rc("first sock_shutdown(WR)", abi::shutdown(c.0, 2))?;
    expect_errno("second sock_shutdown(WR)", errno::SUCCESS, abi::shutdown(c.0, 2))
}

fn shut_wr_pair_recv_eof() -> Outcome {
    let (c, s) = guest_pair()?;
    setup_rc("client sock_shutdown(WR)", abi::shutdown(c.0, 2))?;
    let mut b = [0u8; 4];
    let r = setup("server sock_recv", abi::recv(s.0, &mut b, 0))?;
    expect_eq("server receives end of stream (0 bytes)", 0, r.len)
}

fn how_values() -> Outcome {
    let (c, _s) = guest_pair()?;
    expect_errno("how 4", errno::INVAL, abi::shutdown(c.0, 4))?;
    expect_errno("how 2^32-1", errno::INVAL, abi::shutdown(c.0, u32::MAX))?;
    expect_errno("how 8", errno::INVAL, abi::shutdown(c.0, 8))?;
    expect_errno("how 3", errno::SUCCESS, abi::shutdown(c.0, 3))
}

fn listener_rd_stops_listening() -> Outcome {
    let (lst, _) = listener(false)?;
    expect_errno("sock_shutdown(RD) on a listener", errno::SUCCESS, abi::shutdown(lst.0, 1))?;
    expect_errno("sock_accept after it", errno::INVAL, rc(abi::accept(lst.0)))
}

fn listener_wr() -> Outcome {
    let (lst, _) = listener(false)?;
    expect_errno(
        "sock_shutdown(WR) on a listener (Linux accepts it)",
        errno::SUCCESS,
        abi::shutdown(lst.0, 2),
    )
}

fn udp_unconnected_and_connected() -> Outcome {
    let (u, port) = udp_socket()?;
    expect_errno("sock_shutdown on unconnected UDP", errno::NOTCONN, abi::shutdown(u.0, 3))?;
    let v = open(AF_INET4, SOCK_DGRAM)?;
    setup_rc("sock_connect(UDP)", abi::connect(v.0, &LO4, port))?;
    expect_errno("sock_shutdown on connected UDP", errno::SUCCESS, abi::shutdown(v.0, 3))
}

fn how0_unconnected() -> Outcome {
    let fd = open(AF_INET4, SOCK_STREAM)?;
    expect_errno("sock_shutdown(0) on a fresh socket", errno::NOTCONN, abi::shutdown(fd.0, 0))
}

/// Registers `x-shutdown-*`.
pub fn register(r: &mut Reporter) {
    r.case("x-shutdown-wr-peer-sees-eof-native", shut_wr_peer_sees_eof);
    r.case("x-shutdown-rd-recv-zero-peer-reads-native", shut_rd_recv_zero_peer_still_reads);
    r.case("x-shutdown-rdwr-peer-eof-send-pipe-native", shut_rdwr_peer_eof_send_pipe);
    r.case("x-shutdown-wr-twice-guest-pair", shut_wr_twice);
    r.case("x-shutdown-wr-recv-eof-guest-pair", shut_wr_pair_recv_eof);
    r.case("x-shutdown-how-values-guest-pair", how_values);
    r.case("x-shutdown-listener-rd-stops-listening", listener_rd_stops_listening);
    r.case("x-shutdown-listener-wr", listener_wr);
    r.case("x-shutdown-udp", udp_unconnected_and_connected);
    r.case("x-shutdown-how0-unconnected", how0_unconnected);
}
