//! §10 checks 15 and 16 and DNS of `localhost`: `sock_getaddrinfo` with
//! guest-built records laid out byte by byte (§3.3), its error codes, and the
//! crate's `nslookup`/`connect("localhost:port")` on top of it.

use crate::abi::{self, errno, Aligned};
use crate::net::{listener, Fd};
use crate::report::{expect_eq, expect_errno, fail, setup, Outcome};

/// Records the guest preallocates (what wws passes).
const RECORDS: usize = 10;

/// Guest memory for the result list: records chained by `ai_next`, each with
/// its own sockaddr, `sa_data` buffer and canonname buffer.
#[repr(C, align(8))]
struct Arena {
    records: [[u8; 28]; RECORDS],
    sockaddrs: [[u8; 12]; RECORDS],
    sa_data: [[u8; 26]; RECORDS],
    canon: [[u8; 32]; RECORDS],
}

fn put32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

fn get32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

impl Arena {
    /// Builds the chain as wws does, with `sa_data_len` preset to the buffer's 26
    /// bytes and `sa_data` filled with 0xEE, so the host's writes are visible.
    fn new() -> Box<Arena> {
        let mut a = Box::new(Arena {
            records: [[0; 28]; RECORDS],
            sockaddrs: [[0; 12]; RECORDS],
            sa_data: [[0xEE; 26]; RECORDS],
            canon: [[0; 32]; RECORDS],
        });
        for i in 0..RECORDS {
            let sa_data = a.sa_data[i].as_mut_ptr() as u32;
            let canon = a.canon[i].as_mut_ptr() as u32;
            let sockaddr = a.sockaddrs[i].as_mut_ptr() as u32;
            let next = if i + 1 < RECORDS { a.records[i + 1].as_mut_ptr() as u32 } else { 0 };
            a.sockaddrs[i][0] = 1;
            put32(&mut a.sockaddrs[i], 4, 26);
            put32(&mut a.sockaddrs[i], 8, sa_data);
            let r = &mut a.records[i];
            put32(r, 12, sockaddr);
            put32(r, 16, canon);
            put32(r, 20, 0);
            put32(r, 24, next);
        }
        a
    }

    /// The pointer fields (`ai_addr`, `ai_canonname`, `ai_next`, `sa_data`) of every record.
    fn pointers(&self) -> Vec<u32> {
        (0..RECORDS)
            .flat_map(|i| {
                [
                    get32(&self.records[i], 12),
                    get32(&self.records[i], 16),
                    get32(&self.records[i], 24),
                    get32(&self.sockaddrs[i], 8),
                ]
            })
            .collect()
    }
}

/// Hints: flags u16 @0, family u8 @2, socktype u8 @3, protocol u8 @4.
fn hints(flags: u16, family: u8, socktype: u8, protocol: u8) -> Aligned<28> {
    let mut h = Aligned([0u8; 28]);
    h.0[0..2].copy_from_slice(&flags.to_le_bytes());
    h.0[2] = family;
    h.0[3] = socktype;
    h.0[4] = protocol;
    h
}

/// What one call did: errno, `*res_len`, `*res` afterwards, and the arena.
struct Resolved {
    errno: u32,
    res_len: u32,
    res_after: u32,
    res_before: u32,
    pointers_before: Vec<u32>,
    arena: Box<Arena>,
}

fn getaddrinfo(node: &[u8], service: &[u8], h: &Aligned<28>, max: u32) -> Resolved {
    let mut arena = Arena::new();
    let res_before = arena.records[0].as_mut_ptr() as u32;
    let pointers_before = arena.pointers();
    let mut res: u32 = res_before;
    let mut res_len: u32 = abi::SENTINEL;
    let errno = unsafe {
        abi::sock_getaddrinfo(
            node.as_ptr(),
            node.len() as u32,
            service.as_ptr(),
            service.len() as u32,
            h.0.as_ptr(),
            (&mut res as *mut u32).cast(),
            max,
            (&mut res_len as *mut u32).cast(),
        )
    };
    Resolved { errno, res_len, res_after: res, res_before, pointers_before, arena }
}

/// Check 15: `localhost`/`http` with TCP/IPv4 hints: record 0 and its sockaddr are
/// written in the reference layout and no pointer field changes.
pub fn c15_getaddrinfo_localhost_layout() -> Outcome {
    let r = getaddrinfo(b"localhost\0", b"http\0", &hints(0, 1, 2, 1), RECORDS as u32);
    expect_errno("sock_getaddrinfo(\"localhost\\0\", \"http\\0\")", errno::SUCCESS, r.errno)?;
    if r.res_len < 1 || r.res_len > RECORDS as u32 {
        return fail("res_len in 1..=10", r.res_len.to_string());
    }
    let rec = &r.arena.records[0];
    expect_eq(
        "record 0 (family, socktype, protocol, addrlen) (§3.3)",
        (1u8, 2u8, 1u8, 16u32),
        (rec[2], rec[3], rec[4], get32(rec, 8)),
    )?;
    expect_eq("record 0 ai_canonname_len (no CANONNAME asked)", 0, get32(rec, 20))?;
    let sa = &r.arena.sockaddrs[0];
    expect_eq("sockaddr (sa_family, sa_data_len)", (1u8, 14u32), (sa[0], get32(sa, 4)))?;
    let want: Vec<u8> = [0x00, 0x50, 0x7f, 0x00, 0x00, 0x01].into_iter().chain([0u8; 8]).collect();
    expect_eq(
        "sa_data[0..14] (BE port 80, 127.0.0.1, 8 zero bytes)",
        want,
        r.arena.sa_data[0][..14].to_vec(),
    )?;
    expect_eq(
        "pointer fields after the call (never written, §4 getaddrinfo)",
        r.pointers_before.clone(),
        r.arena.pointers(),
    )?;
    expect_eq("*res after the call", r.res_before, r.res_after)
}

/// Check 16: Error codes: max 0 is AIMEMORY, empty node and service AINONAME,
/// protocol 9 NOSYS, an unresolvable name an AI errno.
pub fn c16_getaddrinfo_errors() -> Outcome {
    let h = hints(0, 1, 2, 1);
    expect_errno("max_res_len 0", errno::AIMEMORY, getaddrinfo(b"localhost\0", b"http\0", &h, 0).errno)?;
    expect_errno("empty node and service", errno::AINONAME, getaddrinfo(b"", b"", &h, 10).errno)?;
    expect_errno(
        "hints protocol 9",
        errno::NOSYS,
        getaddrinfo(b"localhost\0", b"http\0", &hints(0, 1, 2, 9), 10).errno,
    )?;
    // NUMERICHOST makes the name unresolvable without sending a DNS query
    // (the suite stays on loopback); libc answers EAI_NONAME.
    let r = getaddrinfo(b"no-such-host.invalid\0", b"http\0", &hints(4, 1, 2, 1), 10);
    expect_errno("unresolvable name (AI_NUMERICHOST)", errno::AINONAME, r.errno)?;
    expect_errno(
        "hints family 9 (§4: AIFAMILY)",
        81,
        getaddrinfo(b"localhost\0", b"http\0", &hints(0, 9, 2, 1), 10).errno,
    )?;
    expect_errno(
        "CANONNAME with an empty node (§4: AIBADFLAG)",
        79,
        getaddrinfo(b"", b"http\0", &hints(2, 1, 2, 1), 10).errno,
    )
}

/// Extra (DNS of localhost): wws `nslookup` gives 127.0.0.1:80, and
/// `TcpStream::connect("localhost:<port>")` reaches a guest listener.
pub fn x_dns_localhost_via_wws() -> Outcome {
    let addrs = match wasmedge_wasi_socket::nslookup("localhost", "http") {
        Ok(a) => a,
        Err(e) => return fail("nslookup(localhost) to succeed", e.to_string()),
    };
    let want: std::net::SocketAddr = ([127, 0, 0, 1], 80).into();
    if !addrs.contains(&want) {
        return fail("nslookup(localhost, http) to contain 127.0.0.1:80", format!("{addrs:?}"));
    }
    let (lst, port) = listener(false)?;
    let stream = match wasmedge_wasi_socket::TcpStream::connect(format!("localhost:{port}")) {
        Ok(s) => s,
        Err(e) => return fail(format!("connect(\"localhost:{port}\")"), e.to_string()),
    };
    let accepted = setup("sock_accept", abi::accept(lst.0)).map(Fd)?;
    let local = stream.local_addr().map(|a| a.port()).unwrap_or(0);
    let peer = setup("getpeeraddr", abi::get_addr(accepted.0, abi::Side::Peer, 16))?;
    expect_eq("accepted peer port = the stream's local port", u32::from(local), peer.port)
}
