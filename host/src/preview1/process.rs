//! Clocks, randomness, `sched_yield`, `proc_exit` and `proc_raise`.

use wasmtime::Caller;

use crate::abi::clockid;
use crate::errno::{into_wasm, require_aligned, CallError, Errno};
use crate::host_state::{memory_and_state, HostState};
use crate::sys::cvt;

/// `proc_exit(code)` unwinds the guest with this error; the runner turns it
/// into the process exit status (like `wasmtime_wasi::I32Exit`).
#[derive(Debug, thiserror::Error)]
#[error("guest called proc_exit({0})")]
pub struct ProcExit(pub u32);

/// The Linux clock for a WASI clock id (`INVAL` if unknown).
fn native_clock(id: u32) -> Result<libc::clockid_t, Errno> {
    match id {
        clockid::REALTIME => Ok(libc::CLOCK_REALTIME),
        clockid::MONOTONIC => Ok(libc::CLOCK_MONOTONIC),
        clockid::PROCESS_CPUTIME => Ok(libc::CLOCK_PROCESS_CPUTIME_ID),
        clockid::THREAD_CPUTIME => Ok(libc::CLOCK_THREAD_CPUTIME_ID),
        _ => Err(Errno::INVAL),
    }
}

fn to_ns(ts: &libc::timespec) -> u64 {
    (ts.tv_sec as u64).wrapping_mul(1_000_000_000).wrapping_add(ts.tv_nsec as u64)
}

fn clock_query(
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
    // SAFETY: all-zero timespec is valid; the call fills it.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    // SAFETY: valid clock id and out pointer.
    cvt(unsafe {
        if resolution {
            libc::clock_getres(clock, &mut ts)
        } else {
            libc::clock_gettime(clock, &mut ts)
        }
    })?;
    mem.write_u64(out, to_ns(&ts))?;
    Ok(())
}

/// `clock_res_get(id, resolution)`.
pub fn clock_res_get(mut caller: Caller<'_, HostState>, id: i32, out: i32) -> wasmtime::Result<i32> {
    into_wasm(clock_query(&mut caller, "clock_res_get", id as u32, out as u32, true))
}

/// `clock_time_get(id, precision, time)`: precision is ignored, as in WasmEdge.
pub fn clock_time_get(
    mut caller: Caller<'_, HostState>,
    id: i32,
    _precision: i64,
    out: i32,
) -> wasmtime::Result<i32> {
    into_wasm(clock_query(&mut caller, "clock_time_get", id as u32, out as u32, false))
}

/// `random_get(buf, len)`: filled from the OS generator.
pub fn random_get(mut caller: Caller<'_, HostState>, buf: i32, len: i32) -> wasmtime::Result<i32> {
    into_wasm(fill_random(&mut caller, buf as u32, len as u32))
}

fn fill_random(caller: &mut Caller<'_, HostState>, buf: u32, len: u32) -> Result<(), CallError> {
    let (mut mem, _) = memory_and_state(caller)?;
    let target = mem.bytes_mut(buf, len)?;
    let mut filled = 0;
    while filled < target.len() {
        let rest = &mut target[filled..];
        // SAFETY: `rest` is writable guest memory of the given length.
        let n = unsafe { libc::getrandom(rest.as_mut_ptr().cast(), rest.len(), 0) };
        if n < 0 {
            match Errno::last_os_error() {
                Errno::INTR => continue,
                errno => return Err(errno.into()),
            }
        }
        filled += n as usize;
    }
    Ok(())
}

/// `sched_yield()`.
pub fn sched_yield(_caller: Caller<'_, HostState>) -> wasmtime::Result<i32> {
    // SAFETY: no arguments.
    unsafe { libc::sched_yield() };
    Ok(0)
}

/// `proc_exit(code)`: never returns to the guest.
pub fn proc_exit(_caller: Caller<'_, HostState>, code: i32) -> wasmtime::Result<()> {
    Err(wasmtime::Error::new(ProcExit(code as u32)))
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
/// does (`INVAL` for an unknown signal).
pub fn proc_raise(_caller: Caller<'_, HostState>, signal: i32) -> wasmtime::Result<i32> {
    let Some(native) = native_signal(signal as u8) else {
        return Ok(i32::from(Errno::INVAL.0));
    };
    if native != 0 {
        // SAFETY: raising a signal in our own process.
        if unsafe { libc::raise(native) } != 0 {
            return Ok(i32::from(Errno::last_os_error().0));
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_ids_map_to_linux_clocks() {
        assert_eq!(native_clock(0), Ok(libc::CLOCK_REALTIME));
        assert_eq!(native_clock(1), Ok(libc::CLOCK_MONOTONIC));
        assert_eq!(native_clock(3), Ok(libc::CLOCK_THREAD_CPUTIME_ID));
        assert_eq!(native_clock(4), Err(Errno::INVAL));
    }

    #[test]
    fn signals_follow_the_wasi_numbering() {
        assert_eq!(native_signal(0), Some(0));
        assert_eq!(native_signal(6), Some(libc::SIGABRT));
        assert_eq!(native_signal(15), Some(libc::SIGTERM));
        assert_eq!(native_signal(30), Some(libc::SIGSYS));
        assert_eq!(native_signal(31), None);
    }
}
