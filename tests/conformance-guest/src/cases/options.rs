//! Socket option round trips for every name the ABI defines, the read-only
//! ones, sizes that are too small or too large, and levels and names out of
//! range. Payloads pass to the kernel unchanged (SO_TYPE and SO_ERROR reads
//! are translated), so the kernel's rules (buffer sizes doubled, short sizes)
//! must show through unchanged.

use super::raw::rc;
use crate::abi::{self, consts::*, errno, Aligned};
use crate::net::{listener, open};
use crate::report::{expect_eq, expect_errno, observe, setup, setup_rc, Outcome, Reporter};

const NOPROTOOPT: u32 = 50;

/// Sets an i32 option and reads it back: (value, size) must equal `want`.
fn round_trip(ty: u32, name: u32, set: i32, want: (i32, u32)) -> Outcome {
    let fd = open(AF_INET4, ty)?;
    setup_rc(&format!("setsockopt({name}, {set})"), abi::setsockopt_i32(fd.0, 0, name, set))?;
    let got = setup(&format!("getsockopt({name})"), abi::getsockopt_i32(fd.0, 0, name))?;
    observe("value, size", got);
    expect_eq(&format!("option {name} (value, size) after setting {set}"), want, got)
}

/// `getsockopt` of `name` with a buffer of `size` bytes prefilled with 0xEE:
/// (errno, returned size, the 8 buffer bytes).
fn get_sized(fd: u32, name: u32, size: u32) -> (u32, u32, [u8; 8]) {
    let mut buf = Aligned([0xEEu8; 8]);
    let mut len: u32 = size;
    let e = unsafe { abi::sock_getsockopt(fd, 0, name, buf.0.as_mut_ptr(), (&mut len as *mut u32).cast()) };
    (e, len, buf.0)
}

/// (case, option, socket type, value set, (value, size) read back).
type RoundTrip = (&'static str, u32, u32, i32, (i32, u32));

const ROUND_TRIPS: [RoundTrip; 12] = [
    ("reuseaddr-on", SO_REUSEADDR, SOCK_STREAM, 1, (1, 4)),
    ("reuseaddr-off", SO_REUSEADDR, SOCK_STREAM, 0, (0, 4)),
    ("keepalive-on", 7, SOCK_STREAM, 1, (1, 4)),
    ("keepalive-value-5-reads-1", 7, SOCK_STREAM, 5, (1, 4)),
    ("sndbuf-8192-doubled", SO_SNDBUF, SOCK_STREAM, 8192, (16384, 4)),
    ("rcvbuf-8192-doubled", SO_RCVBUF, SOCK_STREAM, 8192, (16384, 4)),
    ("rcvbuf-udp-4096-doubled", SO_RCVBUF, SOCK_DGRAM, 4096, (8192, 4)),
    ("broadcast-udp", 4, SOCK_DGRAM, 1, (1, 4)),
    ("dontroute", 3, SOCK_STREAM, 1, (1, 4)),
    ("oobinline", 8, SOCK_STREAM, 1, (1, 4)),
    ("rcvlowat-10", 10, SOCK_STREAM, 10, (10, 4)),
    ("rcvlowat-0-reads-1", 10, SOCK_STREAM, 0, (1, 4)),
];

fn sndtimeo_round_trip() -> Outcome {
    let fd = open(AF_INET4, SOCK_STREAM)?;
    let mut tv = Aligned([0u8; 16]);
    tv.0[0..8].copy_from_slice(&2i64.to_le_bytes());
    tv.0[8..16].copy_from_slice(&500_000i64.to_le_bytes());
    setup_rc("setsockopt(SO_SNDTIMEO, {2 s, 500000 us})", unsafe {
        abi::sock_setsockopt(fd.0, 0, 12, tv.0.as_ptr(), 16)
    })?;
    let mut got = Aligned([0u8; 16]);
    let mut size: u32 = 16;
    let e = unsafe { abi::sock_getsockopt(fd.0, 0, 12, got.0.as_mut_ptr(), (&mut size as *mut u32).cast()) };
    expect_errno("getsockopt(SO_SNDTIMEO)", errno::SUCCESS, e)?;
    expect_eq("SO_SNDTIMEO (bytes, size)", (tv.0.to_vec(), 16), (got.0.to_vec(), size))
}

fn rcvtimeo_short_size() -> Outcome {
    let fd = open(AF_INET4, SOCK_STREAM)?;
    let tv = Aligned([0u8; 16]);
    expect_errno("setsockopt(SO_RCVTIMEO) with 8 bytes", errno::INVAL, unsafe {
        abi::sock_setsockopt(fd.0, 0, 11, tv.0.as_ptr(), 8)
    })
}

fn acceptconn() -> Outcome {
    let (lst, _) = listener(false)?;
    expect_eq("SO_ACCEPTCONN on a listener", Ok((1, 4)), abi::getsockopt_i32(lst.0, 0, 13))?;
    let fd = open(AF_INET4, SOCK_STREAM)?;
    expect_eq("SO_ACCEPTCONN on a fresh socket", Ok((0, 4)), abi::getsockopt_i32(fd.0, 0, 13))?;
    expect_errno("setsockopt(SO_ACCEPTCONN)", NOPROTOOPT, abi::setsockopt_i32(fd.0, 0, 13, 1))
}

fn read_only_names() -> Outcome {
    let fd = open(AF_INET4, SOCK_STREAM)?;
    expect_errno("setsockopt(SO_TYPE)", NOPROTOOPT, abi::setsockopt_i32(fd.0, 0, SO_TYPE, 1))?;
    expect_errno("setsockopt(SO_ERROR)", NOPROTOOPT, abi::setsockopt_i32(fd.0, 0, SO_ERROR, 1))?;
    expect_eq("SO_ERROR on a fresh socket", Ok((0, 4)), abi::getsockopt_i32(fd.0, 0, SO_ERROR))
}

fn level_and_name_range() -> Outcome {
    let fd = open(AF_INET4, SOCK_STREAM)?;
    for level in [1, 6, 0xFFFF, u32::MAX] {
        expect_errno(
            &format!("setsockopt level {level}"),
            errno::INVAL,
            abi::setsockopt_i32(fd.0, level, 0, 1),
        )?;
        expect_errno(
            &format!("getsockopt level {level}"),
            errno::INVAL,
            rc(abi::getsockopt_i32(fd.0, level, 0)),
        )?;
    }
    for name in [15, 16, 255, u32::MAX] {
        expect_errno(
            &format!("setsockopt name {name}"),
            errno::INVAL,
            abi::setsockopt_i32(fd.0, 0, name, 1),
        )?;
        expect_errno(
            &format!("getsockopt name {name}"),
            errno::INVAL,
            rc(abi::getsockopt_i32(fd.0, 0, name)),
        )?;
    }
    Ok(())
}

fn set_size_short_and_long() -> Outcome {
    let fd = open(AF_INET4, SOCK_STREAM)?;
    let v = Aligned([1u8, 0, 0, 0, 0, 0, 0, 0]);
    let set = |size| unsafe { abi::sock_setsockopt(fd.0, 0, SO_REUSEADDR, v.0.as_ptr(), size) };
    expect_errno("setsockopt(SO_REUSEADDR) size 0", errno::INVAL, set(0))?;
    expect_errno("setsockopt(SO_REUSEADDR) size 2", errno::INVAL, set(2))?;
    expect_errno("setsockopt(SO_REUSEADDR) size 8", errno::SUCCESS, set(8))?;
    expect_eq("SO_REUSEADDR after the 8-byte set", Ok((1, 4)), abi::getsockopt_i32(fd.0, 0, SO_REUSEADDR))
}

fn get_size_short() -> Outcome {
    let fd = open(AF_INET4, SOCK_STREAM)?;
    setup_rc("setsockopt(SO_KEEPALIVE, 1)", abi::setsockopt_i32(fd.0, 0, 7, 1))?;
    let got = get_sized(fd.0, 7, 2);
    observe("(errno, size, bytes)", got);
    expect_eq(
        "getsockopt(SO_KEEPALIVE) into 2 bytes",
        (0, 2, [1, 0, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE]),
        got,
    )?;
    let got = get_sized(fd.0, 7, 0);
    observe("(errno, size, bytes) size 0", got);
    expect_eq("getsockopt(SO_KEEPALIVE) into 0 bytes", (0, 0, [0xEE; 8]), got)
}

fn get_size_long() -> Outcome {
    let fd = open(AF_INET4, SOCK_STREAM)?;
    let got = get_sized(fd.0, SO_REUSEADDR, 8);
    observe("(errno, size, bytes)", got);
    expect_eq("getsockopt(SO_REUSEADDR) into 8 bytes", (0, 4, [0, 0, 0, 0, 0xEE, 0xEE, 0xEE, 0xEE]), got)
}

fn bindtodevice_unbound() -> Outcome {
    let fd = open(AF_INET4, SOCK_STREAM)?;
    let got = get_sized(fd.0, 14, 8);
    observe("(errno, size, bytes)", got);
    expect_eq("getsockopt(SO_BINDTODEVICE) with no device", (0, 0, [0xEE; 8]), got)
}

/// Registers `x-opt-*`.
pub fn register(r: &mut Reporter) {
    for (name, opt, ty, set, want) in ROUND_TRIPS {
        r.case(&format!("x-opt-{name}"), move || round_trip(ty, opt, set, want));
    }
    r.case("x-opt-sndtimeo-round-trip", sndtimeo_round_trip);
    r.case("x-opt-rcvtimeo-short-size", rcvtimeo_short_size);
    r.case("x-opt-acceptconn", acceptconn);
    r.case("x-opt-read-only-names", read_only_names);
    r.case("x-opt-level-and-name-range", level_and_name_range);
    r.case("x-opt-set-size-short-and-long", set_size_short_and_long);
    r.case("x-opt-get-size-short", get_size_short);
    r.case("x-opt-get-size-long", get_size_long);
    r.case("x-opt-bindtodevice-unbound", bindtodevice_unbound);
}
