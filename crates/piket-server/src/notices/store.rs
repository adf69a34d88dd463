//! SQL for dismissed notices.

use sqlx::AnyConnection;

use crate::error::AppResult;

/// The codes of the notices `user_id` has dismissed.
pub async fn dismissed(conn: &mut AnyConnection, user_id: i64) -> AppResult<Vec<String>> {
    Ok(
        sqlx::query_scalar("SELECT notice FROM notice_dismissals WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(conn)
            .await?,
    )
}

/// Remember that `user_id` dismissed `notice`; true if it was not already.
pub async fn dismiss(
    conn: &mut AnyConnection,
    user_id: i64,
    notice: &str,
    now: i64,
) -> AppResult<bool> {
    let done = sqlx::query(
        "INSERT INTO notice_dismissals (user_id, notice, dismissed_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id, notice) DO NOTHING",
    )
    .bind(user_id)
    .bind(notice.to_string())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}
