//! The store that needs nothing: users in memory, lost when the process ends (what a
//! run without a writable directory or `DATABASE_URL` gets). It needs no database, so
//! `wasmedge run edge_service.wasm` works on its own; it is for one instance only (each
//! replica would have its own users). It is bounded by the module's memory: once that
//! is exhausted ([`crate::headroom`]), creates and updates are refused with
//! [`StoreError::Full`] instead of aborting the module with every user in it.

use std::collections::btree_map::{BTreeMap, Entry};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use super::{Conflict, StoreError, UserStore};
use crate::domain::{NewUser, User, UserChanges, UserId};
use crate::headroom;

/// Users in a `BTreeMap` (ordered by id for paging) plus an email index.
///
/// Both are B-trees on purpose: a hash table doubles and rehashes everything when it
/// fills up, and with hundreds of thousands of users that one insert stalls every
/// request for tens of milliseconds (measured: 84 ms at 229,376 users, the POST
/// benchmark's p99 of ~40 ms). A B-tree grows one node at a time.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    users: BTreeMap<UserId, User>,
    /// Lowercase email → owner, for case-insensitive uniqueness.
    emails: BTreeMap<String, UserId>,
    /// The largest id ever used, so deleted ids are not handed out again.
    highest_id: u64,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> Result<MutexGuard<'_, State>, StoreError> {
        // A poisoned lock means a panic happened while holding it; in Wasm that
        // aborted everything already, natively it is reported rather than repeated.
        self.state.lock().map_err(|_| StoreError::internal_because("memory store lock poisoned"))
    }
}

/// Refuses a write while the module's memory is exhausted: what is stored stays
/// readable, and the next allocation does not abort the module.
fn room_for_a_write() -> Result<(), StoreError> {
    if headroom::is_exhausted() {
        return Err(StoreError::memory_exhausted());
    }
    Ok(())
}

#[async_trait]
impl UserStore for MemoryStore {
    fn kind(&self) -> &'static str {
        "memory"
    }

    fn is_durable(&self) -> bool {
        false
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.state().map(drop)
    }

    async fn list(&self, after: Option<UserId>, limit: u32) -> Result<Vec<User>, StoreError> {
        let state = self.state()?;
        let take = usize::try_from(limit).unwrap_or(usize::MAX);
        let users = match after {
            Some(after) => state
                .users
                .range((std::ops::Bound::Excluded(after), std::ops::Bound::Unbounded))
                .map(|(_, user)| user.clone())
                .take(take)
                .collect(),
            None => state.users.values().take(take).cloned().collect(),
        };
        Ok(users)
    }

    async fn get(&self, id: UserId) -> Result<Option<User>, StoreError> {
        Ok(self.state()?.users.get(&id).cloned())
    }

    async fn create(&self, new: NewUser) -> Result<User, StoreError> {
        room_for_a_write()?;
        let mut state = self.state()?;
        let State { users, emails, highest_id } = &mut *state;
        let id = match new.id {
            Some(id) if users.contains_key(&id) => return Err(StoreError::Conflict(Conflict::Id)),
            Some(id) => id,
            None => UserId::new(highest_id.saturating_add(1))
                .map_err(|_| StoreError::Conflict(Conflict::IdsExhausted))?,
        };
        let Entry::Vacant(email_slot) = emails.entry(new.email.unique_key()) else {
            return Err(StoreError::Conflict(Conflict::Email));
        };
        email_slot.insert(id);
        let user = User { id, name: new.name, email: new.email };
        users.insert(id, user.clone());
        *highest_id = (*highest_id).max(id.get());
        Ok(user)
    }

    async fn update(&self, id: UserId, changes: UserChanges) -> Result<Option<User>, StoreError> {
        room_for_a_write()?;
        let mut state = self.state()?;
        let Some(old_key) = state.users.get(&id).map(|user| user.email.unique_key()) else {
            return Ok(None);
        };
        let new_key = changes.email.unique_key();
        if state.emails.get(&new_key).is_some_and(|owner| *owner != id) {
            return Err(StoreError::Conflict(Conflict::Email));
        }
        state.emails.remove(&old_key);
        state.emails.insert(new_key, id);
        let user = User { id, name: changes.name, email: changes.email };
        state.users.insert(id, user.clone());
        Ok(Some(user))
    }

    async fn delete(&self, id: UserId) -> Result<bool, StoreError> {
        let mut state = self.state()?;
        let Some(user) = state.users.remove(&id) else { return Ok(false) };
        state.emails.remove(&user.email.unique_key());
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Email, UserName};
    use crate::store::test_users::{block_on, new_user};

    #[test]
    fn assigns_increasing_ids_and_never_reuses_deleted_ones() {
        block_on(async {
            let store = MemoryStore::new();
            let first = store.create(new_user(None, "a@x")).await.expect("created");
            let second = store.create(new_user(None, "b@x")).await.expect("created");
            assert_eq!((first.id.get(), second.id.get()), (1, 2));
            assert!(store.delete(second.id).await.expect("deleted"));
            let third = store.create(new_user(None, "c@x")).await.expect("created");
            assert_eq!(third.id.get(), 3);
        });
    }

    #[test]
    fn email_uniqueness_ignores_case() {
        block_on(async {
            let store = MemoryStore::new();
            store.create(new_user(None, "Ada@X.org")).await.expect("created");
            let error = store.create(new_user(None, "ada@x.ORG")).await.expect_err("taken");
            assert!(matches!(error, StoreError::Conflict(Conflict::Email)));
        });
    }

    #[test]
    fn explicit_id_conflicts_and_moves_the_counter() {
        block_on(async {
            let store = MemoryStore::new();
            store.create(new_user(Some(10), "a@x")).await.expect("created");
            let error = store.create(new_user(Some(10), "b@x")).await.expect_err("taken");
            assert!(matches!(error, StoreError::Conflict(Conflict::Id)));
            let next = store.create(new_user(None, "c@x")).await.expect("created");
            assert_eq!(next.id.get(), 11);
        });
    }

    #[test]
    fn list_pages_strictly_after_the_cursor() {
        block_on(async {
            let store = MemoryStore::new();
            for i in 0..5 {
                store.create(new_user(None, &format!("u{i}@x"))).await.expect("created");
            }
            let page = store.list(UserId::new(2).ok(), 2).await.expect("listed");
            let ids: Vec<u64> = page.iter().map(|u| u.id.get()).collect();
            assert_eq!(ids, vec![3, 4]);
        });
    }

    #[test]
    fn update_keeps_own_email_and_frees_the_old_one() {
        block_on(async {
            let store = MemoryStore::new();
            let ada = store.create(new_user(None, "ada@x")).await.expect("created");
            let changes = UserChanges {
                name: UserName::parse("Ada").expect("valid"),
                email: Email::parse("ADA@x").expect("valid"),
            };
            assert!(store.update(ada.id, changes).await.expect("updated").is_some());
            let changes = UserChanges {
                name: UserName::parse("Ada").expect("valid"),
                email: Email::parse("lovelace@x").expect("valid"),
            };
            store.update(ada.id, changes).await.expect("updated");
            store.create(new_user(None, "ada@x")).await.expect("old email is free again");
        });
    }
}
