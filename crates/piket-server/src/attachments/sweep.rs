//! The periodic clean-up of attachment storage (job `attachments.sweep`): blobs that no
//! attachment row uses, with their thumbnails, once they are an hour old (an upload killed
//! between moving its file in and committing; a removal after a commit that failed or never
//! ran); staging files nobody has written to for an hour (an upload killed mid-way); and the
//! upload counters of past days.

use std::collections::BTreeSet;
use std::time::Duration;

use super::{quota, store};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::storage::sweep_staging;

/// How old an unused blob or a staging file must be before it goes (see `storage::STALE_AFTER`).
pub const MIN_AGE: Duration = crate::storage::STALE_AFTER;

/// What one run removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Store objects: blobs and their derived thumbnails and markers.
    pub objects: usize,
    pub staging_files: usize,
}

fn io(e: std::io::Error) -> AppError {
    AppError::Internal(format!("blob store: {e}"))
}

/// The digest a store key belongs to (`<sha256>` or `<sha256>.<suffix>`).
fn digest(key: &str) -> &str {
    key.split_once('.').map_or(key, |(d, _)| d)
}

pub async fn run(state: &AppState, now: i64) -> AppResult<Swept> {
    let mut swept = Swept::default();
    let old: Vec<String> = state
        .blobs
        .list()
        .await
        .map_err(io)?
        .into_iter()
        .filter(|o| o.age >= MIN_AGE)
        .map(|o| o.key)
        .collect();
    let digests: Vec<String> = old
        .iter()
        .map(|k| digest(k).to_string())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut conn = state.db.pool.acquire().await?;
    let used = store::used_among(&mut conn, &digests).await?;
    for key in &old {
        let d = digest(key);
        if used.contains(d) {
            continue;
        }
        // Asked again just before the removal, with uploads held off: an upload of the same
        // content may have committed since the batch question, or be moving its file in now.
        let removing = state.blob_gate.removing().await;
        if store::uses(&mut conn, d).await? > 0 {
            continue;
        }
        match state.blobs.delete(key).await {
            Ok(()) => swept.objects += 1,
            Err(e) => tracing::warn!(key = %key, error = %e, "could not remove an unused blob"),
        }
        drop(removing);
    }
    store::forget_usage_before(&mut conn, quota::day(now) - 1).await?;
    drop(conn);
    let dir = state.blobs.staging_dir().to_path_buf();
    swept.staging_files = tokio::task::spawn_blocking(move || sweep_staging(&dir, MIN_AGE))
        .await
        .map_err(|e| AppError::Internal(format!("staging sweep: {e}")))?;
    if swept != Swept::default() {
        tracing::info!(
            objects = swept.objects,
            staging_files = swept.staging_files,
            "removed leftover attachment files"
        );
    }
    Ok(swept)
}
