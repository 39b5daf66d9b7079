//! Clock subscriptions as deadlines on the monotonic clock.
//!
//! WasmEdge arms a timerfd per clock subscription (three syscalls each); we
//! compute the same expiry instant once and hand the earliest one to
//! `epoll_pwait2` as its timeout, which is observably the same and cheaper.

use rustix::time::ClockId;

use crate::abi::{clockid, SUBSCRIPTION_CLOCK_ABSTIME};
use crate::errno::Errno;

/// Nanoseconds on `clock` now (one of Linux's four static clocks; any other
/// id reads the monotonic clock).
pub fn now_ns(clock: libc::clockid_t) -> u64 {
    let id = match clock {
        libc::CLOCK_REALTIME => ClockId::Realtime,
        libc::CLOCK_PROCESS_CPUTIME_ID => ClockId::ProcessCPUTime,
        libc::CLOCK_THREAD_CPUTIME_ID => ClockId::ThreadCPUTime,
        _ => ClockId::Monotonic,
    };
    let ts = rustix::time::clock_gettime(id);
    (ts.tv_sec as u64).saturating_mul(1_000_000_000).saturating_add(ts.tv_nsec as u64)
}

/// The monotonic instant (ns) at which a clock subscription expires, or the
/// errno of its error event: `INVAL` for an unknown id or flags beyond
/// ABSTIME, and for the CPU-time clocks (timerfd does not support them, so
/// WasmEdge's timer creation fails with EINVAL).
pub fn deadline(id: u32, timeout: u64, flags: u16, now_mono: u64, now_real: u64) -> Result<u64, Errno> {
    if id > clockid::THREAD_CPUTIME || flags & !SUBSCRIPTION_CLOCK_ABSTIME != 0 {
        return Err(Errno::INVAL);
    }
    // A zero timeout would disarm a timerfd; WasmEdge uses 1 ns instead.
    let timeout = timeout.max(1);
    let absolute = flags & SUBSCRIPTION_CLOCK_ABSTIME != 0;
    match id {
        clockid::MONOTONIC if absolute => Ok(timeout),
        clockid::REALTIME if absolute => Ok(now_mono.saturating_add(timeout.saturating_sub(now_real))),
        clockid::MONOTONIC | clockid::REALTIME => Ok(now_mono.saturating_add(timeout)),
        _ => Err(Errno::INVAL),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_clocks_add_to_now() {
        assert_eq!(deadline(clockid::MONOTONIC, 20, 0, 1000, 5), Ok(1020));
        assert_eq!(deadline(clockid::REALTIME, 20, 0, 1000, 5), Ok(1020));
    }

    #[test]
    fn zero_timeout_becomes_one_nanosecond() {
        assert_eq!(deadline(clockid::MONOTONIC, 0, 0, 1000, 0), Ok(1001));
    }

    #[test]
    fn absolute_clocks_use_their_own_time_base() {
        assert_eq!(deadline(clockid::MONOTONIC, 5000, 1, 1000, 0), Ok(5000));
        // Realtime deadline 300 ns after realtime-now maps to mono-now + 300.
        assert_eq!(deadline(clockid::REALTIME, 10_300, 1, 1000, 10_000), Ok(1300));
        // A realtime deadline in the past expires at once.
        assert_eq!(deadline(clockid::REALTIME, 5, 1, 1000, 10_000), Ok(1000));
    }

    #[test]
    fn bad_ids_flags_and_cpu_clocks_are_inval() {
        assert_eq!(deadline(4, 1, 0, 0, 0), Err(Errno::INVAL));
        assert_eq!(deadline(clockid::MONOTONIC, 1, 2, 0, 0), Err(Errno::INVAL));
        assert_eq!(deadline(clockid::PROCESS_CPUTIME, 1, 0, 0, 0), Err(Errno::INVAL));
        assert_eq!(deadline(clockid::THREAD_CPUTIME, 1, 0, 0, 0), Err(Errno::INVAL));
    }

    #[test]
    fn monotonic_now_advances() {
        let a = now_ns(libc::CLOCK_MONOTONIC);
        let b = now_ns(libc::CLOCK_MONOTONIC);
        assert!(b >= a && a > 0);
        let real = now_ns(libc::CLOCK_REALTIME);
        assert!(real > 1_600_000_000 * 1_000_000_000, "realtime is the epoch clock");
    }
}
