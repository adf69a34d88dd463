//! At start: find the key (or make the very first one), check that the database's sealed values
//! were sealed with it, finish a rotation that was cut short after its commit, and seal the
//! values an older version left in the clear (one transaction; a second start finds none).

use std::collections::BTreeMap;
use std::path::Path;

use super::keyfile::{self, KeyBytes};
use super::{classify, key_id, store, SecretBox, Stored, COLUMNS};
use crate::db::Db;

/// What the sealed columns hold, by form.
#[derive(Debug, Default)]
pub struct Census {
    /// Sealed values per key id.
    pub sealed: BTreeMap<String, usize>,
    pub legacy: usize,
    pub broken: usize,
}

impl Census {
    pub fn sealed_total(&self) -> usize {
        self.sealed.values().sum()
    }

    /// Whether every sealed value names key `id`.
    fn all_sealed_with(&self, id: &str) -> bool {
        self.sealed.keys().all(|k| k == id)
    }

    fn ids(&self) -> String {
        self.sealed.keys().cloned().collect::<Vec<_>>().join(", ")
    }
}

pub async fn census(db: &Db) -> Result<Census, String> {
    let mut conn = db.pool.acquire().await.map_err(|e| e.to_string())?;
    let mut out = Census::default();
    for col in COLUMNS {
        for (_, v) in store::values(&mut conn, *col)
            .await
            .map_err(|e| e.to_string())?
        {
            match classify(&v) {
                Stored::Empty => {}
                Stored::Legacy(_) => out.legacy += 1,
                Stored::Broken => out.broken += 1,
                Stored::Sealed { key_id, .. } => {
                    *out.sealed.entry(key_id.to_string()).or_default() += 1
                }
            }
        }
    }
    Ok(out)
}

const GUIDE: &str = "docs/admin-guide.md, \"Secrets at rest\"";

/// The key to run with, checked against the database; legacy values sealed with it.
/// `data_dir` is created for a first key kept there (PostgreSQL installs may not have it yet).
pub async fn prepare(db: &Db, path: &Path, data_dir: Option<&Path>) -> Result<SecretBox, String> {
    let census = census(db).await?;
    let key = match keyfile::read(path)? {
        Some(key) => key,
        None if census.sealed_total() > 0 => {
            return Err(format!(
                "the secret key file {} is missing, but the database holds {} secret(s) sealed \
                 with key {}. Restore the key file from where you keep its copy, or point \
                 --secret-key-file (PIKET_SECRET_KEY_FILE) at it ({GUIDE}). A new key would leave \
                 those secrets unreadable, so Piket does not make one.",
                path.display(),
                census.sealed_total(),
                census.ids()
            ))
        }
        None => first_key(path, data_dir)?,
    };
    let key = match_database(path, key, &census)?;
    let secrets = SecretBox::new(&key);
    if census.legacy > 0 {
        let n = seal_legacy(db, &secrets).await?;
        tracing::info!(
            sealed = n,
            "sealed secrets stored in the clear by an older version"
        );
    }
    if census.broken > 0 {
        tracing::warn!(
            count = census.broken,
            "stored secrets are malformed and cannot be read; set them again"
        );
    }
    Ok(secrets)
}

fn first_key(path: &Path, data_dir: Option<&Path>) -> Result<KeyBytes, String> {
    if let Some(dir) = data_dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create data directory {}: {e}", dir.display()))?;
    }
    let key = KeyBytes::generate()?;
    if keyfile::create(path, &key)? {
        tracing::info!(path = %path.display(), key = %key_id(&key),
            "made a new secret key; keep a copy of it apart from the database backups");
        return Ok(key);
    }
    // Another node sharing the file made it first.
    keyfile::read(path)?.ok_or_else(|| format!("{} vanished while starting", path.display()))
}

/// `key` if the database's sealed values name it (or there are none). When none do but all
/// name the key a cut-short rotation left in `<path>.new` (it committed but did not move the
/// file), that rotation is finished here.
fn match_database(path: &Path, key: KeyBytes, census: &Census) -> Result<KeyBytes, String> {
    let id = key_id(&key);
    let mine = census.sealed.get(&id).copied().unwrap_or(0);
    if mine > 0 || census.sealed_total() == 0 {
        // A few values naming another key are altered ones (or a second key was used by a
        // misconfigured node); they fail when read, the rest must not be held hostage.
        let others = census.sealed_total() - mine;
        if others > 0 {
            tracing::error!(count = others, keys = %census.ids(), key = %id,
                "stored secrets were sealed with another key and cannot be read");
        }
        return Ok(key);
    }
    let pending = keyfile::sibling(path, "new");
    if let Some(new) = keyfile::read(&pending)? {
        if census.all_sealed_with(&key_id(&new)) {
            keyfile::promote(&pending, path)?;
            let _ = std::fs::remove_file(keyfile::sibling(path, "old"));
            tracing::warn!(path = %path.display(), key = %key_id(&new),
                "finished a key rotation that was interrupted after its commit");
            return Ok(new);
        }
    }
    Err(format!(
        "the secret key file {} holds key {id}, but the database holds {} secret(s) sealed with \
         key {}: it is not their key. Put the right key file in place ({GUIDE}).",
        path.display(),
        census.sealed_total(),
        census.ids()
    ))
}

/// Seal every value stored in the clear, in one transaction; how many.
pub async fn seal_legacy(db: &Db, secrets: &SecretBox) -> Result<usize, String> {
    let run = async {
        let mut tx = db.begin().await?;
        let mut n = 0;
        for col in COLUMNS {
            for (id, v) in store::values(&mut tx, *col).await? {
                if let Stored::Legacy(plain) = classify(&v) {
                    let sealed = secrets.seal(col.at(id), plain)?;
                    // Another node may have sealed it meanwhile: then it is not plain any more.
                    if store::replace(&mut tx, *col, id, &v, &sealed).await? {
                        n += 1;
                    }
                }
            }
        }
        tx.commit().await?;
        Ok::<usize, crate::error::AppError>(n)
    };
    run.await
        .map_err(|e| format!("sealing secrets stored in the clear: {e}"))
}
