//! SQL for enrollment tokens and agent devices.

use sqlx::AnyConnection;

use crate::error::AppResult;

/// An enrollment token row, times in ms.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub department_id: Option<i64>,
    pub owner_id: Option<i64>,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub uses: i64,
    pub max_uses: Option<i64>,
}

const TOKEN_COLUMNS: &str = "id, name, department_id, owner_id, expires_at, revoked_at, \
     created_at, last_used_at, uses, max_uses";

/// Shared (not personal) tokens, newest first.
pub async fn list_tokens(conn: &mut AnyConnection, limit: i64) -> AppResult<Vec<TokenRow>> {
    let sql = format!(
        "SELECT {TOKEN_COLUMNS} FROM enrollment_tokens WHERE owner_id IS NULL \
         ORDER BY id DESC LIMIT $1"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(limit)
        .fetch_all(conn)
        .await?)
}

pub async fn get_token(conn: &mut AnyConnection, id: i64) -> AppResult<Option<TokenRow>> {
    let sql = format!("SELECT {TOKEN_COLUMNS} FROM enrollment_tokens WHERE id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

pub async fn token_by_hash(conn: &mut AnyConnection, hash: &str) -> AppResult<Option<TokenRow>> {
    let sql = format!("SELECT {TOKEN_COLUMNS} FROM enrollment_tokens WHERE token_hash = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(hash)
        .fetch_optional(conn)
        .await?)
}

/// What a new token row holds.
pub struct NewToken<'a> {
    pub name: &'a str,
    pub hash: &'a str,
    pub department_id: Option<i64>,
    pub owner_id: Option<i64>,
    pub expires_at: i64,
    pub max_uses: Option<i64>,
    pub created_by: Option<i64>,
}

pub async fn insert_token(conn: &mut AnyConnection, t: &NewToken<'_>, now: i64) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO enrollment_tokens (name, token_hash, department_id, owner_id, expires_at, \
         max_uses, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(t.name)
    .bind(t.hash)
    .bind(t.department_id)
    .bind(t.owner_id)
    .bind(t.expires_at)
    .bind(t.max_uses)
    .bind(t.created_by)
    .bind(now)
    .fetch_one(conn)
    .await?)
}

pub async fn revoke_token(conn: &mut AnyConnection, id: i64, now: i64) -> AppResult<()> {
    sqlx::query(
        "UPDATE enrollment_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Count one use if the token still has one left; false when another enrollment took the last.
pub async fn use_token(conn: &mut AnyConnection, id: i64, now: i64) -> AppResult<bool> {
    let done = sqlx::query(
        "UPDATE enrollment_tokens SET uses = uses + 1, last_used_at = $2 \
         WHERE id = $1 AND (max_uses IS NULL OR uses < max_uses)",
    )
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// An agent device row, times in ms.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeviceRow {
    pub id: i64,
    pub device_key: String,
    pub secret_hash: String,
    pub asset_id: i64,
    pub asset_name: String,
    pub token_id: Option<i64>,
    pub agent_version: String,
    pub enrolled_at: i64,
    pub last_seen_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

const DEVICE_SELECT: &str = "SELECT d.id, d.device_key, d.secret_hash, d.asset_id, \
     h.name AS asset_name, d.token_id, d.agent_version, d.enrolled_at, d.last_seen_at, \
     d.revoked_at FROM agent_devices d JOIN hardware_assets h ON h.id = d.asset_id";

pub async fn list_devices(conn: &mut AnyConnection, limit: i64) -> AppResult<Vec<DeviceRow>> {
    let sql = format!("{DEVICE_SELECT} ORDER BY d.id DESC LIMIT $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(limit)
        .fetch_all(conn)
        .await?)
}

pub async fn device(conn: &mut AnyConnection, id: i64) -> AppResult<Option<DeviceRow>> {
    let sql = format!("{DEVICE_SELECT} WHERE d.id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

pub async fn device_by_key(conn: &mut AnyConnection, key: &str) -> AppResult<Option<DeviceRow>> {
    let sql = format!("{DEVICE_SELECT} WHERE d.device_key = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(key)
        .fetch_optional(conn)
        .await?)
}

/// What a new device row holds.
pub struct NewDevice<'a> {
    pub key: &'a str,
    pub secret_hash: &'a str,
    pub asset_id: i64,
    pub token_id: i64,
    pub agent_version: &'a str,
}

pub async fn insert_device(
    conn: &mut AnyConnection,
    d: &NewDevice<'_>,
    now: i64,
) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO agent_devices (device_key, secret_hash, asset_id, token_id, agent_version, \
         enrolled_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(d.key)
    .bind(d.secret_hash)
    .bind(d.asset_id)
    .bind(d.token_id)
    .bind(d.agent_version)
    .bind(now)
    .fetch_one(conn)
    .await?)
}

pub async fn revoke_device(conn: &mut AnyConnection, id: i64, now: i64) -> AppResult<()> {
    sqlx::query("UPDATE agent_devices SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Note a report: when, and the agent version it named (kept when it named none).
pub async fn seen(conn: &mut AnyConnection, id: i64, version: &str, now: i64) -> AppResult<()> {
    sqlx::query(
        "UPDATE agent_devices SET last_seen_at = $1, \
         agent_version = CASE WHEN $2 = '' THEN agent_version ELSE $2 END WHERE id = $3",
    )
    .bind(now)
    .bind(version)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The report interval the server asks agents for, in hours (setting `agents.report_interval_hours`).
pub async fn report_interval_hours(conn: &mut AnyConnection) -> AppResult<u32> {
    let v: Option<String> =
        sqlx::query_scalar("SELECT value FROM settings WHERE key = 'agents.report_interval_hours'")
            .fetch_optional(conn)
            .await?;
    Ok(v.and_then(|v| v.trim().parse::<u32>().ok())
        .filter(|h| (1..=24 * 30).contains(h))
        .unwrap_or(24))
}
