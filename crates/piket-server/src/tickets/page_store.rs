//! SQL for the ticket page: the ticket row and what surrounds it (watchers, tags, assets,
//! conversation, history, files) in one statement. Each list is packed into a JSON array, so the
//! page costs one round trip instead of seven, and one row through the driver instead of one
//! per reply and entry. The reader's own draft of a reply comes in the same row.
//!
//! The arrays hold each row's columns in the order of the store's own row type (comments,
//! history, attachments, linked assets), which reads them back with serde.

use serde::Deserialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, FromRow, Row};

use super::store::TicketRow;
use super::{Comment, HistoryEntry, LinkedAsset};
use crate::attachments::Attachment;
use crate::db::Backend;
use crate::error::{AppError, AppResult};

/// Everything on the ticket page but the ticket row itself.
pub struct Around {
    pub watchers: Vec<i64>,
    pub tags: Vec<String>,
    pub assets: Vec<LinkedAsset>,
    pub comments: Vec<Comment>,
    pub history: Vec<HistoryEntry>,
    pub attachments: Vec<Attachment>,
    /// The reader's draft of a reply and when it was kept (unix ms), if any.
    pub draft: Option<(String, i64)>,
}

/// `AGG(ARR(columns) ORDER BY key)` over each list, `[]` when empty, as columns after the
/// ticket row's; `$1` is the ticket, `$2` is 1 when internal notes (and what belongs to them)
/// and changes of the watchers are included, `$3` the reader, whose draft comes last.
const TEMPLATE: &str = ", \
  COALESCE(CAST((SELECT AGG(w.user_id ORDER BY w.user_id) FROM ticket_watchers w \
    WHERE w.ticket_id = $1) AS TEXT), '[]') AS packed_watchers, \
  COALESCE(CAST((SELECT AGG(g.tag ORDER BY g.tag) FROM ticket_tags g \
    WHERE g.ticket_id = $1) AS TEXT), '[]') AS packed_tags, \
  COALESCE(CAST((SELECT AGG(ARR(h.id, h.name, h.asset_tag, h.hostname) ORDER BY h.id) \
    FROM ticket_assets ta JOIN hardware_assets h ON h.id = ta.asset_id \
    WHERE ta.ticket_id = $1) AS TEXT), '[]') AS packed_assets, \
  COALESCE(CAST((SELECT AGG(ARR(c.id, c.ticket_id, c.author_id, u.name, c.body, c.internal, \
    c.created_at) ORDER BY c.id) FROM ticket_comments c LEFT JOIN users u ON u.id = c.author_id \
    WHERE c.ticket_id = $1 AND (c.internal = 0 OR $2 = 1)) AS TEXT), '[]') AS packed_comments, \
  COALESCE(CAST((SELECT AGG(ARR(e.id, e.actor_id, e.actor_name, e.field, e.old_value, \
    e.new_value, e.created_at) ORDER BY e.id) FROM ticket_history e \
    WHERE e.ticket_id = $1 AND ((e.internal = 0 AND e.field <> 'watchers') OR $2 = 1)) AS TEXT), \
    '[]') AS packed_history, \
  COALESCE(CAST((SELECT AGG(ARR(a.id, a.ticket_id, a.comment_id, a.uploader_id, u.name, \
    a.file_name, a.content_type, a.size, a.sha256, COALESCE(n.internal, 0), a.created_at) \
    ORDER BY a.id) FROM ticket_attachments a LEFT JOIN users u ON u.id = a.uploader_id \
    LEFT JOIN ticket_comments n ON n.id = a.comment_id \
    WHERE a.ticket_id = $1 AND (COALESCE(n.internal, 0) = 0 OR $2 = 1)) AS TEXT), '[]') AS packed_files, \
  (SELECT d.body FROM ticket_drafts d WHERE d.ticket_id = $1 AND d.user_id = $3) AS draft_body, \
  (SELECT d.updated_at FROM ticket_drafts d WHERE d.ticket_id = $1 AND d.user_id = $3) AS draft_at";

fn statement(backend: Backend) -> String {
    let (agg, arr) = match backend {
        Backend::Sqlite => ("json_group_array", "json_array"),
        Backend::Postgres => ("json_agg", "json_build_array"),
    };
    let packed = TEMPLATE
        .replace("AGG(", &format!("{agg}("))
        .replace("ARR(", &format!("{arr}("));
    format!("{} WHERE t.id = $1", super::store::select_with(&packed))
}

/// Ticket `id` with the lists around it and `reader`'s draft; internal notes, their history and
/// their files (and changes of the watchers, noise to a requester) only when `with_internal`. `None` when there is no such ticket. Visibility is the caller's to
/// check (the watchers are part of that).
pub async fn page(
    conn: &mut AnyConnection,
    backend: Backend,
    id: i64,
    with_internal: bool,
    reader: i64,
) -> AppResult<Option<(TicketRow, Around)>> {
    let row: Option<AnyRow> = sqlx::query(sqlx::AssertSqlSafe(statement(backend)))
        .bind(id)
        .bind(i64::from(with_internal))
        .bind(reader)
        .fetch_optional(conn)
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let ticket = TicketRow::from_row(&row)?;
    let text = |name: &str| -> AppResult<String> { Ok(row.try_get::<String, _>(name)?) };
    let around = Around {
        watchers: unpack(&text("packed_watchers")?)?,
        tags: unpack(&text("packed_tags")?)?,
        assets: unpack(&text("packed_assets")?)?,
        comments: convert::<super::comments::Row, _>(&text("packed_comments")?)?,
        history: convert::<super::history::Row, _>(&text("packed_history")?)?,
        attachments: convert::<crate::attachments::Row, _>(&text("packed_files")?)?,
        draft: match row.try_get::<Option<String>, _>("draft_body")? {
            Some(body) => Some((
                body,
                row.try_get::<Option<i64>, _>("draft_at")?.unwrap_or(0),
            )),
            None => None,
        },
    };
    Ok(Some((ticket, around)))
}

fn unpack<T: for<'de> Deserialize<'de>>(json: &str) -> AppResult<Vec<T>> {
    serde_json::from_str(json).map_err(|e| AppError::Internal(format!("ticket page row: {e}")))
}

fn convert<R: for<'de> Deserialize<'de>, T: From<R>>(json: &str) -> AppResult<Vec<T>> {
    Ok(unpack::<R>(json)?.into_iter().map(T::from).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_backend_gets_its_own_json_functions() {
        let sqlite = statement(Backend::Sqlite);
        assert!(sqlite.contains("json_group_array(json_array(c.id"));
        assert!(!sqlite.contains("AGG(") && !sqlite.contains("ARR("));
        let pg = statement(Backend::Postgres);
        assert!(pg.contains("json_agg(json_build_array(c.id"));
        assert!(!pg.contains("json_group_array"));
        // The lists sit between the ticket's columns and its FROM.
        assert!(sqlite.contains(
            "t.sla_paused_at, \
  COALESCE"
        ));
        assert!(sqlite.ends_with("LEFT JOIN users a ON a.id = t.assignee_id WHERE t.id = $1"));
    }
}
