//! The `settings` table: run-time settings as text under keys a domain prefixes with its own name
//! (`collector.enabled`, `org.time_zone`). Each domain's store reads and writes its keys here.

use sqlx::AnyConnection;

use crate::error::AppResult;

pub async fn value(conn: &mut AnyConnection, key: &str) -> AppResult<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(conn)
            .await?,
    )
}

/// Set `key`, or remove it when `value` is `None` (back to the default).
pub async fn put(
    conn: &mut AnyConnection,
    key: &str,
    value: Option<&str>,
    now: i64,
) -> AppResult<()> {
    match value {
        Some(v) => {
            sqlx::query(
                "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            )
            .bind(key)
            .bind(v)
            .bind(now)
            .execute(conn)
            .await?;
        }
        None => {
            sqlx::query("DELETE FROM settings WHERE key = $1")
                .bind(key)
                .execute(conn)
                .await?;
        }
    }
    Ok(())
}
