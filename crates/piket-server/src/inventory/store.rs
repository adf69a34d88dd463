//! SQL for hardware assets.

use sqlx::AnyConnection;

use super::{Hardware, HardwareFilter};
use crate::auth::actor::Actor;
use crate::clock::format_ms;
use crate::db::fold;
use crate::db::scope::push_scope;
use crate::db::sql::{Arg, Sql};
use crate::error::AppResult;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    asset_tag: String,
    name: String,
    kind: String,
    manufacturer: String,
    model: String,
    serial: String,
    cpu: String,
    ram_mb: Option<i64>,
    storage: String,
    os: String,
    hostname: String,
    ip_addresses: String,
    mac_addresses: String,
    owner_id: Option<i64>,
    owner_name: Option<String>,
    owner_email: Option<String>,
    department_id: Option<i64>,
    department_name: Option<String>,
    location: String,
    status: String,
    purchase_date: Option<String>,
    warranty_end: Option<String>,
    notes: String,
    jenis: String,
    lisensi_windows: String,
    credential_set: i64,
    office: String,
    lisensi_office: String,
    is_main: i64,
    created_at: i64,
    updated_at: i64,
}

impl From<Row> for Hardware {
    fn from(r: Row) -> Self {
        Hardware {
            id: r.id,
            asset_tag: r.asset_tag,
            name: r.name,
            kind: r.kind,
            manufacturer: r.manufacturer,
            model: r.model,
            serial: r.serial,
            cpu: r.cpu,
            ram_mb: r.ram_mb,
            storage: r.storage,
            os: r.os,
            hostname: r.hostname,
            ip_addresses: r.ip_addresses,
            mac_addresses: r.mac_addresses,
            owner_id: r.owner_id,
            owner_name: r.owner_name,
            owner_email: r.owner_email,
            department_id: r.department_id,
            department_name: r.department_name,
            location: r.location,
            status: r.status,
            purchase_date: r.purchase_date,
            warranty_end: r.warranty_end,
            notes: r.notes,
            jenis: r.jenis,
            lisensi_windows: r.lisensi_windows,
            credential_set: r.credential_set != 0,
            office: r.office,
            lisensi_office: r.lisensi_office,
            is_main: r.is_main != 0,
            created_at: format_ms(r.created_at),
            updated_at: format_ms(r.updated_at),
        }
    }
}

const SELECT: &str =
    "SELECT h.id, h.asset_tag, h.name, h.kind, h.manufacturer, h.model, h.serial, h.cpu, \
     h.ram_mb, h.storage, h.os, h.hostname, h.ip_addresses, h.mac_addresses, h.owner_id, \
     u.name AS owner_name, u.email AS owner_email, h.department_id, d.name AS department_name, \
     h.location, h.status, h.purchase_date, h.warranty_end, h.notes, h.jenis, h.lisensi_windows, \
     CASE WHEN h.credential <> '' THEN 1 ELSE 0 END AS credential_set, h.office, h.lisensi_office, \
     h.is_main, h.created_at, h.updated_at \
     FROM hardware_assets h LEFT JOIN users u ON u.id = h.owner_id \
     LEFT JOIN departments d ON d.id = h.department_id";

pub async fn get(conn: &mut AnyConnection, id: i64) -> AppResult<Option<Hardware>> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE h.id = $1")))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(Hardware::from))
}

pub async fn main_of(conn: &mut AnyConnection, owner: i64) -> AppResult<Option<Hardware>> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE h.owner_id = $1 AND h.is_main = 1"
    )))
    .bind(owner)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Hardware::from))
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

/// One page of assets the actor reaches, newest first (keyset on id).
/// Those of `ids` (at most a few hundred) the actor reaches, by name.
pub async fn by_ids(
    conn: &mut AnyConnection,
    actor: &Actor,
    ids: &[i64],
) -> AppResult<Vec<Hardware>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(SELECT);
    sql.push(" WHERE h.id IN ").bind_list(ids);
    push_scope(
        &mut sql,
        &super::SCOPE_RULE,
        actor.scope,
        &actor.departments,
        actor.user_id,
    );
    sql.push(" ORDER BY h.name, h.id");
    let rows: Vec<Row> = sql.query_as().fetch_all(conn).await?;
    Ok(rows.into_iter().map(Hardware::from).collect())
}

pub async fn list(
    conn: &mut AnyConnection,
    actor: &Actor,
    f: &HardwareFilter,
    cursor: Option<i64>,
    limit: i64,
) -> AppResult<Vec<Hardware>> {
    let mut sql = Sql::new(SELECT);
    sql.push(" WHERE 1 = 1");
    push_scope(
        &mut sql,
        &super::SCOPE_RULE,
        actor.scope,
        &actor.departments,
        actor.user_id,
    );
    if let Some(k) = &f.kind {
        sql.push(" AND h.kind = ").bind(Arg::Text(k.clone()));
    }
    if let Some(s) = &f.status {
        sql.push(" AND h.status = ").bind(Arg::Text(s.clone()));
    }
    if let Some(d) = f.department {
        sql.push(" AND h.department_id = ").bind(Arg::Int(d));
    }
    if let Some(o) = f.owner {
        sql.push(" AND h.owner_id = ").bind(Arg::Int(o));
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = Arg::Text(like(q));
        sql.push(" AND (");
        const COLUMNS: &[&str] = &[
            "h.name",
            "h.hostname",
            "h.serial",
            "h.asset_tag",
            "h.ip_addresses",
            "u.name",
            "u.email",
        ];
        for (i, col) in COLUMNS.iter().enumerate() {
            if i > 0 {
                sql.push(" OR ");
            }
            sql.push("lower(COALESCE(")
                .push(col)
                .push(", '')) LIKE ")
                .bind(pattern.clone())
                .push(" ESCAPE '\\'");
        }
        sql.push(")");
    }
    if let Some(c) = cursor {
        sql.push(" AND h.id < ").bind(Arg::Int(c));
    }
    sql.push(" ORDER BY h.id DESC LIMIT ")
        .bind(Arg::Int(limit + 1));
    let rows: Vec<Row> = sql.query_as().fetch_all(conn).await?;
    Ok(rows.into_iter().map(Hardware::from).collect())
}

/// The credential as stored: sealed (`secrets::HARDWARE_CREDENTIAL.at(id)` opens it), or empty.
pub async fn credential(conn: &mut AnyConnection, id: i64) -> AppResult<String> {
    Ok(
        sqlx::query_scalar("SELECT credential FROM hardware_assets WHERE id = $1")
            .bind(id)
            .fetch_one(conn)
            .await?,
    )
}

/// Store an already sealed credential.
pub async fn set_credential(conn: &mut AnyConnection, id: i64, sealed: &str) -> AppResult<()> {
    sqlx::query("UPDATE hardware_assets SET credential = $2 WHERE id = $1")
        .bind(id)
        .bind(sealed.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// The columns written on insert and update, in bind order after the id.
const COLUMNS: &str =
    "asset_tag, name, kind, manufacturer, model, serial, cpu, ram_mb, storage, os, \
     hostname, ip_addresses, mac_addresses, owner_id, department_id, location, status, \
     purchase_date, warranty_end, notes, jenis, lisensi_windows, credential, office, \
     lisensi_office, is_main, tag_key";

/// A validated asset as stored. The credential is the column's text, sealed (see `secrets`):
/// callers pass on what `credential` read; a new one reaches the row through
/// `service::write_with`, which seals it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    pub asset_tag: String,
    pub name: String,
    pub kind: String,
    pub manufacturer: String,
    pub model: String,
    pub serial: String,
    pub cpu: String,
    pub ram_mb: Option<i64>,
    pub storage: String,
    pub os: String,
    pub hostname: String,
    pub ip_addresses: String,
    pub mac_addresses: String,
    pub owner_id: Option<i64>,
    pub department_id: Option<i64>,
    pub location: String,
    pub status: String,
    pub purchase_date: Option<String>,
    pub warranty_end: Option<String>,
    pub notes: String,
    pub jenis: String,
    pub lisensi_windows: String,
    pub credential: String,
    pub office: String,
    pub lisensi_office: String,
    pub is_main: bool,
}

impl Record {
    /// The stored record of an asset (the credential is not part of `Hardware`: pass it in).
    pub fn of(h: &super::Hardware, credential: String) -> Record {
        let i = super::HardwareInput::from(h);
        Record {
            asset_tag: i.asset_tag,
            name: i.name,
            kind: i.kind,
            manufacturer: i.manufacturer,
            model: i.model,
            serial: i.serial,
            cpu: i.cpu,
            ram_mb: i.ram_mb,
            storage: i.storage,
            os: i.os,
            hostname: i.hostname,
            ip_addresses: i.ip_addresses,
            mac_addresses: i.mac_addresses,
            owner_id: i.owner_id,
            department_id: i.department_id,
            location: i.location,
            status: i.status,
            purchase_date: i.purchase_date,
            warranty_end: i.warranty_end,
            notes: i.notes,
            jenis: i.jenis,
            lisensi_windows: i.lisensi_windows,
            credential,
            office: i.office,
            lisensi_office: i.lisensi_office,
            is_main: h.is_main,
        }
    }
}

fn bind_record<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    r: &Record,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    q.bind(r.asset_tag.clone())
        .bind(r.name.clone())
        .bind(r.kind.clone())
        .bind(r.manufacturer.clone())
        .bind(r.model.clone())
        .bind(r.serial.clone())
        .bind(r.cpu.clone())
        .bind(r.ram_mb)
        .bind(r.storage.clone())
        .bind(r.os.clone())
        .bind(r.hostname.clone())
        .bind(r.ip_addresses.clone())
        .bind(r.mac_addresses.clone())
        .bind(r.owner_id)
        .bind(r.department_id)
        .bind(r.location.clone())
        .bind(r.status.clone())
        .bind(r.purchase_date.clone())
        .bind(r.warranty_end.clone())
        .bind(r.notes.clone())
        .bind(r.jenis.clone())
        .bind(r.lisensi_windows.clone())
        .bind(r.credential.clone())
        .bind(r.office.clone())
        .bind(r.lisensi_office.clone())
        .bind(i64::from(r.is_main))
        .bind(fold::key(&r.asset_tag))
}

pub async fn insert(conn: &mut AnyConnection, r: &Record, now: i64) -> AppResult<i64> {
    let placeholders: Vec<String> = (2..=28).map(|n| format!("${n}")).collect();
    let text = format!(
        "INSERT INTO hardware_assets ({COLUMNS}, created_at, updated_at) VALUES ({}, $1, $1) RETURNING id",
        placeholders.join(", ")
    );
    let q = sqlx::query(sqlx::AssertSqlSafe(text)).bind(now);
    let row = bind_record(q, r).fetch_one(conn).await?;
    use sqlx::Row as _;
    Ok(row.try_get::<i64, _>(0)?)
}

pub async fn update(conn: &mut AnyConnection, id: i64, r: &Record, now: i64) -> AppResult<()> {
    let sets: Vec<String> = COLUMNS
        .split(',')
        .enumerate()
        .map(|(i, c)| format!("{} = ${}", c.trim(), i + 3))
        .collect();
    let text = format!(
        "UPDATE hardware_assets SET {}, updated_at = $2 WHERE id = $1",
        sets.join(", ")
    );
    let q = sqlx::query(sqlx::AssertSqlSafe(text)).bind(id).bind(now);
    bind_record(q, r).execute(conn).await?;
    Ok(())
}

/// Take the main-device flag from the owner's other devices (before `id` takes it); their ids.
pub async fn clear_other_main(
    conn: &mut AnyConnection,
    owner: i64,
    id: i64,
) -> AppResult<Vec<i64>> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM hardware_assets WHERE owner_id = $1 AND id <> $2 AND is_main = 1",
    )
    .bind(owner)
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE hardware_assets SET is_main = 0 WHERE owner_id = $1 AND id <> $2 AND is_main = 1",
    )
    .bind(owner)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(ids)
}

pub async fn delete(conn: &mut AnyConnection, id: i64) -> AppResult<()> {
    sqlx::query("DELETE FROM hardware_assets WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Active users to choose an owner from (id, name, email), by name.
pub async fn owner_choices(conn: &mut AnyConnection) -> AppResult<Vec<(i64, String, String)>> {
    Ok(sqlx::query_as(
        "SELECT id, name, email FROM users WHERE disabled = 0 ORDER BY lower(name), id LIMIT 1000",
    )
    .fetch_all(conn)
    .await?)
}

/// A user by email: (id, name, lowest department id).
pub async fn user_by_email(
    conn: &mut AnyConnection,
    email: &str,
) -> AppResult<Option<(i64, String, Option<i64>)>> {
    Ok(sqlx::query_as(
        "SELECT u.id, u.name, (SELECT MIN(department_id) FROM user_departments ud WHERE ud.user_id = u.id) \
         FROM users u WHERE u.email = $1 AND u.disabled = 0",
    )
    .bind(email)
    .fetch_optional(conn)
    .await?)
}

pub async fn user_exists(conn: &mut AnyConnection, id: i64) -> AppResult<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE id = $1")
        .bind(id)
        .fetch_one(conn)
        .await?;
    Ok(n > 0)
}

pub async fn tag_taken(conn: &mut AnyConnection, tag: &str, except: i64) -> AppResult<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM hardware_assets WHERE tag_key <> '' AND tag_key = $1 AND id <> $2",
    )
    .bind(fold::key(tag))
    .bind(except)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}
