//! SQL for sessions, one-time tokens (setup, password reset), the login throttle (per account,
//! per trusted browser, per reset address) and trusted browsers (device cookies).

use sqlx::AnyConnection;

use crate::error::AppResult;

pub async fn insert_session(
    conn: &mut AnyConnection,
    id_hash: &str,
    user_id: i64,
    now: i64,
    expires_at: i64,
    ip: &str,
) -> AppResult<()> {
    sqlx::query("INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at, ip) VALUES ($1, $2, $3, $3, $4, $5)")
        .bind(id_hash)
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .bind(ip)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
pub struct SessionRow {
    pub user_id: i64,
    pub expires_at: i64,
    pub last_seen_at: i64,
}

pub async fn session(conn: &mut AnyConnection, id_hash: &str) -> AppResult<Option<SessionRow>> {
    Ok(
        sqlx::query_as("SELECT user_id, expires_at, last_seen_at FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn touch_session(conn: &mut AnyConnection, id_hash: &str, now: i64) -> AppResult<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
        .bind(now)
        .bind(id_hash)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete_session(conn: &mut AnyConnection, id_hash: &str) -> AppResult<()> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// Revoke every session of a user, except `keep` (the one that made the change).
pub async fn delete_sessions_of(
    conn: &mut AnyConnection,
    user_id: i64,
    keep: Option<&str>,
) -> AppResult<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
        .bind(user_id)
        .bind(keep.unwrap_or(""))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete_expired_sessions(conn: &mut AnyConnection, now: i64) -> AppResult<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
        .bind(now)
        .execute(conn)
        .await?
        .rows_affected())
}

pub async fn insert_token(
    conn: &mut AnyConnection,
    hash: &str,
    purpose: &str,
    user_id: Option<i64>,
    now: i64,
    expires_at: i64,
) -> AppResult<()> {
    sqlx::query("INSERT INTO one_time_tokens (token_hash, purpose, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(hash)
        .bind(purpose)
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// Mark a token used if it is valid; returns its user id (0 for user-less tokens).
/// The `used_at IS NULL` condition makes a second, concurrent use find nothing.
pub async fn consume_token(
    conn: &mut AnyConnection,
    hash: &str,
    purpose: &str,
    now: i64,
) -> AppResult<Option<i64>> {
    let row: Option<(Option<i64>,)> = sqlx::query_as(
        "UPDATE one_time_tokens SET used_at = $1 WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1 RETURNING user_id",
    )
    .bind(now)
    .bind(hash)
    .bind(purpose)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(u,)| u.unwrap_or(0)))
}

/// The user of a token that would be accepted, without using it.
pub async fn token_user(
    conn: &mut AnyConnection,
    hash: &str,
    purpose: &str,
    now: i64,
) -> AppResult<Option<i64>> {
    let row: Option<(Option<i64>,)> = sqlx::query_as(
        "SELECT user_id FROM one_time_tokens WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
    )
    .bind(hash)
    .bind(purpose)
    .bind(now)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(u,)| u.unwrap_or(0)))
}

/// Whether a token would be accepted (for showing the form), without using it.
pub async fn token_valid(
    conn: &mut AnyConnection,
    hash: &str,
    purpose: &str,
    now: i64,
) -> AppResult<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM one_time_tokens WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
    )
    .bind(hash)
    .bind(purpose)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

pub async fn delete_unused_tokens(
    conn: &mut AnyConnection,
    purpose: &str,
    user_id: Option<i64>,
) -> AppResult<()> {
    sqlx::query("DELETE FROM one_time_tokens WHERE purpose = $1 AND used_at IS NULL AND ($2 = 0 OR user_id = $2)")
        .bind(purpose)
        .bind(user_id.unwrap_or(0))
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(sqlx::FromRow, Default)]
pub struct Throttle {
    pub failures: i64,
    pub locked_until: i64,
}

pub async fn throttle(conn: &mut AnyConnection, key: &str) -> AppResult<Throttle> {
    let row: Option<Throttle> =
        sqlx::query_as("SELECT failures, locked_until FROM login_throttle WHERE key = $1")
            .bind(key)
            .fetch_optional(conn)
            .await?;
    Ok(row.unwrap_or_default())
}

/// Count one more failure (or reset mail) under `key` in one statement, so concurrent attempts
/// all count; a window that started before `window_cutoff` starts again at `now`.
pub async fn count_hit(
    conn: &mut AnyConnection,
    key: &str,
    now: i64,
    window_cutoff: i64,
) -> AppResult<Throttle> {
    Ok(sqlx::query_as(
        "INSERT INTO login_throttle (key, failures, window_start, locked_until) VALUES ($1, 1, $2, 0) \
         ON CONFLICT (key) DO UPDATE SET \
         failures = CASE WHEN login_throttle.window_start < $3 THEN 1 ELSE login_throttle.failures + 1 END, \
         window_start = CASE WHEN login_throttle.window_start < $3 THEN $2 ELSE login_throttle.window_start END \
         RETURNING failures, locked_until",
    )
    .bind(key)
    .bind(now)
    .bind(window_cutoff)
    .fetch_one(conn)
    .await?)
}

pub async fn lock_throttle(conn: &mut AnyConnection, key: &str, until: i64) -> AppResult<()> {
    sqlx::query("UPDATE login_throttle SET locked_until = $1 WHERE key = $2")
        .bind(until)
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn clear_throttle(conn: &mut AnyConnection, key: &str) -> AppResult<()> {
    sqlx::query("DELETE FROM login_throttle WHERE key = $1")
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}

/// Forget throttle rows whose window ended before `window_cutoff` and whose lock is over, and
/// trusted browsers past their expiry (the hourly sweep).
pub async fn delete_stale_sign_in_state(
    conn: &mut AnyConnection,
    now: i64,
    window_cutoff: i64,
) -> AppResult<u64> {
    let throttles =
        sqlx::query("DELETE FROM login_throttle WHERE window_start < $1 AND locked_until < $2")
            .bind(window_cutoff)
            .bind(now)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    let devices = sqlx::query("DELETE FROM login_devices WHERE expires_at < $1")
        .bind(now)
        .execute(conn)
        .await?
        .rows_affected();
    Ok(throttles + devices)
}

/// The account a trusted browser belongs to, if its cookie is known and not expired.
pub async fn device_user(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: i64,
) -> AppResult<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT user_id FROM login_devices WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(conn)
    .await?)
}

/// Remember a browser for `user_id` (or renew it), keeping only the user's `keep` most recently
/// used browsers: signing in again and again from new browsers cannot grow the table.
pub async fn save_device(
    conn: &mut AnyConnection,
    token_hash: &str,
    user_id: i64,
    now: i64,
    expires_at: i64,
    keep: i64,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO login_devices (token_hash, user_id, created_at, last_used_at, expires_at) VALUES ($1, $2, $3, $3, $4) \
         ON CONFLICT (token_hash) DO UPDATE SET last_used_at = excluded.last_used_at, expires_at = excluded.expires_at",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "DELETE FROM login_devices WHERE user_id = $1 AND token_hash NOT IN \
         (SELECT token_hash FROM login_devices WHERE user_id = $1 ORDER BY last_used_at DESC, created_at DESC LIMIT $2)",
    )
    .bind(user_id)
    .bind(keep)
    .execute(conn)
    .await?;
    Ok(())
}

/// Forget every trusted browser of a user (their password was reset or set by someone else).
pub async fn delete_devices_of(conn: &mut AnyConnection, user_id: i64) -> AppResult<()> {
    sqlx::query("DELETE FROM login_devices WHERE user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}
