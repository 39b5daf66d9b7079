//! The differential fuzzer's sequences as suite cases (`fuzz-seed-NNNN`):
//! each runs one seeded sequence (src/fuzz/) and observes every step's line
//! (call, errno, scratch hash), so the record of real WasmEdge holds the
//! sequences and a run on another runtime is compared step by step.

use crate::fuzz;
use crate::report::{observe, Reporter};

/// Seeds run in the suite and steps per sequence (kept small: the driver
/// scripts/conformance-fuzz.sh runs many more seeds on both runtimes).
const SEEDS: std::ops::RangeInclusive<u64> = 1..=20;
const STEPS: usize = 60;

/// Registers `fuzz-seed-0001` ... `fuzz-seed-0020`.
pub fn register(r: &mut Reporter) {
    for seed in SEEDS {
        r.case(&format!("fuzz-seed-{seed:04}"), || {
            for line in fuzz::sequence(seed, STEPS) {
                let (step, rest) = line.split_once(' ').unwrap_or(("?", line.as_str()));
                observe(&format!("step {step}"), rest);
            }
            Ok(())
        });
    }
}
