//! Which connections to close when the connection limit is reached, and how loudly.
//! The same order serves both places that are bounded (see [`super::admission`]): the
//! waiting room, where every connection is waiting (for its first byte or for a slot)
//! and the oldest go first, and the served connections.
//!
//! Only connections doing no useful work are shed, cheapest first: idle keep-alive
//! connections (their client reconnects when it needs to), then connections lingering
//! after an early error response, then connections that have not completed a request
//! head (sent nothing yet, or a head still trickling in), oldest first within each
//! group. A connection whose request is being handled is never shed; when every
//! connection is busy, new clients wait in the listen backlog as before.
//!
//! Oldest first protects new clients: a flood of connections that send nothing sheds
//! its own oldest members, while a normal client's fresh connection, which sends its
//! request at once, is the newest and becomes busy before its turn comes.

use std::time::Duration;

use tokio::time::Instant;

use super::registry::Phase;

/// A connection as the shedding policy sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// The connection's id in the registry.
    pub id: u64,
    /// What it is doing.
    pub phase: Phase,
    /// Since when (registry stamp: smaller is older).
    pub since: u64,
}

impl Candidate {
    /// The shedding order: `None` for connections that are never shed.
    fn rank(&self) -> Option<(u8, u64)> {
        let group = match self.phase {
            Phase::Idle => 0,
            Phase::Lingering => 1,
            Phase::Silent | Phase::Head | Phase::Waiting => 2,
            Phase::Busy | Phase::Closing => return None,
        };
        Some((group, self.since))
    }
}

/// The metric label for shedding a connection in `phase`.
pub fn reason(phase: Phase) -> &'static str {
    match phase {
        Phase::Idle => "idle",
        Phase::Lingering => "lingering",
        Phase::Silent => "silent",
        Phase::Head => "partial_head",
        Phase::Waiting => "waiting",
        Phase::Busy | Phase::Closing => "other",
    }
}

/// Every reason [`reason`] can give for a shed connection (metric series start at 0).
pub const REASONS: [&str; 5] = ["idle", "lingering", "silent", "partial_head", "waiting"];

/// How many connections to shed at once when the limit of `max_connections` is
/// reached: one 64th of the limit (at least one), so a burst of new clients does not
/// scan the registry once per connection.
pub fn batch(max_connections: usize) -> usize {
    (max_connections / 64).max(1)
}

/// Up to `count` connections to shed from `candidates`, in shedding order.
pub fn choose(mut candidates: Vec<Candidate>, count: usize) -> Vec<Candidate> {
    candidates.retain(|candidate| candidate.rank().is_some());
    if count == 0 {
        return Vec::new();
    }
    if candidates.len() > count {
        candidates.select_nth_unstable_by_key(count.saturating_sub(1), Candidate::rank);
        candidates.truncate(count);
    }
    candidates.sort_unstable_by_key(Candidate::rank);
    candidates
}

/// At most one warning per second while connections are being shed, each saying how
/// many were shed since the last one.
#[derive(Debug, Default)]
pub struct ShedLog {
    last: Option<Instant>,
    unreported: u64,
}

impl ShedLog {
    /// The shortest time between two warnings.
    pub const EVERY: Duration = Duration::from_secs(1);

    /// Notes `shed` more shed connections at `now`; returns how many to report, if it
    /// is time for a warning.
    pub fn note(&mut self, shed: u64, now: Instant) -> Option<u64> {
        self.unreported = self.unreported.saturating_add(shed);
        if self.unreported == 0 {
            return None;
        }
        if self.last.is_some_and(|last| now.saturating_duration_since(last) < Self::EVERY) {
            return None;
        }
        self.last = Some(now);
        Some(std::mem::take(&mut self.unreported))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(id: u64, phase: Phase, since: u64) -> Candidate {
        Candidate { id, phase, since }
    }

    fn ids(chosen: &[Candidate]) -> Vec<u64> {
        chosen.iter().map(|c| c.id).collect()
    }

    #[test]
    fn idle_connections_go_first_then_lingering_then_unfinished_heads_oldest_first() {
        let all = vec![
            candidate(1, Phase::Silent, 5),
            candidate(2, Phase::Busy, 1),
            candidate(3, Phase::Idle, 9),
            candidate(4, Phase::Head, 2),
            candidate(5, Phase::Idle, 7),
            candidate(6, Phase::Lingering, 8),
            candidate(7, Phase::Closing, 0),
        ];
        assert_eq!(ids(&choose(all.clone(), 10)), vec![5, 3, 6, 4, 1]);
        assert_eq!(ids(&choose(all.clone(), 3)), vec![5, 3, 6]);
        assert_eq!(ids(&choose(all, 1)), vec![5]);
    }

    #[test]
    fn busy_connections_are_never_shed() {
        let all = vec![candidate(1, Phase::Busy, 0), candidate(2, Phase::Closing, 0)];
        assert!(choose(all, 5).is_empty());
        assert!(choose(vec![candidate(1, Phase::Idle, 0)], 0).is_empty());
    }

    #[test]
    fn the_batch_is_a_64th_of_the_limit_and_at_least_one() {
        assert_eq!(batch(1), 1);
        assert_eq!(batch(64), 1);
        assert_eq!(batch(2048), 32);
    }

    #[test]
    fn shedding_is_reported_at_most_once_a_second() {
        let start = Instant::now();
        let at = |millis| start + Duration::from_millis(millis);
        let mut log = ShedLog::default();
        assert_eq!(log.note(0, at(0)), None, "nothing to report");
        assert_eq!(log.note(3, at(0)), Some(3));
        assert_eq!(log.note(2, at(10)), None);
        assert_eq!(log.note(4, at(999)), None);
        assert_eq!(log.note(1, at(1001)), Some(7), "everything since the last warning");
        assert_eq!(log.note(1, at(1500)), None);
    }
}
