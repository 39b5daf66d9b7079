//! Email addresses: a plausibility check, not RFC 5322. Uniqueness is
//! case-insensitive, so each address also carries its lowercase key.

use std::fmt;

/// An address that passed the plausibility check, as the user wrote it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Email(String);

/// Why a string is not a plausible email address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// More than [`Email::MAX_LEN`] characters.
    #[error("must be at most {max} characters", max = Email::MAX_LEN)]
    TooLong,
    /// Not exactly one `@`.
    #[error("must contain exactly one '@'")]
    NotOneAt,
    /// Nothing before or after the `@`.
    #[error("must have a non-empty part before and after '@'")]
    EmptyPart,
    /// Whitespace or a control character somewhere.
    #[error("must not contain spaces or control characters")]
    Whitespace,
}

impl Email {
    /// The longest address accepted (RFC 5321's path limit).
    pub const MAX_LEN: usize = 254;

    /// Checks `raw` (it is not trimmed: surrounding spaces are an error, not a guess).
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        if raw.chars().count() > Self::MAX_LEN {
            return Err(EmailError::TooLong);
        }
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(EmailError::Whitespace);
        }
        let mut parts = raw.split('@');
        let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(EmailError::NotOneAt);
        };
        if local.is_empty() || domain.is_empty() {
            return Err(EmailError::EmptyPart);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The address as the user wrote it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key uniqueness is decided on: the address in lowercase.
    pub fn unique_key(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_a_plain_address_and_keeps_its_case() {
        let email = Email::parse("Ada@Example.org").expect("plausible");
        assert_eq!(email.as_str(), "Ada@Example.org");
        assert_eq!(email.unique_key(), "ada@example.org");
    }

    #[test]
    fn requires_exactly_one_at() {
        assert_eq!(Email::parse("ada.example.org"), Err(EmailError::NotOneAt));
        assert_eq!(Email::parse("a@b@c"), Err(EmailError::NotOneAt));
    }

    #[test]
    fn requires_both_parts() {
        assert_eq!(Email::parse("@example.org"), Err(EmailError::EmptyPart));
        assert_eq!(Email::parse("ada@"), Err(EmailError::EmptyPart));
    }

    #[test]
    fn rejects_spaces_anywhere() {
        assert_eq!(Email::parse(" ada@example.org"), Err(EmailError::Whitespace));
        assert_eq!(Email::parse("a da@example.org"), Err(EmailError::Whitespace));
    }

    #[test]
    fn limits_length_to_254() {
        let at_limit = format!("{}@example.org", "a".repeat(254 - 12));
        assert!(Email::parse(&at_limit).is_ok());
        let over = format!("{}@example.org", "a".repeat(255 - 12));
        assert_eq!(Email::parse(&over), Err(EmailError::TooLong));
    }
}
