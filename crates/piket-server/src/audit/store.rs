//! SQL for the audit log.

use sqlx::AnyConnection;

use super::{AuditEntry, AuditFilter, Change};
use crate::api::page::{Page, PageRequest};
use crate::clock::{format_ms, parse_ms};
use crate::db::sql::{Arg, Sql};
use crate::error::{AppError, AppResult};

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    at: i64,
    actor_kind: String,
    actor_id: Option<i64>,
    actor_label: String,
    action: String,
    object_kind: String,
    object_id: Option<i64>,
    before_json: Option<String>,
    after_json: Option<String>,
    ip: String,
}

impl From<Row> for AuditEntry {
    fn from(r: Row) -> Self {
        let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        AuditEntry {
            id: r.id,
            at: format_ms(r.at),
            actor_kind: r.actor_kind,
            actor_id: r.actor_id,
            actor_label: r.actor_label,
            action: r.action,
            object_kind: r.object_kind,
            object_id: r.object_id,
            before: parse(r.before_json),
            after: parse(r.after_json),
            ip: r.ip,
        }
    }
}

pub async fn insert(
    conn: &mut AnyConnection,
    now: i64,
    actor_kind: &str,
    actor_id: Option<i64>,
    actor_label: &str,
    change: &Change<'_>,
    ip: &str,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor_kind, actor_id, actor_label, action, object_kind, object_id, before_json, after_json, ip) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(now)
    .bind(actor_kind)
    .bind(actor_id)
    .bind(actor_label)
    .bind(change.action)
    .bind(change.object_kind)
    .bind(change.object_id)
    .bind(change.before.as_ref().map(|v| v.to_string()))
    .bind(change.after.as_ref().map(|v| v.to_string()))
    .bind(ip)
    .execute(conn)
    .await?;
    Ok(())
}

/// Newest first, keyset-paginated by id.
pub async fn list(conn: &mut AnyConnection, f: &AuditFilter) -> AppResult<Page<AuditEntry>> {
    let page = PageRequest::parse(f.cursor.as_deref(), f.limit)?;
    let mut sql = Sql::new("SELECT id, at, actor_kind, actor_id, actor_label, action, object_kind, object_id, before_json, after_json, ip FROM audit_log WHERE 1 = 1");
    if let Some(cursor) = page.cursor {
        sql.push(" AND id < ").bind(Arg::Int(cursor));
    }
    if let Some(action) = &f.action {
        sql.push(" AND action = ").bind(Arg::Text(action.clone()));
    }
    if let Some(kind) = &f.object_kind {
        sql.push(" AND object_kind = ")
            .bind(Arg::Text(kind.clone()));
    }
    if let Some(id) = f.object_id {
        sql.push(" AND object_id = ").bind(Arg::Int(id));
    }
    if let Some(id) = f.actor_id {
        sql.push(" AND actor_id = ").bind(Arg::Int(id));
    }
    for (value, op, field) in [
        (&f.since, " AND at >= ", "since"),
        (&f.until, " AND at < ", "until"),
    ] {
        if let Some(text) = value.as_deref().filter(|t| !t.is_empty()) {
            let ms = parse_ms(text).ok_or_else(|| {
                AppError::invalid(field, "must be a date (YYYY-MM-DD) or an RFC 3339 time")
            })?;
            sql.push(op).bind(Arg::Int(ms));
        }
    }
    sql.push(" ORDER BY id DESC LIMIT ")
        .bind(Arg::Int(page.limit + 1));
    let rows: Vec<Row> = sql.query_as().fetch_all(conn).await?;
    Ok(page.finish(rows.into_iter().map(AuditEntry::from).collect(), |e| e.id))
}
