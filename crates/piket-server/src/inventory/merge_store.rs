//! SQL for merging a duplicate asset into another: every row that points at the duplicate moves
//! to the survivor, skipping rows the survivor already has (plain SQL both backends run); and
//! the merge suggestions reports leave.

use sqlx::AnyConnection;

use crate::db::fold;
use crate::error::AppResult;

/// Move what hangs off asset `from` onto asset `into`. Rows the survivor already has stay with
/// `from` and go when it is deleted.
pub async fn move_rows(conn: &mut AnyConnection, into: i64, from: i64) -> AppResult<()> {
    const STATEMENTS: &[&str] = &[
        "INSERT INTO software_installations (device_id, software_id, installed_on, created_at) \
         SELECT $1, s.software_id, s.installed_on, s.created_at FROM software_installations s \
         WHERE s.device_id = $2 AND NOT EXISTS (SELECT 1 FROM software_installations x \
         WHERE x.device_id = $1 AND x.software_id = s.software_id)",
        "INSERT INTO license_devices (license_id, device_id) \
         SELECT l.license_id, $1 FROM license_devices l WHERE l.device_id = $2 \
         AND NOT EXISTS (SELECT 1 FROM license_devices x WHERE x.device_id = $1 AND x.license_id = l.license_id)",
        "INSERT INTO ticket_assets (ticket_id, asset_id, created_at) \
         SELECT a.ticket_id, $1, a.created_at FROM ticket_assets a WHERE a.asset_id = $2 \
         AND NOT EXISTS (SELECT 1 FROM ticket_assets x WHERE x.asset_id = $1 AND x.ticket_id = a.ticket_id)",
        "UPDATE asset_identities SET asset_id = $1 WHERE asset_id = $2",
        "UPDATE agent_devices SET asset_id = $1 WHERE asset_id = $2",
        "UPDATE hardware_history SET asset_id = $1 WHERE asset_id = $2",
        // The newer of the two last reports stays.
        "DELETE FROM asset_reports WHERE asset_id = $1 AND EXISTS (SELECT 1 FROM asset_reports o \
         WHERE o.asset_id = $2 AND o.received_at > asset_reports.received_at)",
        "UPDATE asset_reports SET asset_id = $1 WHERE asset_id = $2 \
         AND NOT EXISTS (SELECT 1 FROM asset_reports s WHERE s.asset_id = $1)",
    ];
    for text in STATEMENTS {
        sqlx::query(*text)
            .bind(into)
            .bind(from)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// An asset's id by its number or, failing that, its asset tag (case-insensitive).
pub async fn find_by_ref(conn: &mut AnyConnection, reference: &str) -> AppResult<Option<i64>> {
    let reference = reference.trim().trim_start_matches('#');
    if reference.is_empty() {
        return Ok(None);
    }
    if let Ok(id) = reference.parse::<i64>() {
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM hardware_assets WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(
        sqlx::query_scalar("SELECT id FROM hardware_assets WHERE tag_key <> '' AND tag_key = $1")
            .bind(fold::key(reference))
            .fetch_optional(conn)
            .await?,
    )
}

/// A merge suggestion with both assets' names, times in ms.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SuggestionRow {
    pub id: i64,
    pub asset_id: i64,
    pub asset_name: String,
    pub other_id: i64,
    pub other_name: String,
    pub reason: String,
    pub source: String,
    pub created_at: i64,
}

const SUGGESTION: &str = "SELECT s.id, s.asset_id, a.name AS asset_name, s.other_id, \
     o.name AS other_name, s.reason, s.source, s.created_at FROM asset_merge_suggestions s \
     JOIN hardware_assets a ON a.id = s.asset_id JOIN hardware_assets o ON o.id = s.other_id";

/// The suggestions that involve an asset, on either side, newest first.
pub async fn suggestions_of(conn: &mut AnyConnection, asset: i64) -> AppResult<Vec<SuggestionRow>> {
    let sql = format!(
        "{SUGGESTION} WHERE s.asset_id = $1 OR s.other_id = $1 ORDER BY s.id DESC LIMIT 50"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(asset)
        .fetch_all(conn)
        .await?)
}

pub async fn suggestion(conn: &mut AnyConnection, id: i64) -> AppResult<Option<SuggestionRow>> {
    let sql = format!("{SUGGESTION} WHERE s.id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

pub async fn delete_suggestion(conn: &mut AnyConnection, id: i64) -> AppResult<()> {
    sqlx::query("DELETE FROM asset_merge_suggestions WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
