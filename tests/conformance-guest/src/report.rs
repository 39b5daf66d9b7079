//! One line per case, in the format scripts/conformance.sh counts and
//! records (tests/conformance-guest/README.md, "Records"):
//! `ok   <case>`, `FAIL <case>: expected ..., got ...` or
//! `skip <case>: ...`, each followed by one `obs  <case>\t<key>\t<value>`
//! line per value the case observed: every errno checked by [`expect_errno`]
//! and whatever it passed to [`observe`].
//!
//! A case is a function returning [`Outcome`]; the first failed expectation
//! ends it with a message, so later checks in the same case never run on a
//! state the host already got wrong. Before each case its name goes to stderr
//! (`.. <case>`), so a case that hangs the runtime can be named by the script.
//!
//! Each case's expectation belongs to a range of WasmEdge versions
//! ([`Versions`]); the guest runs the cases whose range holds the target
//! version (`CONFORMANCE_ABI`, default [`DEFAULT_ABI`]) and reports the others
//! as `skip`.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::fmt::{Debug, Display};
use std::io::Write;

/// The WasmEdge release whose behaviour the suite expects unless the
/// environment variable `CONFORMANCE_ABI` names another (`0.17.0`, `main`, ...).
pub const DEFAULT_ABI: &str = "0.17.0";

/// WasmEdge's main branch after the newest release: later than every release.
pub const MAIN: &str = "main";

/// The WasmEdge versions an expectation holds for: from `since` (inclusive,
/// `None` = every earlier version) up to `until` (exclusive, `None` = still
/// true on main). Versions are `X.Y.Z` or [`MAIN`].
#[derive(Clone, Copy, Debug)]
pub struct Versions {
    pub since: Option<&'static str>,
    pub until: Option<&'static str>,
}

impl Versions {
    /// Every version the suite knows (the expectation never changed).
    pub const ALL: Versions = Versions { since: None, until: None };

    /// Versions before `until` (the behaviour changed there).
    pub const fn until(until: &'static str) -> Versions {
        Versions { since: None, until: Some(until) }
    }

    /// `since` and later.
    pub const fn since(since: &'static str) -> Versions {
        Versions { since: Some(since), until: None }
    }

    /// Whether the expectation holds on `target`.
    pub fn contains(&self, target: &str) -> bool {
        self.since.is_none_or(|s| compare_versions(target, s) != Ordering::Less)
            && self.until.is_none_or(|u| compare_versions(target, u) == Ordering::Less)
    }
}

impl Display for Versions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.since, self.until) {
            (Some(s), Some(u)) => write!(f, "WasmEdge {s} up to {u} (exclusive)"),
            (Some(s), None) => write!(f, "WasmEdge {s} and later"),
            (None, Some(u)) => write!(f, "WasmEdge before {u}"),
            (None, None) => write!(f, "every WasmEdge version"),
        }
    }
}

/// Orders `X.Y.Z` numerically; [`MAIN`] (or anything unparsable) is later than every release.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let parse = |v: &str| -> Option<Vec<u32>> { v.split('.').map(|p| p.parse().ok()).collect() };
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

thread_local! {
    static OBSERVED: RefCell<Vec<(String, String)>> = const { RefCell::new(Vec::new()) };
}

/// Records a value the running case observed (an errno, flags, bytes, an exit
/// status): it is printed as `obs  <case>\t<key>\t<value>`, kept in the recorded
/// outcomes, and compared between runtimes. Only values that must be identical
/// on every correct runtime belong here (never fd numbers, ports or times).
pub fn observe(key: &str, value: impl Debug) {
    let clean = |s: String| s.replace(['\t', '\n'], " ");
    let entry = (clean(key.to_string()), clean(format!("{value:?}")));
    OBSERVED.with(|o| o.borrow_mut().push(entry));
}

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
    observe(what, got);
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
    skipped: usize,
    /// Case names (or prefixes) given on the command line; empty runs all.
    only: Vec<String>,
    /// The WasmEdge version whose behaviour is expected.
    target: String,
}

impl Reporter {
    /// A reporter that runs the cases whose names start with one of `only`
    /// (all if empty), expecting the behaviour of `CONFORMANCE_ABI`.
    pub fn new(only: Vec<String>) -> Self {
        let target = std::env::var("CONFORMANCE_ABI").unwrap_or_else(|_| DEFAULT_ABI.to_string());
        Self { only, target, ..Self::default() }
    }

    /// Runs one case whose expectation holds on every version.
    pub fn case(&mut self, name: &str, body: impl FnOnce() -> Outcome) {
        self.case_in(name, Versions::ALL, body);
    }

    /// Runs one case unless filtered out or outside `versions` (then `skip`),
    /// and prints its line and its observations.
    pub fn case_in(&mut self, name: &str, versions: Versions, body: impl FnOnce() -> Outcome) {
        if !self.only.is_empty() && !self.only.iter().any(|p| name.starts_with(p.as_str())) {
            return;
        }
        let mut out = std::io::stdout().lock();
        if !versions.contains(&self.target) {
            self.skipped += 1;
            let _ = writeln!(out, "skip {name}: expectation of {versions}, target {}", self.target);
            let _ = out.flush();
            return;
        }
        drop(out);
        eprintln!(".. {name}");
        OBSERVED.with(|o| o.borrow_mut().clear());
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
        let observed = OBSERVED.with(|o| std::mem::take(&mut *o.borrow_mut()));
        for (key, value) in observed {
            let _ = writeln!(out, "obs  {name}\t{key}\t{value}");
        }
        let _ = out.flush();
    }

    /// Prints the guest's summary line; true when every case passed.
    pub fn finish(&self) -> bool {
        println!("guest: {} passed, {} failed, {} skipped", self.passed, self.failed, self.skipped);
        self.failed == 0
    }
}
