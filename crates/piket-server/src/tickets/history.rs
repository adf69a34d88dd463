//! SQL for a ticket's action log: one entry per change, who made it, old and new value.

use sqlx::AnyConnection;

use super::HistoryEntry;
use crate::auth::actor::Actor;
use crate::clock::format_ms;
use crate::error::AppResult;

/// One change about to be logged.
pub struct Entry<'a> {
    pub field: &'a str,
    pub old: Option<String>,
    pub new: Option<String>,
    /// Entries about internal notes are hidden from requesters.
    pub internal: bool,
}

pub async fn record(
    conn: &mut AnyConnection,
    ticket_id: i64,
    actor: &Actor,
    entry: Entry<'_>,
    now: i64,
) -> AppResult<()> {
    let actor_id = (actor.user_id > 0).then_some(actor.user_id);
    sqlx::query(
        "INSERT INTO ticket_history (ticket_id, actor_id, actor_name, field, old_value, new_value, internal, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(ticket_id)
    .bind(actor_id)
    .bind(&actor.name)
    .bind(entry.field)
    .bind(entry.old)
    .bind(entry.new)
    .bind(i64::from(entry.internal))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// An entry as stored; also read from the ticket page's packed JSON (`page_store`), in this
/// field order.
#[derive(sqlx::FromRow, serde::Deserialize)]
pub(crate) struct Row {
    id: i64,
    actor_id: Option<i64>,
    actor_name: String,
    field: String,
    old_value: Option<String>,
    new_value: Option<String>,
    created_at: i64,
}

/// A ticket's entries; without `with_internal`, none about internal notes and none about who
/// watches (noise to a requester).
pub async fn list(
    conn: &mut AnyConnection,
    ticket_id: i64,
    with_internal: bool,
) -> AppResult<Vec<HistoryEntry>> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, actor_id, actor_name, field, old_value, new_value, created_at FROM ticket_history \
         WHERE ticket_id = $1 AND ((internal = 0 AND field <> 'watchers') OR $2 = 1) ORDER BY id",
    )
    .bind(ticket_id)
    .bind(i64::from(with_internal))
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(HistoryEntry::from).collect())
}

impl From<Row> for HistoryEntry {
    fn from(r: Row) -> Self {
        HistoryEntry {
            id: r.id,
            actor_id: r.actor_id,
            actor_name: r.actor_name,
            field: r.field,
            old_value: r.old_value,
            new_value: r.new_value,
            at: format_ms(r.created_at),
        }
    }
}
