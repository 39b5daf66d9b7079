//! Admission: a connection is accepted at once into the waiting room (it waits there
//! for its first byte, see [`super::first_byte`], and then for a slot), and is served
//! once it holds one of the `MAX_CONNECTIONS` slots.
//!
//! Both places are bounded by shedding (see [`super::shedding`]): when the waiting
//! room is full, its oldest connections are closed; when a connection that has sent
//! its first byte finds every slot taken, a served connection doing no useful work is
//! closed to make room. When every served connection is busy, it waits for one to
//! finish (it may be shed from the waiting room meanwhile).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::registry::{Registration, Registry};
use super::shedding::{self, ShedLog};
use crate::telemetry::Metrics;

/// How often a connection waiting for a slot looks again for one to shed (connections
/// that were busy may have become idle).
const RETRY: Duration = Duration::from_millis(100);

/// How many connections may wait (for their first byte or for a slot) per slot.
pub const WAITING_PER_SLOT: usize = 4;

/// The connection limit and the two registries it is enforced on.
#[derive(Debug)]
pub struct Admission {
    /// `MAX_CONNECTIONS` permits; each served connection's task holds one until it ends.
    slots: Arc<Semaphore>,
    /// Connections accepted and not served yet.
    waiting: Arc<Registry>,
    /// Connections being served (holding a slot).
    served: Arc<Registry>,
    /// Where shed connections are counted.
    metrics: Arc<Metrics>,
    /// `MAX_CONNECTIONS`.
    max_connections: usize,
    /// At most one warning a second while shedding.
    shed_log: Mutex<ShedLog>,
    /// At most one warning a second while connections wait because all are busy.
    wait_log: Mutex<ShedLog>,
}

impl Admission {
    /// Admission to `slots` (one per allowed connection, none taken yet).
    pub fn new(slots: Arc<Semaphore>, metrics: Arc<Metrics>) -> Self {
        let max_connections = slots.available_permits();
        Self {
            slots,
            waiting: Arc::default(),
            served: Arc::default(),
            metrics,
            max_connections,
            shed_log: Mutex::default(),
            wait_log: Mutex::default(),
        }
    }

    /// Registers a connection just accepted in the waiting room, shedding the oldest
    /// waiting connections first if the room is full.
    pub fn accepted(&self) -> Registration {
        let room = self.max_connections.saturating_mul(WAITING_PER_SLOT);
        if self.waiting.len() >= room {
            self.shed(&self.waiting, shedding::batch(room));
        }
        self.waiting.register()
    }

    /// Registers a connection that got its slot among the served ones.
    pub fn served(&self) -> Registration {
        self.served.register()
    }

    /// A slot for a connection that has sent its first byte; `None` once the slots are
    /// closed. Sheds a served connection doing no useful work when there is none.
    pub async fn slot(&self) -> Option<OwnedSemaphorePermit> {
        if let Ok(permit) = Arc::clone(&self.slots).try_acquire_owned() {
            return Some(permit);
        }
        loop {
            if self.shed(&self.served, 1) == 0 {
                let noted =
                    self.wait_log.lock().unwrap_or_else(PoisonError::into_inner).note(1, Instant::now());
                if let Some(waits) = noted {
                    tracing::warn!(
                        max_connections = self.max_connections,
                        waits,
                        "connection limit reached and every connection is busy; new clients wait"
                    );
                }
            }
            match tokio::time::timeout(RETRY, Arc::clone(&self.slots).acquire_owned()).await {
                Ok(Ok(permit)) => return Some(permit),
                Ok(Err(_closed)) => return None,
                Err(_elapsed) => continue,
            }
        }
    }

    /// Sheds up to `count` of `registry`'s connections that do no useful work; returns
    /// how many were shed.
    fn shed(&self, registry: &Registry, count: usize) -> usize {
        let victims = shedding::choose(registry.candidates(), count);
        let mut shed: usize = 0;
        for victim in victims {
            if let Some(phase) = registry.shed(victim.id) {
                self.metrics.record_shed(shedding::reason(phase));
                shed = shed.saturating_add(1);
            }
        }
        if shed > 0 {
            let noted = self
                .shed_log
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .note(shed as u64, Instant::now());
            if let Some(reported) = noted {
                tracing::warn!(
                    shed = reported,
                    max_connections = self.max_connections,
                    "connection limit reached: closed idle and slow connections to make room"
                );
            }
        }
        shed
    }

    /// `accept` failed (out of file descriptors, say): closes a batch of waiting and
    /// of served connections doing no useful work, which frees descriptors.
    pub fn out_of_descriptors(&self) {
        let batch = shedding::batch(self.max_connections);
        self.shed(&self.waiting, batch);
        self.shed(&self.served, batch);
    }
}
