//! Field-level history of an asset: which fields a change touched, old and new value, by whom.

use sqlx::AnyConnection;

use super::{Hardware, HardwareHistoryEntry};
use crate::clock::format_ms;
use crate::db::sql::{Arg, Sql};
use crate::error::AppResult;

/// Who made a change, as the history shows it.
pub struct Source<'a> {
    /// `user` or `collector`.
    pub kind: &'a str,
    pub actor_id: Option<i64>,
    pub label: String,
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

fn person(name: &Option<String>, email: &Option<String>) -> String {
    match (name, email) {
        (Some(n), Some(e)) => format!("{n} <{e}>"),
        _ => String::new(),
    }
}

/// Every field shown in the history, as text.
fn fields(h: &Hardware) -> Vec<(&'static str, String)> {
    vec![
        ("asset_tag", h.asset_tag.clone()),
        ("name", h.name.clone()),
        ("type", h.kind.clone()),
        ("manufacturer", h.manufacturer.clone()),
        ("model", h.model.clone()),
        ("serial", h.serial.clone()),
        ("cpu", h.cpu.clone()),
        ("ram", opt(&h.ram_mb)),
        ("storage", h.storage.clone()),
        ("os", h.os.clone()),
        ("hostname", h.hostname.clone()),
        ("ip_addresses", h.ip_addresses.clone()),
        ("mac_addresses", h.mac_addresses.clone()),
        ("owner", person(&h.owner_name, &h.owner_email)),
        ("department", opt(&h.department_name)),
        ("location", h.location.clone()),
        ("status", h.status.clone()),
        ("purchase_date", opt(&h.purchase_date)),
        ("warranty_end", opt(&h.warranty_end)),
        ("notes", h.notes.clone()),
        ("jenis", h.jenis.clone()),
        ("lisensi_windows", h.lisensi_windows.clone()),
        ("office", h.office.clone()),
        ("lisensi_office", h.lisensi_office.clone()),
        ("main_device", h.is_main.to_string()),
    ]
}

/// The fields that differ between `before` and `after`; a changed credential shows as changed
/// without its values.
pub fn diff(
    before: &Hardware,
    after: &Hardware,
    credential_changed: bool,
) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = fields(before)
        .into_iter()
        .zip(fields(after))
        .filter(|((_, a), (_, b))| a != b)
        .map(|((f, a), (_, b))| (f.to_string(), a, b))
        .collect();
    if credential_changed {
        let mask = |set: bool| if set { "••••••" } else { "" }.to_string();
        out.push((
            "credential".into(),
            mask(before.credential_set),
            mask(after.credential_set),
        ));
    }
    out
}

/// Write `changes` as history rows, many per statement (a software report can bring hundreds).
pub async fn record(
    conn: &mut AnyConnection,
    asset_id: i64,
    now: i64,
    source: &Source<'_>,
    changes: &[(String, String, String)],
) -> AppResult<()> {
    for chunk in changes.chunks(500) {
        let mut sql = Sql::new(
            "INSERT INTO hardware_history (asset_id, at, source, actor_id, actor_label, field, old_value, new_value) VALUES ",
        );
        for (i, (field, old, new)) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(Arg::Int(asset_id))
                .push(", ")
                .bind(Arg::Int(now))
                .push(", ")
                .bind(Arg::Text(source.kind.to_string()))
                .push(", ");
            match source.actor_id {
                Some(a) => sql.bind(Arg::Int(a)),
                None => sql.push("NULL"),
            };
            sql.push(", ")
                .bind(Arg::Text(source.label.clone()))
                .push(", ")
                .bind(Arg::Text(field.clone()))
                .push(", ")
                .bind(Arg::Text(old.clone()))
                .push(", ")
                .bind(Arg::Text(new.clone()))
                .push(")");
        }
        sql.query().execute(&mut *conn).await?;
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    at: i64,
    source: String,
    actor_id: Option<i64>,
    actor_label: String,
    field: String,
    old_value: String,
    new_value: String,
}

/// Newest first.
pub async fn list(conn: &mut AnyConnection, asset_id: i64) -> AppResult<Vec<HardwareHistoryEntry>> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, at, source, actor_id, actor_label, field, old_value, new_value \
         FROM hardware_history WHERE asset_id = $1 ORDER BY id DESC LIMIT 500",
    )
    .bind(asset_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| HardwareHistoryEntry {
            id: r.id,
            at: format_ms(r.at),
            source: r.source,
            actor_id: r.actor_id,
            actor_label: r.actor_label,
            field: r.field,
            old_value: r.old_value,
            new_value: r.new_value,
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct NamedRow {
    #[sqlx(flatten)]
    row: Row,
    actor_name: Option<String>,
}

/// Newest first, each with its author named (`asset_view::who`): people by the name their
/// account has now, collector reports by the name of the account they came for.
pub async fn list_named(
    conn: &mut AnyConnection,
    asset_id: i64,
) -> AppResult<Vec<super::asset_view::HistoryLine>> {
    use super::asset_view::{collector_email, who, HistoryLine};
    let rows: Vec<NamedRow> = sqlx::query_as(
        "SELECT h.id, h.at, h.source, h.actor_id, h.actor_label, h.field, h.old_value, \
         h.new_value, u.name AS actor_name FROM hardware_history h \
         LEFT JOIN users u ON u.id = h.actor_id WHERE h.asset_id = $1 ORDER BY h.id DESC LIMIT 500",
    )
    .bind(asset_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut emails: Vec<String> = rows
        .iter()
        .filter(|r| r.row.source == "collector")
        .filter_map(|r| collector_email(&r.row.actor_label).map(str::to_string))
        .collect();
    emails.sort();
    emails.dedup();
    let mut names = std::collections::HashMap::new();
    for chunk in emails.chunks(100) {
        let mut sql = Sql::new("SELECT email, name FROM users WHERE email IN (");
        for (i, e) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(Arg::Text(e.clone()));
        }
        sql.push(")");
        let found: Vec<(String, String)> = sql.query_as().fetch_all(&mut *conn).await?;
        names.extend(found);
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let collector = collector_email(&r.row.actor_label).and_then(|e| names.get(e).cloned());
            let entry = HardwareHistoryEntry {
                id: r.row.id,
                at: format_ms(r.row.at),
                source: r.row.source,
                actor_id: r.row.actor_id,
                actor_label: r.row.actor_label,
                field: r.row.field,
                old_value: r.row.old_value,
                new_value: r.row.new_value,
            };
            let who = who(&entry, r.actor_name, collector);
            HistoryLine { entry, who }
        })
        .collect())
}
