//! Turning database rows back into validated domain values. A row that fails
//! validation was written by something other than this service; it is reported as an
//! internal error instead of being served.

use crate::domain::{Email, EmailError, User, UserId, UserIdError, UserName, UserNameError};

use super::StoreError;

/// Builds a [`User`] from the three stored columns.
pub(crate) fn user_from_columns(id: u64, name: &str, email: &str) -> Result<User, StoreError> {
    let bad =
        |what: &str, cause| StoreError::internal(format!("stored user {id} has an invalid {what}"), cause);
    Ok(User {
        id: UserId::new(id).map_err(|e| bad("id", InvalidColumn::Id(e)))?,
        name: UserName::parse(name).map_err(|e| bad("name", InvalidColumn::Name(e)))?,
        email: Email::parse(email).map_err(|e| bad("email", InvalidColumn::Email(e)))?,
    })
}

/// Which stored column failed validation, and why.
#[derive(Debug, thiserror::Error)]
enum InvalidColumn {
    #[error(transparent)]
    Id(UserIdError),
    #[error(transparent)]
    Name(UserNameError),
    #[error(transparent)]
    Email(EmailError),
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
        assert!(matches!(user_from_columns(0, "Ada", "a@b"), Err(StoreError::Internal { .. })));
        assert!(matches!(user_from_columns(1, "", "a@b"), Err(StoreError::Internal { .. })));
        assert!(matches!(
            user_from_columns(1, "Ada", "nope"),
            Err(StoreError::Internal { cause: Some(_), .. })
        ));
    }
}
