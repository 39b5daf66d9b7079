//! A [`UserStore`] wrapper that counts failed operations in the metrics, so every
//! backend (memory, MySQL, PostgreSQL, with or without a cache) is measured the same
//! way without instrumenting each one.

use std::sync::Arc;

use async_trait::async_trait;

use super::Metrics;
use crate::domain::{NewUser, User, UserChanges, UserId};
use crate::store::{StoreError, StoreFigures, UserStore};

/// Delegates to the real store and records each `Unavailable`/`Internal` error.
/// Conflicts are the client's doing and are not counted as store errors.
pub struct MeteredStore {
    inner: Arc<dyn UserStore>,
    metrics: Arc<Metrics>,
}

impl MeteredStore {
    /// Wraps `inner`, recording into `metrics`.
    pub fn new(inner: Arc<dyn UserStore>, metrics: Arc<Metrics>) -> Self {
        Self { inner, metrics }
    }

    fn observe<T>(&self, operation: &'static str, result: Result<T, StoreError>) -> Result<T, StoreError> {
        if let Err(error) = &result {
            match error {
                StoreError::Conflict(_) => {}
                StoreError::Unavailable { .. } => self.metrics.record_store_error(operation, "unavailable"),
                StoreError::Full { .. } => self.metrics.record_store_error(operation, "full"),
                StoreError::Internal { .. } => self.metrics.record_store_error(operation, "internal"),
            }
        }
        result
    }
}

#[async_trait]
impl UserStore for MeteredStore {
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }

    fn is_durable(&self) -> bool {
        self.inner.is_durable()
    }

    fn release(&self) {
        self.inner.release();
    }

    fn figures(&self) -> StoreFigures {
        self.inner.figures()
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.observe("ping", self.inner.ping().await)
    }

    async fn list(&self, after: Option<UserId>, limit: u32) -> Result<Vec<User>, StoreError> {
        self.observe("list", self.inner.list(after, limit).await)
    }

    async fn get(&self, id: UserId) -> Result<Option<User>, StoreError> {
        self.observe("get", self.inner.get(id).await)
    }

    async fn create(&self, new: NewUser) -> Result<User, StoreError> {
        self.observe("create", self.inner.create(new).await)
    }

    async fn update(&self, id: UserId, changes: UserChanges) -> Result<Option<User>, StoreError> {
        self.observe("update", self.inner.update(id, changes).await)
    }

    async fn delete(&self, id: UserId) -> Result<bool, StoreError> {
        self.observe("delete", self.inner.delete(id).await)
    }
}
