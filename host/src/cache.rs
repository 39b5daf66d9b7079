//! The on-disk cache of compiled modules, so a second start skips Cranelift.
//!
//! Key: SHA-256 of the module bytes, the engine's
//! `precompile_compatibility_hash` (wasmtime version, target, flags,
//! features) and this format's version. Entry: wasmtime's artifact followed
//! by a 64-byte trailer holding a magic, the artifact length, its XXH3-64
//! checksum and the module hash. An entry is only handed to wasmtime after
//! all of that checks out, so a truncated, corrupted or foreign file is
//! rebuilt, never executed. Entries are written to a temporary file and
//! renamed into place, so readers never see a partial one.
//!
//! Location: `$EDGE_HOST_CACHE_DIR`, else `$XDG_CACHE_HOME/edge-host`, else
//! `~/.cache/edge-host`.

use std::fs::{self, File};
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::report::WasmtimeError;
use crate::sys::MappedFile;
use wasmtime::{Engine, Module};

const MAGIC: &[u8; 8] = b"EDGEHOST";
const FORMAT_VERSION: u32 = 1;
/// Size of the trailer after the artifact.
pub const TRAILER_LEN: usize = 64;

/// Why a cache entry was not used (the cause, if any, is the source).
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("no entry")]
    Missing,
    #[error("cannot read entry")]
    Io(#[from] std::io::Error),
    #[error("entry is truncated or not an edge-host cache file")]
    BadTrailer,
    #[error("entry belongs to another module")]
    ForeignModule,
    #[error("entry checksum does not match (corrupted)")]
    Checksum,
    #[error("wasmtime rejected the entry")]
    Rejected(#[source] WasmtimeError),
    #[error("entry is not owned by this user or is writable by others")]
    Untrusted,
}

/// Feeds `Hash` output into SHA-256 (deterministic, unlike `DefaultHasher`
/// across builds).
struct ShaHasher(Sha256);

impl Hasher for ShaHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
    fn finish(&self) -> u64 {
        0
    }
}

/// The cache directory from the environment (`None` if no home is known).
pub fn default_dir() -> Option<PathBuf> {
    let non_empty = |var: &str| std::env::var_os(var).filter(|v| !v.is_empty()).map(PathBuf::from);
    non_empty("EDGE_HOST_CACHE_DIR")
        .or_else(|| non_empty("XDG_CACHE_HOME").map(|d| d.join("edge-host")))
        .or_else(|| non_empty("HOME").map(|d| d.join(".cache").join("edge-host")))
}

/// A module's identity for the cache.
pub struct CacheKey {
    /// SHA-256 of the module bytes, stored in the trailer.
    pub module_hash: [u8; 32],
    /// File name of the entry.
    pub file_name: String,
}

impl CacheKey {
    /// The key of `wasm` for `engine`'s configuration.
    pub fn new(engine: &Engine, wasm: &[u8]) -> Self {
        CacheKey::from_module_hash(engine, Sha256::digest(wasm).into())
    }

    /// The key for a module whose SHA-256 is already known.
    pub fn from_module_hash(engine: &Engine, module_hash: [u8; 32]) -> Self {
        let mut hasher = ShaHasher(Sha256::new());
        engine.precompile_compatibility_hash().hash(&mut hasher);
        hasher.0.update(FORMAT_VERSION.to_le_bytes());
        hasher.0.update(module_hash);
        let digest: [u8; 32] = hasher.0.finalize().into();
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        CacheKey { module_hash, file_name: format!("{hex}.cwasm") }
    }
}

fn trailer(artifact: &[u8], module_hash: &[u8; 32]) -> [u8; TRAILER_LEN] {
    let mut t = [0u8; TRAILER_LEN];
    t[0..8].copy_from_slice(MAGIC);
    t[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    t[16..24].copy_from_slice(&(artifact.len() as u64).to_le_bytes());
    t[24..32].copy_from_slice(&xxhash_rust::xxh3::xxh3_64(artifact).to_le_bytes());
    t[32..64].copy_from_slice(module_hash);
    t
}

/// Checks a whole entry (artifact + trailer) and returns the artifact.
pub fn verify<'a>(entry: &'a [u8], module_hash: &[u8; 32]) -> Result<&'a [u8], CacheError> {
    if entry.len() < TRAILER_LEN {
        return Err(CacheError::BadTrailer);
    }
    let (artifact, t) = entry.split_at(entry.len() - TRAILER_LEN);
    let u32_at = |i: usize| u32::from_le_bytes([t[i], t[i + 1], t[i + 2], t[i + 3]]);
    let u64_at = |i: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&t[i..i + 8]);
        u64::from_le_bytes(b)
    };
    if &t[0..8] != MAGIC || u32_at(8) != FORMAT_VERSION || u64_at(16) != artifact.len() as u64 {
        return Err(CacheError::BadTrailer);
    }
    if &t[32..64] != module_hash {
        return Err(CacheError::ForeignModule);
    }
    if u64_at(24) != xxhash_rust::xxh3::xxh3_64(artifact) {
        return Err(CacheError::Checksum);
    }
    Ok(artifact)
}

/// A cache directory.
pub struct ModuleCache {
    dir: PathBuf,
}

impl ModuleCache {
    /// A cache in `dir` (created on first store).
    pub fn new(dir: PathBuf) -> Self {
        ModuleCache { dir }
    }

    /// Where the entry for `key` lives.
    pub fn entry_path(&self, key: &CacheKey) -> PathBuf {
        self.dir.join(&key.file_name)
    }

    /// Loads a verified entry. The file is checked through a read-only
    /// mapping, then handed to wasmtime, which maps the same (page-cached)
    /// file again instead of copying it; the trailer after the ELF artifact
    /// is ignored by wasmtime's loader.
    pub fn load(&self, engine: &Engine, key: &CacheKey) -> Result<Module, CacheError> {
        let path = self.entry_path(key);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(CacheError::Missing),
            Err(e) => return Err(e.into()),
        };
        let meta = file.metadata()?;
        // Cached entries become native code: only trust our own files.
        if meta.uid() != rustix::process::geteuid().as_raw() || meta.mode() & 0o022 != 0 {
            return Err(CacheError::Untrusted);
        }
        let len = meta.len() as usize;
        if len < TRAILER_LEN {
            return Err(CacheError::BadTrailer);
        }
        {
            let mapped = MappedFile::new(&file, len)?;
            verify(mapped.bytes(), &key.module_hash)?;
        }
        // SAFETY: the file holds exactly what `store` wrote for this module
        // and this engine configuration (checksum and key verified above).
        // Entries are replaced by rename, never rewritten in place, so the
        // open file keeps these contents while the module lives.
        unsafe { Module::deserialize_open_file(engine, file) }.map_err(|e| CacheError::Rejected(e.into()))
    }

    /// Writes an entry atomically (temporary file in the same directory, then
    /// rename).
    pub fn store(&self, key: &CacheKey, artifact: &[u8]) -> std::io::Result<()> {
        fs::DirBuilder::new().recursive(true).mode(0o700).create(&self.dir)?;
        let mut nonce = [0u8; 8];
        // A failed or short read only weakens the name's randomness, and
        // `create_new` refuses existing files anyway.
        let _ = rustix::rand::getrandom(&mut nonce, rustix::rand::GetRandomFlags::empty());
        let tmp = self.dir.join(format!(
            ".{}.{}.{:016x}.tmp",
            key.file_name,
            std::process::id(),
            u64::from_le_bytes(nonce)
        ));
        let result = write_entry(&tmp, artifact, &key.module_hash)
            .and_then(|()| fs::rename(&tmp, self.entry_path(key)));
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }
}

fn write_entry(path: &Path, artifact: &[u8], module_hash: &[u8; 32]) -> std::io::Result<()> {
    // create_new: never follow or reuse a file someone else put there.
    let mut file = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(artifact)?;
    file.write_all(&trailer(artifact, module_hash))?;
    file.sync_data()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sound_entry_verifies() {
        let hash = [7u8; 32];
        let mut entry = b"artifact bytes".to_vec();
        entry.extend_from_slice(&trailer(b"artifact bytes", &hash));
        assert_eq!(verify(&entry, &hash).unwrap(), b"artifact bytes");
    }

    #[test]
    fn flipped_byte_truncation_and_foreign_module_are_detected() {
        let hash = [7u8; 32];
        let mut entry = vec![0xABu8; 1000];
        let t = trailer(&entry, &hash);
        entry.extend_from_slice(&t);

        let mut flipped = entry.clone();
        flipped[500] ^= 1;
        assert!(matches!(verify(&flipped, &hash), Err(CacheError::Checksum)));

        assert!(matches!(verify(&entry[..entry.len() - 1], &hash), Err(CacheError::BadTrailer)));
        assert!(matches!(verify(&entry[10..], &hash), Err(CacheError::BadTrailer)));
        assert!(matches!(verify(&entry[..20], &hash), Err(CacheError::BadTrailer)));
        assert!(matches!(verify(&entry, &[8u8; 32]), Err(CacheError::ForeignModule)));
    }

    #[test]
    fn entries_are_written_atomically_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ModuleCache::new(dir.path().join("nested"));
        let engine = Engine::default();
        let key = CacheKey::new(&engine, b"\0asm\x01\0\0\0");
        cache.store(&key, b"payload").unwrap();
        let bytes = fs::read(cache.entry_path(&key)).unwrap();
        assert_eq!(verify(&bytes, &key.module_hash).unwrap(), b"payload");
        let leftovers: Vec<_> = fs::read_dir(dir.path().join("nested"))
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn entries_writable_by_others_are_not_trusted() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let cache = ModuleCache::new(dir.path().to_path_buf());
        let engine = Engine::default();
        let key = CacheKey::new(&engine, b"module");
        cache.store(&key, b"payload").unwrap();
        let path = cache.entry_path(&key);
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o666)).unwrap();
        assert!(matches!(cache.load(&engine, &key), Err(CacheError::Untrusted)));
    }

    #[test]
    fn key_depends_on_module_bytes() {
        let engine = Engine::default();
        let a = CacheKey::new(&engine, b"one");
        let b = CacheKey::new(&engine, b"two");
        assert_ne!(a.file_name, b.file_name);
        assert_eq!(a.file_name, CacheKey::new(&engine, b"one").file_name);
    }
}
