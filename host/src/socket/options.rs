//! `sock_getsockopt` / `sock_setsockopt` (§3.1 option table, §4). Only level
//! 0 (SOL_SOCKET) exists; payloads pass through unchanged except that reads of
//! SO_ERROR and SO_TYPE are translated to WASI values.

use rustix::net::{sockopt, SocketType};
use wasmtime::Caller;

use crate::abi::sock;
use crate::errno::{sock_aligned, Errno};
use crate::host_state::{memory_and_state, HostState};
use crate::sys::{getsockopt_bytes, setsockopt_bytes};

/// Linux option for each WASI `__wasi_sock_opt_so_t` value 0..=14.
const SO_NAMES: [libc::c_int; 15] = [
    libc::SO_REUSEADDR,
    libc::SO_TYPE,
    libc::SO_ERROR,
    libc::SO_DONTROUTE,
    libc::SO_BROADCAST,
    libc::SO_SNDBUF,
    libc::SO_RCVBUF,
    libc::SO_KEEPALIVE,
    libc::SO_OOBINLINE,
    libc::SO_LINGER,
    libc::SO_RCVLOWAT,
    libc::SO_RCVTIMEO,
    libc::SO_SNDTIMEO,
    libc::SO_ACCEPTCONN,
    libc::SO_BINDTODEVICE,
];

/// Validates level and name (`INVAL` otherwise) and returns the Linux name.
fn native_option(level: u32, name: u32) -> Result<libc::c_int, Errno> {
    if level != sock::OPT_LEVEL_SOL_SOCKET {
        return Err(Errno::INVAL);
    }
    SO_NAMES.get(name as usize).copied().ok_or(Errno::INVAL)
}

/// The WASI socket type for a Linux `SO_TYPE` value.
fn wasi_socket_type(native: SocketType) -> i32 {
    match native {
        SocketType::DGRAM => i32::from(sock::TYPE_DGRAM),
        SocketType::STREAM => i32::from(sock::TYPE_STREAM),
        _ => i32::from(sock::TYPE_ANY),
    }
}

/// `sock_getsockopt(fd, level, name, flag, flag_size)`: `*flag_size` holds the
/// capacity on entry and the kernel's length on return.
pub(crate) fn getsockopt(caller: &mut Caller<'_, HostState>, fd: i32, args: [u32; 4]) -> Result<(), Errno> {
    let [level, name, flag, flag_size] = args;
    sock_aligned(flag_size, 4)?;
    let (mut mem, state) = memory_and_state(caller)?;
    let native_name = native_option(level, name)?;
    let capacity = mem.read_u32(flag_size)?;
    let buf = mem.bytes_mut(flag, capacity)?;
    let socket = state.fds.get(fd)?.fd();
    if name == sock::OPT_SO_ERROR || name == sock::OPT_SO_TYPE {
        // The whole int is read (SO_ERROR clears the error, so only once),
        // translated to its WASI value, and what fits of its 4 bytes is given
        // to the guest, as many as the kernel would give. WasmEdge 0.17.0
        // assumes a 4-byte buffer here and crashes on a shorter one.
        let translated = if name == sock::OPT_SO_ERROR {
            match sockopt::socket_error(socket)? {
                Ok(()) => 0,
                Err(pending) => i32::from(Errno::from(pending).0),
            }
        } else {
            wasi_socket_type(sockopt::socket_type(socket)?)
        };
        let fits = buf.len().min(4);
        buf[..fits].copy_from_slice(&translated.to_le_bytes()[..fits]);
        return mem.write_u32(flag_size, fits as u32);
    }
    let len = getsockopt_bytes(socket, native_name, buf)?;
    mem.write_u32(flag_size, len.min(capacity))
}

/// `sock_setsockopt(fd, level, name, flag, flag_size)`: `flag_size` is a
/// value, the payload bytes go to the kernel as they are.
pub(crate) fn setsockopt(caller: &mut Caller<'_, HostState>, fd: i32, args: [u32; 4]) -> Result<(), Errno> {
    let [level, name, flag, flag_size] = args;
    let (mem, state) = memory_and_state(caller)?;
    let native_name = native_option(level, name)?;
    let payload = mem.bytes(flag, flag_size)?;
    setsockopt_bytes(state.fds.get(fd)?.fd(), native_name, payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_level_zero_and_names_up_to_14() {
        assert_eq!(native_option(0, 0), Ok(libc::SO_REUSEADDR));
        assert_eq!(native_option(0, 2), Ok(libc::SO_ERROR));
        assert_eq!(native_option(0, 11), Ok(libc::SO_RCVTIMEO));
        assert_eq!(native_option(0, 14), Ok(libc::SO_BINDTODEVICE));
        assert_eq!(native_option(6, 0), Err(Errno::INVAL));
        assert_eq!(native_option(0, 15), Err(Errno::INVAL));
    }

    #[test]
    fn so_type_reads_as_wasi_socket_type() {
        assert_eq!(wasi_socket_type(SocketType::STREAM), 2);
        assert_eq!(wasi_socket_type(SocketType::DGRAM), 1);
        assert_eq!(wasi_socket_type(SocketType::RAW), 0);
    }
}
