//! Where attachment bytes live: one small [`BlobStore`] interface, so an S3-compatible store can
//! replace the local directory without touching the attachment rules.
//!
//! Uploads are first streamed to a local staging file (always on this node's disk, see
//! [`BlobStore::staging_dir`]) while they are hashed and checked; only accepted files are handed to
//! the store under their key (the SHA-256 of the content, or a derived key such as a thumbnail's).

pub mod local;

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::time::Duration;

use axum::body::Body;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A stored object being read: its length and a streaming body.
pub struct Blob {
    pub len: u64,
    pub body: Body,
}

/// One stored object as listed for the sweep: its key and how long ago it was last written
/// (by the system clock, which file and object times come from).
#[derive(Debug, Clone)]
pub struct Listed {
    pub key: String,
    pub age: Duration,
}

/// A staging file or an unused object this much older than its last write belongs to no upload
/// in progress: an upload writes its staging file continually and commits moments after moving
/// it in.
pub const STALE_AFTER: Duration = Duration::from_secs(3600);

/// Orders the removal of unused blobs against uploads of the same content. An upload holds
/// [`BlobGate::writing`] from moving its file in until its row commits; a removal holds
/// [`BlobGate::removing`] while it asks whether any row uses a blob and deletes it. So a removal
/// either finishes before the upload moves its file in (which then puts the bytes back) or
/// sees the committed row; it can never delete a blob a row committed meanwhile refers to.
/// In-process: one server owns a data directory.
#[derive(Debug, Default)]
pub struct BlobGate(tokio::sync::RwLock<()>);

impl BlobGate {
    /// Held by an upload (shared with other uploads) until its transaction ends.
    pub async fn writing(&self) -> tokio::sync::RwLockReadGuard<'_, ()> {
        self.0.read().await
    }

    /// Held by a removal (alone) around its last check and the delete.
    pub async fn removing(&self) -> tokio::sync::RwLockWriteGuard<'_, ()> {
        self.0.write().await
    }
}

pub trait BlobStore: Send + Sync + 'static {
    /// A local directory for partial uploads; files there are moved in with [`BlobStore::put_file`].
    fn staging_dir(&self) -> &Path;
    /// Move a finished staging file in under `key` (replacing an identical object is fine).
    fn put_file<'a>(&'a self, key: &'a str, staged: &'a Path) -> BoxFuture<'a, io::Result<()>>;
    /// Store small derived bytes (thumbnails) under `key`.
    fn put_bytes<'a>(&'a self, key: &'a str, bytes: Vec<u8>) -> BoxFuture<'a, io::Result<()>>;
    /// Open `key` for streaming, or `None` if there is no such object.
    fn open<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<Option<Blob>>>;
    /// Read `key` whole (for thumbnails), or `None`.
    fn read<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<Option<Vec<u8>>>>;
    /// Remove `key`; a missing object is not an error.
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<()>>;
    /// Whether `key` exists (tests and maintenance).
    fn exists<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<bool>>;
    /// Every object with its age (for the sweep of unused blobs, `attachments::sweep`).
    fn list(&self) -> BoxFuture<'_, io::Result<Vec<Listed>>>;
}

/// A fresh staging path inside `dir` with a random name.
pub fn staging_path(dir: &Path) -> PathBuf {
    dir.join(format!("{}.part", crate::auth::token::random_token(16)))
}

/// Remove the `.part` files in `dir` not written to for `older_than`: uploads killed mid-way.
/// File times come from the system clock, so this compares with it rather than with the
/// application clock. Returns how many went.
pub fn sweep_staging(dir: &Path, older_than: Duration) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age >= older_than);
        if stale
            && entry.file_name().to_string_lossy().ends_with(".part")
            && std::fs::remove_file(entry.path()).is_ok()
        {
            removed += 1;
        }
    }
    removed
}

/// Keys are lowercase hex digests, optionally with a `.suffix` of ASCII letters and digits: never a
/// path, so a key cannot walk out of the store.
pub fn valid_key(key: &str) -> bool {
    let (digest, suffix) = key.split_once('.').unwrap_or((key, ""));
    digest.len() == 64
        && digest
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        && suffix.chars().all(|c| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_be_paths() {
        let d = "a".repeat(64);
        assert!(valid_key(&d));
        assert!(valid_key(&format!("{d}.thumb256")));
        assert!(!valid_key("../etc/passwd"));
        assert!(!valid_key(&format!("{d}./x")));
        assert!(!valid_key(&"A".repeat(64)));
        assert!(!valid_key(""));
    }
}
