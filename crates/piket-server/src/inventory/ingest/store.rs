//! SQL of report ingestion: finding the asset a report belongs to, and keeping the last report
//! and the identities it came under, and the merge suggestions a report leaves.

use sqlx::AnyConnection;

use crate::error::AppResult;

/// The asset an identity (`kind`, `value`) reported into before.
pub async fn by_identity(
    conn: &mut AnyConnection,
    kind: &str,
    value: &str,
) -> AppResult<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT asset_id FROM asset_identities WHERE kind = $1 AND value = $2")
            .bind(kind)
            .bind(value)
            .fetch_optional(conn)
            .await?,
    )
}

/// The newest asset with this serial (lowercased) whose manufacturer agrees when both are known.
pub async fn by_serial(
    conn: &mut AnyConnection,
    serial: &str,
    manufacturer: &str,
) -> AppResult<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM hardware_assets WHERE lower(serial) = $1 AND serial <> '' \
         AND ($2 = '' OR manufacturer = '' OR lower(manufacturer) = $2) \
         ORDER BY updated_at DESC, id DESC LIMIT 1",
    )
    .bind(serial.to_lowercase())
    .bind(manufacturer.to_lowercase())
    .fetch_optional(conn)
    .await?)
}

/// The newest asset with this hostname (lowercased) that does not carry a different serial.
pub async fn by_hostname(
    conn: &mut AnyConnection,
    hostname: &str,
    serial: &str,
) -> AppResult<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM hardware_assets WHERE lower(hostname) = $1 AND hostname <> '' \
         AND ($2 = '' OR serial = '' OR lower(serial) = $2) \
         ORDER BY updated_at DESC, id DESC LIMIT 1",
    )
    .bind(hostname.to_lowercase())
    .bind(serial.to_lowercase())
    .fetch_optional(conn)
    .await?)
}

/// Note that an unchanged report arrived.
pub async fn touch_report(conn: &mut AnyConnection, asset: i64, now: i64) -> AppResult<()> {
    sqlx::query("UPDATE asset_reports SET received_at = $2 WHERE asset_id = $1")
        .bind(asset)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether the asset's last applied report came from `source` with this `fingerprint` (a read:
/// a changed report does not queue for SQLite's write lock just to learn that it changed).
pub async fn is_last(
    conn: &mut AnyConnection,
    asset: i64,
    source: &str,
    fingerprint: &str,
) -> AppResult<bool> {
    let same: Option<i64> = sqlx::query_scalar(
        "SELECT asset_id FROM asset_reports WHERE asset_id = $1 AND source = $2 AND fingerprint = $3",
    )
    .bind(asset)
    .bind(source)
    .bind(fingerprint)
    .fetch_optional(conn)
    .await?;
    Ok(same.is_some())
}

/// Note an unchanged report (see [`is_last`]); false when it is not one.
pub async fn touch_if_same(
    conn: &mut AnyConnection,
    asset: i64,
    source: &str,
    fingerprint: &str,
    now: i64,
) -> AppResult<bool> {
    if !is_last(&mut *conn, asset, source, fingerprint).await? {
        return Ok(false);
    }
    touch_report(conn, asset, now).await?;
    Ok(true)
}

/// Keep `inventory` (JSON) as the asset's last report.
pub async fn save_report(
    conn: &mut AnyConnection,
    asset: i64,
    source: &str,
    fingerprint: &str,
    inventory: &str,
    now: i64,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO asset_reports (asset_id, source, fingerprint, received_at, inventory) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (asset_id) DO UPDATE SET source = $2, \
         fingerprint = $3, received_at = $4, inventory = $5",
    )
    .bind(asset)
    .bind(source)
    .bind(fingerprint)
    .bind(now)
    .bind(inventory)
    .execute(conn)
    .await?;
    Ok(())
}

/// The last report of an asset: source, when, and the inventory JSON.
pub async fn report_of(
    conn: &mut AnyConnection,
    asset: i64,
) -> AppResult<Option<(String, i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT source, received_at, inventory FROM asset_reports WHERE asset_id = $1",
    )
    .bind(asset)
    .fetch_optional(conn)
    .await?)
}

/// Map an identity to an asset (moving it if it pointed elsewhere), binding it to `token` when
/// given (none keeps the token it is bound to).
pub async fn remember_identity(
    conn: &mut AnyConnection,
    kind: &str,
    value: &str,
    asset: i64,
    token: Option<i64>,
    now: i64,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO asset_identities (kind, value, asset_id, last_seen_at, token_id) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (kind, value) DO UPDATE SET asset_id = $3, \
         last_seen_at = $4, token_id = COALESCE($5, asset_identities.token_id)",
    )
    .bind(kind)
    .bind(value)
    .bind(asset)
    .bind(now)
    .bind(token)
    .execute(conn)
    .await?;
    Ok(())
}

/// The asset an identity reported into and the token it is bound to.
pub async fn identity(
    conn: &mut AnyConnection,
    kind: &str,
    value: &str,
) -> AppResult<Option<(i64, Option<i64>)>> {
    Ok(sqlx::query_as(
        "SELECT asset_id, token_id FROM asset_identities WHERE kind = $1 AND value = $2",
    )
    .bind(kind)
    .bind(value)
    .fetch_optional(conn)
    .await?)
}

/// Whether a device identity other than (`kind`, `value`) reports into the asset; a revoked
/// piket-agent no longer counts.
pub async fn owned_by_other(
    conn: &mut AnyConnection,
    asset: i64,
    kind: &str,
    value: &str,
) -> AppResult<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT i.asset_id FROM asset_identities i WHERE i.asset_id = $1 \
         AND NOT (i.kind = $2 AND i.value = $3) AND NOT EXISTS (SELECT 1 FROM agent_devices d \
         WHERE i.kind = 'piket' AND d.device_key = i.value AND d.revoked_at IS NOT NULL) LIMIT 1",
    )
    .bind(asset)
    .bind(kind)
    .bind(value)
    .fetch_optional(conn)
    .await?;
    Ok(found.is_some())
}

/// Note that asset `asset` (new) looks like asset `other`; once per pair.
pub async fn suggest_merge(
    conn: &mut AnyConnection,
    asset: i64,
    other: i64,
    reason: &str,
    source: &str,
    now: i64,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO asset_merge_suggestions (asset_id, other_id, reason, source, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (asset_id, other_id) DO NOTHING",
    )
    .bind(asset)
    .bind(other)
    .bind(reason)
    .bind(source)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}
