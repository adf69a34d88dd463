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

use axum::body::Body;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A stored object being read: its length and a streaming body.
pub struct Blob {
    pub len: u64,
    pub body: Body,
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
}

/// A fresh staging path inside `dir` with a random name.
pub fn staging_path(dir: &Path) -> PathBuf {
    dir.join(format!("{}.part", crate::auth::token::random_token(16)))
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
