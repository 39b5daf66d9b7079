//! One epoll set and the per-call bookkeeping of `poll_oneoff`: registering
//! interest, waiting, and turning epoll results into WASI events (WasmEdge's
//! `Poller` rules, §8, with persistent registrations).

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::event::epoll::{self, EventData, EventFlags};
use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::net::sockopt;

use super::clock;
use super::interest::ProbeSlot;
use super::layout::{read_subscription, write_event, Event, Subscription};
use crate::abi::{eventtype, EVENT_FD_READWRITE_HANGUP};
use crate::errno::Errno;
use crate::fd_table::{FdEntry, FdKind, FdTable};
use crate::guest_memory::GuestMemory;
use crate::sys::{epoll_pwait2, send_queue_len};

/// One subscription's outcome in the current call.
#[derive(Clone, Copy, Default)]
struct Pending {
    event: Event,
    fired: bool,
}

/// What one epoll result meant for this call.
pub(super) enum Wake {
    /// It completed at least one subscription.
    Fired,
    /// It concerns a subscribed descriptor but completes nothing (an event
    /// WasmEdge's rules ignore, such as EPOLLERR alone): the call returns.
    Nothing,
    /// It concerns a descriptor not subscribed in this call.
    Stale,
}

/// A clock subscription waiting for its deadline.
#[derive(Clone, Copy)]
struct ClockWait {
    index: u32,
    deadline: u64,
}

/// One epoll set plus the reusable buffers of a poll call.
pub struct Poller {
    /// `epoll_oneoff`: registrations carry EPOLLET and are re-armed each call.
    pub(super) edge: bool,
    /// Created on first use.
    epoll: Option<OwnedFd>,
    /// Numbers the calls, so per-descriptor state from older calls is stale.
    pub(super) generation: u64,
    pending: Vec<Pending>,
    clocks: Vec<ClockWait>,
    ready: Vec<epoll::Event>,
    /// Descriptors with a subscription in this call, in first-seen order.
    pub(super) touched: Vec<i32>,
    /// Second subscriptions of one kind on one descriptor (index, fd): `EXIST`,
    /// unless the descriptor's registration fails (see `interest::register`).
    pub(super) duplicates: Vec<(usize, i32)>,
    /// Write subscriptions answered by one `poll(2)` instead of epoll
    /// registration changes (see `interest`).
    pub(super) probes: Vec<ProbeSlot>,
    /// The `poll(2)` array of `probes`, empty between calls (it borrows the
    /// descriptors only during one).
    pub(super) pollfds: Vec<PollFd<'static>>,
    /// Set when the kernel lacks `epoll_pwait2` (before Linux 5.11).
    no_pwait2: bool,
}

impl Poller {
    /// A poller; `edge` selects `epoll_oneoff` semantics. No syscall yet.
    pub fn new(edge: bool) -> Self {
        Poller {
            edge,
            epoll: None,
            generation: 0,
            pending: Vec::new(),
            clocks: Vec::new(),
            ready: Vec::new(),
            touched: Vec::new(),
            duplicates: Vec::new(),
            probes: Vec::new(),
            pollfds: Vec::new(),
            no_pwait2: false,
        }
    }

    pub(super) fn slot(&self) -> usize {
        usize::from(self.edge)
    }

    /// Drops `entry`'s registration (before it is closed or renumbered, so
    /// an epoll event can never name a descriptor number that moved).
    pub fn forget(&mut self, entry: &mut FdEntry) {
        let slot_index = self.slot();
        if entry.poll[slot_index].registered != 0 {
            if let Some(epoll) = &self.epoll {
                // Failure is harmless: the registration is gone either way.
                let _ = epoll::delete(epoll, entry.fd());
            }
            entry.poll[slot_index].registered = 0;
        }
    }

    pub(super) fn error_event(&mut self, index: usize, errno: Errno) {
        let p = &mut self.pending[index];
        p.event.error = errno.0;
        p.fired = true;
    }

    /// Completes the subscriptions an epoll result belongs to (WasmEdge's
    /// `Poller::wait` rules). Returns whether any subscription fired.
    fn complete(&mut self, fds: &mut FdTable, epoll: BorrowedFd<'_>, ready: epoll::Event) -> Wake {
        let fd = ready.data.u64() as u32 as i32;
        let flags: EventFlags = ready.flags;
        let mut bits = flags.bits();
        let slot_index = self.slot();
        let Ok(entry) = fds.get_mut(fd) else {
            return Wake::Stale;
        };
        let listening = matches!(&entry.kind, FdKind::Socket(s) if s.listening);
        let is_socket = matches!(&entry.kind, FdKind::Socket(_));
        let slot = entry.poll[slot_index];
        if slot.generation != self.generation || (slot.read_sub == 0 && slot.write_sub == 0) {
            // Not subscribed in this call: drop the stale registration now.
            let _ = epoll::delete(epoll, entry.fd());
            entry.poll[slot_index].registered = 0;
            return Wake::Stale;
        }
        let (read_sub, write_sub) = (slot.read_sub, slot.write_sub);
        let in_out = (libc::EPOLLIN | libc::EPOLLOUT) as u32;
        if write_sub != 0 && slot.registered & libc::EPOLLOUT as u32 == 0 && bits & in_out == 0 {
            // The write probe answers this socket's FD_WRITE, so OUT is not
            // registered; WasmEdge registers it with the write subscription and
            // its wait then reports OUT with the HUP of an unconnected socket,
            // which keeps that HUP from completing the FD_READ (`wait` rules).
            bits |= writable_now(entry.fd());
        }
        self.apply_readiness(bits, read_sub, write_sub, entry.fd(), is_socket && !listening)
    }

    /// WasmEdge's rules for one readiness report (`bits` in epoll/poll
    /// encoding, which agree): IN, or HUP without IN/OUT, completes the READ
    /// subscription; OUT, or HUP without IN/OUT, the WRITE one; HANGUP is set
    /// only on HUP. READ nbytes is 1 for a non-listening socket (FIONREAD
    /// always succeeds there), otherwise what FIONREAD's success says.
    pub(super) fn apply_readiness(
        &mut self,
        bits: u32,
        read_sub: u32,
        write_sub: u32,
        fd: BorrowedFd<'_>,
        readable_socket: bool,
    ) -> Wake {
        let hup = bits & libc::EPOLLHUP as u32 != 0;
        let no_in_out = bits & (libc::EPOLLIN | libc::EPOLLOUT) as u32 == 0;
        let flags = if hup { EVENT_FD_READWRITE_HANGUP } else { 0 };
        let mut fired = false;
        if read_sub != 0 && (bits & libc::EPOLLIN as u32 != 0 || (no_in_out && hup)) {
            let nbytes = if readable_socket { 1 } else { read_nbytes(fd) };
            self.fire(read_sub, nbytes, flags);
            fired = true;
        }
        if write_sub != 0 && (bits & libc::EPOLLOUT as u32 != 0 || (no_in_out && hup)) {
            self.fire(write_sub, write_nbytes(fd), flags);
            fired = true;
        }
        if fired {
            Wake::Fired
        } else {
            Wake::Nothing
        }
    }

    fn fire(&mut self, sub: u32, nbytes: u64, flags: u16) {
        let p = &mut self.pending[sub as usize - 1];
        p.fired = true;
        p.event.error = 0;
        p.event.nbytes = nbytes;
        p.event.flags = flags;
    }

    /// One wait with the earliest clock deadline as timeout (none: block),
    /// retried on EINTR. A timeout of whole milliseconds goes through rustix
    /// (`epoll_pwait`); a finer one through `epoll_pwait2`, which rustix's
    /// `epoll::wait` would round up to the next millisecond, and without it
    /// (before Linux 5.11) that rounding is what happens.
    fn wait(&mut self, epoll: BorrowedFd<'_>, timeout_ns: Option<u64>) -> Result<usize, Errno> {
        loop {
            let result = match timeout_ns {
                Some(ns) if ns % 1_000_000 != 0 && !self.no_pwait2 => {
                    epoll_pwait2(epoll, &mut self.ready, ns)
                }
                _ => {
                    // Rounded up to whole milliseconds, and capped (~24 days) so
                    // rustix always makes it an `epoll_pwait` timeout; a longer
                    // wait simply wakes and waits again.
                    let ms = timeout_ns.map(|ns| ns.div_ceil(1_000_000).min(i32::MAX as u64));
                    let ts = ms.map(|ms| Timespec {
                        tv_sec: (ms / 1000) as i64,
                        tv_nsec: ((ms % 1000) * 1_000_000) as i64,
                    });
                    epoll::wait(epoll, &mut self.ready[..], ts.as_ref()).map_err(Errno::from)
                }
            };
            match result {
                Ok(n) => return Ok(n),
                Err(Errno::INTR) => continue,
                Err(Errno::NOSYS) if !self.no_pwait2 => self.no_pwait2 = true,
                Err(errno) => return Err(errno),
            }
        }
    }

    /// The whole call after argument validation: returns how many events were
    /// written, or (WasmEdge's failure path) an errno carried by every event.
    pub(super) fn poll(
        &mut self,
        mem: &mut GuestMemory,
        fds: &mut FdTable,
        input: u32,
        out: u32,
        count: u32,
    ) -> Result<u32, Errno> {
        let epoll = match self.epoll.take() {
            Some(epoll) => epoll,
            None => epoll::create(epoll::CreateFlags::CLOEXEC)?,
        };
        let outcome = self.poll_on(epoll.as_fd(), mem, fds, input, out, count);
        self.epoll = Some(epoll);
        outcome
    }

    fn poll_on(
        &mut self,
        epfd: BorrowedFd<'_>,
        mem: &mut GuestMemory,
        fds: &mut FdTable,
        input: u32,
        out: u32,
        count: u32,
    ) -> Result<u32, Errno> {
        self.generation += 1;
        self.pending.clear();
        self.clocks.clear();
        self.touched.clear();
        self.duplicates.clear();
        // Read the clocks only if a clock subscription needs them.
        let mut now = None;
        for index in 0..count {
            let sub = read_subscription(mem, input, index)?;
            let (userdata, kind) = match sub {
                Subscription::Clock { userdata, .. } => (userdata, eventtype::CLOCK),
                Subscription::FdRead { userdata, .. } => (userdata, eventtype::FD_READ),
                Subscription::FdWrite { userdata, .. } => (userdata, eventtype::FD_WRITE),
                Subscription::Unknown { userdata, tag } => (userdata, tag),
            };
            self.pending.push(Pending { event: Event { userdata, kind, ..Event::default() }, fired: false });
            let i = index as usize;
            match sub {
                Subscription::Clock { id, timeout, flags, .. } => {
                    let (mono, real) = *now.get_or_insert_with(|| {
                        (clock::now_ns(libc::CLOCK_MONOTONIC), clock::now_ns(libc::CLOCK_REALTIME))
                    });
                    match clock::deadline(id, timeout, flags, mono, real) {
                        Ok(deadline) => self.clocks.push(ClockWait { index, deadline }),
                        Err(errno) => self.error_event(i, errno),
                    }
                }
                Subscription::FdRead { fd, .. } => self.note_subscription(fds, i, fd, false),
                Subscription::FdWrite { fd, .. } => self.note_subscription(fds, i, fd, true),
                Subscription::Unknown { .. } => self.error_event(i, Errno::INVAL),
            }
        }
        let wanted = count as usize + 16;
        if self.ready.len() < wanted {
            self.ready
                .resize(wanted, epoll::Event { flags: EventFlags::empty(), data: EventData::new_u64(0) });
        }
        // Registrations change only now, once per descriptor; writability of
        // sockets not registered for OUT is probed without touching epoll.
        let probed = self.apply_interest(fds, epfd);
        let earliest = self.clocks.iter().map(|c| c.deadline).min();
        let mut fired = matches!(probed.wake, Wake::Fired);
        let mut woke = matches!(probed.wake, Wake::Nothing);
        // Something is already reported: only collect what else is ready,
        // unless the probe already asked every subscribed descriptor.
        let mut drain = fired || woke;
        let mut answered = drain && probed.complete;
        loop {
            let timeout = if drain {
                Some(0)
            } else {
                earliest.map(|d| d.saturating_sub(clock::now_ns(libc::CLOCK_MONOTONIC)))
            };
            let n = if std::mem::take(&mut answered) {
                0
            } else {
                match self.wait(epfd, timeout) {
                    Ok(n) => n,
                    Err(errno) => {
                        for p in &mut self.pending {
                            p.fired = true;
                            p.event.error = errno.0;
                        }
                        break;
                    }
                }
            };
            for k in 0..n {
                let ready = self.ready[k];
                match self.complete(fds, epfd, ready) {
                    Wake::Fired => fired = true,
                    // e.g. EPOLLERR alone: WasmEdge returns with no event.
                    Wake::Nothing => woke = true,
                    Wake::Stale => {}
                }
            }
            if earliest.is_some() {
                let now = clock::now_ns(libc::CLOCK_MONOTONIC);
                for c in 0..self.clocks.len() {
                    let wait = self.clocks[c];
                    if wait.deadline <= now {
                        let p = &mut self.pending[wait.index as usize];
                        p.fired = true;
                        fired = true;
                    }
                }
            }
            // A full buffer may hide more ready descriptors: look again
            // without blocking before reporting.
            if n == self.ready.len() {
                drain = true;
                continue;
            }
            if fired || woke {
                break;
            }
            // Only stale registrations woke us (or a clock is not due yet).
            drain = false;
        }
        let mut written = 0;
        for p in &self.pending {
            if p.fired {
                write_event(mem, out, written, &p.event)?;
                written += 1;
            }
        }
        Ok(written)
    }
}

/// `EPOLLOUT` if `fd` is writable now (a zero-timeout `poll(2)`), else 0.
fn writable_now(fd: BorrowedFd<'_>) -> u32 {
    let mut probe = [PollFd::from_borrowed_fd(fd, PollFlags::OUT)];
    let ready = matches!(rustix::event::poll(&mut probe, Some(&Timespec::default())), Ok(n) if n > 0);
    if ready && probe[0].revents().contains(PollFlags::OUT) {
        libc::EPOLLOUT as u32
    } else {
        0
    }
}

/// FD_READ nbytes: 1 whenever FIONREAD succeeds, 0 when it fails (WasmEdge's
/// inverted test; it fails on a listening TCP socket).
fn read_nbytes(fd: BorrowedFd<'_>) -> u64 {
    u64::from(rustix::io::ioctl_fionread(fd).is_ok())
}

/// FD_WRITE nbytes: SO_SNDBUF − TIOCOUTQ, or 1 if either query fails.
fn write_nbytes(fd: BorrowedFd<'_>) -> u64 {
    let (Ok(sndbuf), Ok(queued)) = (sockopt::socket_send_buffer_size(fd), send_queue_len(fd)) else {
        return 1;
    };
    (sndbuf as i64 - i64::from(queued)) as u64
}
