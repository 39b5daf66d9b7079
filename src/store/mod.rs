//! Where users live. [`UserStore`] is the one interface handlers use; the in-memory
//! store needs nothing, SQLite ([`SqliteStore`]) keeps data in a file inside the
//! sandbox, and the database-server stores implement the same trait.
//!
//! Contract every implementation keeps (the end-to-end suite runs against each):
//! - `list` is ordered by id ascending and starts strictly after `after`.
//! - Email uniqueness is case-insensitive ([`crate::domain::Email::unique_key`]).
//! - A write has happened (and, for databases, is committed) when the call returns `Ok`.
//! - Failures are [`StoreError`]s; no implementation panics on any input.

mod availability;
mod cache;
mod connection_pool;
mod error;
mod figures;
mod memory;
mod mysql;
mod open;
mod postgres;
mod probe;
mod rows;
mod schema_error;
mod sql_driver;
mod sql_guard;
mod sqlite;
#[cfg(test)]
mod test_users;
mod usage;

use async_trait::async_trait;

pub use cache::CachedStore;
pub use error::{Cause, Conflict, ErrorChain, StoreError};
pub use figures::{CacheFigures, PoolFigures, StoreFigures};
pub use memory::MemoryStore;
pub use mysql::MySqlStore;
pub use open::open;
pub use postgres::PostgresStore;
pub use sqlite::{SqliteOpenError, SqliteStore};

use crate::domain::{NewUser, User, UserChanges, UserId};

/// The operations the users API needs from a store.
#[async_trait]
pub trait UserStore: Send + Sync + 'static {
    /// A short name for logs and metrics: `memory`, `mysql`, `postgres`.
    fn kind(&self) -> &'static str;

    /// Whether the store is durable across restarts of the service.
    fn is_durable(&self) -> bool;

    /// Gives up what this instance holds in the store (a clean stop, after the drain):
    /// the embedded store's ownership of its file. Default: nothing.
    fn release(&self) {}

    /// Checks that the store answers (used by `/api/ready`).
    async fn ping(&self) -> Result<(), StoreError>;

    /// Pool and cache figures for `/metrics`, read at each scrape; stores without any
    /// report the default (nothing).
    fn figures(&self) -> StoreFigures {
        StoreFigures::default()
    }

    /// Up to `limit` users with ids greater than `after`, ordered by id.
    async fn list(&self, after: Option<UserId>, limit: u32) -> Result<Vec<User>, StoreError>;

    /// The user with `id`, if any.
    async fn get(&self, id: UserId) -> Result<Option<User>, StoreError>;

    /// Stores a new user; the id is assigned when `new.id` is `None`.
    async fn create(&self, new: NewUser) -> Result<User, StoreError>;

    /// Replaces name and email of user `id`; `Ok(None)` if there is no such user.
    async fn update(&self, id: UserId, changes: UserChanges) -> Result<Option<User>, StoreError>;

    /// Deletes user `id`; `Ok(false)` if there was no such user.
    async fn delete(&self, id: UserId) -> Result<bool, StoreError>;
}
