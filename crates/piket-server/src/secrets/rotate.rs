//! `piket secrets rotate`: a new key, every value re-sealed under it in one transaction, then
//! the key file replaced. The order keeps a key that opens the database at every instant:
//! 1. `stage`: the new key goes to `<key>.new` (synced) before any value depends on it, and the
//!    current key is copied to `<key>.old`;
//! 2. `reseal`: one transaction opens every value with the current key and seals it with the new
//!    one (values still in the clear are sealed too);
//! 3. `finish`: after the commit, `<key>.new` is renamed over `<key>` and `<key>.old` removed.
//!
//! Cut short before the commit, the database still matches `<key>`; after it, the database
//! matches `<key>.new`, and the next start finishes step 3 (`startup::prepare`).

use std::path::Path;

use super::keyfile::{self, KeyBytes};
use super::{classify, store, SecretBox, Stored, COLUMNS};
use crate::db::Db;
use crate::error::AppError;

/// What a rotation did.
#[derive(Debug)]
pub struct Rotated {
    pub old_key: String,
    pub new_key: String,
    /// Values sealed under the new key.
    pub resealed: usize,
    /// Malformed values left as they were (they could not be read before either).
    pub broken: usize,
}

/// The whole rotation, for the key at `path` that `current` holds.
pub async fn run(db: &Db, path: &Path, current: &SecretBox) -> Result<Rotated, String> {
    let new_key = stage(path)?;
    let next = SecretBox::new(&new_key);
    let (resealed, broken) = match reseal(db, current, &next).await {
        Ok(done) => done,
        Err(Stopped::BeforeCommit(m)) => {
            // Nothing depends on the new key: no leftovers.
            let _ = std::fs::remove_file(keyfile::sibling(path, "new"));
            let _ = std::fs::remove_file(keyfile::sibling(path, "old"));
            return Err(format!("{m}; nothing changed"));
        }
        Err(Stopped::AtCommit(m)) => return Err(m),
    };
    finish(path, next.key_id())?;
    Ok(Rotated {
        old_key: current.key_id().to_string(),
        new_key: next.key_id().to_string(),
        resealed,
        broken,
    })
}

/// Step 1: a new key in `<path>.new`, the current one copied to `<path>.old`.
pub fn stage(path: &Path) -> Result<KeyBytes, String> {
    let current = keyfile::read(path)?
        .ok_or_else(|| format!("the secret key file {} is missing", path.display()))?;
    let new_key = KeyBytes::generate()?;
    // A `.new` left by a rotation that never committed is not needed by anything: replaced.
    keyfile::replace(&keyfile::sibling(path, "new"), &new_key)?;
    keyfile::replace(&keyfile::sibling(path, "old"), &current)?;
    Ok(new_key)
}

/// Why re-sealing stopped.
#[derive(Debug)]
pub enum Stopped {
    /// Before the commit: the database is as it was.
    BeforeCommit(String),
    /// The commit failed: it may or may not have happened, so `<key>.new` must stay (the next
    /// start uses whichever key the database names).
    AtCommit(String),
}

/// Most rows named when values do not open.
const NAMED: usize = 10;

/// Step 2: every value opened with `current` and sealed with `next`, in one transaction;
/// (values sealed, malformed values left alone). Refuses when a sealed value does not open (it
/// would stay under a key about to be thrown away) or changes meanwhile (a server still
/// running).
pub async fn reseal(
    db: &Db,
    current: &SecretBox,
    next: &SecretBox,
) -> Result<(usize, usize), Stopped> {
    let work =
        async {
            let mut tx = db.begin().await?;
            let (mut resealed, mut broken) = (0, 0);
            let mut unreadable = Vec::new();
            for col in COLUMNS {
                for (id, v) in store::values(&mut tx, *col).await? {
                    let at = col.at(id);
                    if classify(&v) == Stored::Broken {
                        broken += 1;
                        continue;
                    }
                    let Ok(plain) = current.open(at, &v) else {
                        unreadable.push(format!("{}.{} row {id}", col.table, col.column));
                        continue;
                    };
                    let sealed = next.seal(at, &plain)?;
                    if !store::replace(&mut tx, *col, id, &v, &sealed).await? {
                        return Err(AppError::Conflict(format!(
                            "{}.{} row {id} changed during the rotation; stop every piket server \
                         and run it again",
                            col.table, col.column
                        )));
                    }
                    resealed += 1;
                }
            }
            if !unreadable.is_empty() {
                let more = unreadable.len().saturating_sub(NAMED);
                unreadable.truncate(NAMED);
                return Err(AppError::Conflict(format!(
                "{} secret(s) do not open with the current key ({}{}); set them again or clear \
                 them, then rotate",
                unreadable.len() + more,
                unreadable.join(", "),
                if more > 0 { format!(" and {more} more") } else { String::new() }
            )));
            }
            Ok((tx, resealed, broken))
        };
    let (tx, resealed, broken) = work.await.map_err(|e| {
        Stopped::BeforeCommit(match e {
            AppError::Conflict(m) => m,
            other => format!("re-sealing failed: {other}"),
        })
    })?;
    tx.commit().await.map_err(|e| {
        Stopped::AtCommit(format!(
            "the commit failed ({e}): it may or may not have happened. Start piket: it uses \
             whichever of the key files the database was sealed with"
        ))
    })?;
    Ok((resealed, broken))
}

/// Step 3: `<path>.new` becomes `<path>`; `<path>.old` goes.
pub fn finish(path: &Path, new_id: &str) -> Result<(), String> {
    let pending = keyfile::sibling(path, "new");
    if let Err(e) = keyfile::promote(&pending, path) {
        // A server starting meanwhile may have finished it already.
        let done = keyfile::read(path)?.is_some_and(|k| super::key_id(&k) == new_id);
        if !done {
            return Err(format!(
                "{e}. The database is sealed with the new key in {}: rename it to {} by hand",
                pending.display(),
                path.display()
            ));
        }
    }
    let _ = std::fs::remove_file(keyfile::sibling(path, "old"));
    Ok(())
}
