//! One line per case, in the format scripts/conformance.sh counts:
//! `ok   <case>` or `FAIL <case>: expected ..., got ...`.
//!
//! A case is a function returning [`Outcome`]; the first failed expectation
//! ends it with a message, so later checks in the same case never run on a
//! state the host already got wrong. Before each case its name goes to stderr
//! (`.. <case>`), so a case that hangs the runtime can be named by the script.

use std::fmt::Debug;
use std::io::Write;

/// Why a case failed: the expectation (with the reference section) and what happened.
#[derive(Debug)]
pub struct Failure {
    pub expected: String,
    pub got: String,
}

/// The result of one case.
pub type Outcome = Result<(), Failure>;

/// Fails with the given expectation and observation.
pub fn fail<T>(expected: impl Into<String>, got: impl Into<String>) -> Result<T, Failure> {
    Err(Failure { expected: expected.into(), got: got.into() })
}

/// Checks `got == expected`; `what` names the value and the reference section.
pub fn expect_eq<T: PartialEq + Debug>(what: &str, expected: T, got: T) -> Outcome {
    if expected == got {
        Ok(())
    } else {
        fail(format!("{what} = {expected:?}"), format!("{got:?}"))
    }
}

/// Checks that a call returned the errno `expected` (0 = SUCCESS).
pub fn expect_errno(what: &str, expected: u32, got: u32) -> Outcome {
    if expected == got {
        Ok(())
    } else {
        fail(format!("{what} -> errno {expected}"), format!("errno {got}"))
    }
}

/// Turns the `Err(errno)` of a setup step into a failure naming the step.
pub fn setup<T>(what: &str, result: Result<T, u32>) -> Result<T, Failure> {
    result.map_err(|errno| Failure { expected: format!("{what} to succeed"), got: format!("errno {errno}") })
}

/// Turns a non-zero errno of a setup step into a failure naming the step.
pub fn setup_rc(what: &str, rc: u32) -> Outcome {
    if rc == 0 {
        Ok(())
    } else {
        fail(format!("{what} to succeed"), format!("errno {rc}"))
    }
}

/// Counts and prints case results.
#[derive(Default)]
pub struct Reporter {
    passed: usize,
    failed: usize,
    /// Case names (or prefixes) given on the command line; empty runs all.
    only: Vec<String>,
}

impl Reporter {
    /// A reporter that runs the cases whose names start with one of `only` (all if empty).
    pub fn new(only: Vec<String>) -> Self {
        Self { only, ..Self::default() }
    }

    /// Runs one case unless filtered out, and prints its line.
    pub fn case(&mut self, name: &str, body: impl FnOnce() -> Outcome) {
        if !self.only.is_empty() && !self.only.iter().any(|p| name.starts_with(p.as_str())) {
            return;
        }
        eprintln!(".. {name}");
        let outcome = body();
        let mut out = std::io::stdout().lock();
        let _ = match outcome {
            Ok(()) => {
                self.passed += 1;
                writeln!(out, "ok   {name}")
            }
            Err(f) => {
                self.failed += 1;
                writeln!(out, "FAIL {name}: expected {}, got {}", f.expected, f.got)
            }
        };
        let _ = out.flush();
    }

    /// Prints the guest's summary line; true when every case passed.
    pub fn finish(&self) -> bool {
        println!("guest: {} passed, {} failed", self.passed, self.failed);
        self.failed == 0
    }
}
