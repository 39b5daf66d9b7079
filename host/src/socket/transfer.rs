//! Moving bytes: `sock_recv`, `sock_recv_from` (V1 and V2), `sock_send`,
//! `sock_send_to` (§4, §5), through rustix's `recvmsg`/`sendmsg`. This is the
//! hot path of every server: iovecs point straight into guest memory and
//! nothing is allocated per call.

use std::os::fd::BorrowedFd;

use rustix::net::{
    RecvAncillaryBuffer, RecvFlags, ReturnFlags, SendAncillaryBuffer, SendFlags, SocketAddrAny,
};
use wasmtime::Caller;

use super::address::{read_guest_addr, GuestAddr, ReportedAddr, SUN_PATH_LEN};
use crate::abi::{sock, ADDR_STORAGE_SIZE};
use crate::errno::{sock_aligned, Errno};
use crate::guest_memory::{GuestMemory, IoSlices, ReadBuffers};
use crate::host_state::{memory_and_state, HostState};
use crate::sandbox::Action;
use crate::sys::{read_overlapping, OverlappingRead};

/// Validates `ri_flags` (u16, ⊆ {PEEK, WAITALL}) and maps them to MSG_*.
fn recv_flags(ri_flags: u32) -> Result<RecvFlags, Errno> {
    let flags = u32::from(ri_flags as u16);
    if flags & !(sock::RECV_PEEK | sock::RECV_WAITALL) != 0 {
        return Err(Errno::INVAL);
    }
    let mut native = RecvFlags::empty();
    if flags & sock::RECV_PEEK != 0 {
        native |= RecvFlags::PEEK;
    }
    if flags & sock::RECV_WAITALL != 0 {
        native |= RecvFlags::WAITALL;
    }
    Ok(native)
}

/// `si_flags` (u16) must be 0: no send flags are defined.
fn send_flags(si_flags: u32) -> Result<(), Errno> {
    if si_flags as u16 != 0 {
        Err(Errno::INVAL)
    } else {
        Ok(())
    }
}

/// The outcome of one `recvmsg`.
struct Received {
    bytes: usize,
    truncated: bool,
    from: ReportedAddr,
}

/// One `recvmsg` into the guest's buffers; the source address only if
/// `want_addr` (otherwise reported as none).
fn recvmsg(
    fd: BorrowedFd<'_>,
    buffers: ReadBuffers<'_>,
    flags: RecvFlags,
    want_addr: bool,
) -> Result<Received, Errno> {
    match buffers {
        ReadBuffers::Disjoint(mut list) => {
            let msg =
                rustix::net::recvmsg(fd, list.as_mut_slice(), &mut RecvAncillaryBuffer::default(), flags)?;
            Ok(Received {
                bytes: msg.bytes,
                truncated: msg.flags.contains(ReturnFlags::TRUNC),
                from: match msg.address {
                    Some(address) if want_addr => ReportedAddr::from_any(&address),
                    _ => ReportedAddr::None,
                },
            })
        }
        ReadBuffers::Overlapping(mut raw) => {
            let mut name = [0u8; std::mem::size_of::<libc::sockaddr_storage>()];
            let how = OverlappingRead::Recv { flags: flags.bits() as libc::c_int, name: &mut name };
            let got = read_overlapping(fd, &mut raw, how)?;
            Ok(Received {
                bytes: got.bytes,
                truncated: got.msg_flags & libc::MSG_TRUNC != 0,
                from: if want_addr {
                    ReportedAddr::from_sockaddr_bytes(&name[..got.name_len])
                } else {
                    ReportedAddr::None
                },
            })
        }
    }
}

/// `sock_recv(fd, ri_data, ri_data_len, ri_flags, ro_datalen, ro_flags)`
/// (V1 and V2 are identical). An orderly close is SUCCESS with 0 bytes.
pub(crate) fn recv(caller: &mut Caller<'_, HostState>, fd: i32, args: [u32; 5]) -> Result<(), Errno> {
    let [ri_data, ri_data_len, ri_flags, ro_datalen, ro_flags] = args;
    sock_aligned(ri_data, 4)?;
    sock_aligned(ro_datalen, 4)?;
    sock_aligned(ro_flags, 2)?;
    let (mut mem, state) = memory_and_state(caller)?;
    let flags = recv_flags(ri_flags)?;
    mem.check_iovec_array(ri_data, ri_data_len)?;
    mem.check(ro_datalen, 4)?;
    mem.check(ro_flags, 2)?;
    let iovs = mem.iovecs(ri_data, ri_data_len)?;
    let socket = state.fds.get(fd)?.fd();
    let got = recvmsg(socket, mem.read_buffers(&iovs), flags, false)?;
    write_recv_result(&mut mem, ro_datalen, ro_flags, &got)
}

fn write_recv_result(
    mem: &mut GuestMemory,
    ro_datalen: u32,
    ro_flags: u32,
    got: &Received,
) -> Result<(), Errno> {
    mem.write_u32(ro_datalen, got.bytes as u32)?;
    let flags = if got.truncated { sock::RECV_DATA_TRUNCATED } else { 0 };
    mem.write_u16(ro_flags, flags)
}

/// `sock_recv_from` V1 (7 parameters): the source address is copied raw into
/// the buffer only if it fits; no family, no port.
pub(crate) fn recv_from_v1(caller: &mut Caller<'_, HostState>, fd: i32, args: [u32; 6]) -> Result<(), Errno> {
    let [ri_data, ri_data_len, addr, ri_flags, ro_datalen, ro_flags] = args;
    sock_aligned(addr, 4)?;
    sock_aligned(ri_data, 4)?;
    sock_aligned(ro_datalen, 4)?;
    sock_aligned(ro_flags, 2)?;
    let (mut mem, state) = memory_and_state(caller)?;
    let addr_buf = mem.read_u32(addr)?;
    let addr_len = mem.read_u32(addr.checked_add(4).ok_or(Errno::FAULT)?)?;
    mem.check(addr_buf, addr_len)?;
    let flags = recv_flags(ri_flags)?;
    mem.check_iovec_array(ri_data, ri_data_len)?;
    mem.check(ro_datalen, 4)?;
    mem.check(ro_flags, 2)?;
    let iovs = mem.iovecs(ri_data, ri_data_len)?;
    let socket = state.fds.get(fd)?.fd();
    let got = recvmsg(socket, mem.read_buffers(&iovs), flags, addr_len > 0)?;
    let target = mem.bytes_mut(addr_buf, addr_len)?;
    copy_source_address(&got.from, target)?;
    write_recv_result(&mut mem, ro_datalen, ro_flags, &got)
}

/// Copies the bare source address into `target` if it fits (WasmEdge's
/// `sockRecvFrom`). AF_UNIX needs room for the whole `sun_path` (`INVAL`).
fn copy_source_address(from: &ReportedAddr, target: &mut [u8]) -> Result<(), Errno> {
    match from {
        ReportedAddr::V4 { ip, .. } if target.len() >= 4 => target[..4].copy_from_slice(ip),
        ReportedAddr::V6 { ip, .. } if target.len() >= 16 => target[..16].copy_from_slice(ip),
        ReportedAddr::Unix { path } => {
            if target.len() < SUN_PATH_LEN {
                return Err(Errno::INVAL);
            }
            target[..SUN_PATH_LEN].copy_from_slice(path);
        }
        ReportedAddr::Other => return Err(Errno::NOSYS),
        _ => {}
    }
    Ok(())
}

/// `sock_recv_from_v2` (8 parameters), what `wasmedge_wasi_socket` 0.5
/// imports. The 128-byte form gets the family at [0..2] and the address at
/// [2..]. `*ro_port` is the raw network-order `sin_port` (WasmEdge bug #2491:
/// the guest sees the port byte-swapped).
pub(crate) fn recv_from_v2(caller: &mut Caller<'_, HostState>, fd: i32, args: [u32; 7]) -> Result<(), Errno> {
    let [ri_data, ri_data_len, addr, ri_flags, ro_port, ro_datalen, ro_flags] = args;
    sock_aligned(ri_data, 4)?;
    sock_aligned(addr, 4)?;
    sock_aligned(ro_port, 2)?;
    sock_aligned(ro_datalen, 4)?;
    sock_aligned(ro_flags, 2)?;
    let (mut mem, state) = memory_and_state(caller)?;
    let addr_buf = mem.read_u32(addr)?;
    let addr_len = mem.read_u32(addr.checked_add(4).ok_or(Errno::FAULT)?)?;
    mem.check(addr_buf, addr_len)?;
    let storage = match addr_len {
        4 | 16 => false,
        ADDR_STORAGE_SIZE => true,
        _ => return Err(Errno::INVAL),
    };
    let flags = recv_flags(ri_flags)?;
    if ri_data_len > crate::abi::IOV_MAX {
        return Err(Errno::INVAL);
    }
    mem.check(ro_port, 2)?;
    mem.check_iovec_array(ri_data, ri_data_len)?;
    mem.check(ro_datalen, 4)?;
    mem.check(ro_flags, 2)?;
    let iovs = mem.iovecs(ri_data, ri_data_len)?;
    let socket = state.fds.get(fd)?.fd();
    let got = recvmsg(socket, mem.read_buffers(&iovs), flags, true)?;
    let (addr_start, addr_room) = if storage { (addr_buf + 2, addr_len - 2) } else { (addr_buf, addr_len) };
    copy_source_address(&got.from, mem.bytes_mut(addr_start, addr_room)?)?;
    match &got.from {
        ReportedAddr::V4 { port, .. } | ReportedAddr::V6 { port, .. } => {
            // Raw sin_port bytes: network order, as WasmEdge stores them.
            mem.write_bytes(ro_port, &port.to_be_bytes())?;
        }
        _ => {}
    }
    if storage {
        mem.write_u16(addr_buf, u16::from(got.from.wasi_family()))?;
    }
    write_recv_result(&mut mem, ro_datalen, ro_flags, &got)
}

/// One `sendmsg` from the guest's buffers, to `to` if given. MSG_NOSIGNAL: a
/// reset peer gives EPIPE, never SIGPIPE (§4).
fn sendmsg(fd: BorrowedFd<'_>, buffers: IoSlices<'_>, to: Option<&SocketAddrAny>) -> Result<usize, Errno> {
    let mut control = SendAncillaryBuffer::default();
    let sent = match to {
        Some(to) => rustix::net::sendmsg_addr(fd, to, buffers.as_slice(), &mut control, SendFlags::NOSIGNAL),
        None => rustix::net::sendmsg(fd, buffers.as_slice(), &mut control, SendFlags::NOSIGNAL),
    };
    Ok(sent?)
}

/// `sock_send(fd, si_data, si_data_len, si_flags, so_datalen)` (V1 and V2
/// are identical). Partial writes are possible.
pub(crate) fn send(caller: &mut Caller<'_, HostState>, fd: i32, args: [u32; 4]) -> Result<(), Errno> {
    let [si_data, si_data_len, si_flags, so_datalen] = args;
    sock_aligned(si_data, 4)?;
    sock_aligned(so_datalen, 4)?;
    let (mut mem, state) = memory_and_state(caller)?;
    send_flags(si_flags)?;
    mem.check_iovec_array(si_data, si_data_len)?;
    mem.check(so_datalen, 4)?;
    let iovs = mem.iovecs(si_data, si_data_len)?;
    let socket = state.fds.get(fd)?.fd();
    let sent = sendmsg(socket, mem.io_slices(&iovs), None)?;
    mem.write_u32(so_datalen, sent as u32)
}

/// `sock_send_to(fd, si_data, si_data_len, addr, port, si_flags, so_datalen)`:
/// raw 4/16-byte address only.
///
/// `sock_send_to_v2`: also the 128-byte storage form.
pub(crate) fn send_to(
    caller: &mut Caller<'_, HostState>,
    fd: i32,
    args: [u32; 6],
    v2: bool,
) -> Result<(), Errno> {
    let [si_data, si_data_len, addr, port, si_flags, so_datalen] = args;
    sock_aligned(addr, 4)?;
    sock_aligned(si_data, 4)?;
    sock_aligned(so_datalen, 4)?;
    let (mut mem, state) = memory_and_state(caller)?;
    let dest: GuestAddr = read_guest_addr(&mem, addr, v2)?;
    send_flags(si_flags)?;
    mem.check_iovec_array(si_data, si_data_len)?;
    mem.check(so_datalen, 4)?;
    let iovs = mem.iovecs(si_data, si_data_len)?;
    let socket = state.fds.get(fd)?.fd();
    let port = port as u16;
    state.sandbox.check(Action::Connect, dest.socket_addr(port))?;
    let native = dest.to_native(port)?;
    let sent = sendmsg(socket, mem.io_slices(&iovs), Some(&native))?;
    mem.write_u32(so_datalen, sent as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recv_flags_accept_peek_and_waitall_only() {
        assert_eq!(recv_flags(0), Ok(RecvFlags::empty()));
        assert_eq!(recv_flags(1).map(|f| f.bits() as i32), Ok(libc::MSG_PEEK));
        assert_eq!(recv_flags(3).map(|f| f.bits() as i32), Ok(libc::MSG_PEEK | libc::MSG_WAITALL));
        assert_eq!(recv_flags(4), Err(Errno::INVAL));
        // WasmEdge truncates riflags to u16 before checking.
        assert_eq!(recv_flags(0x1_0000), Ok(RecvFlags::empty()));
    }

    #[test]
    fn any_send_flag_is_inval() {
        assert_eq!(send_flags(0), Ok(()));
        assert_eq!(send_flags(1), Err(Errno::INVAL));
        assert_eq!(send_flags(0x1_0000), Ok(()));
    }

    #[test]
    fn source_address_is_copied_only_when_it_fits() {
        let from = ReportedAddr::V4 { ip: [10, 0, 0, 1], port: 9 };
        let mut small = [0u8; 3];
        copy_source_address(&from, &mut small).unwrap();
        assert_eq!(small, [0, 0, 0]);
        let mut room = [0xAAu8; 16];
        copy_source_address(&from, &mut room).unwrap();
        assert_eq!(&room[..4], &[10, 0, 0, 1]);
        assert_eq!(room[4], 0xAA, "bytes after the address stay untouched");
        let v6 = ReportedAddr::V6 { ip: [1; 16], port: 9 };
        let mut four = [0u8; 4];
        copy_source_address(&v6, &mut four).unwrap();
        assert_eq!(four, [0; 4]);
    }

    #[test]
    fn overlapping_buffers_are_filled_in_order_like_the_kernel_does() {
        use rustix::net::{socketpair, AddressFamily, SocketFlags, SocketType};
        use std::os::fd::AsFd;
        let (a, b) = socketpair(AddressFamily::UNIX, SocketType::DGRAM, SocketFlags::empty(), None).unwrap();
        rustix::net::send(&a, b"abcdefgh", SendFlags::empty()).unwrap();
        let mut raw = vec![0u8; 256];
        // Two iovecs at 64: (100, 4) and (102, 4), sharing bytes 102..104.
        raw[64..80].copy_from_slice(&[100, 0, 0, 0, 4, 0, 0, 0, 102, 0, 0, 0, 4, 0, 0, 0]);
        let mut mem = GuestMemory::new(&mut raw);
        let iovs = mem.iovecs(64, 2).unwrap();
        let buffers = mem.read_buffers(&iovs);
        assert!(matches!(buffers, ReadBuffers::Overlapping(_)));
        let got = recvmsg(b.as_fd(), buffers, RecvFlags::empty(), false).unwrap();
        assert_eq!((got.bytes, got.truncated), (8, false));
        assert_eq!(&raw[100..106], b"abefgh");
    }
}
