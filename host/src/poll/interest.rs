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

use super::poller::{Poller, Wake};
use crate::abi::rights;
use crate::errno::Errno;
use crate::fd_table::{FdKind, FdTable};

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
    fn register(&mut self, fds: &mut FdTable, epfd: i32, fd: i32, events: u32) -> bool {
        let slot_index = self.slot();
        let edge = self.edge;
        let Ok(entry) = fds.get_mut(fd) else {
            return false;
        };
        let raw = entry.raw_fd();
        let slot = &mut entry.poll[slot_index];
        let op = if slot.registered == 0 {
            libc::EPOLL_CTL_ADD
        } else if slot.registered != events || edge {
            libc::EPOLL_CTL_MOD
        } else {
            return true;
        };
        let mut ev = libc::epoll_event { events, u64: fd as u32 as u64 };
        // SAFETY: valid epoll and target descriptors, `ev` is initialised.
        if unsafe { libc::epoll_ctl(epfd, op, raw, &mut ev) } == 0 {
            slot.registered = events;
            return true;
        }
        let errno = Errno::last_os_error();
        let subs = [slot.read_sub, slot.write_sub];
        if op == libc::EPOLL_CTL_ADD {
            slot.read_sub = 0;
            slot.write_sub = 0;
        }
        for sub in subs.into_iter().filter(|&s| s != 0) {
            self.error_event(sub as usize - 1, errno);
        }
        false
    }

    /// Phase 2: registrations for every descriptor subscribed in this call,
    /// and the write probe. Returns `Fired` if a probe already completed a
    /// subscription, `Nothing` if a probe woke on something that completes
    /// none (EPOLLERR alone), `Stale` if the probe reported nothing.
    pub(super) fn apply_interest(&mut self, fds: &mut FdTable, epfd: i32) -> Wake {
        let slot_index = self.slot();
        self.probes.clear();
        self.probe_fds.clear();
        for k in 0..self.touched.len() {
            let fd = self.touched[k];
            let Ok(entry) = fds.get(fd) else {
                continue;
            };
            let is_socket = matches!(entry.kind, FdKind::Socket(_));
            let raw = entry.raw_fd();
            let slot = entry.poll[slot_index];
            let (read, write) = (slot.read_sub != 0, slot.write_sub != 0);
            let out_registered = slot.registered & libc::EPOLLOUT as u32 != 0;
            if write && is_socket && !self.edge && !out_registered {
                // Reads still come from epoll, so IN must be registered.
                if read && slot.registered & libc::EPOLLIN as u32 == 0 {
                    self.register(fds, epfd, fd, events_for(true, false, false));
                }
                let mut wanted = libc::POLLOUT | libc::POLLRDHUP;
                if read {
                    wanted |= libc::POLLIN;
                }
                self.probes.push(libc::pollfd { fd: raw, events: wanted, revents: 0 });
                self.probe_fds.push(fd);
                continue;
            }
            self.register(fds, epfd, fd, events_for(read, write, self.edge));
        }
        if self.probes.is_empty() {
            return Wake::Stale;
        }
        let ready = loop {
            // SAFETY: `probes` is a valid array of pollfds.
            let rc = unsafe { libc::poll(self.probes.as_mut_ptr(), self.probes.len() as libc::nfds_t, 0) };
            if rc >= 0 || Errno::last_os_error() != Errno::INTR {
                break rc > 0;
            }
        };
        let mut outcome = Wake::Stale;
        for i in 0..self.probes.len() {
            let revents = if ready { self.probes[i].revents as u32 } else { 0 };
            let fd = self.probe_fds[i];
            let Ok(entry) = fds.get(fd) else {
                continue;
            };
            let raw = entry.raw_fd();
            let slot = entry.poll[slot_index];
            if slot.write_sub == 0 {
                // Its registration failed above; the error event is recorded.
                continue;
            }
            let signalled = (libc::POLLOUT | libc::POLLHUP | libc::POLLERR) as u32;
            if revents & signalled == 0 {
                // Not writable now: register OUT so the wait can block on it.
                self.register(fds, epfd, fd, events_for(slot.read_sub != 0, true, false));
                continue;
            }
            // Reads are left to epoll (read_sub 0 here), which sees the same state.
            match self.apply_readiness(revents, 0, slot.write_sub, raw, false) {
                Wake::Fired => outcome = Wake::Fired,
                Wake::Nothing if matches!(outcome, Wake::Stale) => outcome = Wake::Nothing,
                _ => {}
            }
        }
        outcome
    }
}

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
    fn poll_and_epoll_encode_readiness_alike() {
        // apply_readiness takes poll(2) revents as epoll bits.
        assert_eq!(libc::POLLIN as i32, libc::EPOLLIN);
        assert_eq!(libc::POLLOUT as i32, libc::EPOLLOUT);
        assert_eq!(libc::POLLERR as i32, libc::EPOLLERR);
        assert_eq!(libc::POLLHUP as i32, libc::EPOLLHUP);
        assert_eq!(libc::POLLRDHUP as i32, libc::EPOLLRDHUP);
    }
}
