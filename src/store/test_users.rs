//! What the stores' unit tests share: a new user to store, and a runtime to await
//! the store's calls on.

use crate::domain::{Email, NewUser, UserId, UserName};

/// A user named `Test` with `email`, and `id` if one is chosen.
pub(super) fn new_user(id: Option<u64>, email: &str) -> NewUser {
    NewUser {
        id: id.map(|id| UserId::new(id).expect("valid id")),
        name: UserName::parse("Test").expect("valid name"),
        email: Email::parse(email).expect("valid email"),
    }
}

/// Runs `future` to completion on a current-thread runtime with timers.
pub(super) fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime").block_on(future)
}
