//! User ids: positive integers that fit every store (PostgreSQL has no unsigned
//! 64-bit type, so the ceiling is `i64::MAX`).

use std::fmt;

/// A user's id, in `1..=i64::MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct UserId(u64);

/// Why a number or string is not a user id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserIdError {
    /// Not a decimal integer at all.
    #[error("must be a positive integer")]
    NotANumber,
    /// Zero, or larger than the stores can hold.
    #[error("must be between 1 and {max}", max = UserId::MAX)]
    OutOfRange,
}

impl UserId {
    /// The largest id any store accepts.
    pub const MAX: u64 = i64::MAX as u64;

    /// Checks that `value` is a usable id.
    pub fn new(value: u64) -> Result<Self, UserIdError> {
        if (1..=Self::MAX).contains(&value) {
            Ok(Self(value))
        } else {
            Err(UserIdError::OutOfRange)
        }
    }

    /// Parses a path segment or query value such as `"42"` (no sign, no spaces).
    pub fn parse(text: &str) -> Result<Self, UserIdError> {
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(UserIdError::NotANumber);
        }
        // All digits: the only parse failure left is overflow.
        let value = text.parse::<u64>().map_err(|_| UserIdError::OutOfRange)?;
        Self::new(value)
    }

    /// The id as a number.
    pub fn get(self) -> u64 {
        self.0
    }

    /// The id as the signed integer SQL stores use; always non-negative.
    pub fn as_i64(self) -> i64 {
        // In range by construction (<= i64::MAX).
        self.0 as i64
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_positive_decimal() {
        assert_eq!(UserId::parse("42").map(UserId::get), Ok(42));
    }

    #[test]
    fn rejects_zero_sign_space_and_overflow() {
        assert_eq!(UserId::parse("0"), Err(UserIdError::OutOfRange));
        assert_eq!(UserId::parse("-1"), Err(UserIdError::NotANumber));
        assert_eq!(UserId::parse("+1"), Err(UserIdError::NotANumber));
        assert_eq!(UserId::parse(" 1"), Err(UserIdError::NotANumber));
        assert_eq!(UserId::parse(""), Err(UserIdError::NotANumber));
        assert_eq!(UserId::parse("9223372036854775808"), Err(UserIdError::OutOfRange));
        assert_eq!(UserId::parse("99999999999999999999999"), Err(UserIdError::OutOfRange));
    }

    #[test]
    fn accepts_the_largest_signed_64_bit_value() {
        assert_eq!(UserId::parse("9223372036854775807").map(UserId::as_i64), Ok(i64::MAX));
    }
}
