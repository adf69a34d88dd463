//! `POST /api/v1/agent/enroll`: trade an enrollment token for a device id and secret. An asset
//! with the same serial or hostname is adopted only within the token's reach and when no other
//! device identity owns it (`ingest::place`); otherwise a new asset is made with a merge
//! suggestion. A bad token changes nothing, answers 401 and counts towards a per-IP limit on
//! failures (429 past it).

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use piket_protocol::{EnrollRequest, EnrollResponse, Hardware, Inventory, DEVICE_ID_PREFIX};

use super::store::{self, NewDevice, TokenRow};
use super::{body, reply, tokens};
use crate::audit::{self, Change};
use crate::auth::actor::{Actor, Via};
use crate::auth::extract::ClientIp;
use crate::auth::token;
use crate::db::turns::{self, Turn};
use crate::error::{AppError, AppResult};
use crate::inventory::history::Source;
use crate::inventory::ingest::{self, map, Origin, TokenScope, Trust};
use crate::inventory::service;
use crate::inventory::Record;
use crate::state::AppState;

/// Largest enroll body.
pub const MAX_BODY: usize = 16 * 1024;
/// Failed enrollments allowed per client IP per window.
pub const FAILURES_PER_WINDOW: u32 = 10;
pub const WINDOW_MS: i64 = 10 * 60 * 1000;

/// Agent enrollment: `{"token", "hostname", "serial", "manufacturer", "agent_version"}` (at most
/// 16 KiB) in, `{"device_id", "secret", "asset_id", "report_interval_hours"}` out (201). Errors
/// are `{"error", "message"}`: 401 `invalid_token`, 429 `rate_limited` (Retry-After), 400, 413.
#[utoipa::path(post, path = "/api/v1/agent/enroll", tag = "agents", operation_id = "agent_enroll", security(()),
    request_body(content = Object, description = "piket-protocol EnrollRequest"),
    responses((status = 201, description = "piket-protocol EnrollResponse"),
        (status = 400, description = "bad_request"), (status = 401, description = "invalid_token"),
        (status = 413, description = "too_large"), (status = 429, description = "rate_limited")))]
pub async fn handler(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    raw: Body,
) -> Response {
    if let Err(secs) = state.enroll_limiter.check(&ip, state.now()) {
        return reply::rate_limited(secs);
    }
    let bytes = match body::read(&headers, raw, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => return reply::too_large(format!("The body is larger than {MAX_BODY} bytes")),
    };
    let req: EnrollRequest = match serde_json::from_slice(&bytes) {
        Ok(r) => r,
        Err(e) => return reply::bad_request(format!("Invalid enroll request: {e}")),
    };
    match enroll(&state, &ip, &req).await {
        Ok(Some(out)) => reply::json(StatusCode::CREATED, &out),
        Ok(None) => {
            // A failure counts; the next attempt past the limit is refused before any lookup.
            let _ = state.enroll_limiter.hit(&ip, state.now());
            reply::invalid_token()
        }
        Err(AppError::Unavailable) => reply::unavailable(),
        Err(e) => {
            tracing::error!(error = %e, "agent enrollment failed");
            reply::internal()
        }
    }
}

/// Enroll a device; `None` when the token is not usable (nothing is written then).
pub async fn enroll(
    state: &AppState,
    ip: &str,
    req: &EnrollRequest,
) -> AppResult<Option<EnrollResponse>> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let Some(tok) = tokens::active(&mut tx, &req.token, now).await? else {
        return Ok(None);
    };
    if !store::use_token(&mut tx, tok.id, now).await? {
        return Ok(None);
    }
    let key = format!("{DEVICE_ID_PREFIX}{}", token::random_alnum(24));
    let secret = token::random_alnum(40);
    let inv = Inventory {
        hostname: req.hostname.clone(),
        hardware: Hardware {
            serial: req.serial.clone(),
            manufacturer: req.manufacturer.clone(),
            ..Hardware::default()
        },
        ..Inventory::default()
    };
    let origin = Origin {
        kind: "piket",
        identity: Some(key.clone()),
        asset: None,
        department_id: tok.department_id,
        trust: Trust::Token(TokenScope {
            id: tok.id,
            department_id: tok.department_id,
            owner_id: tok.owner_id,
            active: true,
        }),
        label: format!("piket-agent {key}"),
        ip: ip.to_string(),
    };
    let actor = Actor {
        name: origin.label.clone(),
        ip: ip.to_string(),
        via: Via::System,
        ..Actor::system()
    };
    let source = Source {
        kind: "agent",
        actor_id: None,
        label: origin.label.clone(),
    };
    // Two enrollments of one machine at once must not both find nothing and both create an
    // asset (PostgreSQL; SQLite's writers already run one at a time). Enrolling is rare, so
    // every enrollment waits for the one turn that asset creation from reports also takes.
    turns::take(&mut tx, state.db.backend, Turn::NewAsset).await?;
    let placed = ingest::place::place(&mut tx, &origin, &inv).await?;
    let asset_id = match placed.asset {
        // An asset already known keeps its data and software until the first report.
        Some(id) => id,
        None => {
            let record = Record {
                owner_id: tok.owner_id,
                ..map::new_record(&inv, tok.department_id)
            };
            let id = service::write(&mut tx, now, &actor, &source, None, &record)
                .await?
                .id;
            if let Some(resembles) = placed.resembles {
                ingest::suggest(&mut tx, now, &actor, id, resembles).await?;
            }
            id
        }
    };
    ingest::remember_identity(&mut tx, "piket", &key, asset_id, Some(tok.id), now).await?;
    if let Some(owner) = tok.owner_id {
        service::give_to(&mut tx, now, &actor, &source, asset_id, owner).await?;
    }
    let version: String = req.agent_version.chars().take(64).collect();
    let new = NewDevice {
        key: &key,
        secret_hash: &token::hash_token(&secret),
        asset_id,
        token_id: tok.id,
        agent_version: &version,
    };
    let device_id = store::insert_device(&mut tx, &new, now).await?;
    audit::record(
        &mut tx,
        now,
        &actor,
        change(&tok, device_id, &key, asset_id),
    )
    .await?;
    let report_interval_hours = store::report_interval_hours(&mut tx).await?;
    tx.commit().await?;
    Ok(Some(EnrollResponse {
        device_id: key,
        secret,
        asset_id,
        report_interval_hours,
    }))
}

fn change(tok: &TokenRow, device_id: i64, key: &str, asset_id: i64) -> Change<'static> {
    Change {
        action: "agent.enroll",
        object_kind: "agent_device",
        object_id: Some(device_id),
        before: None,
        after: Some(serde_json::json!({
            "device_id": key, "asset_id": asset_id, "token_id": tok.id,
            "department_id": tok.department_id, "owner_id": tok.owner_id,
        })),
    }
}
