//! One line for an error and every cause beneath it, the way edge-host
//! reports a failure on stderr (`cannot read m.wasm: No such file or
//! directory (os error 2)`).
//!
//! Errors in this crate keep their cause in `#[source]` instead of
//! formatting it into their own message, so the cause is printed once, here.

use std::error::Error;
use std::fmt;

/// Displays an error followed by each of its sources, separated by `: `.
pub struct Chain<'a>(pub &'a (dyn Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = self.0.source();
        while let Some(err) = cause {
            write!(f, ": {err}")?;
            cause = err.source();
        }
        Ok(())
    }
}

/// A wasmtime error as a standard error, its own causes kept as sources.
/// (`wasmtime::Error`, like `anyhow::Error`, does not implement
/// [`std::error::Error`] itself, so it cannot be a `#[source]` as it is.)
pub type WasmtimeError = Box<dyn Error + Send + Sync + 'static>;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot read m.wasm")]
    struct Outer {
        #[source]
        source: std::io::Error,
    }

    #[test]
    fn every_cause_is_printed_once_in_order() {
        let err = Outer { source: std::io::Error::other("disk on fire") };
        assert_eq!(Chain(&err).to_string(), "cannot read m.wasm: disk on fire");
    }

    #[test]
    fn a_wasmtime_error_keeps_its_context_as_sources() {
        let err = wasmtime::Error::msg("root cause").context("middle").context("top");
        let boxed: WasmtimeError = err.into();
        assert_eq!(Chain(boxed.as_ref()).to_string(), "top: middle: root cause");
    }
}
