//! Conformance guest for WasmEdge's socket ABI (`docs/wasmedge-socket-abi.md`;
//! "the reference" and every `§N` in this crate mean that document).
//!
//! Runs unchanged under edge-host and under real WasmEdge, so the two can be
//! compared case by case. scripts/conformance.sh drives it; the native peer
//! (tests/conformance-peer/peer.py) must be reachable at `PEER_PORT`.
//!
//! Map:
//! - [`abi`]: raw `wasi_snapshot_preview1` imports and layouts.
//! - [`poll`]: `poll_oneoff` subscriptions and events, byte by byte.
//! - [`net`]: shared socket set-ups (listeners, guest pairs, native connections).
//! - [`peer`]: the control client of the native peer.
//! - [`report`]: the `ok` / `FAIL` lines and the summary.
//! - [`cases`]: the checks, one module per area.
//!
//! Usage: `conformance_guest.wasm [CASE-PREFIX...]` runs the suite (all cases,
//! or those whose names start with a prefix) and exits 1 if any failed.
//! A first argument naming a process mode runs that instead (§10 22 and 25
//! need a process of their own, because they end it):
//! - `exit-3`: `proc_exit(3)`; the runtime must exit with status 3.
//! - `return`: returns from `main`; status 0.
//! - `trap`: executes `unreachable`; status 134.
//! - `trap-fdstat-misaligned`: `fd_fdstat_get` with a misaligned buffer, which
//!   must trap (status 134); reaching the next line exits 7.
//! - `fuzz --seed S --steps N`: one differential-fuzzer sequence (src/fuzz/).
//! - `environ MODULE-NAME K=V...`: checks argv[0] is MODULE-NAME and the
//!   environment is exactly the given variables, in order.

#[cfg(target_os = "wasi")]
mod abi;
#[cfg(target_os = "wasi")]
mod cases;
#[cfg(target_os = "wasi")]
mod fuzz;
#[cfg(target_os = "wasi")]
mod net;
#[cfg(target_os = "wasi")]
mod peer;
#[cfg(target_os = "wasi")]
mod poll;
#[cfg(target_os = "wasi")]
mod report;

#[cfg(target_os = "wasi")]
use report::{expect_eq, Outcome, Reporter};

/// Built natively (e.g. by a `--workspace` build for the host), the guest only explains itself.
#[cfg(not(target_os = "wasi"))]
fn main() {
    eprintln!("conformance_guest is a wasm32-wasip1 program: run it with scripts/conformance.sh");
    std::process::exit(2);
}

#[cfg(target_os = "wasi")]
fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("exit-3") => abi::exit(3),
        Some("return") => {}
        Some("trap") => core::arch::wasm32::unreachable(),
        Some("trap-fdstat-misaligned") => trap_fdstat_misaligned(),
        Some("fuzz") => fuzz::run(&args),
        Some("environ") => {
            let mut r = Reporter::new(Vec::new());
            let module = args.get(2).cloned().unwrap_or_default();
            r.case("c25-argv0-is-module-file-name", || {
                expect_eq("argv[0] (§7)", Some(&module), args.first())
            });
            r.case("c25-environ-exactly-the-configured-variables", || {
                environ_matches(&args[3.min(args.len())..])
            });
            if !r.finish() {
                std::process::exit(1);
            }
        }
        _ => {
            let mut r = Reporter::new(args.iter().skip(1).cloned().collect());
            cases::run_all(&mut r);
            if !r.finish() {
                std::process::exit(1);
            }
        }
    }
}

#[cfg(target_os = "wasi")]
/// `fd_fdstat_get` with a buffer at 8k+4: the host must trap (§7, §10 22).
fn trap_fdstat_misaligned() {
    let mut buf = abi::Aligned([0u8; 40]);
    let rc = unsafe { abi::fd_fdstat_get(1, buf.0.as_mut_ptr().add(4)) };
    println!("fd_fdstat_get with a misaligned buffer returned errno {rc} instead of trapping");
    abi::exit(7);
}

#[cfg(target_os = "wasi")]
/// The guest's environment is exactly `expected` (K=V strings), in order (§7).
fn environ_matches(expected: &[String]) -> Outcome {
    let got: Vec<String> = std::env::vars_os()
        .map(|(k, v)| format!("{}={}", k.to_string_lossy(), v.to_string_lossy()))
        .collect();
    expect_eq("environ (only the --env variables, in order)", expected.to_vec(), got)
}
