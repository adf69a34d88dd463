//! SQL for API keys.

use sqlx::AnyConnection;

use super::ApiKey;
use crate::clock::format_ms;
use crate::error::AppResult;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    user_id: i64,
    user_email: String,
    name: String,
    prefix: String,
    created_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl From<Row> for ApiKey {
    fn from(r: Row) -> Self {
        ApiKey {
            id: r.id,
            user_id: r.user_id,
            user_email: r.user_email,
            name: r.name,
            prefix: r.prefix,
            created_at: format_ms(r.created_at),
            last_used_at: r.last_used_at.map(format_ms),
            revoked_at: r.revoked_at.map(format_ms),
        }
    }
}

/// Keys of one user, or of everyone when `user_id` is `None`.
pub async fn list(
    conn: &mut AnyConnection,
    user_id: Option<i64>,
    after: i64,
    limit: i64,
) -> AppResult<Vec<ApiKey>> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT k.id, k.user_id, u.email AS user_email, k.name, k.prefix, k.created_at, k.last_used_at, k.revoked_at \
         FROM api_keys k JOIN users u ON u.id = k.user_id WHERE ($1 = 0 OR k.user_id = $1) AND k.id > $2 ORDER BY k.id LIMIT $3",
    )
    .bind(user_id.unwrap_or(0))
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(ApiKey::from).collect())
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> AppResult<Option<ApiKey>> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT k.id, k.user_id, u.email AS user_email, k.name, k.prefix, k.created_at, k.last_used_at, k.revoked_at \
         FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(ApiKey::from))
}

pub async fn insert(
    conn: &mut AnyConnection,
    user_id: i64,
    name: &str,
    prefix: &str,
    secret_hash: &str,
    now: i64,
) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO api_keys (user_id, name, prefix, secret_hash, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(user_id)
    .bind(name)
    .bind(prefix)
    .bind(secret_hash)
    .bind(now)
    .fetch_one(conn)
    .await?)
}

pub async fn revoke(conn: &mut AnyConnection, id: i64, now: i64) -> AppResult<()> {
    sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Revoke every live key of a user; how many were live.
pub async fn revoke_all_of(conn: &mut AnyConnection, user_id: i64, now: i64) -> AppResult<u64> {
    Ok(
        sqlx::query(
            "UPDATE api_keys SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(user_id)
        .execute(conn)
        .await?
        .rows_affected(),
    )
}

#[derive(sqlx::FromRow)]
pub struct KeyAuth {
    pub id: i64,
    pub user_id: i64,
    pub secret_hash: String,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

pub async fn by_prefix(conn: &mut AnyConnection, prefix: &str) -> AppResult<Option<KeyAuth>> {
    Ok(sqlx::query_as(
        "SELECT id, user_id, secret_hash, last_used_at, revoked_at FROM api_keys WHERE prefix = $1",
    )
    .bind(prefix)
    .fetch_optional(conn)
    .await?)
}

pub async fn mark_used(conn: &mut AnyConnection, id: i64, now: i64) -> AppResult<()> {
    sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
