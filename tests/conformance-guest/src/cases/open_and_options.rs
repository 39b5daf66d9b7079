//! §10 checks 1–4: `sock_open` (families, types, fdstat and rights) and the
//! socket options, including the translated SO_TYPE read.

use crate::abi::{self, consts::*, errno};
use crate::net::open;
use crate::report::{expect_eq, expect_errno, setup, setup_rc, Outcome};

/// Check 1: `sock_open(1,2)`; fdstat: filetype 6, flags 0, both rights 0xFF800004A (§6).
pub fn c01_open_tcp4_fdstat() -> Outcome {
    let fd = open(AF_INET4, SOCK_STREAM)?;
    let st = setup("fd_fdstat_get", abi::fdstat(fd.0))?;
    expect_eq("fs_filetype (§6)", FILETYPE_SOCKET_STREAM, st.filetype)?;
    expect_eq("fs_flags (new sockets are blocking, §4 sock_open)", 0, st.flags)?;
    expect_eq("fs_rights_base (§6)", format!("{RIGHTS_SOCK_OPEN:#x}"), format!("{:#x}", st.rights_base))?;
    expect_eq(
        "fs_rights_inheriting (§6)",
        format!("{RIGHTS_SOCK_OPEN:#x}"),
        format!("{:#x}", st.rights_inheriting),
    )
}

/// Check 2: UDP6 reports filetype 6 too; SO_TYPE is translated to the WASI type (1 UDP, 2 TCP).
pub fn c02_open_udp6_filetype_and_so_type() -> Outcome {
    let udp = open(AF_INET6, SOCK_DGRAM)?;
    let st = setup("fd_fdstat_get on UDP6", abi::fdstat(udp.0))?;
    expect_eq("UDP fs_filetype (SOCKET_STREAM for every socket, §6)", FILETYPE_SOCKET_STREAM, st.filetype)?;
    let got = setup("getsockopt(SO_TYPE) on UDP", abi::getsockopt_i32(udp.0, 0, SO_TYPE))?;
    expect_eq("UDP SO_TYPE (value, size) (§3.1)", (1, 4), got)?;
    let tcp = open(AF_INET4, SOCK_STREAM)?;
    let got = setup("getsockopt(SO_TYPE) on TCP", abi::getsockopt_i32(tcp.0, 0, SO_TYPE))?;
    expect_eq("TCP SO_TYPE (value, size) (§3.1)", (2, 4), got)
}

/// Check 3: UNSPEC family and ANY type are rejected; AF_UNIX is not allowed by default.
pub fn c03_open_rejects_unspec_any_and_unix() -> Outcome {
    expect_errno("sock_open(0,2) (§4)", errno::INVAL, abi::open(0, SOCK_STREAM).err().unwrap_or(0))?;
    expect_errno("sock_open(1,0) (§4)", errno::INVAL, abi::open(AF_INET4, 0).err().unwrap_or(0))?;
    expect_errno(
        "sock_open(3,2) (§4, AF_UNIX not allowed)",
        errno::NOSYS,
        abi::open(AF_UNIX, SOCK_STREAM).err().unwrap_or(0),
    )
}

/// Check 4: SO_REUSEADDR set/get round trip; level 6 and name 15 are INVAL (§4 sockopt).
pub fn c04_sockopt_reuseaddr_level_and_name_checks() -> Outcome {
    let fd = open(AF_INET4, SOCK_STREAM)?;
    setup_rc("setsockopt(fd,0,SO_REUSEADDR,&1,4)", abi::setsockopt_i32(fd.0, 0, SO_REUSEADDR, 1))?;
    let got = setup("getsockopt(fd,0,SO_REUSEADDR)", abi::getsockopt_i32(fd.0, 0, SO_REUSEADDR))?;
    expect_eq("SO_REUSEADDR (value, size)", (1, 4), got)?;
    expect_errno("setsockopt level 6", errno::INVAL, abi::setsockopt_i32(fd.0, 6, SO_REUSEADDR, 1))?;
    expect_errno(
        "getsockopt level 6",
        errno::INVAL,
        abi::getsockopt_i32(fd.0, 6, SO_REUSEADDR).err().unwrap_or(0),
    )?;
    expect_errno("setsockopt name 15", errno::INVAL, abi::setsockopt_i32(fd.0, 0, 15, 1))?;
    expect_errno("getsockopt name 15", errno::INVAL, abi::getsockopt_i32(fd.0, 0, 15).err().unwrap_or(0))
}
