//! Every connection being served, with what it is doing right now, so the accept loop
//! can choose which ones to close when the connection limit is reached.
//!
//! Each connection owns a [`Tracker`]: its [`Phase`] (nothing received yet, reading a
//! head, handling a request, idle between requests, lingering after an early error),
//! a stamp saying since when it is in that phase, and a signal the accept loop raises
//! to have it closed. Phase changes are two atomic stores on the connection's own
//! path; the registry's lock is taken only to add or remove a connection and to look
//! for connections to shed. Stamps come from one counter, not the clock: inside
//! WasmEdge every clock reading is a host call, and "oldest first" needs only an order.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rustc_hash::FxBuildHasher;
use tokio::net::TcpStream;
use tokio::sync::Notify;

use super::shedding::Candidate;

/// What a connection is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Phase {
    /// Accepted; the client has not sent a byte yet.
    Silent = 0,
    /// Bytes of a request head have arrived, the head is not complete yet.
    Head = 1,
    /// A request is being handled (its body read, the handler running).
    Busy = 2,
    /// Keep-alive: the last response is out, the next request has not started.
    Idle = 3,
    /// Closing after an early error response: reading and discarding what the client
    /// still sends, so it gets to read the response (see [`super::linger`]).
    Lingering = 4,
    /// Asked to close (shed); no longer a candidate.
    Closing = 5,
    /// Sent its first bytes and waits for a connection slot.
    Waiting = 6,
}

impl Phase {
    fn from_u8(value: u8) -> Self {
        match value {
            0 => Self::Silent,
            1 => Self::Head,
            2 => Self::Busy,
            3 => Self::Idle,
            4 => Self::Lingering,
            6 => Self::Waiting,
            _ => Self::Closing,
        }
    }
}

/// One connection's state, shared by its task, its stream and the registry.
#[derive(Debug)]
pub struct Tracker {
    phase: AtomicU8,
    /// When (in [`Registry`] stamps) the connection entered its phase.
    since: AtomicU64,
    /// The registry's stamp counter.
    clock: Arc<AtomicU64>,
    /// Raised by the accept loop to close this connection.
    shed: Notify,
    /// The socket, handed back by the stream when hyper drops it while the connection
    /// is [`Phase::Lingering`], so the task can linger on it.
    stream: Mutex<Option<TcpStream>>,
}

impl Tracker {
    fn new(clock: Arc<AtomicU64>) -> Self {
        let since = clock.fetch_add(1, Ordering::Relaxed);
        Self {
            phase: AtomicU8::new(Phase::Silent as u8),
            since: AtomicU64::new(since),
            clock,
            shed: Notify::new(),
            stream: Mutex::new(None),
        }
    }

    /// The current phase.
    pub fn phase(&self) -> Phase {
        Phase::from_u8(self.phase.load(Ordering::Relaxed))
    }

    /// The current phase and the stamp it was entered at: two heads on one connection
    /// have different stamps.
    pub fn phase_and_stamp(&self) -> (Phase, u64) {
        (self.phase(), self.since.load(Ordering::Relaxed))
    }

    /// Moves to `phase` (and restamps), unless the connection is already closing.
    pub fn enter(&self, phase: Phase) {
        let current = self.phase.load(Ordering::Relaxed);
        if current == phase as u8 || current == Phase::Closing as u8 {
            return;
        }
        self.phase.store(phase as u8, Ordering::Relaxed);
        self.since.store(self.clock.fetch_add(1, Ordering::Relaxed), Ordering::Relaxed);
    }

    /// Bytes arrived from the client: a silent or idle connection is now reading a head.
    pub fn bytes_arrived(&self) {
        if matches!(self.phase(), Phase::Silent | Phase::Idle) {
            self.enter(Phase::Head);
        }
    }

    /// Marks a request as being handled until the guard is dropped; then the
    /// connection is idle (keep-alive) until the next head starts.
    pub fn request_started(self: &Arc<Self>) -> RequestGuard {
        self.enter(Phase::Busy);
        RequestGuard(Arc::clone(self))
    }

    /// Asks the connection to close; returns whether it was still open to the request.
    pub fn shed(&self) -> bool {
        let previous = self.phase.swap(Phase::Closing as u8, Ordering::Relaxed);
        if previous == Phase::Closing as u8 {
            return false;
        }
        self.shed.notify_one();
        true
    }

    /// Completes once [`Tracker::shed`] was called.
    pub async fn shed_requested(&self) {
        self.shed.notified().await;
    }

    /// Keeps `stream` for lingering if the connection is lingering (see
    /// [`Tracker::take_stream`]); otherwise drops it (closes the socket).
    pub fn hand_back(&self, stream: TcpStream) {
        if self.phase() == Phase::Lingering {
            *lock(&self.stream) = Some(stream);
        }
    }

    /// The socket handed back by [`Tracker::hand_back`].
    pub fn take_stream(&self) -> Option<TcpStream> {
        lock(&self.stream).take()
    }

    fn candidate(&self, id: u64) -> Candidate {
        Candidate { id, phase: self.phase(), since: self.since.load(Ordering::Relaxed) }
    }
}

/// Keeps a connection [`Phase::Busy`]; see [`Tracker::request_started`].
#[derive(Debug)]
pub struct RequestGuard(Arc<Tracker>);

impl Drop for RequestGuard {
    fn drop(&mut self) {
        if self.0.phase() == Phase::Busy {
            self.0.enter(Phase::Idle);
        }
    }
}

/// The connections being served.
#[derive(Debug, Default)]
pub struct Registry {
    connections: Mutex<Connections>,
    clock: Arc<AtomicU64>,
}

#[derive(Debug, Default)]
struct Connections {
    by_id: HashMap<u64, Arc<Tracker>, FxBuildHasher>,
    next_id: u64,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section is a single insert, remove or scan: nothing is left
    // half-changed by a panic elsewhere, so a poisoned lock is still usable.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Registry {
    /// Adds a newly accepted connection; it is removed when the guard is dropped.
    pub fn register(self: &Arc<Self>) -> Registration {
        let tracker = Arc::new(Tracker::new(Arc::clone(&self.clock)));
        let mut connections = lock(&self.connections);
        let id = connections.next_id;
        connections.next_id = id.wrapping_add(1);
        connections.by_id.insert(id, Arc::clone(&tracker));
        Registration { registry: Arc::clone(self), id, tracker }
    }

    /// How many connections are registered.
    pub fn len(&self) -> usize {
        lock(&self.connections).by_id.len()
    }

    /// Whether no connection is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every registered connection's id, phase and stamp.
    pub fn candidates(&self) -> Vec<Candidate> {
        let connections = lock(&self.connections);
        connections.by_id.iter().map(|(id, tracker)| tracker.candidate(*id)).collect()
    }

    /// Sheds connection `id`; returns the phase it was in, if it was still open to it.
    pub fn shed(&self, id: u64) -> Option<Phase> {
        let tracker = lock(&self.connections).by_id.get(&id).cloned()?;
        let phase = tracker.phase();
        tracker.shed().then_some(phase)
    }
}

/// A connection's place in the [`Registry`], given up on drop.
#[derive(Debug)]
pub struct Registration {
    registry: Arc<Registry>,
    id: u64,
    tracker: Arc<Tracker>,
}

impl Registration {
    /// The connection's tracker.
    pub fn tracker(&self) -> &Arc<Tracker> {
        &self.tracker
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        lock(&self.registry.connections).by_id.remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_goes_from_silent_to_head_to_busy_to_idle() {
        let registry = Arc::new(Registry::default());
        let connection = registry.register();
        let tracker = connection.tracker();
        assert_eq!(tracker.phase(), Phase::Silent);
        tracker.bytes_arrived();
        assert_eq!(tracker.phase(), Phase::Head);
        let guard = tracker.request_started();
        tracker.bytes_arrived();
        assert_eq!(tracker.phase(), Phase::Busy, "body bytes keep it busy");
        drop(guard);
        assert_eq!(tracker.phase(), Phase::Idle);
        tracker.bytes_arrived();
        assert_eq!(tracker.phase(), Phase::Head);
    }

    #[test]
    fn stamps_order_phase_changes() {
        let registry = Arc::new(Registry::default());
        let first = registry.register();
        let second = registry.register();
        first.tracker().bytes_arrived();
        let stamp = |id: u64| registry.candidates().into_iter().find(|c| c.id == id).map(|c| c.since);
        assert!(stamp(first.id) > stamp(second.id), "the later phase change has the later stamp");
    }

    #[test]
    fn a_shed_connection_is_closing_once_and_leaves_on_drop() {
        let registry = Arc::new(Registry::default());
        let connection = registry.register();
        assert_eq!(registry.shed(connection.id), Some(Phase::Silent));
        assert_eq!(registry.shed(connection.id), None, "already closing");
        connection.tracker().bytes_arrived();
        assert_eq!(connection.tracker().phase(), Phase::Closing, "closing is final");
        assert_eq!(registry.len(), 1);
        drop(connection);
        assert!(registry.is_empty());
    }

    #[test]
    fn shedding_wakes_the_connection() {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async {
            let registry = Arc::new(Registry::default());
            let connection = registry.register();
            let tracker = Arc::clone(connection.tracker());
            let waiting = tokio::spawn(async move { tracker.shed_requested().await });
            tokio::task::yield_now().await;
            registry.shed(connection.id);
            tokio::time::timeout(std::time::Duration::from_secs(5), waiting)
                .await
                .expect("woken")
                .expect("task");
        });
    }
}
