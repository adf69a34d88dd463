//! SQL for desktop links.

use sqlx::AnyConnection;

use super::LinkView;
use crate::error::AppResult;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LinkRow {
    pub id: i64,
    pub link_key: String,
    pub secret_hash: String,
    pub code: String,
    pub hostname: String,
    pub os_user: String,
    pub requested_from: String,
    pub failed_codes: i64,
    pub device_id: Option<i64>,
    pub device_name: Option<String>,
    pub user_id: Option<i64>,
    pub expires_at: i64,
    pub linked_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

const SELECT: &str = "SELECT l.id, l.link_key, l.secret_hash, l.code, l.hostname, l.os_user, \
     l.requested_from, l.failed_codes, l.device_id, h.name AS device_name, l.user_id, l.expires_at, l.linked_at, l.revoked_at, \
     l.last_used_at FROM desktop_links l LEFT JOIN agent_devices d ON d.id = l.device_id \
     LEFT JOIN hardware_assets h ON h.id = d.asset_id";

pub struct NewLink<'a> {
    pub link_key: &'a str,
    pub secret_hash: &'a str,
    pub code: &'a str,
    pub hostname: &'a str,
    pub os_user: &'a str,
    pub requested_from: &'a str,
    pub device_id: Option<i64>,
    pub expires_at: i64,
}

pub async fn insert(conn: &mut AnyConnection, l: &NewLink<'_>, now: i64) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO desktop_links (link_key, secret_hash, code, hostname, os_user, device_id, \
         created_at, expires_at, requested_from) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(l.link_key)
    .bind(l.secret_hash)
    .bind(l.code)
    .bind(l.hostname)
    .bind(l.os_user)
    .bind(l.device_id)
    .bind(now)
    .bind(l.expires_at)
    .bind(l.requested_from)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn by_key(conn: &mut AnyConnection, key: &str) -> AppResult<Option<LinkRow>> {
    let sql = format!("{SELECT} WHERE l.link_key = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(key)
        .fetch_optional(conn)
        .await?)
}

/// Confirm a pending, unexpired link for `user_id`; `false` when it was not pending any more.
pub async fn confirm(conn: &mut AnyConnection, id: i64, user_id: i64, now: i64) -> AppResult<bool> {
    let done = sqlx::query(
        "UPDATE desktop_links SET user_id = $2, linked_at = $3 \
         WHERE id = $1 AND user_id IS NULL AND revoked_at IS NULL AND expires_at > $3",
    )
    .bind(id)
    .bind(user_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Count a wrong code on a pending link; past `max` the link is void. Its count after this one.
pub async fn wrong_code(conn: &mut AnyConnection, id: i64, max: i64, now: i64) -> AppResult<i64> {
    let failed: i64 = sqlx::query_scalar(
        "UPDATE desktop_links SET failed_codes = failed_codes + 1 \
         WHERE id = $1 AND user_id IS NULL RETURNING failed_codes",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .unwrap_or(max);
    if failed >= max {
        sqlx::query("UPDATE desktop_links SET revoked_at = $2 WHERE id = $1 AND user_id IS NULL")
            .bind(id)
            .bind(now)
            .execute(conn)
            .await?;
    }
    Ok(failed)
}

/// End every link of a user (a password set or reset, the account's keys revoked).
pub async fn revoke_all_of(conn: &mut AnyConnection, user_id: i64, now: i64) -> AppResult<u64> {
    let done = sqlx::query(
        "UPDATE desktop_links SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
    )
    .bind(user_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Revoke a user's link; `false` when it is not theirs or already revoked.
pub async fn revoke(conn: &mut AnyConnection, id: i64, user_id: i64, now: i64) -> AppResult<bool> {
    let done = sqlx::query(
        "UPDATE desktop_links SET revoked_at = $3 \
         WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
    )
    .bind(id)
    .bind(user_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Revoke all but the newest `keep` live links of a user.
pub async fn revoke_beyond(
    conn: &mut AnyConnection,
    user_id: i64,
    keep: i64,
    now: i64,
) -> AppResult<()> {
    sqlx::query(
        "UPDATE desktop_links SET revoked_at = $3 WHERE user_id = $1 AND revoked_at IS NULL \
         AND id NOT IN (SELECT id FROM desktop_links WHERE user_id = $1 AND revoked_at IS NULL \
         ORDER BY id DESC LIMIT $2)",
    )
    .bind(user_id)
    .bind(keep)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn mark_used(conn: &mut AnyConnection, id: i64, now: i64) -> AppResult<()> {
    sqlx::query("UPDATE desktop_links SET last_used_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Forget links nobody confirmed, a day after they expired.
pub async fn delete_stale(conn: &mut AnyConnection, cutoff: i64) -> AppResult<()> {
    sqlx::query("DELETE FROM desktop_links WHERE user_id IS NULL AND expires_at < $1")
        .bind(cutoff)
        .execute(conn)
        .await?;
    Ok(())
}

/// A user's live links, newest first.
pub async fn of_user(conn: &mut AnyConnection, user_id: i64) -> AppResult<Vec<LinkView>> {
    let sql = format!(
        "{SELECT} WHERE l.user_id = $1 AND l.revoked_at IS NULL ORDER BY l.id DESC LIMIT 100"
    );
    let rows: Vec<LinkRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(user_id)
        .fetch_all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| LinkView {
            id: r.id,
            hostname: r.hostname,
            os_user: r.os_user,
            device_name: r.device_name,
            linked_at: r.linked_at.unwrap_or(0),
            last_used_at: r.last_used_at,
        })
        .collect())
}
