//! Clocks, randomness, `sched_yield`, `proc_exit` and `proc_raise`.

use rustix::process::Signal;
use rustix::time::ClockId;
use wasmtime::Caller;

use crate::abi::clockid;
use crate::errno::{require_aligned, CallError, Errno};
use crate::host_state::{memory_and_state, HostState};

/// `proc_exit(code)` unwinds the guest with this error; the runner turns it
/// into the process exit status (like `wasmtime_wasi::I32Exit`).
#[derive(Debug, thiserror::Error)]
#[error("guest called proc_exit({0})")]
pub struct ProcExit(pub u32);

/// The Linux clock for a WASI clock id (`INVAL` if unknown).
fn native_clock(id: u32) -> Result<ClockId, Errno> {
    match id {
        clockid::REALTIME => Ok(ClockId::Realtime),
        clockid::MONOTONIC => Ok(ClockId::Monotonic),
        clockid::PROCESS_CPUTIME => Ok(ClockId::ProcessCPUTime),
        clockid::THREAD_CPUTIME => Ok(ClockId::ThreadCPUTime),
        _ => Err(Errno::INVAL),
    }
}

fn to_ns(ts: &rustix::time::Timespec) -> u64 {
    (ts.tv_sec as u64).wrapping_mul(1_000_000_000).wrapping_add(ts.tv_nsec as u64)
}

/// `clock_res_get(id, resolution)` (`resolution`) and `clock_time_get(id,
/// precision, time)`; `name` is the function, for the trap message.
pub(crate) fn clock_query(
    caller: &mut Caller<'_, HostState>,
    name: &'static str,
    id: u32,
    out: u32,
    resolution: bool,
) -> Result<(), CallError> {
    require_aligned(name, out, 8)?;
    let (mut mem, _) = memory_and_state(caller)?;
    mem.check(out, 8)?;
    let clock = native_clock(id)?;
    // Linux's static clocks: neither call can fail for them.
    let ts = if resolution { rustix::time::clock_getres(clock) } else { rustix::time::clock_gettime(clock) };
    mem.write_u64(out, to_ns(&ts))?;
    Ok(())
}

/// `random_get(buf, len)`: filled from the OS generator.
pub(crate) fn fill_random(caller: &mut Caller<'_, HostState>, buf: u32, len: u32) -> Result<(), CallError> {
    let (mut mem, _) = memory_and_state(caller)?;
    let target = mem.bytes_mut(buf, len)?;
    let mut filled = 0;
    while filled < target.len() {
        match rustix::rand::getrandom(&mut target[filled..], rustix::rand::GetRandomFlags::empty()) {
            Ok(n) => filled += n,
            Err(rustix::io::Errno::INTR) => continue,
            Err(errno) => return Err(Errno::from(errno).into()),
        }
    }
    Ok(())
}

/// `sched_yield()`.
pub(crate) fn sched_yield(_caller: &mut Caller<'_, HostState>) -> Result<(), Errno> {
    rustix::thread::sched_yield();
    Ok(())
}

/// `proc_exit(code)`: the error that unwinds the guest; never returns to it.
pub(crate) fn proc_exit(_caller: &mut Caller<'_, HostState>, code: u32) -> wasmtime::Error {
    wasmtime::Error::new(ProcExit(code))
}

/// The Linux signal for a WASI `__wasi_signal_t` (0 = none).
fn native_signal(wasi_signal: u8) -> Option<libc::c_int> {
    use libc::*;
    const TABLE: [c_int; 31] = [
        0, SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGKILL, SIGUSR1, SIGSEGV,
        SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG,
        SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGWINCH, SIGPOLL, SIGPWR, SIGSYS,
    ];
    TABLE.get(usize::from(wasi_signal)).copied()
}

/// `proc_raise(signal)`: raises the signal in the host process, as WasmEdge
/// does (`INVAL` for an unknown signal). The signal goes to the process, whose
/// main thread — the one running the guest — the kernel picks first, as
/// `raise` would.
pub(crate) fn proc_raise(_caller: &mut Caller<'_, HostState>, signal: u32) -> Result<(), Errno> {
    let native = native_signal(signal as u8).ok_or(Errno::INVAL)?;
    if let Some(native) = Signal::from_named_raw(native) {
        rustix::process::kill_process(rustix::process::getpid(), native)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_ids_map_to_linux_clocks() {
        assert_eq!(native_clock(0), Ok(ClockId::Realtime));
        assert_eq!(native_clock(1), Ok(ClockId::Monotonic));
        assert_eq!(native_clock(3), Ok(ClockId::ThreadCPUTime));
        assert_eq!(native_clock(4), Err(Errno::INVAL));
    }

    #[test]
    fn signals_follow_the_wasi_numbering() {
        assert_eq!(native_signal(0), Some(0));
        assert_eq!(native_signal(6), Some(libc::SIGABRT));
        assert_eq!(native_signal(15), Some(libc::SIGTERM));
        assert_eq!(native_signal(30), Some(libc::SIGSYS));
        assert_eq!(native_signal(31), None);
        // Every WASI signal but "none" is one rustix can send.
        for wasi in 1..=30 {
            let native = native_signal(wasi).unwrap();
            assert!(Signal::from_named_raw(native).is_some(), "signal {native}");
        }
    }
}
