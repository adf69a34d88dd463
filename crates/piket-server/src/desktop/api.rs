//! JSON handlers of the desktop helper (`/api/v1/desktop/…`). The helper's credential
//! (`Authorization: Bearer dsk_….secret`) is read here and nowhere else, so it opens these
//! routes only; an API key is not a helper credential either.

use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use piket_protocol::desktop::{Filed, LinkRequest, LinkStarted, Me, MyTickets, Report};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use super::service::{self, Caller};
use crate::attachments::upload;
use crate::auth::extract::ClientIp;
use crate::error::{AppError, AppResult, Problem};
use crate::state::AppState;

/// The multipart body of a report (for the OpenAPI document).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ReportForm {
    /// A `Report`, as JSON.
    report: String,
    /// The screen when the key was pressed: PNG, JPEG or WebP (optional).
    #[schema(value_type = String, format = Binary)]
    screenshot: Vec<u8>,
}

async fn caller(state: &AppState, headers: &HeaderMap, ip: &str) -> AppResult<Caller> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(AppError::Unauthorized)?;
    service::authenticate(state, value, ip).await
}

/// A helper asks to be linked to the user who will confirm `confirm_path` in the browser. No
/// credential; counted against the sign-in budget of the client address.
#[utoipa::path(post, path = "/api/v1/desktop/links", tag = "desktop", operation_id = "desktop_link_start",
    request_body = LinkRequest,
    responses((status = 201, body = LinkStarted), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn start(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(req): Json<LinkRequest>,
) -> AppResult<(StatusCode, Json<LinkStarted>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::start(&state, &req, &ip).await?),
    ))
}

/// Who the helper files as (`pending` until the user confirms), with the form's categories.
#[utoipa::path(get, path = "/api/v1/desktop/me", tag = "desktop", operation_id = "desktop_me", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn me(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
) -> AppResult<Json<Me>> {
    let caller = caller(&state, &headers, &ip).await?;
    Ok(Json(service::me(&state, &caller).await?))
}

/// File a report: multipart with a `report` part (JSON) and an optional `screenshot` file.
/// 201 with the new ticket; 200 with the ticket an earlier report with the same `client_id`
/// filed; 409 while the link is not confirmed; 403 when the user's account is disabled; 413
/// for a body over the upload limit (the helper then sends a smaller image).
#[utoipa::path(post, path = "/api/v1/desktop/reports", tag = "desktop", operation_id = "desktop_report", security(("bearer" = [])),
    request_body(content = ReportForm, content_type = "multipart/form-data"),
    responses((status = 201, body = Filed), (status = 200, body = Filed), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 409, body = Problem), (status = 413, body = Problem),
        (status = 422, body = Problem)))]
pub async fn report(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    req: Request,
) -> AppResult<(StatusCode, Json<Filed>)> {
    let caller = caller(&state, req.headers(), &ip).await?;
    // Refused before a byte of the body is read: a pending link is anyone's to ask for, so it
    // must not stream uploads to the staging directory (review finding).
    let Caller::Linked { actor, .. } = &caller else {
        return Err(service::not_linked());
    };
    upload::check_length(&state, req.headers())?;
    let declared = upload::declared_length(req.headers());
    crate::attachments::service::before_upload(&state, actor, declared).await?;
    let mp = Multipart::from_request(req, &state)
        .await
        .map_err(|e| AppError::BadRequest(e.body_text()))?;
    let up = upload::read(&state, mp, "screenshot").await?;
    if up.files.len() > 1 {
        return Err(AppError::invalid("screenshot", "one screenshot at most"));
    }
    let json = up
        .fields
        .iter()
        .find(|(k, _)| k == "report")
        .map(|(_, v)| v.as_str())
        .ok_or_else(|| AppError::invalid("report", "the multipart part `report` is missing"))?;
    let report: Report = serde_json::from_str(json)
        .map_err(|e| AppError::invalid("report", format!("is not a report: {e}")))?;
    let filed = service::file(&state, &caller, report, up.files, up.errors, &ip).await?;
    let status = if filed.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(filed)))
}

/// The linked user's own tickets, newest first.
#[utoipa::path(get, path = "/api/v1/desktop/tickets", tag = "desktop", operation_id = "desktop_tickets", security(("bearer" = [])),
    responses((status = 200, body = MyTickets), (status = 401, body = Problem), (status = 409, body = Problem)))]
pub async fn tickets(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
) -> AppResult<Json<MyTickets>> {
    let caller = caller(&state, &headers, &ip).await?;
    Ok(Json(service::my_tickets(&state, &caller).await?))
}

/// This module's JSON routes, each with its OpenAPI entry.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(start))
        .routes(routes!(me))
        .routes(routes!(report).layer(DefaultBodyLimit::disable()))
        .routes(routes!(tickets))
}
