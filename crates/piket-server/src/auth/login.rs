//! Signing in: the credentials check, the per-account lock and the way past it for browsers the
//! owner signed in from before (device cookies), and the audit of failures and locks.
//!
//! A failure is counted under one key: the trusted browser's own (`device:<hash>`) when the
//! browser presents a device cookie for the account it names, the typed email's
//! (`login:<email>`) otherwise. A stranger's failures therefore lock strangers only, and a stolen
//! device cookie still runs into its own lock (`auth::throttle`). Unknown emails are counted,
//! locked and answered exactly like wrong passwords.
//!
//! Every counted failure writes one audit row. Attempts refused before the password is checked
//! (the per-IP limit, a lock) write nothing, so the audit log grows by at most
//! `login_rate_per_minute` rows per client address per minute (the typed email is cut to
//! [`MAX_AUDIT_EMAIL`] characters).

use serde_json::json;

use super::actor::{Actor, Via};
use super::service::{issue_session, NewSession};
use super::{password, store, throttle, token};
use crate::audit::{self, Change};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::users::accounts;

/// How long a browser stays trusted after its last sign-in.
pub const DEVICE_TTL_MS: i64 = 180 * 24 * 60 * 60 * 1000;
/// Trusted browsers kept per account (the least recently used beyond this are forgotten).
const DEVICES_PER_USER: i64 = 20;
/// Longest email kept in an audit row of a failed sign-in.
pub const MAX_AUDIT_EMAIL: usize = 254;

/// A successful sign-in: the session, and the device cookie value to (re)set.
pub struct SignedIn {
    pub session: NewSession,
    pub device: String,
}

fn actor_for_audit(user_id: i64, email: &str, ip: &str) -> Actor {
    Actor {
        user_id,
        email: email.to_string(),
        name: email.to_string(),
        via: Via::Session,
        ip: ip.to_string(),
        ..Actor::system()
    }
}

/// The answer while `key` is locked until `until`.
fn locked(until: i64, now: i64) -> AppError {
    AppError::RateLimited {
        retry_after_secs: ((until - now + 999) / 1000).max(1) as u64,
    }
}

/// `Err` (429) while `key` is locked.
async fn ensure_unlocked(conn: &mut sqlx::AnyConnection, key: &str, now: i64) -> AppResult<()> {
    let row = store::throttle(conn, key).await?;
    if row.locked_until > now {
        return Err(locked(row.locked_until, now));
    }
    Ok(())
}

/// A device cookie we could have issued: 64 hex digits.
fn well_formed(device: &str) -> bool {
    device.len() == 64 && device.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Check credentials; on success a new session (the old one, if any, is revoked: no fixation)
/// and a device cookie for this account.
pub async fn login(
    state: &AppState,
    email: &str,
    password_text: &str,
    ip: &str,
    old_session: Option<&str>,
    device: Option<&str>,
) -> AppResult<SignedIn> {
    let now = state.now();
    state
        .login_limiter
        .hit(ip, now)
        .map_err(|s| AppError::RateLimited {
            retry_after_secs: s,
        })?;
    let email = email.trim().to_lowercase();
    let mut conn = state.db.pool.acquire().await?;
    let creds = accounts::credentials(&mut conn, &email).await?;
    let device = device.filter(|d| well_formed(d));
    let device_hash = device.map(token::hash_token);
    // Looked up whether or not the email exists: the same work either way.
    let device_owner = match &device_hash {
        Some(h) => store::device_user(&mut conn, h, now).await?,
        None => None,
    };
    let trusted = device_owner.is_some() && device_owner == creds.as_ref().map(|c| c.id);
    let key = match (&device_hash, trusted) {
        (Some(h), true) => format!("device:{h}"),
        _ => format!("login:{email}"),
    };
    ensure_unlocked(&mut conn, &key, now).await?;
    // No connection is held while waiting for a hashing permit: a burst of sign-ins must not
    // empty the pool for everyone else. Failures are counted by one upsert afterwards.
    drop(conn);
    let permits = &state.password_permits;
    let ok = match creds
        .as_ref()
        .and_then(|c| c.password_hash.as_deref().filter(|_| c.disabled == 0))
    {
        Some(hash) => password::verify(permits, password_text, hash).await,
        None => {
            password::dummy_verify(permits, password_text).await;
            false
        }
    };
    // Read the lock again: a burst of parallel guesses all passed the first read before any
    // of them was counted. Whatever this one's outcome, a lock earned meanwhile answers it
    // (and a right password is not told apart from a wrong one), so a burst learns no more
    // than the guesses the schedule allows.
    let mut conn = state.db.pool.acquire().await?;
    ensure_unlocked(&mut conn, &key, now).await?;
    drop(conn);
    let Some(user_id) = creds.as_ref().filter(|_| ok).map(|c| c.id) else {
        let known = creds.as_ref().map(|c| c.id);
        // A failure counted while another one's lock already stood gets no verdict either:
        // between the second read and the count, parallel guesses could still slip through.
        if let Some(until) = count_failure(state, &key, &email, known, trusted, ip).await? {
            return Err(locked(until, now));
        }
        return Err(AppError::Unauthorized);
    };
    let mut tx = state.db.begin().await?;
    // Only the lock this sign-in was held to: a sign-in from a trusted browser does not lift
    // the lock strangers earned on the account.
    store::clear_throttle(&mut tx, &key).await?;
    if let Some(old) = old_session {
        store::delete_session(&mut tx, &token::hash_token(old)).await?;
    }
    let device = remember_device(&mut tx, user_id, now, device.filter(|_| trusted)).await?;
    let session = issue_session(&mut tx, state, user_id, ip).await?;
    let actor = actor_for_audit(user_id, &email, ip);
    audit::record(
        &mut tx,
        now,
        &actor,
        Change {
            action: "session.login",
            object_kind: "user",
            object_id: Some(user_id),
            before: None,
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    // Sessions ended above: cached session actors must not outlive them.
    state.actor_cache.invalidate();
    Ok(SignedIn { session, device })
}

/// Trust this browser for `user_id`: renew `known` (its cookie, already trusted for this account)
/// or make a new one. Returns the cookie value to set.
pub(super) async fn remember_device(
    conn: &mut sqlx::AnyConnection,
    user_id: i64,
    now: i64,
    known: Option<&str>,
) -> AppResult<String> {
    let device = known.map_or_else(|| token::random_token(32), str::to_string);
    store::save_device(
        conn,
        &token::hash_token(&device),
        user_id,
        now,
        now + DEVICE_TTL_MS,
        DEVICES_PER_USER,
    )
    .await?;
    Ok(device)
}

/// Count a failed sign-in under `key`, lock the key when the schedule says so, and write both to
/// the audit log (the email as typed and the client address; never the password).
async fn count_failure(
    state: &AppState,
    key: &str,
    email: &str,
    user_id: Option<i64>,
    trusted: bool,
    ip: &str,
) -> AppResult<Option<i64>> {
    let now = state.now();
    let typed: String = email.chars().take(MAX_AUDIT_EMAIL).collect();
    let actor = actor_for_audit(0, &typed, ip);
    let mut tx = state.db.begin().await?;
    let counted = store::count_hit(&mut tx, key, now, now - throttle::FAILURE_WINDOW_MS).await?;
    // The count is one upsert on the key's row, so it sees the lock of a failure counted just
    // before it (PostgreSQL re-reads the row it waited for; SQLite writes one at a time).
    let locked_before = (counted.locked_until > now).then_some(counted.locked_until);
    let lock = throttle::lock_ms(counted.failures);
    audit::record(
        &mut tx,
        now,
        &actor,
        Change {
            action: "auth.login_failed",
            object_kind: "user",
            object_id: user_id,
            before: None,
            after: Some(json!({
                "email": typed,
                "ip": ip,
                "trusted_browser": trusted,
                "failures": counted.failures,
            })),
        },
    )
    .await?;
    if let Some(ms) = lock {
        store::lock_throttle(&mut tx, key, now + ms).await?;
        audit::record(
            &mut tx,
            now,
            &actor,
            Change {
                action: "auth.locked",
                object_kind: "user",
                object_id: user_id,
                before: None,
                after: Some(json!({
                    "email": typed,
                    "ip": ip,
                    "trusted_browser": trusted,
                    "failures": counted.failures,
                    "locked_seconds": ms / 1000,
                })),
            },
        )
        .await?;
        tracing::warn!(%ip, trusted_browser = trusted, lock_secs = ms / 1000,
            "sign-in locked after repeated failures");
    }
    tx.commit().await?;
    Ok(locked_before)
}
