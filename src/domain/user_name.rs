//! User names: trimmed, 1 to 100 characters, no control characters.

use std::fmt;

/// A display name that passed validation (already trimmed).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct UserName(String);

/// Why a string is not a user name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserNameError {
    /// Nothing left after trimming whitespace.
    #[error("must not be empty")]
    Empty,
    /// More than [`UserName::MAX_CHARS`] characters after trimming.
    #[error("must be at most {max} characters", max = UserName::MAX_CHARS)]
    TooLong,
    /// Contains a control character such as a newline or NUL.
    #[error("must not contain control characters")]
    ControlCharacter,
}

impl UserName {
    /// The longest name, counted in Unicode scalar values after trimming.
    pub const MAX_CHARS: usize = 100;

    /// Trims `raw` and checks it.
    pub fn parse(raw: &str) -> Result<Self, UserNameError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(UserNameError::Empty);
        }
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(UserNameError::TooLong);
        }
        if trimmed.chars().any(char::is_control) {
            return Err(UserNameError::ControlCharacter);
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_surrounding_whitespace() {
        assert_eq!(
            UserName::parse("  Ada Lovelace \t").map(|n| n.as_str().to_owned()),
            Ok("Ada Lovelace".into())
        );
    }

    #[test]
    fn rejects_blank() {
        assert_eq!(UserName::parse("   "), Err(UserNameError::Empty));
    }

    #[test]
    fn counts_characters_not_bytes() {
        let hundred_emoji = "😀".repeat(100);
        assert!(UserName::parse(&hundred_emoji).is_ok());
        assert_eq!(UserName::parse(&"😀".repeat(101)), Err(UserNameError::TooLong));
    }

    #[test]
    fn rejects_control_characters_inside() {
        assert_eq!(UserName::parse("a\nb"), Err(UserNameError::ControlCharacter));
        assert_eq!(UserName::parse("a\0b"), Err(UserNameError::ControlCharacter));
    }
}
