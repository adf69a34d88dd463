//! SQL for drafts (`ticket_drafts`): the reply one user is writing on one ticket.

use sqlx::AnyConnection;

use crate::error::AppResult;

/// Keep `body` as the draft of `user` on `ticket` (replacing the one before).
pub async fn put(
    conn: &mut AnyConnection,
    ticket: i64,
    user: i64,
    body: &str,
    now: i64,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO ticket_drafts (ticket_id, user_id, body, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (ticket_id, user_id) DO UPDATE SET body = excluded.body, \
         updated_at = excluded.updated_at",
    )
    .bind(ticket)
    .bind(user)
    .bind(body)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Forget the draft of `user` on `ticket` (sent, or emptied).
pub async fn remove(conn: &mut AnyConnection, ticket: i64, user: i64) -> AppResult<()> {
    sqlx::query("DELETE FROM ticket_drafts WHERE ticket_id = $1 AND user_id = $2")
        .bind(ticket)
        .bind(user)
        .execute(conn)
        .await?;
    Ok(())
}
