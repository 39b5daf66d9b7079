//! Graceful shutdown on SIGTERM and SIGINT.
//!
//! A guest cannot see signals (WASI has none, and `wasmedge` delivers none), so
//! edge-host turns the first SIGTERM/SIGINT into something a socket server already
//! understands: every listening socket the guest owns is shut down
//! (`shutdown(SHUT_RDWR)`). Linux then refuses new connections at once (RST), wakes a
//! `poll_oneoff` waiting on the listener (it reports readable with HANGUP), and
//! `sock_accept` fails with `INVAL` — what WasmEdge also reports for a shut-down
//! listener. A guest that stops accepting on that error, finishes its connections and
//! returns exits 0 as usual. Whatever is still running when `--shutdown-timeout`
//! passes is cut: one stderr line, exit status [`DEADLINE_EXIT_CODE`]. A second signal
//! cuts at once with 128 + its number, as a shell reports a process killed by it.
//!
//! The handlers are installed by `run` (signal-hook: the handler only writes to a
//! pipe, a thread does the rest), so they also work when edge-host is PID 1 of a
//! container, where the kernel drops signals whose action is the default.
//!
//! Every exit of the process goes through [`exit`], which waits for a shutdown
//! notice being written: the listeners are shut down before the notice (so a
//! client that acts on the line is refused), and a guest with nothing in flight
//! wakes at that shutdown and may return at once; without the wait its exit could
//! end the process before the line that says why it stopped is out.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// The default `--shutdown-timeout`: below Kubernetes' default 30 s grace period,
/// leaving the kubelet's SIGKILL 5 s of margin.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(25);

/// Exit status when the shutdown timeout cut the guest short (as timeout(1)).
pub const DEADLINE_EXIT_CODE: i32 = 124;

/// The guest's listening sockets, shared between the descriptor table (which adds
/// and removes them) and the signal thread (which shuts them down).
#[derive(Clone, Default)]
pub struct Listeners(Arc<Mutex<ListenerSet>>);

#[derive(Default)]
struct ListenerSet {
    /// A duplicate of each listening socket: the signal thread shuts the socket
    /// down through it, so it never names a descriptor number the guest's table
    /// may have closed and the kernel handed out again.
    fds: Vec<OwnedFd>,
    /// Set by the first signal: a socket that starts listening later is shut down
    /// as soon as it is added.
    shut: bool,
}

impl Listeners {
    fn lock(&self) -> MutexGuard<'_, ListenerSet> {
        // The set stays consistent even if a holder panicked: it only pushes/removes.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records the socket `fd` as listening until the returned guard is dropped,
    /// which must happen before `fd` is closed (the duplicate kept here would
    /// otherwise keep the socket open). After a shutdown signal, it is shut down
    /// right away.
    pub fn add(&self, fd: BorrowedFd<'_>) -> std::io::Result<ListenerGuard> {
        let duplicate = fd.try_clone_to_owned()?;
        let raw = duplicate.as_raw_fd();
        let mut set = self.lock();
        if set.shut {
            shut_down(duplicate.as_fd());
        }
        set.fds.push(duplicate);
        Ok(ListenerGuard { listeners: self.clone(), fd: raw })
    }

    /// Shuts down every listening socket, now and from now on; returns how many.
    pub fn shut_down_all(&self) -> usize {
        let mut set = self.lock();
        set.shut = true;
        set.fds.iter().for_each(|fd| shut_down(fd.as_fd()));
        set.fds.len()
    }

    /// How many sockets are recorded as listening.
    pub fn len(&self) -> usize {
        self.lock().fds.len()
    }

    /// Whether no socket is recorded as listening.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn shut_down(fd: BorrowedFd<'_>) {
    // Failure (e.g. ENOTCONN on a socket that never listened) changes nothing.
    let _ = rustix::net::shutdown(fd, rustix::net::Shutdown::Both);
}

/// Keeps one socket in [`Listeners`]; dropping it removes (and closes) the
/// duplicate.
pub struct ListenerGuard {
    listeners: Listeners,
    /// The duplicate's number, unique while it is open.
    fd: RawFd,
}

impl Drop for ListenerGuard {
    fn drop(&mut self) {
        let mut set = self.listeners.lock();
        if let Some(i) = set.fds.iter().position(|fd| fd.as_raw_fd() == self.fd) {
            set.fds.swap_remove(i);
        }
    }
}

/// A signal's name for messages.
fn signal_name(signal: i32) -> &'static str {
    match signal {
        SIGTERM => "SIGTERM",
        SIGINT => "SIGINT",
        _ => "signal",
    }
}

/// Writes one line on stderr, ignoring failure: with stderr a closed pipe, `eprintln!`
/// would panic the signal thread and the shutdown would never happen.
fn say(line: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Held while a shutdown notice is written; [`exit`] takes it first, so the
/// process never ends in the middle of (or just before) a notice.
static NOTICE_GATE: Mutex<()> = Mutex::new(());

fn notice_gate() -> MutexGuard<'static, ()> {
    // The gate guards no data: a holder that panicked leaves nothing inconsistent.
    NOTICE_GATE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Ends the process with `code` once no shutdown notice is being written. Every
/// exit of edge-host goes through here.
pub fn exit(code: i32) -> ! {
    let _gate = notice_gate();
    std::process::exit(code)
}

/// The first signal's work: shuts every listener down, then writes the notice
/// with `write`, all while holding the notice gate, so that a guest woken by the
/// shutdown cannot end the process before the notice is out.
fn refuse_then_announce(listeners: &Listeners, write: impl FnOnce()) {
    let _gate = notice_gate();
    // Listeners first: once the line is out, a new connection is refused.
    listeners.shut_down_all();
    write();
}

/// Installs the SIGTERM/SIGINT handlers and the thread that acts on them.
pub fn install(listeners: Listeners, timeout: Duration) -> std::io::Result<()> {
    let mut signals = Signals::new([SIGTERM, SIGINT])?;
    std::thread::Builder::new().name("edge-host-signals".into()).spawn(move || {
        let mut signals = signals.forever();
        let Some(first) = signals.next() else { return };
        let first_name = signal_name(first);
        refuse_then_announce(&listeners, || {
            say(format_args!(
                "edge-host: {first_name}: refusing new connections; the module has {} s to finish \
                 (--shutdown-timeout; a second signal ends it at once)",
                timeout.as_secs_f64()
            ))
        });
        std::thread::spawn(move || {
            std::thread::sleep(timeout);
            say(format_args!(
                "edge-host: --shutdown-timeout {} s passed after {first_name}: ending the module \
                 (exit status {DEADLINE_EXIT_CODE})",
                timeout.as_secs_f64()
            ));
            exit(DEADLINE_EXIT_CODE);
        });
        if let Some(second) = signals.next() {
            say(format_args!(
                "edge-host: second {}: ending the module at once (exit status {})",
                signal_name(second),
                128 + second
            ));
            exit(128 + second);
        }
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};

    #[test]
    fn shutting_down_refuses_new_connections_and_guards_unregister() {
        let listeners = Listeners::default();
        let socket = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = socket.local_addr().unwrap();
        let guard = listeners.add(socket.as_fd()).unwrap();
        assert_eq!(listeners.len(), 1);
        assert!(TcpStream::connect(addr).is_ok(), "listening before the shutdown");
        assert_eq!(listeners.shut_down_all(), 1);
        assert!(TcpStream::connect(addr).is_err(), "refused after the shutdown");
        let error = socket.accept().unwrap_err();
        assert_eq!(error.raw_os_error(), Some(libc::EINVAL), "accept on a shut-down listener");
        drop(guard);
        assert!(listeners.is_empty());
    }

    #[test]
    fn no_exit_while_the_notice_is_being_written() {
        use std::sync::mpsc;
        let listeners = Listeners::default();
        let socket = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = socket.local_addr().unwrap();
        let _guard = listeners.add(socket.as_fd()).unwrap();
        let (writing_tx, writing_rx) = mpsc::channel();
        let (finish_tx, finish_rx) = mpsc::channel::<()>();
        let announcer = std::thread::spawn(move || {
            refuse_then_announce(&listeners, || {
                writing_tx.send(()).unwrap();
                finish_rx.recv().unwrap();
            })
        });
        // The notice is being written: the listener is already shut down (a guest
        // would wake now), and the gate every exit takes is held.
        writing_rx.recv().unwrap();
        assert!(TcpStream::connect(addr).is_err(), "listeners are shut down before the notice");
        assert!(
            matches!(NOTICE_GATE.try_lock(), Err(std::sync::TryLockError::WouldBlock)),
            "an exit could overtake the notice"
        );
        finish_tx.send(()).unwrap();
        announcer.join().unwrap();
        assert!(NOTICE_GATE.try_lock().is_ok(), "the gate is free once the notice is out");
    }

    #[test]
    fn a_socket_that_listens_after_the_shutdown_is_shut_down_at_once() {
        let listeners = Listeners::default();
        listeners.shut_down_all();
        let socket = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = socket.local_addr().unwrap();
        let _guard = listeners.add(socket.as_fd()).unwrap();
        assert!(TcpStream::connect(addr).is_err());
    }
}
