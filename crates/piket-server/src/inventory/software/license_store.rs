//! SQL for licences, their assignments and the compliance figures.

use sqlx::AnyConnection;

use super::licenses::{License, Record};
use crate::clock::format_ms;
use crate::db::sql::{Arg, Sql};
use crate::error::AppResult;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    product: String,
    vendor: String,
    key_set: i64,
    seats: i64,
    expires_on: Option<String>,
    notes: String,
    installed: i64,
    created_at: i64,
    updated_at: i64,
}

/// Devices with an installation whose name (and vendor, when the licence names one) matches.
const SELECT: &str = "SELECT l.id, l.product, l.vendor, \
     CASE WHEN l.license_key <> '' THEN 1 ELSE 0 END AS key_set, l.seats, l.expires_on, l.notes, \
     (SELECT COUNT(DISTINCT i.device_id) FROM software_installations i \
      JOIN software s ON s.id = i.software_id \
      WHERE s.name_key = l.product_key AND (l.vendor_key = '' OR s.vendor_key = l.vendor_key)) AS installed, \
     l.created_at, l.updated_at FROM licenses l";

async fn assignments(conn: &mut AnyConnection, id: i64) -> AppResult<(Vec<i64>, Vec<i64>)> {
    let devices: Vec<i64> = sqlx::query_scalar(
        "SELECT device_id FROM license_devices WHERE license_id = $1 ORDER BY device_id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let users: Vec<i64> = sqlx::query_scalar(
        "SELECT user_id FROM license_users WHERE license_id = $1 ORDER BY user_id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    Ok((devices, users))
}

async fn finish(conn: &mut AnyConnection, r: Row) -> AppResult<License> {
    let (device_ids, user_ids) = assignments(conn, r.id).await?;
    Ok(license(r, device_ids, user_ids))
}

fn license(r: Row, device_ids: Vec<i64>, user_ids: Vec<i64>) -> License {
    License {
        id: r.id,
        product: r.product,
        vendor: r.vendor,
        key_set: r.key_set != 0,
        seats: r.seats,
        expires_on: r.expires_on,
        notes: r.notes,
        installed: r.installed,
        device_ids,
        user_ids,
        created_at: format_ms(r.created_at),
        updated_at: format_ms(r.updated_at),
    }
}

/// The rows as licences: every row's assignments in two queries, not two per row.
async fn finish_all(conn: &mut AnyConnection, rows: Vec<Row>) -> AppResult<Vec<License>> {
    use std::collections::HashMap;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut assigned: HashMap<i64, (Vec<i64>, Vec<i64>)> = HashMap::new();
    for (head, devices) in [
        (
            "SELECT license_id, device_id FROM license_devices WHERE license_id IN ",
            true,
        ),
        (
            "SELECT license_id, user_id FROM license_users WHERE license_id IN ",
            false,
        ),
    ] {
        let mut sql = Sql::new(head);
        sql.bind_list(&ids).push(" ORDER BY 2");
        let pairs: Vec<(i64, i64)> = sql.query_as().fetch_all(&mut *conn).await?;
        for (license, other) in pairs {
            let entry = assigned.entry(license).or_default();
            if devices {
                entry.0.push(other);
            } else {
                entry.1.push(other);
            }
        }
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let (device_ids, user_ids) = assigned.remove(&r.id).unwrap_or_default();
            license(r, device_ids, user_ids)
        })
        .collect())
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> AppResult<Option<License>> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE l.id = $1")))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    match row {
        Some(r) => Ok(Some(finish(conn, r).await?)),
        None => Ok(None),
    }
}

/// Every licence, by product (an organisation holds tens to hundreds, not millions).
pub async fn all(conn: &mut AnyConnection) -> AppResult<Vec<License>> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} ORDER BY l.product_key, l.id LIMIT 2000"
    )))
    .fetch_all(&mut *conn)
    .await?;
    finish_all(conn, rows).await
}

/// The licences assigned to `device`, by product.
pub async fn for_device(conn: &mut AnyConnection, device: i64) -> AppResult<Vec<License>> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE l.id IN (SELECT license_id FROM license_devices WHERE device_id = $1) \
         ORDER BY l.product_key, l.id LIMIT 200"
    )))
    .bind(device)
    .fetch_all(&mut *conn)
    .await?;
    finish_all(conn, rows).await
}

/// The key as stored: sealed (`secrets::LICENSE_KEY.at(id)` opens it), or empty.
pub async fn key(conn: &mut AnyConnection, id: i64) -> AppResult<String> {
    Ok(
        sqlx::query_scalar("SELECT license_key FROM licenses WHERE id = $1")
            .bind(id)
            .fetch_one(conn)
            .await?,
    )
}

/// Store an already sealed key.
pub async fn set_key(conn: &mut AnyConnection, id: i64, sealed: &str) -> AppResult<()> {
    sqlx::query("UPDATE licenses SET license_key = $2 WHERE id = $1")
        .bind(id)
        .bind(sealed.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// Insert (`id` = None) or update, and replace the assignments; the id.
pub async fn save(
    conn: &mut AnyConnection,
    id: Option<i64>,
    r: &Record,
    now: i64,
) -> AppResult<i64> {
    let id = match id {
        Some(id) => {
            sqlx::query(
                "UPDATE licenses SET product = $2, vendor = $3, product_key = $4, vendor_key = $5, \
                 license_key = $6, seats = $7, expires_on = $8, notes = $9, updated_at = $10 WHERE id = $1",
            )
            .bind(id)
            .bind(r.product.clone())
            .bind(r.vendor.clone())
            .bind(r.product.to_lowercase())
            .bind(r.vendor.to_lowercase())
            .bind(r.key.clone())
            .bind(r.seats)
            .bind(r.expires_on.clone())
            .bind(r.notes.clone())
            .bind(now)
            .execute(&mut *conn)
            .await?;
            id
        }
        None => {
            sqlx::query_scalar(
                "INSERT INTO licenses (product, vendor, product_key, vendor_key, license_key, seats, \
                 expires_on, notes, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
                 RETURNING id",
            )
            .bind(r.product.clone())
            .bind(r.vendor.clone())
            .bind(r.product.to_lowercase())
            .bind(r.vendor.to_lowercase())
            .bind(r.key.clone())
            .bind(r.seats)
            .bind(r.expires_on.clone())
            .bind(r.notes.clone())
            .bind(now)
            .fetch_one(&mut *conn)
            .await?
        }
    };
    for table in ["license_devices", "license_users"] {
        let text = format!("DELETE FROM {table} WHERE license_id = $1");
        sqlx::query(sqlx::AssertSqlSafe(text))
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    assign(
        conn,
        "INSERT INTO license_devices (license_id, device_id) VALUES ",
        id,
        &r.device_ids,
    )
    .await?;
    assign(
        conn,
        "INSERT INTO license_users (license_id, user_id) VALUES ",
        id,
        &r.user_ids,
    )
    .await?;
    Ok(id)
}

async fn assign(
    conn: &mut AnyConnection,
    head: &'static str,
    id: i64,
    values: &[i64],
) -> AppResult<()> {
    for chunk in values.chunks(500) {
        let mut sql = Sql::new(head);
        for (i, v) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(Arg::Int(id))
                .push(", ")
                .bind(Arg::Int(*v))
                .push(")");
        }
        sql.push(" ON CONFLICT DO NOTHING");
        sql.query().execute(&mut *conn).await?;
    }
    Ok(())
}

pub async fn delete(conn: &mut AnyConnection, id: i64) -> AppResult<()> {
    sqlx::query("DELETE FROM licenses WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Those of `ids` that exist in `table` (`hardware_assets` or `users`): id, department, owner.
pub async fn existing(
    conn: &mut AnyConnection,
    table: &'static str,
    ids: &[i64],
) -> AppResult<Vec<(i64, Option<i64>, Option<i64>)>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let mut sql = Sql::new(if table == "users" {
            "SELECT id, CAST(NULL AS BIGINT) AS department_id, id AS owner_id FROM users WHERE id IN "
        } else {
            "SELECT id, department_id, owner_id FROM hardware_assets WHERE id IN "
        });
        sql.bind_list(chunk);
        let rows: Vec<(i64, Option<i64>, Option<i64>)> =
            sql.query_as().fetch_all(&mut *conn).await?;
        out.extend(rows);
    }
    Ok(out)
}

/// Which assignment: the licence's devices or its users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assignment {
    Device,
    User,
}

impl Assignment {
    fn table(self) -> (&'static str, &'static str) {
        match self {
            Assignment::Device => ("license_devices", "device_id"),
            Assignment::User => ("license_users", "user_id"),
        }
    }
}

/// Assign `target` to licence `id`; true if it was not already.
pub async fn add(
    conn: &mut AnyConnection,
    kind: Assignment,
    id: i64,
    target: i64,
) -> AppResult<bool> {
    let (table, column) = kind.table();
    let text = format!(
        "INSERT INTO {table} (license_id, {column}) VALUES ($1, $2) ON CONFLICT DO NOTHING"
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(text))
        .bind(id)
        .bind(target)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Take `target` off licence `id`; true if it was assigned.
pub async fn remove(
    conn: &mut AnyConnection,
    kind: Assignment,
    id: i64,
    target: i64,
) -> AppResult<bool> {
    let (table, column) = kind.table();
    let text = format!("DELETE FROM {table} WHERE license_id = $1 AND {column} = $2");
    let done = sqlx::query(sqlx::AssertSqlSafe(text))
        .bind(id)
        .bind(target)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Mark licence `id` changed at `now`.
pub async fn touch(conn: &mut AnyConnection, id: i64, now: i64) -> AppResult<()> {
    sqlx::query("UPDATE licenses SET updated_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}
