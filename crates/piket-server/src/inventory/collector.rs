//! `POST /api/update-main-device`: the legacy inventory collector's contract, kept exactly
//! (`{email, data}` in, `{status, message, main_id}` out, plain JSON errors, never problem+json).
//! No API key: the caller is trusted with nothing but naming a user, so every byte is checked,
//! the fields seed 000 says an admin fills by hand (`jenis`, `lisensi_windows`, `credential`,
//! `office`, `lisensi_office`) are accepted as the contract sends them but never written, and
//! unknown emails are answered only so often per client address.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value};

use super::history::Source;
use super::settings;
use super::store::{self, Record};
use super::validate::{address_list, is_ip, ram_mb};
use crate::auth::actor::{Actor, Via};
use crate::auth::extract::ClientIp;
use crate::auth::token;
use crate::db::turns::{self, Turn};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Largest body read; the original payload is well under 2 KiB.
pub const MAX_BODY: usize = 64 * 1024;
/// Longest value of any `data` field, in characters.
pub const MAX_FIELD: usize = super::validate::SHORT;
/// Requests per user per window.
pub const LIMIT: i64 = 10;
pub const WINDOW_MS: i64 = 60 * 60 * 1000;
/// "User not found" answers per client address per window; past it every answer is 429, so
/// guessing which emails exist costs an hour per few guesses.
pub const UNKNOWN_PER_WINDOW: u32 = 10;
pub const UNKNOWN_WINDOW_MS: i64 = 60 * 60 * 1000;
/// The header carrying the enrollment token when the admin demands one.
pub const TOKEN_HEADER: &str = "x-enrollment-token";

#[derive(Serialize)]
struct Success {
    status: &'static str,
    message: &'static str,
    main_id: i64,
}

#[derive(Serialize)]
struct Failure {
    status: &'static str,
    message: String,
}

fn reply<T: Serialize>(status: StatusCode, body: &T) -> Response {
    let text = serde_json::to_string(body).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, "application/json")], text).into_response()
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    reply(
        status,
        &Failure {
            status: "error",
            message: message.into(),
        },
    )
}

/// The collector's fields, each `None` when absent or null (the stored value is kept).
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub manufaktur: Option<String>,
    pub cpu: Option<String>,
    pub ram_mb: Option<i64>,
    pub os: Option<String>,
    pub ipaddress: Option<String>,
    pub hostname: Option<String>,
    pub storage: Option<String>,
    /// Only to guess the type of a device the report creates; the `jenis` field itself, like
    /// the other hand-filled ones, is never written from a report.
    pub jenis: Option<String>,
}

/// Fields the contract carries (as null) that an admin fills by hand: checked like the others
/// so the contract's 400s stay as they were, then dropped.
const HAND_FILLED: &[&str] = &["lisensi_windows", "credential", "office", "lisensi_office"];

fn text(data: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match data.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            if s.chars().count() > MAX_FIELD {
                return Err(format!(
                    "data.{key} is too long (at most {MAX_FIELD} characters)"
                ));
            }
            if s.chars().any(char::is_control) {
                return Err(format!("data.{key} contains control characters"));
            }
            let s = s.trim();
            Ok((!s.is_empty()).then(|| s.to_string()))
        }
        Some(_) => Err(format!("data.{key} must be a string or null")),
    }
}

/// Parse and check the request body: the email (lowercased) and the report.
pub fn parse(body: &[u8]) -> Result<(String, Report), String> {
    let value: Value = serde_json::from_slice(body).map_err(|_| "Invalid JSON body".to_string())?;
    let Value::Object(top) = value else {
        return Err("The body must be a JSON object".into());
    };
    let email = match top.get("email") {
        None | Some(Value::Null) => return Err("Email is required".into()),
        Some(Value::String(s)) => s.trim().to_lowercase(),
        Some(_) => return Err("Email must be a string".into()),
    };
    let mut check = crate::validate::Check::new();
    check.email("email", &email);
    if email.is_empty() || check.finish().is_err() {
        return Err("Invalid email format".into());
    }
    let data = match top.get("data") {
        None | Some(Value::Null) => return Err("Data is required".into()),
        Some(Value::Object(d)) => d,
        Some(_) => return Err("Data must be an object".into()),
    };
    let ram_mb = match text(data, "ram")? {
        None => None,
        Some(r) => Some(ram_mb(&r).ok_or("data.ram is not a memory size such as \"16.0 GB\"")?),
    };
    let ipaddress = match text(data, "ipaddress")? {
        None => None,
        Some(ip) => Some(address_list(&ip, is_ip).ok_or("data.ipaddress is not an IP address")?),
    };
    let report = Report {
        manufaktur: text(data, "manufaktur")?,
        cpu: text(data, "cpu")?,
        ram_mb,
        os: text(data, "os")?,
        ipaddress,
        hostname: text(data, "hostname")?,
        storage: text(data, "storage")?,
        jenis: text(data, "jenis")?,
    };
    for key in HAND_FILLED {
        text(data, key)?;
    }
    Ok((email, report))
}

/// An asset type guessed from the collector's `jenis`, for a device it creates.
fn kind_of(jenis: Option<&str>) -> &'static str {
    match jenis.map(str::to_lowercase).as_deref() {
        Some("laptop" | "notebook") => "laptop",
        Some("server") => "server",
        Some("printer") => "printer",
        _ => "desktop",
    }
}

fn apply(r: &mut Record, report: Report) {
    let set = |slot: &mut String, v: Option<String>| {
        if let Some(v) = v {
            *slot = v;
        }
    };
    set(&mut r.manufacturer, report.manufaktur);
    set(&mut r.cpu, report.cpu);
    if report.ram_mb.is_some() {
        r.ram_mb = report.ram_mb;
    }
    set(&mut r.os, report.os);
    set(&mut r.ip_addresses, report.ipaddress);
    set(&mut r.hostname, report.hostname);
    set(&mut r.storage, report.storage);
}

enum Outcome {
    Updated(i64),
    UnknownUser,
    Limited,
}

/// Update (or create) the user's main device from a report, within the rate limit.
async fn update(state: &AppState, ip: &str, email: &str, report: Report) -> AppResult<Outcome> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    sqlx::query("DELETE FROM collector_hits WHERE at <= $1")
        .bind(now - WINDOW_MS)
        .execute(&mut *tx)
        .await?;
    let Some((user_id, user_name, department)) = store::user_by_email(&mut tx, email).await? else {
        return Ok(Outcome::UnknownUser);
    };
    // Before the rate count and the main-device lookup: both decide on what they read.
    turns::take(&mut tx, state.db.backend, Turn::CollectorUser(user_id)).await?;
    let hits: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM collector_hits WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?;
    if hits >= LIMIT {
        tx.commit().await?;
        return Ok(Outcome::Limited);
    }
    sqlx::query("INSERT INTO collector_hits (user_id, at) VALUES ($1, $2)")
        .bind(user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    let mut before = store::main_of(&mut tx, user_id).await?;
    // No main device yet: adopt the asset an agent already reported under this hostname rather
    // than creating a second asset for one machine, if it is already this user's, or unowned in
    // the user's own department. Never an unowned asset of no department: the collector needs
    // no sign-in, so naming any user would hand it to them (review finding).
    if let (None, Some(host)) = (&before, report.hostname.as_deref()) {
        if let Some(id) = super::ingest::store::by_hostname(&mut tx, host, "").await? {
            before = store::get(&mut tx, id).await?.filter(|h| {
                h.owner_id == Some(user_id)
                    || (h.owner_id.is_none()
                        && department.is_some()
                        && h.department_id == department)
            });
        }
    }
    let mut record = match &before {
        Some(b) => {
            let credential = store::credential(&mut tx, b.id).await?;
            Record {
                is_main: true,
                owner_id: Some(user_id),
                ..Record::of(b, credential)
            }
        }
        None => Record {
            name: report
                .hostname
                .clone()
                .unwrap_or_else(|| format!("Main device of {user_name}")),
            kind: kind_of(report.jenis.as_deref()).to_string(),
            status: "in_use".into(),
            owner_id: Some(user_id),
            department_id: department,
            is_main: true,
            ..Record::default()
        },
    };
    apply(&mut record, report);
    let actor = Actor {
        name: "collector".into(),
        ip: ip.to_string(),
        via: Via::System,
        ..Actor::system()
    };
    let source = Source {
        kind: "collector",
        actor_id: None,
        label: format!("collector ({email})"),
    };
    let after =
        super::service::write(&mut tx, now, &actor, &source, before.as_ref(), &record).await?;
    tx.commit().await?;
    Ok(Outcome::Updated(after.id))
}

/// Legacy inventory collector: update (or create) the user's main device. No API key; plain JSON
/// errors (not problem+json). Admins may switch it off (403) or demand `X-Enrollment-Token` (401).
/// A client address that names too many unknown emails gets 429 for a while.
#[utoipa::path(post, path = "/api/update-main-device", tag = "inventory", operation_id = "update_main_device", security(()),
    request_body = piket_protocol::CollectorRequest,
    params(("X-Enrollment-Token" = Option<String>, Header, description = "Only when an admin demands a token")),
    responses((status = 200, body = CollectorReply), (status = 400, body = CollectorReply),
        (status = 401, body = CollectorReply), (status = 403, body = CollectorReply),
        (status = 404, body = CollectorReply), (status = 429, body = CollectorReply)))]
pub async fn update_main_device(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match handle(&state, &ip, &headers, body).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "collector update failed");
            let status = match e {
                AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            error(status, "Internal server error")
        }
    }
}

async fn handle(
    state: &AppState,
    ip: &str,
    headers: &HeaderMap,
    body: Body,
) -> AppResult<Response> {
    let given = headers
        .get(TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let (config, token_ok) = {
        let mut conn = state.db.pool.acquire().await?;
        let config = settings::load(&mut conn).await?;
        // The admin-set collector token, or any active agent enrollment token.
        let ok = match &config.token_hash {
            None => true,
            Some(expected) => {
                token::constant_time_eq(&token::hash_token(given.trim()), expected)
                    || crate::agents::tokens::active(&mut conn, given, state.now())
                        .await?
                        .is_some()
            }
        };
        (config, ok)
    };
    if !config.enabled {
        return Ok(error(
            StatusCode::FORBIDDEN,
            "Collector endpoint is disabled",
        ));
    }
    if !token_ok {
        return Ok(error(StatusCode::UNAUTHORIZED, "Invalid enrollment token"));
    }
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return Ok(error(StatusCode::BAD_REQUEST, "Request body too large"));
    };
    let (email, report) = match parse(&bytes) {
        Ok(v) => v,
        Err(message) => return Ok(error(StatusCode::BAD_REQUEST, message)),
    };
    // An address that named too many unknown users gets 429 for every email: a 200 for a real
    // one would still tell it which exist.
    // Every request takes its place in the count before the lookup, and one naming a known
    // user gives it back: parallel requests cannot all pass a check made before any of them
    // was counted (review finding).
    if state.collector_limiter.hit(ip, state.now()).is_err() {
        return Ok(error(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded"));
    }
    // First reports racing for one user all try to create the main device; a loser of the
    // unique index tries again and updates the winner's (a few times: under load a retry can
    // meet another racer's insert still in flight).
    let mut tries = 0;
    let outcome = loop {
        tries += 1;
        match update(state, ip, &email, report.clone()).await {
            Err(AppError::Conflict(_)) if tries < 4 => continue,
            other => break other,
        }
    };
    if !matches!(outcome, Ok(Outcome::UnknownUser)) {
        state.collector_limiter.refund(ip);
    }
    let outcome = outcome?;
    Ok(match outcome {
        Outcome::Updated(main_id) => reply(
            StatusCode::OK,
            &Success {
                status: "success",
                message: "Main device data updated successfully",
                main_id,
            },
        ),
        Outcome::UnknownUser => error(StatusCode::NOT_FOUND, "User not found"),
        Outcome::Limited => error(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded"),
    })
}

/// `status` is `success` or `error`; `main_id` only on success.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct CollectorReply {
    status: String,
    message: String,
    main_id: Option<i64>,
}
