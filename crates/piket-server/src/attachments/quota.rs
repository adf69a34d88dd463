//! Upload quotas, so that one user cannot fill the disk: bytes per user per UTC day (counted in
//! `upload_usage` inside the upload's own transaction, so parallel uploads cannot pass the limit
//! together) and a floor of free space on the file system of the upload directory, below which
//! uploads are refused.

use std::path::Path;

use sqlx::AnyConnection;

use super::store;
use super::upload::FORM_SLACK;
use crate::auth::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

const DAY_MS: i64 = 86_400_000;

/// The UTC day a time falls on, as counted in `upload_usage.day`.
pub fn day(now_ms: i64) -> i64 {
    now_ms.div_euclid(DAY_MS)
}

fn over_quota(state: &AppState) -> AppError {
    AppError::QuotaExceeded {
        limit_bytes: state.config.attachment_daily_quota_bytes,
    }
}

/// Before the body is read: refuse a request that is surely too big for what is left today or
/// for the disk. Only requests declaring more than a form's text (`FORM_SLACK`) can be judged
/// here: a reply without files is always multipart, and small uploads are counted by [`charge`].
/// A body of unknown length (chunked) is judged as if it filled what is left: refused while
/// the disk is below its floor or nothing is left of today's quota (it skipped both checks and
/// staged up to the upload limit anyway, review finding).
pub async fn precheck(state: &AppState, actor: &Actor, declared: Option<u64>) -> AppResult<()> {
    let declared = match declared {
        None => FORM_SLACK * 2 + 1,
        Some(n) if n > FORM_SLACK => n,
        Some(_) => return Ok(()),
    };
    ensure_free_space(state)?;
    let limit = state.config.attachment_daily_quota_bytes;
    if limit == 0 || actor.user_id <= 0 {
        return Ok(());
    }
    let used = {
        let mut conn = state.db.pool.acquire().await?;
        store::usage(&mut conn, actor.user_id, day(state.now())).await?
    };
    let left = limit.saturating_sub(u64::try_from(used).unwrap_or(0));
    // The files carry at least the body minus the text fields and the multipart framing.
    if declared.saturating_sub(2 * FORM_SLACK) > left {
        return Err(over_quota(state));
    }
    Ok(())
}

/// Inside the upload's transaction, before any file is moved into the store: count `bytes`
/// against the uploader's day, or refuse the whole upload (413, nothing stored), and refuse any
/// upload while the disk is below its floor (507).
pub async fn charge(
    conn: &mut AnyConnection,
    state: &AppState,
    actor: &Actor,
    bytes: u64,
    now: i64,
) -> AppResult<()> {
    if bytes == 0 {
        return Ok(());
    }
    ensure_free_space(state)?;
    let limit = state.config.attachment_daily_quota_bytes;
    if limit == 0 || actor.user_id <= 0 {
        return Ok(());
    }
    if bytes > limit {
        return Err(over_quota(state));
    }
    let counted = store::add_usage(
        conn,
        actor.user_id,
        day(now),
        i64::try_from(bytes).unwrap_or(i64::MAX),
        i64::try_from(limit).unwrap_or(i64::MAX),
    )
    .await?;
    if counted {
        Ok(())
    } else {
        Err(over_quota(state))
    }
}

/// 507 while the upload directory's file system has less free space than the floor: both
/// `attachment_min_free_bytes` and `attachment_min_free_percent` of its size must be left.
pub(super) fn ensure_free_space(state: &AppState) -> AppResult<()> {
    let dir = state.blobs.staging_dir();
    match free_space(dir) {
        Ok((available, total)) => {
            let c = &state.config;
            let by_percent = total / 100 * u64::from(c.attachment_min_free_percent);
            if available < c.attachment_min_free_bytes || available < by_percent {
                tracing::warn!(available, total, "uploads refused: the disk is nearly full");
                return Err(AppError::InsufficientStorage);
            }
            Ok(())
        }
        Err(e) => {
            // A check that cannot run must not stop every upload; it is logged.
            tracing::warn!(dir = %dir.display(), error = %e, "cannot read free disk space");
            Ok(())
        }
    }
}

/// Bytes available to this process and the size of the file system holding `dir`.
fn free_space(dir: &Path) -> std::io::Result<(u64, u64)> {
    let s = rustix::fs::statvfs(dir)?;
    Ok((
        s.f_bavail.saturating_mul(s.f_frsize),
        s.f_blocks.saturating_mul(s.f_frsize),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_utc_days_and_free_space_is_read() {
        assert_eq!(day(0), 0);
        assert_eq!(day(DAY_MS - 1), 0);
        assert_eq!(day(DAY_MS), 1);
        let (available, total) = free_space(Path::new(".")).unwrap();
        assert!(total > 0 && available <= total);
    }
}
