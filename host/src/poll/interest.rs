//! Turning one call's subscriptions into epoll registrations.
//!
//! Phase 1 (`note_subscription`, in subscription order) produces WasmEdge's
//! error events — `BADF`, `NOTCAPABLE`, `EXIST` — and remembers each valid
//! subscription on its descriptor. Phase 2 (`apply_interest`) then changes
//! each descriptor's registration at most once, and only if its interest
//! differs from what is already registered.
//!
//! Write interest on sockets gets one more shortcut. Guests built on mio_wasi
//! subscribe FD_WRITE after every successful I/O, on sockets that are nearly
//! always writable; registering OUT for that and removing it again on the
//! next call would cost two `epoll_ctl`s per request. Instead, all such
//! sockets are asked once, together, with `poll(2)` and a zero timeout, which
//! evaluates the same readiness function epoll would. A writable one is
//! reported right away (the call then only collects what else is ready,
//! without blocking); one that is not writable gets OUT registered as usual,
//! so the wait can block on it.
//!
//! When such a probe is needed and the call subscribes only a few
//! descriptors, all sockets, the same `poll(2)` also asks every other
//! subscribed descriptor (and reads on the probed ones). If it finds anything
//! ready, that is already everything an epoll wait would report, so the call
//! answers without one: a request/response on one connection then costs one
//! system call per `poll_oneoff` instead of two.

use std::os::fd::BorrowedFd;

use rustix::event::epoll::{self, EventData, EventFlags};
use rustix::event::{PollFd, PollFlags, Timespec};

use super::poller::{Poller, Wake};
use crate::abi::rights;
use crate::errno::Errno;
use crate::fd_table::{FdKind, FdTable};

/// One descriptor the probe asks, by guest number.
#[derive(Clone, Copy)]
pub(super) struct ProbeSlot {
    fd: i32,
    events: PollFlags,
    /// What `poll(2)` reported (empty if it reported nothing).
    revents: PollFlags,
}

/// The epoll events WasmEdge registers for a descriptor's interest.
fn events_for(read: bool, write: bool, edge: bool) -> u32 {
    let mut events = libc::EPOLLRDHUP as u32;
    if read {
        events |= libc::EPOLLIN as u32;
    }
    if write {
        events |= libc::EPOLLOUT as u32;
    }
    if edge {
        events |= libc::EPOLLET as u32;
    }
    events
}

/// The `poll(2)` events a probe asks a descriptor for: hang-up always, plus
/// what it is subscribed for.
fn probe_events(read: bool, write: bool) -> PollFlags {
    let mut events = PollFlags::RDHUP;
    if read {
        events |= PollFlags::IN;
    }
    if write {
        events |= PollFlags::OUT;
    }
    events
}

/// An empty `PollFd` vector under another lifetime, keeping the allocation
/// (the standard library collects a `vec::IntoIter` of same-layout items in
/// place), so the probe's array lives in the poller without borrowing the
/// descriptor table across calls.
#[allow(clippy::unnecessary_filter_map, reason = "the element's lifetime changes, which `filter` cannot do")]
fn recycle<'b>(mut pollfds: Vec<PollFd<'_>>) -> Vec<PollFd<'b>> {
    pollfds.clear();
    pollfds.into_iter().filter_map(|_| None).collect()
}

impl Poller {
    /// Phase 1: error events, or the subscription noted on its descriptor
    /// (WasmEdge's `Poller::read`/`write` checks, in the same order).
    pub(super) fn note_subscription(&mut self, fds: &mut FdTable, index: usize, fd: i32, write: bool) {
        let slot_index = self.slot();
        let generation = self.generation;
        let entry = match fds.get_mut(fd) {
            Ok(entry) => entry,
            Err(errno) => return self.error_event(index, errno),
        };
        let needed = if write { rights::FD_WRITE } else { rights::FD_READ };
        if !entry.can(rights::POLL_FD_READWRITE, 0) && !entry.can(needed, 0) {
            return self.error_event(index, Errno::NOTCAPABLE);
        }
        let slot = &mut entry.poll[slot_index];
        if slot.generation != generation {
            slot.generation = generation;
            slot.read_sub = 0;
            slot.write_sub = 0;
        }
        let mine = if write { slot.write_sub } else { slot.read_sub };
        if mine != 0 {
            self.duplicates.push((index, fd));
            return self.error_event(index, Errno::EXIST);
        }
        if slot.read_sub == 0 && slot.write_sub == 0 {
            self.touched.push(fd);
        }
        let sub = index as u32 + 1;
        if write {
            slot.write_sub = sub;
        } else {
            slot.read_sub = sub;
        }
    }

    /// Makes `fd`'s registration `events` (ADD, MOD, or nothing if it already
    /// is; edge-triggered registrations are always re-armed). A failure is
    /// the error event of the descriptor's subscriptions, as in WasmEdge.
    fn register(&mut self, fds: &mut FdTable, epfd: BorrowedFd<'_>, fd: i32, events: u32) -> bool {
        let slot_index = self.slot();
        let edge = self.edge;
        let Ok(entry) = fds.get_mut(fd) else {
            return false;
        };
        let registered = entry.poll[slot_index].registered;
        let add = registered == 0;
        if !add && registered == events && !edge {
            return true;
        }
        let (data, flags) = (EventData::new_u64(u64::from(fd as u32)), EventFlags::from_bits_retain(events));
        let outcome = if add {
            epoll::add(epfd, entry.fd(), data, flags)
        } else {
            epoll::modify(epfd, entry.fd(), data, flags)
        };
        let slot = &mut entry.poll[slot_index];
        let Err(errno) = outcome else {
            slot.registered = events;
            return true;
        };
        let errno = Errno::from(errno);
        let subs = [slot.read_sub, slot.write_sub];
        if add {
            slot.read_sub = 0;
            slot.write_sub = 0;
            // WasmEdge adds each subscription as it reads it and forgets a
            // descriptor whose ADD failed, so a second subscription of the
            // same kind is tried, and refused, again instead of being EXIST
            // (0.17.0 lib/host/wasi/inode-linux.cpp `Poller::read`/`write`).
            for k in 0..self.duplicates.len() {
                let (index, dup_fd) = self.duplicates[k];
                if dup_fd == fd {
                    self.error_event(index, errno);
                }
            }
        }
        for sub in subs.into_iter().filter(|&s| s != 0) {
            self.error_event(sub as usize - 1, errno);
        }
        false
    }

    /// Phase 2: registrations for every descriptor subscribed in this call,
    /// and the write probe. `wake` is `Fired` if the probe already completed
    /// a subscription, `Nothing` if it woke on something that completes none
    /// (EPOLLERR alone), `Stale` if it reported nothing. `complete` says the
    /// probe asked every subscribed descriptor for everything subscribed, so
    /// an epoll wait could report nothing more.
    pub(super) fn apply_interest(&mut self, fds: &mut FdTable, epfd: BorrowedFd<'_>) -> Probe {
        let slot_index = self.slot();
        self.probes.clear();
        // When a write probe is needed anyway and every subscribed descriptor
        // is one of a few sockets, the probe asks them all (reads too): a
        // readiness found then is the whole answer, without an epoll wait.
        let mut whole = !self.edge && self.touched.len() <= WHOLE_PROBE_MAX;
        // Which of `touched` (by position) got a write probe.
        let mut write_probed: u64 = 0;
        for k in 0..self.touched.len() {
            let fd = self.touched[k];
            let Ok(entry) = fds.get(fd) else {
                continue;
            };
            let is_socket = matches!(entry.kind, FdKind::Socket(_));
            whole &= is_socket;
            let slot = entry.poll[slot_index];
            let (read, write) = (slot.read_sub != 0, slot.write_sub != 0);
            let out_registered = slot.registered & libc::EPOLLOUT as u32 != 0;
            if write && is_socket && !self.edge && !out_registered {
                // Reads still come from epoll, so IN must be registered.
                if read && slot.registered & libc::EPOLLIN as u32 == 0 {
                    self.register(fds, epfd, fd, events_for(true, false, false));
                }
                self.probes.push(ProbeSlot {
                    fd,
                    events: probe_events(read, true),
                    revents: PollFlags::empty(),
                });
                if k < 64 {
                    write_probed |= 1 << k;
                }
                continue;
            }
            self.register(fds, epfd, fd, events_for(read, write, self.edge));
        }
        if self.probes.is_empty() {
            return Probe { wake: Wake::Stale, complete: false };
        }
        let write_probes = self.probes.len();
        if whole {
            for k in 0..self.touched.len() {
                if write_probed & (1 << k) != 0 {
                    continue;
                }
                let fd = self.touched[k];
                let Ok(entry) = fds.get(fd) else {
                    continue;
                };
                let slot = entry.poll[slot_index];
                let events = probe_events(slot.read_sub != 0, slot.write_sub != 0);
                self.probes.push(ProbeSlot { fd, events, revents: PollFlags::empty() });
            }
        }
        self.probe(fds);
        let mut wake = Wake::Stale;
        for i in 0..self.probes.len() {
            let revents = u32::from(self.probes[i].revents.bits());
            if revents == 0 && i >= write_probes {
                // Asked only for the whole answer, and nothing is ready.
                continue;
            }
            let fd = self.probes[i].fd;
            let Ok(entry) = fds.get(fd) else {
                continue;
            };
            let listening = matches!(&entry.kind, FdKind::Socket(s) if s.listening);
            let slot = entry.poll[slot_index];
            if slot.read_sub == 0 && slot.write_sub == 0 {
                // Its registration failed above; the error events are recorded.
                continue;
            }
            let signalled = u32::from((PollFlags::OUT | PollFlags::HUP | PollFlags::ERR).bits());
            if i < write_probes && slot.write_sub != 0 && revents & signalled == 0 {
                // Not writable now: register OUT so the wait can block on it.
                self.register(fds, epfd, fd, events_for(slot.read_sub != 0, true, false));
                if !whole {
                    continue;
                }
            }
            if revents == 0 {
                continue;
            }
            // Without the whole probe, reads are left to epoll, which sees
            // the same state.
            let read_sub = if whole { slot.read_sub } else { 0 };
            let Ok(entry) = fds.get(fd) else {
                continue;
            };
            match self.apply_readiness(revents, read_sub, slot.write_sub, entry.fd(), !listening) {
                Wake::Fired => wake = Wake::Fired,
                Wake::Nothing if matches!(wake, Wake::Stale) => wake = Wake::Nothing,
                _ => {}
            }
        }
        Probe { wake, complete: whole }
    }

    /// One zero-timeout `poll(2)` over `probes` (retried on EINTR), its
    /// answers stored in their `revents`.
    fn probe(&mut self, fds: &FdTable) {
        let mut pollfds = recycle(std::mem::take(&mut self.pollfds));
        // Every probed descriptor is in the table: the probes were made from
        // it in this call and nothing was closed since.
        for probe in &self.probes {
            if let Ok(entry) = fds.get(probe.fd) {
                pollfds.push(PollFd::from_borrowed_fd(entry.fd(), probe.events));
            }
        }
        let ready = loop {
            match rustix::event::poll(&mut pollfds, Some(&Timespec::default())) {
                Err(rustix::io::Errno::INTR) => continue,
                outcome => break matches!(outcome, Ok(n) if n > 0),
            }
        };
        let mut answers = pollfds.iter();
        for probe in &mut self.probes {
            probe.revents = PollFlags::empty();
            if fds.get(probe.fd).is_ok() {
                if let Some(answer) = answers.next() {
                    probe.revents = if ready { answer.revents() } else { PollFlags::empty() };
                }
            }
        }
        self.pollfds = recycle(pollfds);
    }
}

/// What the probe found.
pub(super) struct Probe {
    pub(super) wake: Wake,
    /// Every subscribed descriptor was asked for all its subscriptions.
    pub(super) complete: bool,
}

/// Up to this many subscribed descriptors the probe asks them all; beyond,
/// one epoll wait is cheaper than polling each.
const WHOLE_PROBE_MAX: usize = 32;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registrations_follow_wasmedge_masks() {
        let rdhup = libc::EPOLLRDHUP as u32;
        assert_eq!(events_for(true, false, false), rdhup | libc::EPOLLIN as u32);
        assert_eq!(events_for(false, true, false), rdhup | libc::EPOLLOUT as u32);
        assert_eq!(
            events_for(true, true, true),
            rdhup | (libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLET) as u32
        );
    }

    #[test]
    fn the_probe_array_keeps_its_allocation_between_calls() {
        let kept: Vec<PollFd<'static>> = Vec::with_capacity(40);
        let again: Vec<PollFd<'_>> = recycle(kept);
        assert!(again.is_empty() && again.capacity() >= 40);
    }

    #[test]
    fn poll_and_epoll_encode_readiness_alike() {
        // apply_readiness takes poll(2) revents as epoll bits.
        assert_eq!(libc::POLLIN as i32, libc::EPOLLIN);
        assert_eq!(libc::POLLOUT as i32, libc::EPOLLOUT);
        assert_eq!(libc::POLLERR as i32, libc::EPOLLERR);
        assert_eq!(libc::POLLHUP as i32, libc::EPOLLHUP);
        assert_eq!(libc::POLLRDHUP as i32, libc::EPOLLRDHUP);
    }
}
