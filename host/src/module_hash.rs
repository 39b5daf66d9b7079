//! The SHA-256 of a module file, remembered by the file's identity so a warm
//! start does not hash megabytes of wasm again (about 2 ms for a 3 MiB
//! service, a quarter of the start-up budget).
//!
//! The hash stays the cache key (see `cache`); this only memoises it. A memo
//! lives in `<cache dir>/hashes/<dev>-<inode>` and records the file's size,
//! mtime and ctime next to the hash; it is used only if all of them still
//! match. Any write to the file changes its ctime, which user space cannot
//! set back. Timestamps are coarse (a few ms), so a file changed within the
//! same tick as it was hashed could keep its ctime: as git does for its
//! index, no memo is written for a file whose ctime is less than
//! [`SETTLE_SECONDS`] old. Memos are trusted like cache entries: only if
//! owned by this user and not writable by others.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

use sha2::{Digest, Sha256};

const MAGIC: &[u8; 8] = b"EHSHA256";
const MEMO_LEN: usize = 8 + 5 * 8 + 32;
/// A file must be this much older (by ctime) than "now" before its hash is
/// remembered.
pub const SETTLE_SECONDS: i64 = 2;

/// What identifies the contents of a module file without reading it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Identity {
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Identity {
    fn of(meta: &fs::Metadata) -> Self {
        Identity {
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }

    fn encode(&self, hash: &[u8; 32]) -> [u8; MEMO_LEN] {
        let mut out = [0u8; MEMO_LEN];
        out[0..8].copy_from_slice(MAGIC);
        let fields = [self.size as i64, self.mtime.0, self.mtime.1, self.ctime.0, self.ctime.1];
        for (i, v) in fields.iter().enumerate() {
            out[8 + i * 8..16 + i * 8].copy_from_slice(&v.to_le_bytes());
        }
        out[48..80].copy_from_slice(hash);
        out
    }

    /// The remembered hash if `memo` is for exactly this identity.
    fn decode(&self, memo: &[u8]) -> Option<[u8; 32]> {
        if memo.len() != MEMO_LEN || &memo[0..8] != MAGIC {
            return None;
        }
        let field = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&memo[8 + i * 8..16 + i * 8]);
            i64::from_le_bytes(b)
        };
        let stored =
            Identity { size: field(0) as u64, mtime: (field(1), field(2)), ctime: (field(3), field(4)) };
        if stored != *self {
            return None;
        }
        let mut hash = [0u8; 32];
        hash.copy_from_slice(&memo[48..80]);
        Some(hash)
    }
}

fn memo_path(cache_dir: &Path, meta: &fs::Metadata) -> std::path::PathBuf {
    cache_dir.join("hashes").join(format!("{:x}-{:x}", meta.dev(), meta.ino()))
}

fn read_memo(path: &Path) -> Option<Vec<u8>> {
    let mut file = File::open(path).ok()?;
    let meta = file.metadata().ok()?;
    if meta.uid() != rustix::process::geteuid().as_raw() || meta.mode() & 0o022 != 0 {
        return None;
    }
    let mut memo = Vec::with_capacity(MEMO_LEN);
    file.read_to_end(&mut memo).ok()?;
    Some(memo)
}

fn write_memo(path: &Path, memo: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().ok_or(std::io::ErrorKind::InvalidInput)?;
    fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    let tmp = dir.join(format!(".memo.{}.tmp", std::process::id()));
    let written = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .and_then(|mut f| f.write_all(memo))
        .and_then(|()| fs::rename(&tmp, path));
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

/// SHA-256 of `bytes`, the contents of `file`: from a matching memo in
/// `cache_dir` if there is one, else computed (and remembered once the file
/// has settled). Memo failures only cost the hashing.
pub fn module_hash(cache_dir: &Path, file: &File, bytes: &[u8]) -> [u8; 32] {
    let Ok(meta) = file.metadata() else {
        return Sha256::digest(bytes).into();
    };
    let identity = Identity::of(&meta);
    let path = memo_path(cache_dir, &meta);
    if let Some(hash) = read_memo(&path).and_then(|memo| identity.decode(&memo)) {
        return hash;
    }
    let hash: [u8; 32] = Sha256::digest(bytes).into();
    let now_ns = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0);
    let ctime_ns = i128::from(identity.ctime.0) * 1_000_000_000 + i128::from(identity.ctime.1);
    if ctime_ns + i128::from(SETTLE_SECONDS) * 1_000_000_000 < now_ns {
        let _ = write_memo(&path, &identity.encode(&hash));
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memo_round_trips_only_for_the_same_identity() {
        let id = Identity { size: 10, mtime: (1, 2), ctime: (3, 4) };
        let memo = id.encode(&[9u8; 32]);
        assert_eq!(id.decode(&memo), Some([9u8; 32]));
        let touched = Identity { ctime: (3, 5), ..id };
        assert_eq!(touched.decode(&memo), None);
        let resized = Identity { size: 11, ..id };
        assert_eq!(resized.decode(&memo), None);
        assert_eq!(id.decode(&memo[..40]), None);
    }

    #[test]
    fn fresh_files_are_hashed_but_not_remembered() {
        let dir = tempfile::tempdir().unwrap();
        let module = dir.path().join("m.wasm");
        fs::write(&module, b"\0asm fresh").unwrap();
        let file = File::open(&module).unwrap();
        let hash = module_hash(dir.path(), &file, b"\0asm fresh");
        assert_eq!(hash, <[u8; 32]>::from(Sha256::digest(b"\0asm fresh")));
        assert!(!dir.path().join("hashes").exists(), "a just-written file is not memoised");
    }

    #[test]
    fn a_memo_for_the_file_is_used_and_a_stale_one_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let module = dir.path().join("m.wasm");
        fs::write(&module, b"contents").unwrap();
        let file = File::open(&module).unwrap();
        let meta = file.metadata().unwrap();
        let path = memo_path(dir.path(), &meta);
        // A memo claiming another hash for this exact identity is believed...
        write_memo(&path, &Identity::of(&meta).encode(&[7u8; 32])).unwrap();
        assert_eq!(module_hash(dir.path(), &file, b"contents"), [7u8; 32]);
        // ...but not once the file changed (new size and ctime).
        fs::write(&module, b"new contents").unwrap();
        let file = File::open(&module).unwrap();
        let hash = module_hash(dir.path(), &file, b"new contents");
        assert_eq!(hash, <[u8; 32]>::from(Sha256::digest(b"new contents")));
    }
}
