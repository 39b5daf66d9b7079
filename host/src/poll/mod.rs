//! `poll_oneoff` (level-triggered) and `epoll_oneoff` (edge-triggered), §8.
//!
//! Observable behaviour is WasmEdge's: events in subscription order, error
//! events that do not end the wait, HANGUP only on EPOLLHUP, READ nbytes 1
//! (0 on listeners), 0 subscriptions return at once. The machinery is
//! cheaper: registrations persist in one epoll set and are only changed when
//! a descriptor's interest changes; a descriptor that was not re-subscribed
//! is removed lazily, the first time it wakes the wait (WasmEdge removes it
//! before every wait); socket write interest is probed with one `poll(2)`
//! (see `interest`). Clocks become one timeout instead of one timerfd each.
//! No allocation per call once the buffers have grown.
//!
//! - [`layout`] — subscription/event structs in guest memory.
//! - [`clock`] — clock subscriptions as monotonic deadlines.
//! - `poller` — the epoll set and one call's bookkeeping.
//! - `interest` — registrations from subscriptions, and the write probe.

pub mod clock;
mod interest;
pub mod layout;
mod poller;

pub use poller::Poller;

use wasmtime::Caller;

use crate::abi::{eventtype, EVENT_SIZE, SUBSCRIPTION_SIZE};
use crate::errno::{require_aligned, CallError, Errno};
use crate::host_state::{memory_and_state, HostState};
use layout::{read_subscription, write_event, Event, Subscription};

/// `poll_oneoff(in, out, nsubscriptions, nevents)` (`which` 0) and
/// `epoll_oneoff` (`which` 1, same ABI, edge-triggered registrations).
pub(crate) fn poll_call(
    caller: &mut Caller<'_, HostState>,
    args: [u32; 4],
    which: usize,
) -> Result<(), CallError> {
    let [input, out, count, nevents] = args;
    require_aligned("poll_oneoff", input, 8)?;
    require_aligned("poll_oneoff", out, 8)?;
    require_aligned("poll_oneoff", nevents, 4)?;
    let (mut mem, state) = memory_and_state(caller)?;
    let subs_len = u64::from(count) * u64::from(SUBSCRIPTION_SIZE);
    let events_len = u64::from(count) * u64::from(EVENT_SIZE);
    if subs_len > u64::from(u32::MAX) || events_len > u64::from(u32::MAX) {
        return Err(Errno::FAULT.into());
    }
    mem.check(input, subs_len as u32)?;
    mem.check(out, events_len as u32)?;
    mem.check(nevents, 4)?;
    if count == 0 {
        mem.write_u32(nevents, 0)?;
        return Ok(());
    }
    let HostState { pollers, fds, .. } = state;
    match pollers[which].poll(&mut mem, fds, input, out, count) {
        Ok(written) => {
            mem.write_u32(nevents, written)?;
            Ok(())
        }
        Err(errno) => {
            // Preparing the poller failed: every subscription carries the error.
            for index in 0..count {
                let sub = read_subscription(&mem, input, index)?;
                let (userdata, kind) = match sub {
                    Subscription::Clock { userdata, .. } => (userdata, eventtype::CLOCK),
                    Subscription::FdRead { userdata, .. } => (userdata, eventtype::FD_READ),
                    Subscription::FdWrite { userdata, .. } => (userdata, eventtype::FD_WRITE),
                    Subscription::Unknown { userdata, tag } => (userdata, tag),
                };
                let event = Event { userdata, error: errno.0, kind, ..Event::default() };
                write_event(&mut mem, out, index, &event)?;
            }
            mem.write_u32(nevents, count)?;
            Err(errno.into())
        }
    }
}
