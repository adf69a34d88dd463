//! SQL for the software catalog and installations, including the batched replacement of a
//! device's installation set (one read, one diff, multi-row writes).

use std::collections::{HashMap, HashSet};

use sqlx::AnyConnection;

use super::{DeviceRef, InstallDiff, Installation, Software, SoftwareFilter, SoftwareItem};
use crate::clock::format_ms;
use crate::db::sql::{Arg, Sql};
use crate::error::AppResult;
use crate::inventory::history::{self, Source};

/// Rows per multi-row statement (6 values each stays far below both backends' bind limits).
const CHUNK: usize = 500;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    name: String,
    vendor: String,
    version: String,
    installations: i64,
    created_at: i64,
    updated_at: i64,
}

impl From<Row> for Software {
    fn from(r: Row) -> Self {
        Software {
            id: r.id,
            name: r.name,
            vendor: r.vendor,
            version: r.version,
            installations: r.installations,
            created_at: format_ms(r.created_at),
            updated_at: format_ms(r.updated_at),
        }
    }
}

const SELECT: &str = "SELECT s.id, s.name, s.vendor, s.version, \
     (SELECT COUNT(*) FROM software_installations i WHERE i.software_id = s.id) AS installations, \
     s.created_at, s.updated_at FROM software s";

pub async fn get(conn: &mut AnyConnection, id: i64) -> AppResult<Option<Software>> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE s.id = $1")))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(Software::from))
}

/// `LIKE` text matching `q` anywhere, with the wildcards in `q` taken literally.
fn like(q: &str) -> String {
    let mut out = String::from("%");
    for c in q.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// One page of the catalog, newest first (keyset on id).
pub async fn list(
    conn: &mut AnyConnection,
    f: &SoftwareFilter,
    cursor: Option<i64>,
    limit: i64,
) -> AppResult<Vec<Software>> {
    let mut sql = Sql::new(SELECT);
    sql.push(" WHERE 1 = 1");
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = Arg::Text(like(q));
        sql.push(" AND (s.name_key LIKE ")
            .bind(pattern.clone())
            .push(" ESCAPE '\\' OR s.vendor_key LIKE ")
            .bind(pattern)
            .push(" ESCAPE '\\')");
    }
    if let Some(d) = f.device {
        sql.push(" AND s.id IN (SELECT software_id FROM software_installations WHERE device_id = ")
            .bind(Arg::Int(d))
            .push(")");
    }
    if let Some(c) = cursor {
        sql.push(" AND s.id < ").bind(Arg::Int(c));
    }
    sql.push(" ORDER BY s.id DESC LIMIT ")
        .bind(Arg::Int(limit + 1));
    let rows: Vec<Row> = sql.query_as().fetch_all(conn).await?;
    Ok(rows.into_iter().map(Software::from).collect())
}

/// The entry with this identity other than `except`, if any.
pub async fn find(
    conn: &mut AnyConnection,
    item: &SoftwareItem,
    except: i64,
) -> AppResult<Option<i64>> {
    let (n, v, ver) = item.key();
    Ok(sqlx::query_scalar(
        "SELECT id FROM software WHERE name_key = $1 AND vendor_key = $2 AND version = $3 AND id <> $4",
    )
    .bind(n)
    .bind(v)
    .bind(ver)
    .bind(except)
    .fetch_optional(conn)
    .await?)
}

pub async fn insert(conn: &mut AnyConnection, item: &SoftwareItem, now: i64) -> AppResult<i64> {
    let (n, v, _) = item.key();
    Ok(sqlx::query_scalar(
        "INSERT INTO software (name, vendor, version, name_key, vendor_key, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
    )
    .bind(item.name.clone())
    .bind(item.vendor.clone())
    .bind(item.version.clone())
    .bind(n)
    .bind(v)
    .bind(now)
    .fetch_one(conn)
    .await?)
}

pub async fn update(
    conn: &mut AnyConnection,
    id: i64,
    item: &SoftwareItem,
    now: i64,
) -> AppResult<()> {
    let (n, v, _) = item.key();
    sqlx::query(
        "UPDATE software SET name = $2, vendor = $3, version = $4, name_key = $5, vendor_key = $6, \
         updated_at = $7 WHERE id = $1",
    )
    .bind(id)
    .bind(item.name.clone())
    .bind(item.vendor.clone())
    .bind(item.version.clone())
    .bind(n)
    .bind(v)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete(conn: &mut AnyConnection, id: i64) -> AppResult<()> {
    sqlx::query("DELETE FROM software WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// id, name, hostname, department, owner.
type DeviceRow = (i64, String, String, Option<i64>, Option<i64>);

/// The devices an entry is installed on, with their department and owner for scoping.
pub async fn devices_of(
    conn: &mut AnyConnection,
    software_id: i64,
) -> AppResult<Vec<(DeviceRef, Option<i64>, Option<i64>)>> {
    let rows: Vec<DeviceRow> = sqlx::query_as(
        "SELECT h.id, h.name, h.hostname, h.department_id, h.owner_id FROM software_installations i \
         JOIN hardware_assets h ON h.id = i.device_id WHERE i.software_id = $1 ORDER BY h.id LIMIT 5000",
    )
    .bind(software_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, hostname, d, o)| (DeviceRef { id, name, hostname }, d, o))
        .collect())
}

#[derive(sqlx::FromRow)]
struct InstRow {
    software_id: i64,
    name: String,
    vendor: String,
    version: String,
    installed_on: Option<String>,
}

/// A device's installations, by name.
pub async fn installations(
    conn: &mut AnyConnection,
    device_id: i64,
) -> AppResult<Vec<Installation>> {
    let rows: Vec<InstRow> = sqlx::query_as(
        "SELECT s.id AS software_id, s.name, s.vendor, s.version, i.installed_on \
         FROM software_installations i JOIN software s ON s.id = i.software_id \
         WHERE i.device_id = $1 ORDER BY s.name_key, s.version, s.id",
    )
    .bind(device_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Installation {
            software_id: r.software_id,
            name: r.name,
            vendor: r.vendor,
            version: r.version,
            installed_on: r.installed_on,
        })
        .collect())
}

/// Separators of the packed identities below: control characters, which no catalog text holds
/// (reports are cleaned of them and the API refuses them; a row that has one anyway makes the
/// packed read give up and fall back to plain rows).
const FIELD: char = '\u{1f}';
const RECORD: char = '\u{1e}';

/// (software id, name key, vendor key, version) of everything installed on a device. Read as one
/// packed string: 800 rows cost about 2 ms through the driver, one row a tenth of that.
async fn installed_identities(
    conn: &mut AnyConnection,
    device_id: i64,
) -> AppResult<Vec<(i64, String, String, String)>> {
    let (concat, sep_field, sep_record) = if conn
        .backend_name()
        .to_ascii_lowercase()
        .starts_with("postgres")
    {
        ("string_agg", "chr(31)", "chr(30)")
    } else {
        ("group_concat", "char(31)", "char(30)")
    };
    let text = format!(
        "SELECT {concat}(CAST(i.software_id AS TEXT) || {sep_field} || s.name_key || {sep_field} \
         || s.vendor_key || {sep_field} || s.version, {sep_record}) \
         FROM software_installations i JOIN software s ON s.id = i.software_id \
         WHERE i.device_id = $1"
    );
    let packed: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(text))
        .bind(device_id)
        .fetch_one(&mut *conn)
        .await?;
    if let Some(rows) = packed.as_deref().map(unpack).unwrap_or(Some(Vec::new())) {
        return Ok(rows);
    }
    Ok(sqlx::query_as(
        "SELECT i.software_id, s.name_key, s.vendor_key, s.version \
         FROM software_installations i JOIN software s ON s.id = i.software_id \
         WHERE i.device_id = $1",
    )
    .bind(device_id)
    .fetch_all(conn)
    .await?)
}

/// Split the packed identities; `None` when a record does not have exactly four fields.
fn unpack(packed: &str) -> Option<Vec<(i64, String, String, String)>> {
    packed
        .split(RECORD)
        .map(|record| {
            let mut f = record.split(FIELD);
            let id = f.next()?.parse().ok()?;
            let row = (
                id,
                f.next()?.to_string(),
                f.next()?.to_string(),
                f.next()?.to_string(),
            );
            f.next().is_none().then_some(row)
        })
        .collect()
}

/// Make the device's installations exactly `items` (checked and trimmed by the caller): add the
/// missing catalog entries, insert and delete installations, and write one history entry per
/// change. Re-sending the same list writes nothing.
pub async fn replace_installations(
    conn: &mut AnyConnection,
    device_id: i64,
    items: &[SoftwareItem],
    now: i64,
    source: &Source<'_>,
) -> AppResult<InstallDiff> {
    let current = installed_identities(conn, device_id).await?;
    let mut wanted: Vec<&SoftwareItem> = Vec::with_capacity(items.len());
    let mut seen = HashSet::new();
    for item in items {
        if seen.insert(item.key()) {
            wanted.push(item);
        }
    }
    let have: HashMap<(String, String, String), i64> = current
        .into_iter()
        .map(|(id, name, vendor, version)| ((name, vendor, version), id))
        .collect();
    let added: Vec<SoftwareItem> = wanted
        .iter()
        .filter(|w| !have.contains_key(&w.key()))
        .map(|w| (*w).clone())
        .collect();
    let removed_ids: Vec<i64> = have
        .iter()
        .filter(|(k, _)| !seen.contains(*k))
        .map(|(_, id)| *id)
        .collect();
    let mut removed: Vec<SoftwareItem> = Vec::with_capacity(removed_ids.len());
    for chunk in removed_ids.chunks(CHUNK) {
        let mut sql = Sql::new("SELECT name, vendor, version FROM software WHERE id IN ");
        sql.bind_list(chunk);
        let rows: Vec<(String, String, String)> = sql.query_as().fetch_all(&mut *conn).await?;
        removed.extend(
            rows.into_iter()
                .map(|(name, vendor, version)| SoftwareItem {
                    name,
                    vendor,
                    version,
                }),
        );
        let mut sql = Sql::new("DELETE FROM software_installations WHERE device_id = ");
        sql.bind(Arg::Int(device_id))
            .push(" AND software_id IN ")
            .bind_list(chunk);
        sql.query().execute(&mut *conn).await?;
    }
    if !added.is_empty() {
        let ids = ensure_catalog(conn, &added, now).await?;
        for chunk in ids.chunks(CHUNK) {
            let mut sql = Sql::new(
                "INSERT INTO software_installations (device_id, software_id, created_at) VALUES ",
            );
            for (i, id) in chunk.iter().enumerate() {
                sql.push(if i == 0 { "(" } else { ", (" });
                sql.bind(Arg::Int(device_id))
                    .push(", ")
                    .bind(Arg::Int(*id))
                    .push(", ")
                    .bind(Arg::Int(now))
                    .push(")");
            }
            sql.push(" ON CONFLICT DO NOTHING");
            sql.query().execute(&mut *conn).await?;
        }
    }
    removed.sort_by_key(SoftwareItem::key);
    let mut changes: Vec<(String, String, String)> = Vec::new();
    for a in &added {
        changes.push(("software added".into(), String::new(), a.label()));
    }
    for r in &removed {
        changes.push(("software removed".into(), r.label(), String::new()));
    }
    history::record(conn, device_id, now, source, &changes).await?;
    Ok(InstallDiff { added, removed })
}

/// The catalog ids of `items` (distinct identities), creating the entries that are missing.
async fn ensure_catalog(
    conn: &mut AnyConnection,
    items: &[SoftwareItem],
    now: i64,
) -> AppResult<Vec<i64>> {
    for chunk in items.chunks(CHUNK) {
        let mut sql = Sql::new(
            "INSERT INTO software (name, vendor, version, name_key, vendor_key, created_at, updated_at) VALUES ",
        );
        for (i, item) in chunk.iter().enumerate() {
            let (n, v, _) = item.key();
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(Arg::Text(item.name.clone()))
                .push(", ")
                .bind(Arg::Text(item.vendor.clone()))
                .push(", ")
                .bind(Arg::Text(item.version.clone()))
                .push(", ")
                .bind(Arg::Text(n))
                .push(", ")
                .bind(Arg::Text(v))
                .push(", ")
                .bind(Arg::Int(now))
                .push(", ")
                .bind(Arg::Int(now))
                .push(")");
        }
        sql.push(" ON CONFLICT DO NOTHING");
        sql.query().execute(&mut *conn).await?;
    }
    let mut ids = Vec::with_capacity(items.len());
    for chunk in items.chunks(CHUNK) {
        let names: Vec<String> = chunk
            .iter()
            .map(|i| i.name.to_lowercase())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut sql =
            Sql::new("SELECT id, name_key, vendor_key, version FROM software WHERE name_key IN (");
        for (i, n) in names.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(Arg::Text(n.clone()));
        }
        sql.push(")");
        let rows: Vec<(i64, String, String, String)> = sql.query_as().fetch_all(&mut *conn).await?;
        let by_key: HashMap<(String, String, String), i64> = rows
            .into_iter()
            .map(|(id, n, v, ver)| ((n, v, ver), id))
            .collect();
        ids.extend(chunk.iter().filter_map(|i| by_key.get(&i.key()).copied()));
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_identities_round_trip_and_odd_records_are_refused() {
        let packed =
            format!("7{FIELD}vim{FIELD}{FIELD}9.0{RECORD}8{FIELD}zsh{FIELD}debian{FIELD}5");
        assert_eq!(
            unpack(&packed),
            Some(vec![
                (7, "vim".into(), String::new(), "9.0".into()),
                (8, "zsh".into(), "debian".into(), "5".into()),
            ])
        );
        assert_eq!(unpack(&format!("7{FIELD}a{FIELD}b{FIELD}c{FIELD}d")), None);
        assert_eq!(unpack("x"), None);
    }
}
