//! Differential fuzzer: a seeded, reproducible random sequence of host calls
//! (socket open/bind/listen/accept/connect/send/recv/send_to/recv_from_v2/
//! shutdown/options/address getters, `fd_*` and `poll_oneoff`) on a mix of live, never-opened and
//! non-socket fds (closed ones are left to the `x-badfd-*` cases, see [`Fuzz::fd`]), with out-parameters that are valid, misaligned or out
//! of bounds, all inside one 256-byte scratch region.
//!
//! Each step yields one line, `<step> <call and arguments> -> <errno> <hash>`,
//! where the hash is FNV-1a of the scratch region after the call. Only values
//! every correct runtime shares are in it: fds are named by the order the
//! sequence obtained them (`s0`, `s1`, ...) and every fd the host writes into
//! scratch is replaced by that index; ports written by address getters are
//! zeroed; poll events contribute (userdata, error, type, flags) but never
//! nbytes nor the 1 ms clock's own event; no clock value is read. Sockets are made non-blocking as soon as
//! they exist (a step that never sets flags to 0), so no call waits.
//!
//! `conformance_guest.wasm fuzz --seed S --steps N` prints one sequence;
//! scripts/conformance-fuzz.sh compares runtimes. [`sequence`] is also run as
//! suite cases (`fuzz-seed-NNNN`), whose observed lines are the steps.

mod rng;

use crate::abi::{self, consts::*, Aligned};
use crate::poll::Sub;
use rng::Rng;

/// Size of the scratch region the host may write.
const SCRATCH: usize = 256;
/// Offsets inside scratch.
const ADDR_STRUCT: usize = 0;
const IOVS: usize = 8;
const OUT_A: usize = 24;
const OUT_B: usize = 28;
const ADDR_BUF: usize = 32;
const OPT_BUF: usize = 48;
const SEND_DATA: usize = 64;
const RECV_BUF: usize = 128;
const FDSTAT: usize = 192;
/// Out of bounds for any guest memory.
const FAR: u32 = 0xFFFF_FF00;

/// Which fd a step uses, as printed.
#[derive(Clone, Copy)]
enum FdRef {
    Slot(usize),
    Never,
    File,
}

/// The state of one sequence.
struct Fuzz {
    rng: Rng,
    scratch: Aligned<SCRATCH>,
    /// Every fd the sequence obtained, in order, and whether it is still open.
    slots: Vec<(u32, bool)>,
    /// Ports of listeners the sequence created (never printed).
    ports: Vec<u16>,
}

/// How an out-pointer is chosen.
#[derive(Clone, Copy, Debug)]
enum Ptr {
    Ok,
    Misaligned,
    OutOfBounds,
}

impl Fuzz {
    fn base(&mut self) -> *mut u8 {
        self.scratch.0.as_mut_ptr()
    }

    fn at(&mut self, off: usize) -> *mut u8 {
        self.scratch.0.as_mut_ptr().wrapping_add(off)
    }

    fn ptr_kind(&mut self) -> Ptr {
        match self.rng.below(10) {
            0 => Ptr::Misaligned,
            1 => Ptr::OutOfBounds,
            _ => Ptr::Ok,
        }
    }

    fn ptr(&mut self, kind: Ptr, off: usize) -> *mut u8 {
        match kind {
            Ptr::Ok => self.at(off),
            Ptr::Misaligned => self.at(off + 1),
            Ptr::OutOfBounds => FAR as *mut u8,
        }
    }

    /// A live slot, the never-opened fd or stderr. Closed slots are never
    /// reused: edge-host hands a closed number out again, WasmEdge picks random
    /// numbers, so a closed number may name a live socket on one of them only.
    fn fd(&mut self) -> (FdRef, u32) {
        let live: Vec<usize> = (0..self.slots.len()).filter(|&i| self.slots[i].1).collect();
        match self.rng.below(12) {
            0 => (FdRef::Never, u32::MAX),
            1 => (FdRef::File, 2),
            _ if !live.is_empty() => {
                let i = live[self.rng.below(live.len() as u64) as usize];
                (FdRef::Slot(i), self.slots[i].0)
            }
            _ => (FdRef::Never, u32::MAX),
        }
    }

    /// Records a new fd the host wrote at `off`, makes it non-blocking, and
    /// replaces it in scratch by its slot index; returns the set_flags errno.
    fn adopt(&mut self, off: usize) -> u32 {
        let fd = u32::from_le_bytes([
            self.scratch.0[off],
            self.scratch.0[off + 1],
            self.scratch.0[off + 2],
            self.scratch.0[off + 3],
        ]);
        self.slots.push((fd, true));
        let idx = (self.slots.len() - 1) as u32;
        self.scratch.0[off..off + 4].copy_from_slice(&idx.to_le_bytes());
        abi::set_flags(fd, FDFLAGS_NONBLOCK)
    }

    fn hash(&self) -> u32 {
        self.scratch.0.iter().fold(0x811C_9DC5u32, |h, &b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
    }

    fn set_addr(&mut self, v6: bool, bad_len: bool) {
        let ip: &'static [u8] = if v6 { &crate::net::LO6 } else { &crate::net::LO4 };
        let len = if bad_len { 8 } else { ip.len() as u32 };
        self.scratch.0[ADDR_BUF..ADDR_BUF + 16].fill(0);
        self.scratch.0[ADDR_BUF..ADDR_BUF + ip.len()].copy_from_slice(ip);
        let buf = self.at(ADDR_BUF) as u32;
        self.scratch.0[ADDR_STRUCT..ADDR_STRUCT + 4].copy_from_slice(&buf.to_le_bytes());
        self.scratch.0[ADDR_STRUCT + 4..ADDR_STRUCT + 8].copy_from_slice(&len.to_le_bytes());
    }

    fn set_iovs(&mut self, off: usize, n: usize) {
        for i in 0..2 {
            let buf = self.at(off + i * 16) as u32;
            let len: u32 = if i < n { 16 } else { 0 };
            let o = IOVS + i * 8;
            self.scratch.0[o..o + 4].copy_from_slice(&buf.to_le_bytes());
            self.scratch.0[o + 4..o + 8].copy_from_slice(&len.to_le_bytes());
        }
    }

    /// After a successful bind or listen, remembers the socket's port as a
    /// target for connect and send_to (never printed: ports are ephemeral).
    fn learn_port(&mut self, rc: u32, fd: u32) {
        if rc == 0 {
            if let Ok(a) = abi::get_addr(fd, abi::Side::Local, 16) {
                self.ports.push(a.port as u16);
            }
        }
    }

    fn port(&mut self) -> u16 {
        if self.ports.is_empty() || self.rng.below(4) == 0 {
            1
        } else {
            let i = self.rng.below(self.ports.len() as u64) as usize;
            self.ports[i]
        }
    }

    /// Runs one random call; returns its description and errno.
    fn step(&mut self) -> (String, u32) {
        let op =
            if self.slots.iter().all(|s| !s.1) && self.rng.below(2) == 0 { 0 } else { self.rng.below(20) };
        let (fr, fd) = self.fd();
        let f = describe(fr);
        match op {
            0 | 1 => {
                let af = self.rng.pick(&[1, 1, 1, 2, 0, 3, 7]);
                let ty = self.rng.pick(&[2, 2, 2, 1, 0, 5]);
                let k = self.ptr_kind();
                let p = self.ptr(k, OUT_A);
                let rc = unsafe { abi::sock_open(af, ty, p) };
                let extra = if rc == 0 { format!(" flags->{}", self.adopt(OUT_A)) } else { String::new() };
                (format!("sock_open({af},{ty},{k:?}){extra}"), rc)
            }
            2 => {
                let (v6, bad) = (self.rng.below(3) == 0, self.rng.below(8) == 0);
                self.set_addr(v6, bad);
                let a = self.base().cast::<abi::WasiAddress>();
                let rc = unsafe { abi::sock_bind(fd, a, 0) };
                self.learn_port(rc, fd);
                (format!("sock_bind({f},v6={v6},badlen={bad},0)"), rc)
            }
            3 => {
                let backlog = self.rng.pick(&[0, 1, 128, -1]);
                let rc = abi::listen(fd, backlog);
                self.learn_port(rc, fd);
                (format!("sock_listen({f},{backlog})"), rc)
            }
            4 => {
                let k = self.ptr_kind();
                let p = self.ptr(k, OUT_A);
                let flags = self.rng.pick(&[0u32, 0, 4, 0x20]);
                let v2 = self.rng.below(2) == 0;
                let rc = unsafe {
                    if v2 {
                        abi::sock_accept_v2(fd, flags, p)
                    } else {
                        abi::sock_accept(fd, p)
                    }
                };
                let extra = if rc == 0 { format!(" flags->{}", self.adopt(OUT_A)) } else { String::new() };
                (format!("sock_accept(v2={v2},{f},{flags},{k:?}){extra}"), rc)
            }
            5 => {
                let v6 = self.rng.below(5) == 0;
                self.set_addr(v6, false);
                let port = self.port();
                let a = self.base().cast::<abi::WasiAddress>();
                let rc = unsafe { abi::sock_connect(fd, a, u32::from(port)) };
                (format!("sock_connect({f},v6={v6},{})", if port == 1 { "closed" } else { "listener" }), rc)
            }
            6 | 7 => {
                let n = self.rng.below(3) as usize;
                self.set_iovs(SEND_DATA, n);
                let flags = self.rng.pick(&[0u32, 0, 0, 1]);
                let k = self.ptr_kind();
                let p = self.ptr(k, OUT_A);
                let rc = unsafe { abi::sock_send(fd, self.at(IOVS).cast(), n as u32, flags, p) };
                (format!("sock_send({f},n={n},{flags},{k:?})"), rc)
            }
            8 | 9 => {
                let n = self.rng.below(3) as usize;
                self.set_iovs(RECV_BUF, n);
                let flags = self.rng.pick(&[0u32, 0, 1, 2, 4]);
                let (k1, k2) = (self.ptr_kind(), self.ptr_kind());
                let (p1, p2) = (self.ptr(k1, OUT_A), self.ptr(k2, OUT_B));
                let rc = unsafe { abi::sock_recv(fd, self.at(IOVS).cast(), n as u32, flags, p1, p2) };
                (format!("sock_recv({f},n={n},{flags},{k1:?},{k2:?})"), rc)
            }
            10 => {
                let how = self.rng.pick(&[0, 1, 2, 3, 3, 4]);
                (format!("sock_shutdown({f},{how})"), abi::shutdown(fd, how))
            }
            11 => {
                let level = self.rng.pick(&[0, 0, 0, 1]);
                let name = self.rng.below(16) as u32;
                // SO_TYPE and SO_ERROR need 4 bytes: WasmEdge 0.17.0 crashes on others.
                let size: u32 = if name == 1 || name == 2 { 4 } else { self.rng.pick(&[0, 4, 8, 16]) };
                self.scratch.0[OUT_B..OUT_B + 4].copy_from_slice(&size.to_le_bytes());
                let k = self.ptr_kind();
                let (p, s) = (self.at(OPT_BUF), self.ptr(k, OUT_B));
                let rc = unsafe { abi::sock_getsockopt(fd, level, name, p, s) };
                (format!("sock_getsockopt({f},{level},{name},{size},{k:?})"), rc)
            }
            12 => {
                let level = self.rng.pick(&[0, 0, 0, 1]);
                let name = self.rng.pick(&[0, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 1, 2, 15]);
                let size = self.rng.pick(&[0u32, 2, 4, 4, 8, 16]);
                let v = self.rng.next();
                self.scratch.0[OPT_BUF..OPT_BUF + 8].copy_from_slice(&(v % 4096).to_le_bytes());
                self.scratch.0[OPT_BUF + 8..OPT_BUF + 16].fill(0);
                let rc = unsafe { abi::sock_setsockopt(fd, level, name, self.at(OPT_BUF), size) };
                (format!("sock_setsockopt({f},{level},{name},{},{size})", v % 4096), rc)
            }
            13 => {
                let peer = self.rng.below(2) == 0;
                let len = self.rng.pick(&[16u32, 16, 4, 5]);
                let buf = self.at(ADDR_BUF) as u32;
                self.scratch.0[ADDR_STRUCT..ADDR_STRUCT + 4].copy_from_slice(&buf.to_le_bytes());
                self.scratch.0[ADDR_STRUCT + 4..ADDR_STRUCT + 8].copy_from_slice(&len.to_le_bytes());
                let k = self.ptr_kind();
                let (a, t, p) = (self.base().cast::<abi::WasiAddress>(), self.ptr(k, OUT_A), self.at(OUT_B));
                let rc = unsafe {
                    if peer {
                        abi::sock_getpeeraddr(fd, a, t, p)
                    } else {
                        abi::sock_getlocaladdr(fd, a, t, p)
                    }
                };
                // The port is ephemeral: excluded from the comparison.
                self.scratch.0[OUT_B..OUT_B + 4].fill(0);
                (format!("sock_get{}addr({f},{len},{k:?})", if peer { "peer" } else { "local" }), rc)
            }
            14 => {
                let r = self.rng.below(4);
                if r == 0 {
                    // Never stderr: later cases report progress there.
                    let (fr, fd) = if let FdRef::File = fr { (FdRef::Never, u32::MAX) } else { (fr, fd) };
                    let f = describe(fr);
                    let rc = abi::close(fd);
                    if let (FdRef::Slot(i), 0) = (fr, rc) {
                        self.slots[i].1 = false;
                    }
                    (format!("fd_close({f})"), rc)
                } else if r == 1 {
                    let flags = self.rng.pick(&[4u32, 5, 0x20, 2, 16]);
                    (format!("fd_fdstat_set_flags({f},{flags})"), abi::set_flags(fd, flags))
                } else {
                    let k = self.ptr_kind();
                    let p = self.ptr(k, FDSTAT);
                    (format!("fd_fdstat_get({f},{k:?})"), unsafe { abi::fd_fdstat_get(fd, p) })
                }
            }
            17 => {
                let n = self.rng.below(3) as usize;
                self.set_iovs(SEND_DATA, n);
                let v6 = self.rng.below(5) == 0;
                self.set_addr(v6, false);
                let port = self.port();
                let k = self.ptr_kind();
                let p = self.ptr(k, OUT_A);
                let (iovs, a) = (self.at(IOVS).cast(), self.base().cast::<abi::WasiAddress>());
                let rc = unsafe { abi::sock_send_to(fd, iovs, n as u32, a, u32::from(port), 0, p) };
                let to = if port == 1 { "closed" } else { "bound" };
                (format!("sock_send_to({f},n={n},v6={v6},{to},{k:?})"), rc)
            }
            18 => {
                let n = self.rng.below(3) as usize;
                self.set_iovs(RECV_BUF, n);
                let len = self.rng.pick(&[16u32, 16, 4, 5]);
                let buf = self.at(ADDR_BUF) as u32;
                self.scratch.0[ADDR_STRUCT..ADDR_STRUCT + 4].copy_from_slice(&buf.to_le_bytes());
                self.scratch.0[ADDR_STRUCT + 4..ADDR_STRUCT + 8].copy_from_slice(&len.to_le_bytes());
                let k = self.ptr_kind();
                let port = self.ptr(k, FDSTAT);
                let (iovs, a, l, fl) =
                    (self.at(IOVS).cast(), self.base().cast(), self.at(OUT_A), self.at(OUT_B));
                let rc = unsafe { abi::sock_recv_from_v2(fd, iovs, n as u32, a, 0, port, l, fl) };
                // The source port is ephemeral: excluded from the comparison.
                self.scratch.0[FDSTAT..FDSTAT + 4].fill(0);
                (format!("sock_recv_from_v2({f},n={n},{len},{k:?})"), rc)
            }
            _ => self.poll_step(),
        }
    }

    /// poll_oneoff with 0-3 fd subscriptions and a 1 ms clock (so it never waits long).
    fn poll_step(&mut self) -> (String, u32) {
        let n = self.rng.below(4) as usize;
        let mut subs = Vec::new();
        let mut desc = Vec::new();
        for i in 0..n {
            let (fr, fd) = self.fd();
            let write = self.rng.below(2) == 0;
            subs.push(if write { Sub::write(i as u64, fd) } else { Sub::read(i as u64, fd) });
            desc.push(format!("{}{}", if write { "w" } else { "r" }, describe(fr)));
        }
        subs.push(Sub::timer(9, std::time::Duration::from_millis(1)));
        let p = crate::poll::poll(&subs);
        // The clock's own event is timing (it may expire while ready fds are
        // collected), so it is left out of the comparison.
        let events: Vec<String> = p
            .events
            .iter()
            .filter(|e| e.userdata != 9)
            .map(|e| format!("{}:{}:{}:{}", e.userdata, e.error, e.kind, e.flags))
            .collect();
        (format!("poll_oneoff([{}],clock) events=[{}]", desc.join(","), events.join(",")), p.errno)
    }

    /// Closes every fd the sequence still holds.
    fn close_all(&mut self) {
        for (fd, open) in &self.slots {
            if *open {
                abi::close(*fd);
            }
        }
    }
}

fn describe(fr: FdRef) -> String {
    match fr {
        FdRef::Slot(i) => format!("s{i}"),
        FdRef::Never => "never".into(),
        FdRef::File => "file".into(),
    }
}

/// Runs the sequence for `seed` with `steps` calls; each step's line.
pub fn sequence(seed: u64, steps: usize) -> Vec<String> {
    let mut fz =
        Fuzz { rng: Rng(seed), scratch: Aligned([0u8; SCRATCH]), slots: Vec::new(), ports: Vec::new() };
    for i in SEND_DATA..RECV_BUF {
        fz.scratch.0[i] = fz.rng.next() as u8;
    }
    let mut lines = Vec::with_capacity(steps);
    for i in 0..steps {
        let (call, rc) = fz.step();
        lines.push(format!("{i} {call} -> {rc} {:08x}", fz.hash()));
    }
    fz.close_all();
    lines
}

/// The `fuzz --seed S --steps N` mode: prints the sequence, then `end`.
pub fn run(args: &[String]) {
    let value = |flag: &str, default: u64| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (seed, steps) = (value("--seed", 1), value("--steps", 100) as usize);
    println!("seed {seed} steps {steps}");
    for line in sequence(seed, steps) {
        println!("{line}");
    }
    println!("end");
}
