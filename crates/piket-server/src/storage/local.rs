//! The default [`BlobStore`]: a directory, `<data>/attachments/`, one file per key under a
//! two-character fan-out (`ab/abcdef…`), written to a staging file first and renamed into place.

use std::io;
use std::path::{Path, PathBuf};

use axum::body::{Body, Bytes};
use tokio::io::AsyncReadExt;

use super::{staging_path, sweep_staging, valid_key, Blob, BlobStore, BoxFuture, Listed};

pub struct LocalStore {
    root: PathBuf,
    staging: PathBuf,
}

impl LocalStore {
    /// Use (and create) `root`; staging files live in `root/tmp`, on the same file system so that
    /// moving them in is a rename.
    pub fn open(root: &Path) -> io::Result<LocalStore> {
        let staging = root.join("tmp");
        std::fs::create_dir_all(&staging)?;
        // Leftovers of a crash; the `attachments.sweep` job does the same while serving.
        sweep_staging(&staging, super::STALE_AFTER);
        Ok(LocalStore {
            root: root.to_path_buf(),
            staging,
        })
    }

    fn path(&self, key: &str) -> io::Result<PathBuf> {
        if !valid_key(key) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "bad blob key"));
        }
        Ok(self.root.join(&key[..2]).join(key))
    }
}

fn chunks(file: tokio::fs::File) -> Body {
    let stream = futures_util::stream::unfold(Some(file), |state| async move {
        let mut file = state?;
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<Bytes, io::Error>(Bytes::from(buf)), Some(file)))
            }
            Err(e) => Some((Err(e), None)),
        }
    });
    Body::from_stream(stream)
}

impl BlobStore for LocalStore {
    fn staging_dir(&self) -> &Path {
        &self.staging
    }

    fn put_file<'a>(&'a self, key: &'a str, staged: &'a Path) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            let path = self.path(key)?;
            if let Some(dir) = path.parent() {
                tokio::fs::create_dir_all(dir).await?;
            }
            tokio::fs::rename(staged, &path).await
        })
    }

    fn put_bytes<'a>(&'a self, key: &'a str, bytes: Vec<u8>) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            let staged = staging_path(&self.staging);
            tokio::fs::write(&staged, bytes).await?;
            let moved = self.put_file(key, &staged).await;
            if moved.is_err() {
                let _ = tokio::fs::remove_file(&staged).await;
            }
            moved
        })
    }

    fn open<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<Option<Blob>>> {
        Box::pin(async move {
            let file = match tokio::fs::File::open(self.path(key)?).await {
                Ok(f) => f,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(e),
            };
            let len = file.metadata().await?.len();
            Ok(Some(Blob {
                len,
                body: chunks(file),
            }))
        })
    }

    fn read<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<Option<Vec<u8>>>> {
        Box::pin(async move {
            match tokio::fs::read(self.path(key)?).await {
                Ok(b) => Ok(Some(b)),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            }
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            match tokio::fs::remove_file(self.path(key)?).await {
                Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            }
        })
    }

    fn exists<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<bool>> {
        Box::pin(async move { tokio::fs::try_exists(self.path(key)?).await })
    }

    fn list(&self) -> BoxFuture<'_, io::Result<Vec<Listed>>> {
        let root = self.root.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || list_dir(&root))
                .await
                .map_err(io::Error::other)?
        })
    }
}

/// Every object under the fan-out directories (`ab/abcdef…`); anything else (the staging
/// directory, stray names) is not an object and is left alone.
fn list_dir(root: &Path) -> io::Result<Vec<Listed>> {
    let mut out = Vec::new();
    for fan in std::fs::read_dir(root)? {
        let fan = fan?;
        let prefix = fan.file_name().to_string_lossy().to_string();
        if prefix.len() != 2 || !fan.file_type()?.is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(fan.path())? {
            let entry = entry?;
            let key = entry.file_name().to_string_lossy().to_string();
            if !valid_key(&key) || !key.starts_with(&prefix) {
                continue;
            }
            // A file removed meanwhile (by a delete or another node's sweep) is simply skipped.
            let Ok(meta) = entry.metadata() else { continue };
            let age = meta
                .modified()
                .ok()
                .and_then(|t| t.elapsed().ok())
                .unwrap_or_default();
            out.push(Listed { key, age });
        }
    }
    Ok(out)
}
