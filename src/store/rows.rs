//! Turning database rows back into validated domain values. A row that fails
//! validation was written by something other than this service; it is reported as an
//! internal error instead of being served.

use crate::domain::{Email, User, UserId, UserName};

use super::StoreError;

/// Builds a [`User`] from the three stored columns.
pub(crate) fn user_from_columns(id: u64, name: &str, email: &str) -> Result<User, StoreError> {
    let bad = |what: &str| StoreError::Internal(format!("stored user {id} has an invalid {what}"));
    Ok(User {
        id: UserId::new(id).map_err(|_| bad("id"))?,
        name: UserName::parse(name).map_err(|_| bad("name"))?,
        email: Email::parse(email).map_err(|_| bad("email"))?,
    })
}

/// A user id as the signed 64-bit integer both databases store (ids are `1..=i64::MAX`).
pub(crate) fn id_to_i64(id: UserId) -> i64 {
    i64::try_from(id.get()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_columns_make_a_user() {
        let user = user_from_columns(7, "Ada", "ada@example.org").expect("valid");
        assert_eq!((user.id.get(), user.name.as_str(), user.email.as_str()), (7, "Ada", "ada@example.org"));
    }

    #[test]
    fn foreign_rows_are_internal_errors() {
        assert!(matches!(user_from_columns(0, "Ada", "a@b"), Err(StoreError::Internal(_))));
        assert!(matches!(user_from_columns(1, "", "a@b"), Err(StoreError::Internal(_))));
        assert!(matches!(user_from_columns(1, "Ada", "nope"), Err(StoreError::Internal(_))));
    }
}
