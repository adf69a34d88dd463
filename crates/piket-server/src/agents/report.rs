//! `POST /api/v1/agent/inventory`: an enrolled device's report. The device is named by its
//! credential only (`Bearer dev_….secret`); the asset comes from the device row, never the body.
//! An unchanged report (same fingerprint) only touches the time it was seen.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use piket_protocol::{
    parse_agent_credential, InventoryResponse, FINGERPRINT_HEADER, PROTOCOL_VERSION,
};
use sqlx::AnyConnection;

use super::body::{self, BodyError};
use super::reply;
use super::store::{self, DeviceRow};
use crate::auth::extract::ClientIp;
use crate::auth::token;
use crate::error::{AppError, AppResult};
use crate::inventory::ingest::{self, Origin, Trust};
use crate::state::AppState;

/// Agent report: `Authorization: Bearer dev_….secret`, a piket-protocol InventoryReport, optionally
/// `Content-Encoding: gzip` (at most 4 MiB sent, 16 MiB inflated). Answers
/// `{"status": "updated"|"unchanged", "asset_id", "fingerprint", "report_interval_hours"}`.
#[utoipa::path(post, path = "/api/v1/agent/inventory", tag = "agents", operation_id = "agent_inventory", security(("bearer" = [])),
    request_body(content = Object, description = "piket-protocol InventoryReport"),
    responses((status = 200, description = "piket-protocol InventoryResponse"),
        (status = 400, description = "bad_request or unsupported_protocol"), (status = 401, description = "invalid_credentials"),
        (status = 413, description = "too_large")))]
pub async fn handler(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    raw: Body,
) -> Response {
    match handle(&state, &ip, &headers, raw).await {
        Ok(r) => r,
        Err(AppError::Unavailable) => reply::unavailable(),
        Err(e) => {
            tracing::error!(error = %e, "agent report failed");
            reply::internal()
        }
    }
}

/// The enrolled, unrevoked device the `Authorization` header names.
async fn device(state: &AppState, headers: &HeaderMap) -> AppResult<Option<DeviceRow>> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Some((scheme, rest)) = value.split_once(' ') else {
        return Ok(None);
    };
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Ok(None);
    }
    let Some((key, secret)) = parse_agent_credential(rest.trim()) else {
        return Ok(None);
    };
    let mut conn = state.db.pool.acquire().await?;
    let found = store::device_by_key(&mut conn, key).await?;
    let expected = found
        .as_ref()
        .map(|d| d.secret_hash.clone())
        .unwrap_or_default();
    let matches = token::constant_time_eq(&token::hash_token(secret), &expected);
    Ok(found.filter(|d| matches && d.revoked_at.is_none()))
}

/// The cheap path: the agent names the fingerprint of its report in a header and it is the one
/// last applied to this device's asset, so the body is neither inflated nor parsed. A wrong claim can only
/// make the device's own asset miss an update: the asset comes from the credential.
async fn unchanged_by_header(
    state: &AppState,
    headers: &HeaderMap,
    device: &DeviceRow,
) -> AppResult<Option<Response>> {
    let Some(claimed) = headers
        .get(FINGERPRINT_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|f| !f.is_empty() && f.len() <= 64)
    else {
        return Ok(None);
    };
    let now = state.now();
    let mut conn = state.db.pool.acquire().await?;
    // Only the device's last-seen time moves: it already says the agent reported, so the asset's
    // last-report row keeps the time of the report that was applied.
    if !ingest::is_last_report(&mut conn, device.asset_id, "piket", claimed).await? {
        return Ok(None);
    }
    receipt(&mut conn, now, device, "", "unchanged", claimed.to_string())
        .await
        .map(Some)
}

/// Note the device as seen (and its agent version, when known) and answer the report.
async fn receipt(
    conn: &mut AnyConnection,
    now: i64,
    device: &DeviceRow,
    version: &str,
    status: &str,
    fingerprint: String,
) -> AppResult<Response> {
    store::seen(&mut *conn, device.id, version, now).await?;
    let interval = store::report_interval_hours(conn).await?;
    Ok(reply::json(
        StatusCode::OK,
        &InventoryResponse {
            status: status.to_string(),
            asset_id: device.asset_id,
            fingerprint,
            report_interval_hours: interval,
        },
    ))
}

fn refuse(e: BodyError) -> Response {
    match e {
        BodyError::TooLarge(m) => reply::too_large(m),
        BodyError::Bad(m) => reply::bad_request(m),
    }
}

async fn handle(state: &AppState, ip: &str, headers: &HeaderMap, raw: Body) -> AppResult<Response> {
    let Some(device) = device(state, headers).await? else {
        return Ok(reply::invalid_credentials());
    };
    // Read (size-capped) even when the header makes it unneeded: a client still sending its body
    // would otherwise see the connection closed under it.
    let sent = match body::read(headers, raw, body::MAX_COMPRESSED).await {
        Ok(b) => b,
        Err(e) => return Ok(refuse(e)),
    };
    if let Some(answer) = unchanged_by_header(state, headers, &device).await? {
        return Ok(answer);
    }
    // Inflating and parsing up to 16 MiB is CPU work: off the async threads.
    let encoding = body::encoding(headers);
    let parsed = tokio::task::spawn_blocking(move || {
        body::decode(&encoding, sent, body::MAX_DECOMPRESSED).and_then(|b| body::report(&b))
    })
    .await
    .map_err(|e| AppError::Internal(format!("report parsing stopped: {e}")))?;
    let report = match parsed {
        Ok(r) => r,
        Err(e) => return Ok(refuse(e)),
    };
    if report.protocol != PROTOCOL_VERSION {
        return Ok(reply::error(
            StatusCode::BAD_REQUEST,
            "unsupported_protocol",
            format!(
                "This server speaks protocol {PROTOCOL_VERSION}, not {}",
                report.protocol
            ),
        ));
    }
    let origin = Origin {
        kind: "piket",
        identity: Some(device.device_key.clone()),
        asset: Some(device.asset_id),
        department_id: None,
        trust: Trust::Device,
        label: format!("piket-agent {}", device.device_key),
        ip: ip.to_string(),
    };
    let done = ingest::ingest(state, &origin, &report.inventory).await?;
    let version: String = report.agent_version.chars().take(64).collect();
    let status = if done.changed { "updated" } else { "unchanged" };
    let mut conn = state.db.pool.acquire().await?;
    receipt(
        &mut conn,
        state.now(),
        &device,
        &version,
        status,
        done.fingerprint,
    )
    .await
}
