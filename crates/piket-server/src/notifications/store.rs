//! SQL for notifications, mutes and the people a ticket event reaches.

use sqlx::AnyConnection;

use super::Notification;
use crate::error::AppResult;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    ticket_id: Option<i64>,
    kind: String,
    actor_name: String,
    ticket_title: String,
    created_at: i64,
    read_at: Option<i64>,
}

impl From<Row> for Notification {
    fn from(r: Row) -> Self {
        Notification {
            id: r.id,
            ticket_id: r.ticket_id,
            kind: r.kind,
            actor_name: r.actor_name,
            ticket_title: r.ticket_title,
            created_at: crate::clock::format_ms(r.created_at),
            read: r.read_at.is_some(),
        }
    }
}

pub struct NewNotification<'a> {
    pub user_id: i64,
    pub ticket_id: i64,
    pub kind: &'a str,
    pub actor_name: &'a str,
    pub ticket_title: &'a str,
}

pub async fn insert(conn: &mut AnyConnection, n: &NewNotification<'_>, now: i64) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO notifications (user_id, ticket_id, kind, actor_name, ticket_title, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(n.user_id)
    .bind(n.ticket_id)
    .bind(n.kind)
    .bind(n.actor_name)
    .bind(n.ticket_title)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Newest first; `before` is the keyset cursor (an id).
pub async fn list(
    conn: &mut AnyConnection,
    user_id: i64,
    before: Option<i64>,
    limit: i64,
) -> AppResult<Vec<Notification>> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, ticket_id, kind, actor_name, ticket_title, created_at, read_at FROM notifications \
         WHERE user_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
    )
    .bind(user_id)
    .bind(before.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Notification::from).collect())
}

pub async fn unread_count(conn: &mut AnyConnection, user_id: i64) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL",
    )
    .bind(user_id)
    .fetch_one(conn)
    .await?)
}

/// Mark one as read; `None` when it is not this user's.
pub async fn mark_read(
    conn: &mut AnyConnection,
    user_id: i64,
    id: i64,
    now: i64,
) -> AppResult<Option<Option<i64>>> {
    Ok(sqlx::query_scalar(
        "UPDATE notifications SET read_at = COALESCE(read_at, $3) WHERE id = $1 AND user_id = $2 RETURNING ticket_id",
    )
    .bind(id)
    .bind(user_id)
    .bind(now)
    .fetch_optional(conn)
    .await?)
}

pub async fn mark_all_read(conn: &mut AnyConnection, user_id: i64, now: i64) -> AppResult<u64> {
    Ok(
        sqlx::query("UPDATE notifications SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL")
            .bind(user_id)
            .bind(now)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

pub async fn mutes(conn: &mut AnyConnection, user_id: i64) -> AppResult<Vec<String>> {
    Ok(
        sqlx::query_scalar("SELECT kind FROM notification_mutes WHERE user_id = $1 ORDER BY kind")
            .bind(user_id)
            .fetch_all(conn)
            .await?,
    )
}

pub async fn set_mutes(conn: &mut AnyConnection, user_id: i64, kinds: &[String]) -> AppResult<()> {
    sqlx::query("DELETE FROM notification_mutes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    for kind in kinds {
        sqlx::query("INSERT INTO notification_mutes (user_id, kind) VALUES ($1, $2)")
            .bind(user_id)
            .bind(kind)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

const TICKET_PEOPLE: &str = "SELECT requester_id FROM tickets WHERE id = $1 \
     UNION SELECT assignee_id FROM tickets WHERE id = $1 AND assignee_id IS NOT NULL \
     UNION SELECT user_id FROM ticket_watchers WHERE ticket_id = $1";

/// (user, kind) for every mute of the ticket's people.
pub async fn ticket_mutes(
    conn: &mut AnyConnection,
    ticket_id: i64,
) -> AppResult<Vec<(i64, String)>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT user_id, kind FROM notification_mutes WHERE user_id IN ({TICKET_PEOPLE})"
    )))
    .bind(ticket_id)
    .fetch_all(conn)
    .await?)
}
