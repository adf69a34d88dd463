//! SQL for attachment rows (the bytes live in the blob store under `sha256`) and for the daily
//! upload counters of `quota`.

use sqlx::AnyConnection;

use super::{kind, Attachment};
use crate::clock::format_ms;
use crate::error::AppResult;

/// A file's row as stored; also read from the ticket page's packed JSON
/// (`tickets::page_store`), in this field order.
#[derive(sqlx::FromRow, serde::Deserialize)]
pub(crate) struct Row {
    id: i64,
    ticket_id: i64,
    comment_id: Option<i64>,
    uploader_id: Option<i64>,
    uploader_name: Option<String>,
    file_name: String,
    content_type: String,
    size: i64,
    sha256: String,
    internal: i64,
    created_at: i64,
}

impl From<Row> for Attachment {
    fn from(r: Row) -> Self {
        Attachment {
            image: kind::kind_of_content_type(&r.content_type).is_some_and(kind::is_inline_image),
            id: r.id,
            ticket_id: r.ticket_id,
            comment_id: r.comment_id,
            uploader_id: r.uploader_id,
            uploader_name: r.uploader_name.unwrap_or_default(),
            file_name: r.file_name,
            content_type: r.content_type,
            size: r.size,
            sha256: r.sha256,
            internal: r.internal != 0,
            created_at: format_ms(r.created_at),
        }
    }
}

const SELECT: &str = "SELECT a.id, a.ticket_id, a.comment_id, a.uploader_id, u.name AS uploader_name, \
     a.file_name, a.content_type, a.size, a.sha256, COALESCE(c.internal, 0) AS internal, a.created_at \
     FROM ticket_attachments a LEFT JOIN users u ON u.id = a.uploader_id \
     LEFT JOIN ticket_comments c ON c.id = a.comment_id";

/// A ticket's files in upload order; those on internal notes only when `with_internal`.
pub async fn list(
    conn: &mut AnyConnection,
    ticket_id: i64,
    with_internal: bool,
) -> AppResult<Vec<Attachment>> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE a.ticket_id = $1 AND (COALESCE(c.internal, 0) = 0 OR $2 = 1) ORDER BY a.id"
    )))
    .bind(ticket_id)
    .bind(i64::from(with_internal))
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Attachment::from).collect())
}

pub async fn get(
    conn: &mut AnyConnection,
    ticket_id: i64,
    id: i64,
) -> AppResult<Option<Attachment>> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE a.ticket_id = $1 AND a.id = $2"
    )))
    .bind(ticket_id)
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Attachment::from))
}

pub struct NewRow<'a> {
    pub ticket_id: i64,
    pub comment_id: Option<i64>,
    pub uploader_id: Option<i64>,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub size: i64,
    pub sha256: &'a str,
}

pub async fn insert(conn: &mut AnyConnection, r: &NewRow<'_>, now: i64) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO ticket_attachments \
         (ticket_id, comment_id, uploader_id, file_name, content_type, size, sha256, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(r.ticket_id)
    .bind(r.comment_id)
    .bind(r.uploader_id)
    .bind(r.file_name)
    .bind(r.content_type)
    .bind(r.size)
    .bind(r.sha256)
    .bind(now)
    .fetch_one(conn)
    .await?)
}

pub async fn delete(conn: &mut AnyConnection, id: i64) -> AppResult<()> {
    sqlx::query("DELETE FROM ticket_attachments WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Remove every row of a ticket; returns the digests they used.
pub async fn delete_for_ticket(conn: &mut AnyConnection, ticket_id: i64) -> AppResult<Vec<String>> {
    let shas: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT sha256 FROM ticket_attachments WHERE ticket_id = $1")
            .bind(ticket_id)
            .fetch_all(&mut *conn)
            .await?;
    sqlx::query("DELETE FROM ticket_attachments WHERE ticket_id = $1")
        .bind(ticket_id)
        .execute(conn)
        .await?;
    Ok(shas)
}

/// How many rows still use this content.
pub async fn uses(conn: &mut AnyConnection, sha256: &str) -> AppResult<i64> {
    Ok(
        // A blob has two kinds of owner: attachment rows and the raw mails the email channel
        // keeps (`mail_received.raw_sha256`, stored as `<sha256>.eml`).
        sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM ticket_attachments WHERE sha256 = $1) \
                  + (SELECT COUNT(*) FROM mail_received WHERE raw_sha256 = $1)",
        )
        .bind(sha256)
        .fetch_one(conn)
        .await?,
    )
}

/// The author and internal flag of a comment on this ticket.
pub async fn comment_of(
    conn: &mut AnyConnection,
    ticket_id: i64,
    comment_id: i64,
) -> AppResult<Option<(Option<i64>, i64)>> {
    Ok(sqlx::query_as(
        "SELECT author_id, internal FROM ticket_comments WHERE ticket_id = $1 AND id = $2",
    )
    .bind(ticket_id)
    .bind(comment_id)
    .fetch_optional(conn)
    .await?)
}

/// Which of these digests some row still uses (asked in batches).
pub async fn used_among(
    conn: &mut AnyConnection,
    digests: &[String],
) -> AppResult<std::collections::HashSet<String>> {
    let mut used = std::collections::HashSet::new();
    for batch in digests.chunks(500) {
        let placeholders: Vec<String> = (1..=batch.len()).map(|i| format!("${i}")).collect();
        // Only numbered placeholders are formatted in; the digests are bound.
        let list = placeholders.join(", ");
        let sql = format!(
            "SELECT sha256 FROM ticket_attachments WHERE sha256 IN ({list}) \
             UNION SELECT raw_sha256 FROM mail_received WHERE raw_sha256 IN ({list})"
        );
        let mut query = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
        for d in batch {
            query = query.bind(d);
        }
        used.extend(query.fetch_all(&mut *conn).await?);
    }
    Ok(used)
}

/// Bytes a user has uploaded on a UTC day (`quota::day`).
pub async fn usage(conn: &mut AnyConnection, user_id: i64, day: i64) -> AppResult<i64> {
    let bytes: Option<i64> =
        sqlx::query_scalar("SELECT bytes FROM upload_usage WHERE user_id = $1 AND day = $2")
            .bind(user_id)
            .bind(day)
            .fetch_optional(conn)
            .await?;
    Ok(bytes.unwrap_or(0))
}

/// Add `bytes` to a user's day unless that would pass `limit`; whether it was added. One
/// statement, so two uploads at once cannot both pass (PostgreSQL makes the second wait for the
/// first's row; SQLite has one writer).
pub async fn add_usage(
    conn: &mut AnyConnection,
    user_id: i64,
    day: i64,
    bytes: i64,
    limit: i64,
) -> AppResult<bool> {
    let done = sqlx::query(
        "INSERT INTO upload_usage (user_id, day, bytes) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id, day) DO UPDATE SET bytes = upload_usage.bytes + excluded.bytes \
         WHERE upload_usage.bytes + excluded.bytes <= $4",
    )
    .bind(user_id)
    .bind(day)
    .bind(bytes)
    .bind(limit)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Drop the counters of days before `day`.
pub async fn forget_usage_before(conn: &mut AnyConnection, day: i64) -> AppResult<()> {
    sqlx::query("DELETE FROM upload_usage WHERE day < $1")
        .bind(day)
        .execute(conn)
        .await?;
    Ok(())
}
