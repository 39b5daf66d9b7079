//! The user resource and the validated inputs that create or change one.

use super::{Email, UserId, UserName};

/// A stored user, as the API returns it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct User {
    /// Unique, chosen by the client or assigned by the store.
    pub id: UserId,
    /// Display name.
    pub name: UserName,
    /// Unique regardless of case.
    pub email: Email,
}

/// What `POST /api/users` asks the store to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// The id the client asked for, or `None` for the store to assign the next one.
    pub id: Option<UserId>,
    /// Display name.
    pub name: UserName,
    /// Unique regardless of case.
    pub email: Email,
}

/// What `PUT /api/users/{id}` replaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserChanges {
    /// The new display name.
    pub name: UserName,
    /// The new email, unique regardless of case.
    pub email: Email,
}
