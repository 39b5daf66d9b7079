//! One instance per database file, without the file locks WASI does not have.
//!
//! SQLite runs without locking inside the module (its `unix-none` VFS: the sandbox
//! offers no `fcntl` locks, and a lock directory, SQLite's other choice there, outlives
//! a crashed process and would block its restart). Instead the instance that owns
//! `FILE` keeps `FILE.owner`, created with `O_EXCL` (atomic: of two instances starting
//! at once, one creates it), holding its random id and a beat it advances every
//! [`BEAT`]. Another instance that finds the file watches it: a beat that moves within
//! [`STALE_AFTER`] means the owner is alive, and the newcomer refuses to start with
//! one line; a beat that stands still means the owner is gone (killed, crashed, its
//! machine lost), and the newcomer moves the file aside (atomic rename: one of several
//! newcomers wins) and takes it. A crashed instance's restart therefore waits
//! [`STALE_AFTER`], never longer. A clean stop removes the file.
//!
//! Every beat first checks that the file still names its owner; an instance that finds
//! another id there (it was stalled for longer than [`STALE_AFTER`] and taken over)
//! stops at once rather than write to the database beside the new owner.

use std::fs::{self, File, OpenOptions};
use std::hash::{BuildHasher, RandomState};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How often the owner advances its beat.
pub const BEAT: Duration = Duration::from_secs(1);

/// How long a beat may stand still before its owner counts as gone: five beats, so a
/// live owner busy with a long write is not mistaken for a dead one.
pub const STALE_AFTER: Duration = Duration::from_secs(5);

/// How often a newcomer looks at the beat while it waits.
const LOOK_EVERY: Duration = Duration::from_millis(250);

/// The file's content: `<id> <beat>\n`, both 16 hex digits (fixed size: every write
/// replaces the whole content in one write at offset 0).
const CONTENT_BYTES: usize = 34;

/// Why the database file cannot be owned.
#[derive(Debug, thiserror::Error)]
pub enum OwnerError {
    /// Another instance is alive and owns the file.
    #[error(
        "another instance is using {database}: its owner file {owner} changed within {} s; \
         stop it first (one instance per SQLite file)",
        STALE_AFTER.as_secs()
    )]
    Owned {
        /// The database file.
        database: String,
        /// The owner file.
        owner: String,
    },
    /// The owner file cannot be read or written.
    #[error(
        "cannot use the owner file {owner} (is the database's directory granted to the module, \
         e.g. `wasmedge --dir /data:HOSTDIR` or edge-host `--dir /data:HOSTDIR`, and writable?)"
    )]
    Io {
        /// The owner file.
        owner: String,
        /// What the file system said.
        #[source]
        source: io::Error,
    },
}

/// What a beat found.
#[derive(Debug, PartialEq, Eq)]
pub enum Beat {
    /// The file still names this owner; the beat advanced.
    Kept,
    /// The file is gone or names another owner: this instance must stop.
    Lost,
}

/// Ownership of one database file, held until [`OwnerFile::release`].
#[derive(Debug)]
pub struct OwnerFile {
    path: String,
    id: u64,
    beat: u64,
}

impl OwnerFile {
    /// Takes ownership of `database`, waiting up to [`STALE_AFTER`] to tell a live
    /// owner from a dead one.
    pub fn acquire(database: &str) -> Result<Self, OwnerError> {
        let path = format!("{database}.owner");
        let io = |source| OwnerError::Io { owner: path.clone(), source };
        let owner = Self { path: path.clone(), id: random_id(), beat: 0 };
        // At most a few rounds: each ends with this instance owning the file, refusing,
        // or another newcomer having taken the file over (then its beat moves).
        for _ in 0..4 {
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut file) => {
                    owner.write_to(&mut file).map_err(io)?;
                    return Ok(owner);
                }
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
                Err(error) => return Err(io(error)),
            }
            if beat_moves(&path).map_err(io)? {
                return Err(OwnerError::Owned { database: database.to_owned(), owner: path });
            }
            // Dead owner: move its file aside; losing this race to another newcomer is fine.
            let aside = format!("{path}.stale-{:016x}", owner.id);
            match fs::rename(&path, &aside) {
                Ok(()) => {
                    tracing::warn!(owner = %path, "the previous owner of the database stopped without releasing it (killed or crashed); taking over");
                    let _ = fs::remove_file(&aside);
                }
                Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                Err(error) => return Err(io(error)),
            }
        }
        Err(OwnerError::Owned { database: database.to_owned(), owner: path })
    }

    /// Advances the beat, after checking that the file still names this owner.
    pub fn beat(&mut self) -> io::Result<Beat> {
        let mut file = match OpenOptions::new().read(true).write(true).open(&self.path) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Beat::Lost),
            Err(error) => return Err(error),
        };
        if read_content(&mut file)?.and_then(|content| owner_id(&content)) != Some(self.id) {
            return Ok(Beat::Lost);
        }
        self.beat = self.beat.wrapping_add(1);
        file.seek(SeekFrom::Start(0))?;
        self.write_to(&mut file)?;
        Ok(Beat::Kept)
    }

    /// Gives the file up (a clean stop): the next instance starts at once.
    pub fn release(&self) -> io::Result<()> {
        let mut file = match File::open(&self.path) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(error) => return Err(error),
        };
        if read_content(&mut file)?.and_then(|content| owner_id(&content)) == Some(self.id) {
            fs::remove_file(&self.path)?;
        }
        Ok(())
    }

    fn write_to(&self, file: &mut File) -> io::Result<()> {
        file.write_all(format!("{:016x} {:016x}\n", self.id, self.beat).as_bytes())?;
        file.flush()
    }
}

/// Whether the content of `path` changes within [`STALE_AFTER`] (its owner is alive).
/// A file that disappears meanwhile counts as moving: someone else is acting on it.
fn beat_moves(path: &str) -> io::Result<bool> {
    // `None`: the file is gone.
    let look = || match File::open(path) {
        Ok(mut file) => read_content(&mut file).map(Some),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    };
    let Some(first) = look()? else { return Ok(true) };
    let deadline = Instant::now().checked_add(STALE_AFTER).unwrap_or_else(Instant::now);
    while Instant::now() < deadline {
        std::thread::sleep(LOOK_EVERY);
        if look()? != Some(first) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The file's content, if it has the expected size.
fn read_content(file: &mut File) -> io::Result<Option<[u8; CONTENT_BYTES]>> {
    let mut content = [0u8; CONTENT_BYTES];
    match file.read_exact(&mut content) {
        Ok(()) => Ok(Some(content)),
        Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
        Err(error) => Err(error),
    }
}

fn owner_id(content: &[u8; CONTENT_BYTES]) -> Option<u64> {
    let id = std::str::from_utf8(content.get(..16)?).ok()?;
    u64::from_str_radix(id, 16).ok()
}

/// A random id: the standard library's random hash keys (WASI `random_get`) over the clock.
fn random_id() -> u64 {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    RandomState::new().hash_one(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database(dir: &std::path::Path) -> String {
        dir.join("edge.db").to_string_lossy().into_owned()
    }

    fn temp_dir(tag: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("edge-owner-{tag}-{:016x}", random_id()));
        fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[test]
    fn an_owner_keeps_beating_and_a_clean_release_frees_the_file_at_once() {
        let dir = temp_dir("release");
        let db = database(&dir);
        let mut owner = OwnerFile::acquire(&db).expect("first owner");
        assert_eq!(owner.beat().expect("beat"), Beat::Kept);
        owner.release().expect("release");
        let started = Instant::now();
        let next = OwnerFile::acquire(&db).expect("free after release");
        assert!(started.elapsed() < STALE_AFTER, "a released file is taken without waiting");
        next.release().expect("release");
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn a_live_owner_is_not_taken_over() {
        let dir = temp_dir("live");
        let db = database(&dir);
        let mut owner = OwnerFile::acquire(&db).expect("first owner");
        let beating = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let keep = beating.clone();
        let beater = std::thread::spawn(move || {
            while keep.load(std::sync::atomic::Ordering::Acquire) {
                assert_eq!(owner.beat().expect("beat"), Beat::Kept);
                std::thread::sleep(Duration::from_millis(100));
            }
            owner
        });
        let refused = OwnerFile::acquire(&db).expect_err("the owner is alive");
        assert!(matches!(refused, OwnerError::Owned { .. }), "{refused}");
        beating.store(false, std::sync::atomic::Ordering::Release);
        beater.join().expect("beater").release().expect("release");
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn a_dead_owner_is_taken_over_and_learns_it_at_its_next_beat() {
        let dir = temp_dir("dead");
        let db = database(&dir);
        // An owner that stops beating (as a killed process does).
        let mut dead = OwnerFile::acquire(&db).expect("first owner");
        let started = Instant::now();
        let mut next = OwnerFile::acquire(&db).expect("taken over");
        assert!(started.elapsed() >= STALE_AFTER, "waited for the beat to stand still");
        assert_eq!(next.beat().expect("beat"), Beat::Kept);
        assert_eq!(dead.beat().expect("beat"), Beat::Lost, "the old owner learns it lost the file");
        assert_eq!(next.beat().expect("beat"), Beat::Kept, "and its beat changed nothing");
        next.release().expect("release");
        let _ = fs::remove_dir_all(dir);
    }
}
