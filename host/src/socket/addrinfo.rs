//! `sock_getaddrinfo` (§3.3, §4): name resolution through the OS resolver
//! (libc `getaddrinfo` in [`super::resolver`], so /etc/hosts, /etc/services
//! and DNS all apply), written into the guest's preallocated chain of records
//! without ever touching its pointers.

use std::ffi::CString;

use wasmtime::Caller;

use crate::abi::{sock, ADDRINFO_SIZE, SOCKADDR_SIZE};
use crate::errno::{sock_aligned, Errno};
use crate::guest_memory::GuestMemory;
use crate::host_state::{memory_and_state, HostState};

use super::resolver::{self, AddrInfoList, Record};

// Field offsets in `__wasi_addrinfo_t` and `__wasi_sockaddr_t`.
const AI_FLAGS: u32 = 0;
const AI_FAMILY: u32 = 2;
const AI_SOCKTYPE: u32 = 3;
const AI_PROTOCOL: u32 = 4;
const AI_ADDRLEN: u32 = 8;
const AI_ADDR: u32 = 12;
const AI_CANONNAME: u32 = 16;
const AI_CANONNAME_LEN: u32 = 20;
const AI_NEXT: u32 = 24;
const SA_FAMILY: u32 = 0;
const SA_DATA_LEN: u32 = 4;
const SA_DATA: u32 = 8;

/// WASI `ai_flags` ↔ Linux `AI_*`.
const FLAG_MAP: [(u16, libc::c_int); 7] = [
    (sock::AI_PASSIVE, libc::AI_PASSIVE),
    (sock::AI_CANONNAME, libc::AI_CANONNAME),
    (sock::AI_NUMERICHOST, libc::AI_NUMERICHOST),
    (sock::AI_NUMERICSERV, libc::AI_NUMERICSERV),
    (sock::AI_V4MAPPED, libc::AI_V4MAPPED),
    (sock::AI_ALL, libc::AI_ALL),
    (sock::AI_ADDRCONFIG, libc::AI_ADDRCONFIG),
];

fn to_native_flags(flags: u16) -> libc::c_int {
    FLAG_MAP.iter().filter(|(w, _)| flags & w != 0).fold(0, |acc, (_, n)| acc | n)
}

fn from_native_flags(flags: libc::c_int) -> u16 {
    FLAG_MAP.iter().filter(|(_, n)| flags & n != 0).fold(0, |acc, (w, _)| acc | w)
}

fn from_native_family(family: libc::c_int) -> u8 {
    match family {
        libc::AF_INET => sock::AF_INET4,
        libc::AF_INET6 => sock::AF_INET6,
        libc::AF_UNIX => sock::AF_UNIX,
        _ => sock::AF_UNSPEC,
    }
}

fn from_native_socktype(ty: libc::c_int) -> u8 {
    match ty {
        libc::SOCK_DGRAM => sock::TYPE_DGRAM,
        libc::SOCK_STREAM => sock::TYPE_STREAM,
        _ => sock::TYPE_ANY,
    }
}

fn from_native_protocol(proto: libc::c_int) -> u8 {
    match proto {
        libc::IPPROTO_TCP => sock::PROTO_TCP,
        libc::IPPROTO_UDP => sock::PROTO_UDP,
        _ => sock::PROTO_IP,
    }
}

/// The string a guest byte range stands for: empty range = NULL, otherwise
/// the bytes up to the first NUL (the guest includes a trailing NUL).
fn c_string(bytes: &[u8]) -> Option<CString> {
    if bytes.is_empty() {
        return None;
    }
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    CString::new(&bytes[..end]).ok()
}

/// Checks one guest record and everything it points to (FAULT if any part
/// is out of bounds).
fn check_record(mem: &GuestMemory, record: u32) -> Result<(), Errno> {
    mem.check(record, ADDRINFO_SIZE)?;
    let addr = mem.read_u32(record + AI_ADDR)?;
    mem.check(addr, SOCKADDR_SIZE)?;
    mem.check(mem.read_u32(addr + SA_DATA)?, mem.read_u32(addr + SA_DATA_LEN)?)?;
    mem.check(mem.read_u32(record + AI_CANONNAME)?, mem.read_u32(record + AI_CANONNAME_LEN)?)
}

/// Validates the first `max` records of the chain starting at `first` and
/// returns the addresses of up to `keep` of them. A chain that loops back on
/// itself is detected (Brent's algorithm): from then on it only repeats
/// records already checked, so a huge `max` cannot stall the host.
fn walk_chain(mem: &GuestMemory, first: u32, max: u32, keep: usize) -> Result<Vec<u32>, Errno> {
    let mut kept = Vec::with_capacity(keep.min(max as usize));
    let (mut tortoise, mut power, mut steps) = (first, 1u64, 0u64);
    let mut record = first;
    for i in 0..max {
        if i > 0 && record == tortoise {
            break;
        }
        check_record(mem, record)?;
        if kept.len() < keep {
            kept.push(record);
        }
        let next = mem.read_u32(record + AI_NEXT)?;
        steps += 1;
        if steps == power {
            tortoise = record;
            power *= 2;
            steps = 0;
        }
        record = next;
    }
    Ok(kept)
}

/// Reads the hints and validates them in WasmEdge's order.
fn read_hints(mem: &GuestMemory, hints: u32, node_empty: bool) -> Result<libc::addrinfo, Errno> {
    let flags = mem.read_u16(hints + AI_FLAGS)?;
    let family = mem.read_u8(hints + AI_FAMILY)?;
    let socktype = mem.read_u8(hints + AI_SOCKTYPE)?;
    let protocol = mem.read_u8(hints + AI_PROTOCOL)?;
    let addrlen = mem.read_u32(hints + AI_ADDRLEN)?;
    if flags & !sock::AI_ALL_FLAGS != 0 || (flags & sock::AI_CANONNAME != 0 && node_empty) {
        return Err(Errno::AIBADFLAG);
    }
    let family = match family {
        sock::AF_UNSPEC => libc::AF_UNSPEC,
        sock::AF_INET4 => libc::AF_INET,
        sock::AF_INET6 => libc::AF_INET6,
        _ => return Err(Errno::AIFAMILY),
    };
    let protocol = match protocol {
        sock::PROTO_IP => libc::IPPROTO_IP,
        sock::PROTO_TCP => libc::IPPROTO_TCP,
        sock::PROTO_UDP => libc::IPPROTO_UDP,
        _ => return Err(Errno::NOSYS),
    };
    let socktype = match socktype {
        sock::TYPE_ANY => 0,
        sock::TYPE_DGRAM => libc::SOCK_DGRAM,
        sock::TYPE_STREAM => libc::SOCK_STREAM,
        _ => return Err(Errno::NOSYS),
    };
    let mut native = resolver::hints(to_native_flags(flags), family, socktype, protocol);
    native.ai_addrlen = addrlen;
    Ok(native)
}

/// `sock_getaddrinfo(node, node_len, service, service_len, hints, res,
/// max_res_len, res_len)`.
pub(crate) fn getaddrinfo(caller: &mut Caller<'_, HostState>, args: [u32; 8]) -> Result<(), Errno> {
    let [node, node_len, service, service_len, hints, res, max, res_len] = args;
    sock_aligned(hints, 4)?;
    sock_aligned(res, 4)?;
    sock_aligned(res_len, 4)?;
    let (mut mem, _state) = memory_and_state(caller)?;
    let node_bytes = mem.bytes(node, node_len)?;
    let service_bytes = mem.bytes(service, service_len)?;
    mem.check(hints, ADDRINFO_SIZE)?;
    mem.check(res, 4)?;
    mem.check(res_len, 4)?;
    if node_bytes.is_empty() && service_bytes.is_empty() {
        return Err(Errno::AINONAME);
    }
    if max < 1 {
        return Err(Errno::AIMEMORY);
    }
    let native_hints = read_hints(&mem, hints, node_bytes.is_empty())?;
    let node_c = c_string(node_bytes);
    let service_c = c_string(service_bytes);
    let first = mem.read_u32(res)?;
    walk_chain(&mem, first, max, 0)?;

    let list =
        resolver::resolve(node_c.as_deref(), service_c.as_deref(), &native_hints).map_err(Errno::from_eai)?;
    let count = list.records().count();
    let records = walk_chain(&mem, first, max, count)?;
    let written = write_results(&mut mem, &list, &records)?;
    mem.write_u32(res_len, written)
}

/// Writes the resolver's records into the guest records; returns how many.
fn write_results(mem: &mut GuestMemory, list: &AddrInfoList, records: &[u32]) -> Result<u32, Errno> {
    let mut written = 0u32;
    for (&record, info) in records.iter().zip(list.records()) {
        mem.write_u16(record + AI_FLAGS, from_native_flags(info.flags))?;
        mem.write_u8(record + AI_FAMILY, from_native_family(info.family))?;
        mem.write_u8(record + AI_SOCKTYPE, from_native_socktype(info.socktype))?;
        mem.write_u8(record + AI_PROTOCOL, from_native_protocol(info.protocol))?;
        mem.write_u32(record + AI_ADDRLEN, info.addrlen)?;
        write_canonname(mem, record, &info)?;
        if let Some(native) = info.addr {
            write_sockaddr(mem, mem.read_u32(record + AI_ADDR)?, native)?;
        }
        written += 1;
    }
    Ok(written)
}

/// `ai_canonname_len` = strlen; the name and its NUL are copied, bounded by
/// the buffer length the guest declared (WasmEdge does not bound it).
fn write_canonname(mem: &mut GuestMemory, record: u32, info: &Record<'_>) -> Result<(), Errno> {
    let Some(name) = info.canonname else {
        return mem.write_u32(record + AI_CANONNAME_LEN, 0);
    };
    let name = name.to_bytes_with_nul();
    let target = mem.read_u32(record + AI_CANONNAME)?;
    let room = mem.read_u32(record + AI_CANONNAME_LEN)? as usize;
    let copy = name.len().min(room);
    mem.write_bytes(target, &name[..copy])?;
    mem.write_u32(record + AI_CANONNAME_LEN, (name.len() - 1) as u32)
}

/// `sa_family`, `sa_data_len` (14 or 26) and `sa_data` = the native sockaddr
/// from `sin_port` on (big-endian port first). Like WasmEdge, the full 14/26
/// bytes are written even if the guest preset a smaller `sa_data_len` (wws
/// allocates 26 and presets 14), but never past the end of linear memory.
fn write_sockaddr(mem: &mut GuestMemory, sockaddr: u32, native: &[u8]) -> Result<(), Errno> {
    let &[f0, f1, ..] = native else {
        return Ok(());
    };
    let family = i32::from(u16::from_ne_bytes([f0, f1]));
    let size: usize = match family {
        libc::AF_INET => 14,
        libc::AF_INET6 => 26,
        _ => return Ok(()),
    };
    mem.write_u8(sockaddr + SA_FAMILY, from_native_family(family))?;
    let data = mem.read_u32(sockaddr + SA_DATA)?;
    let declared = mem.read_u32(sockaddr + SA_DATA_LEN)? as usize;
    let payload = &native[2..(2 + size).min(native.len())];
    let fits = mem.contains(data, payload.len() as u32);
    let copy = if fits { payload.len() } else { payload.len().min(declared) };
    mem.write_bytes(data, &payload[..copy])?;
    mem.write_u32(sockaddr + SA_DATA_LEN, size as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_round_trip_between_wasi_and_linux() {
        for (wasi, native) in FLAG_MAP {
            assert_eq!(to_native_flags(wasi), native);
            assert_eq!(from_native_flags(native), wasi);
        }
        assert_eq!(to_native_flags(0), 0);
    }

    #[test]
    fn guest_strings_stop_at_the_first_nul() {
        assert_eq!(c_string(b""), None);
        assert_eq!(c_string(b"localhost\0").unwrap().as_bytes(), b"localhost");
        assert_eq!(c_string(b"http").unwrap().as_bytes(), b"http");
        assert_eq!(c_string(b"\0").unwrap().as_bytes(), b"");
    }

    fn record_at(raw: &mut [u8], at: usize, next: u32, sockaddr: u32, sa_data: u32) {
        raw[at + 12..at + 16].copy_from_slice(&sockaddr.to_le_bytes());
        raw[at + 24..at + 28].copy_from_slice(&next.to_le_bytes());
        let s = sockaddr as usize;
        raw[s + 4..s + 8].copy_from_slice(&14u32.to_le_bytes());
        raw[s + 8..s + 12].copy_from_slice(&sa_data.to_le_bytes());
    }

    #[test]
    fn chain_walk_checks_every_record_and_stops_on_loops() {
        let mut raw = vec![0u8; 4096];
        record_at(&mut raw, 0, 100, 300, 400);
        record_at(&mut raw, 100, 0, 500, 600);
        let mem = GuestMemory::new(&mut raw);
        assert_eq!(walk_chain(&mem, 0, 2, 64).unwrap(), vec![0, 100]);
        // A third record would be at address 0 again: a loop, accepted.
        assert_eq!(walk_chain(&mem, 0, u32::MAX, 64).unwrap(), vec![0, 100]);

        let mut raw = vec![0u8; 4096];
        record_at(&mut raw, 0, 4090, 300, 400);
        let mem = GuestMemory::new(&mut raw);
        assert_eq!(walk_chain(&mem, 0, 1, 64).unwrap(), vec![0]);
        assert_eq!(walk_chain(&mem, 0, 2, 64), Err(Errno::FAULT));
    }

    #[test]
    fn hints_are_validated_in_wasmedge_order() {
        let mut raw = vec![0u8; 64];
        raw[0..2].copy_from_slice(&0x80u16.to_le_bytes());
        assert_eq!(read_hints(&GuestMemory::new(&mut raw), 0, false).err(), Some(Errno::AIBADFLAG));
        raw[0..2].copy_from_slice(&2u16.to_le_bytes());
        assert_eq!(read_hints(&GuestMemory::new(&mut raw), 0, true).err(), Some(Errno::AIBADFLAG));
        raw[0..2].copy_from_slice(&0u16.to_le_bytes());
        raw[2] = 7;
        assert_eq!(read_hints(&GuestMemory::new(&mut raw), 0, false).err(), Some(Errno::AIFAMILY));
        raw[2] = 1;
        raw[4] = 9;
        assert_eq!(read_hints(&GuestMemory::new(&mut raw), 0, false).err(), Some(Errno::NOSYS));
        raw[4] = 1;
        raw[3] = 5;
        assert_eq!(read_hints(&GuestMemory::new(&mut raw), 0, false).err(), Some(Errno::NOSYS));
        raw[3] = 2;
        let hints = read_hints(&GuestMemory::new(&mut raw), 0, false).unwrap();
        assert_eq!(
            (hints.ai_family, hints.ai_socktype, hints.ai_protocol),
            (libc::AF_INET, libc::SOCK_STREAM, libc::IPPROTO_TCP)
        );
    }
}
