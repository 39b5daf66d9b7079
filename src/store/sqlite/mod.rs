//! The embedded durable store: SQLite compiled into the module (`rusqlite` with its
//! bundled SQLite; inside Wasm, its WASI VFS), in a file of a directory the runtime
//! grants the module (`wasmedge --dir /data:HOSTDIR`, edge-host `--dir`, a volume).
//! No server to install: the data outlives every restart of the service.
//!
//! - One connection, opened at start: the module runs on one thread, and SQLite in
//!   `EXCLUSIVE` locking mode keeps the file to itself (WAL without a shared-memory
//!   file, which WASI cannot map). A write is one transaction, committed before the
//!   call returns; with `SQLITE_SYNC=full` (the default) the commit waits for the
//!   fsync, so an acknowledged write survives a power loss, and with `normal` it
//!   survives a crash of the process or the runtime.
//! - One instance per file ([`owner_file`]): SQLite itself runs without locks inside
//!   the sandbox (its `unix-none` VFS; WASI has no file locks), and a second instance
//!   started on the same file refuses to start, while a crashed one never blocks its
//!   own restart for longer than `owner_file::STALE_AFTER`.
//! - A file that is not a database, or is damaged, stops the service at start
//!   (`PRAGMA quick_check`) instead of serving from an empty or partial store.
//! - A failure to read or write the file (a full disk, an I/O error, a file made read
//!   only) is a 503 for that request; the service keeps answering.

mod errors;
mod owner_file;
mod schema;

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use self::errors::{classify, OpenError};
use self::owner_file::{Beat, OwnerFile};
use super::rows::{id_to_i64, user_from_columns};
use super::{Conflict, StoreError, UserStore};
use crate::config::{SqliteFile, SqliteSync};
use crate::domain::{NewUser, User, UserChanges, UserId};

pub use errors::OpenError as SqliteOpenError;

const SELECT_ONE: &str = "SELECT id, name, email FROM users WHERE id = ?1";
const SELECT_PAGE: &str = "SELECT id, name, email FROM users WHERE id > ?1 ORDER BY id LIMIT ?2";
const HIGHEST: &str = "SELECT highest FROM user_id_counter WHERE singleton = 1";
const INSERT: &str = "INSERT INTO users (id, name, email, email_key) VALUES (?1, ?2, ?3, ?4)";
const MOVE_COUNTER: &str = "UPDATE user_id_counter SET highest = MAX(highest, ?1) WHERE singleton = 1";
const UPDATE: &str = "UPDATE users SET name = ?1, email = ?2, email_key = ?3 WHERE id = ?4";
const DELETE: &str = "DELETE FROM users WHERE id = ?1";

/// SQLite's page cache, in KiB: bounded, so the module's memory is too.
const PAGE_CACHE_KIB: i64 = 2048;

/// The VFS SQLite uses: POSIX I/O without any locking (see [`owner_file`]).
const VFS: &str = "unix-none";

/// Users in a SQLite file.
pub struct SqliteStore {
    /// `None` once another instance took the file over: nothing is read or written
    /// then (every request gets 503, and so does `/api/ready`).
    connection: Mutex<Option<Connection>>,
    /// This instance's ownership of the file, beaten by a task until released.
    owner: Arc<Mutex<OwnerFile>>,
}

impl SqliteStore {
    /// Takes ownership of the database file, opens (or creates) it, checks it, and
    /// brings its schema up to date; then keeps the ownership beating (a spawned task:
    /// call inside the runtime). Fails with what is wrong when the file cannot be used.
    pub fn open(file: &SqliteFile, sync: SqliteSync) -> Result<Self, OpenError> {
        let owner = OwnerFile::acquire(&file.path).map_err(OpenError::Owner)?;
        let connection = match Self::open_connection(file, sync) {
            Ok(connection) => connection,
            Err(error) => {
                let _ = owner.release();
                return Err(error);
            }
        };
        let store = Self { connection: Mutex::new(Some(connection)), owner: Arc::new(Mutex::new(owner)) };
        Ok(store)
    }

    /// Starts the task that keeps this instance's ownership of the file beating.
    pub fn keep_ownership(self: &Arc<Self>, database: String) {
        tokio::spawn(keep_beating(Arc::clone(self), database));
    }

    fn open_connection(file: &SqliteFile, sync: SqliteSync) -> Result<Connection, OpenError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut connection = Connection::open_with_flags_and_vfs(&file.path, flags, VFS)
            .map_err(|e| OpenError::open(&file.path, e))?;
        let settings = format!(
            "PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; PRAGMA synchronous = {}; \
             PRAGMA cache_size = -{PAGE_CACHE_KIB}; PRAGMA foreign_keys = ON;",
            sync.as_str()
        );
        connection.execute_batch(&settings).map_err(|e| OpenError::not_usable(&file.path, e))?;
        let journal: String = connection
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .map_err(|e| OpenError::not_usable(&file.path, e))?;
        if !journal.eq_ignore_ascii_case("wal") {
            return Err(OpenError::NoWal { path: file.path.clone(), mode: journal });
        }
        let check: String = connection
            .query_row("PRAGMA quick_check", [], |row| row.get(0))
            .map_err(|e| OpenError::not_usable(&file.path, e))?;
        if check != "ok" {
            return Err(OpenError::Damaged { path: file.path.clone(), report: check });
        }
        schema::migrate(&mut connection)
            .map_err(|e| OpenError::Schema { path: file.path.clone(), source: Arc::new(e) })?;
        Ok(connection)
    }

    /// Runs `operation` on the connection, while this instance owns the file.
    fn with_connection<T>(
        &self,
        operation: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        // Poisoned only by a panic while holding it: in Wasm that aborted everything
        // already; natively it is reported rather than repeated.
        let mut guard = self
            .connection
            .lock()
            .map_err(|_| StoreError::internal_because("SQLite connection lock poisoned"))?;
        match guard.as_mut() {
            Some(connection) => operation(connection),
            None => Err(StoreError::unavailable_because("another instance took the SQLite database over")),
        }
    }

    /// Closes the database for good: another instance owns the file now.
    fn give_up(&self) {
        if let Ok(mut connection) = self.connection.lock() {
            connection.take();
        }
    }
}

/// Advances the ownership beat every `owner_file::BEAT`. An instance that lost the
/// file to another (it was stalled past `owner_file::STALE_AFTER`) closes the database
/// at once, since two writers would damage it, and answers 503 from then on.
async fn keep_beating(store: Arc<SqliteStore>, database: String) {
    let mut ticks = tokio::time::interval(owner_file::BEAT);
    loop {
        ticks.tick().await;
        let beat = match store.owner.lock() {
            Ok(mut owner) => owner.beat(),
            Err(_) => return,
        };
        match beat {
            Ok(Beat::Kept) => {}
            Ok(Beat::Lost) => {
                store.give_up();
                tracing::error!(%database, "another instance took this database over: closed it; every request gets 503 (restart this instance)");
                return;
            }
            Err(error) => tracing::warn!(%database, %error, "cannot advance the database's owner file"),
        }
    }
}

/// The user in a `SELECT id, name, email` row.
fn user_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, String, String)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
}

fn to_user((id, name, email): (i64, String, String)) -> Result<User, StoreError> {
    let id =
        u64::try_from(id).map_err(|e| StoreError::internal(format!("stored user id {id} is negative"), e))?;
    user_from_columns(id, &name, &email)
}

#[async_trait]
impl UserStore for SqliteStore {
    fn kind(&self) -> &'static str {
        "sqlite"
    }

    fn is_durable(&self) -> bool {
        true
    }

    fn release(&self) {
        if let Ok(owner) = self.owner.lock() {
            if let Err(error) = owner.release() {
                tracing::warn!(%error, "cannot remove the database's owner file; the next start waits for it to go stale");
            }
        }
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.with_connection(|connection| {
            connection.query_row("SELECT 1", [], |_| Ok(())).map_err(|e| classify("ping", e))
        })
    }

    async fn list(&self, after: Option<UserId>, limit: u32) -> Result<Vec<User>, StoreError> {
        let after = after.map_or(0, id_to_i64);
        let rows = self.with_connection(|connection| {
            (|| {
                let mut statement = connection.prepare_cached(SELECT_PAGE)?;
                let rows = statement.query_map(params![after, i64::from(limit)], user_from_row)?;
                rows.collect::<rusqlite::Result<Vec<_>>>()
            })()
            .map_err(|e| classify("list users", e))
        })?;
        rows.into_iter().map(to_user).collect()
    }

    async fn get(&self, id: UserId) -> Result<Option<User>, StoreError> {
        let row = self.with_connection(|connection| {
            (|| connection.prepare_cached(SELECT_ONE)?.query_row([id_to_i64(id)], user_from_row).optional())()
                .map_err(|e| classify("read a user", e))
        })?;
        row.map(to_user).transpose()
    }

    async fn create(&self, new: NewUser) -> Result<User, StoreError> {
        let key = new.email.unique_key();
        let id = self.with_connection(|connection| {
            let transaction = connection.transaction().map_err(|e| classify("begin a write", e))?;
            let id = match new.id {
                Some(id) => id_to_i64(id),
                None => {
                    let highest: i64 =
                        (|| transaction.prepare_cached(HIGHEST)?.query_row([], |row| row.get(0)))()
                            .map_err(|e| classify("read the id counter", e))?;
                    highest.checked_add(1).ok_or(StoreError::Conflict(Conflict::IdsExhausted))?
                }
            };
            (|| {
                transaction.prepare_cached(INSERT)?.execute(params![
                    id,
                    new.name.as_str(),
                    new.email.as_str(),
                    key
                ])?;
                transaction.prepare_cached(MOVE_COUNTER)?.execute([id])
            })()
            .map_err(|e| classify("insert a user", e))?;
            transaction.commit().map_err(|e| classify("commit a new user", e))?;
            Ok(id)
        })?;
        let id = u64::try_from(id)
            .ok()
            .and_then(|id| UserId::new(id).ok())
            .ok_or_else(|| StoreError::internal_because(format!("assigned an invalid id {id}")))?;
        Ok(User { id, name: new.name, email: new.email })
    }

    async fn update(&self, id: UserId, changes: UserChanges) -> Result<Option<User>, StoreError> {
        let key = changes.email.unique_key();
        let updated = self.with_connection(|connection| {
            (|| {
                connection.prepare_cached(UPDATE)?.execute(params![
                    changes.name.as_str(),
                    changes.email.as_str(),
                    key,
                    id_to_i64(id)
                ])
            })()
            .map_err(|e| classify("update a user", e))
        })?;
        Ok((updated > 0).then_some(User { id, name: changes.name, email: changes.email }))
    }

    async fn delete(&self, id: UserId) -> Result<bool, StoreError> {
        let deleted = self.with_connection(|connection| {
            (|| connection.prepare_cached(DELETE)?.execute([id_to_i64(id)]))()
                .map_err(|e| classify("delete a user", e))
        })?;
        Ok(deleted > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Email, UserName};
    use crate::store::test_users::{block_on, new_user};

    /// A database file in a fresh temporary directory (removed by the guard).
    struct TempDatabase {
        dir: std::path::PathBuf,
        file: SqliteFile,
    }

    impl TempDatabase {
        fn new(tag: &str) -> Self {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            let dir = std::env::temp_dir().join(format!("edge-sqlite-{tag}-{nanos}"));
            std::fs::create_dir_all(&dir).expect("temp dir");
            let file = SqliteFile { path: dir.join("edge.db").to_string_lossy().into_owned() };
            Self { dir, file }
        }

        fn open(&self) -> Result<SqliteStore, OpenError> {
            SqliteStore::open(&self.file, SqliteSync::Full)
        }
    }

    impl Drop for TempDatabase {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    #[test]
    fn users_are_kept_with_the_same_rules_as_every_store() {
        let db = TempDatabase::new("rules");
        block_on(async {
            let store = db.open().expect("opened");
            let first = store.create(new_user(None, "a@x")).await.expect("created");
            let second = store.create(new_user(None, "b@x")).await.expect("created");
            assert_eq!((first.id.get(), second.id.get()), (1, 2));
            assert!(store.delete(second.id).await.expect("deleted"));
            assert_eq!(
                store.create(new_user(None, "c@x")).await.expect("created").id.get(),
                3,
                "no id reused"
            );
            let taken = store.create(new_user(None, "A@X")).await.expect_err("email taken");
            assert!(matches!(taken, StoreError::Conflict(Conflict::Email)), "{taken:?}");
            let taken = store.create(new_user(Some(3), "d@x")).await.expect_err("id taken");
            assert!(matches!(taken, StoreError::Conflict(Conflict::Id)), "{taken:?}");
            store.create(new_user(Some(10), "e@x")).await.expect("chosen id");
            assert_eq!(store.create(new_user(None, "f@x")).await.expect("created").id.get(), 11);
            let page = store.list(UserId::new(1).ok(), 2).await.expect("listed");
            assert_eq!(page.iter().map(|u| u.id.get()).collect::<Vec<_>>(), vec![3, 10]);
            let changes = UserChanges {
                name: UserName::parse("Ada").expect("name"),
                email: Email::parse("a@x").expect("email"),
            };
            let clash =
                store.update(UserId::new(3).expect("id"), changes).await.expect_err("email of user 1");
            assert!(matches!(clash, StoreError::Conflict(Conflict::Email)), "{clash:?}");
            store.release();
        });
    }

    #[test]
    fn data_outlives_the_store_and_the_schema_is_migrated_once() {
        let db = TempDatabase::new("reopen");
        block_on(async {
            let store = db.open().expect("opened");
            let ada = store.create(new_user(None, "ada@x")).await.expect("created");
            store.release();
            drop(store);
            let store = db.open().expect("reopened");
            assert_eq!(store.get(ada.id).await.expect("read"), Some(ada));
            store.release();
        });
        let connection = Connection::open(&db.file.path).expect("open with the host's SQLite");
        let versions: i64 = connection
            .query_row("SELECT COUNT(*) FROM schema_migrations", [], |row| row.get(0))
            .expect("read");
        assert_eq!(versions, 1);
    }

    #[test]
    fn a_file_that_is_not_a_database_stops_the_start() {
        let db = TempDatabase::new("garbage");
        std::fs::write(&db.file.path, vec![b'x'; 8192]).expect("write garbage");
        let error = block_on(async { db.open().err() }).expect("refused");
        assert!(matches!(error, OpenError::NotUsable { .. }), "{error:?}");
        assert!(error.to_string().contains("not a usable SQLite database"), "{error}");
    }

    #[test]
    fn a_damaged_database_stops_the_start() {
        let db = TempDatabase::new("damaged");
        block_on(async {
            let store = db.open().expect("opened");
            for i in 0..200 {
                store.create(new_user(None, &format!("u{i}@example.org"))).await.expect("created");
            }
            store.release();
        });
        // Fold the WAL into the file, then overwrite the middle of its pages.
        Connection::open(&db.file.path)
            .and_then(|c| c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);"))
            .expect("checkpoint");
        let mut bytes = std::fs::read(&db.file.path).expect("read");
        let middle = bytes.len() / 2;
        bytes.splice(middle..middle + 4096, std::iter::repeat_n(0xA5, 4096));
        std::fs::write(&db.file.path, bytes).expect("write");
        let error = block_on(async { db.open().err() }).expect("refused");
        assert!(matches!(error, OpenError::Damaged { .. } | OpenError::NotUsable { .. }), "{error:?}");
    }
}
