//! SQL for a ticket's conversation: public replies and internal notes.

use sqlx::AnyConnection;

use super::markdown;
use super::Comment;
use crate::clock::format_ms;
use crate::error::AppResult;

/// A comment as stored; also read from the ticket page's packed JSON (`page_store`), in this
/// field order.
#[derive(sqlx::FromRow, serde::Deserialize)]
pub(crate) struct Row {
    id: i64,
    ticket_id: i64,
    author_id: Option<i64>,
    author_name: Option<String>,
    body: String,
    internal: i64,
    created_at: i64,
}

impl From<Row> for Comment {
    fn from(r: Row) -> Self {
        Comment {
            id: r.id,
            ticket_id: r.ticket_id,
            author_id: r.author_id,
            author_name: r.author_name.unwrap_or_default(),
            body_html: markdown::to_html(&r.body),
            body: r.body,
            internal: r.internal != 0,
            created_at: format_ms(r.created_at),
        }
    }
}

/// The conversation in order; internal notes only when `with_internal`.
pub async fn list(
    conn: &mut AnyConnection,
    ticket_id: i64,
    with_internal: bool,
) -> AppResult<Vec<Comment>> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT c.id, c.ticket_id, c.author_id, u.name AS author_name, c.body, c.internal, c.created_at \
         FROM ticket_comments c LEFT JOIN users u ON u.id = c.author_id \
         WHERE c.ticket_id = $1 AND (c.internal = 0 OR $2 = 1) ORDER BY c.id",
    )
    .bind(ticket_id)
    .bind(i64::from(with_internal))
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Comment::from).collect())
}

pub async fn insert(
    conn: &mut AnyConnection,
    ticket_id: i64,
    author_id: i64,
    body: &str,
    internal: bool,
    now: i64,
) -> AppResult<Comment> {
    let row: Row = sqlx::query_as(
        "INSERT INTO ticket_comments (ticket_id, author_id, body, internal, created_at) \
         VALUES ($1, $2, $3, $4, $5) \
         RETURNING id, ticket_id, author_id, NULL AS author_name, body, internal, created_at",
    )
    .bind(ticket_id)
    .bind(author_id)
    .bind(body)
    .bind(i64::from(internal))
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(row.into())
}

/// Bodies for the search index: (public, internal).
pub async fn texts(conn: &mut AnyConnection, ticket_id: i64) -> AppResult<(String, String)> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT body, internal FROM ticket_comments WHERE ticket_id = $1 ORDER BY id",
    )
    .bind(ticket_id)
    .fetch_all(conn)
    .await?;
    let (mut public, mut internal) = (String::new(), String::new());
    for (body, is_internal) in rows {
        let target = if is_internal != 0 {
            &mut internal
        } else {
            &mut public
        };
        target.push_str(&body);
        target.push('\n');
    }
    Ok((public, internal))
}
