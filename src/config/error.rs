//! The one error type configuration parsing produces; its message is the line `main`
//! prints before exiting with code 2.

/// A configuration variable that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// A variable has a value of the wrong shape or range.
    #[error("{name}={value:?} is not valid: expected {expected}")]
    Invalid {
        /// The environment variable's name.
        name: &'static str,
        /// The value as given (secrets are masked before they get here).
        value: String,
        /// What a valid value looks like.
        expected: &'static str,
    },
    /// A variable the service reads is not valid UTF-8.
    #[error("{name}={value:?} is not valid UTF-8")]
    NotUnicode {
        /// The environment variable's name.
        name: String,
        /// The value, with invalid bytes replaced.
        value: String,
    },
}

impl ConfigError {
    /// Builds the error for `name=value`, which should have been `expected`.
    pub fn invalid(name: &'static str, value: &str, expected: &'static str) -> Self {
        Self::Invalid { name, value: value.to_owned(), expected }
    }
}
