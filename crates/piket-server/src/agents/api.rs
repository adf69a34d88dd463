//! JSON handlers for enrollment tokens and agent devices (`settings.manage`), and the OpenAPI
//! entries of the two agent endpoints (whose handlers live in `enroll` and `report`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;

use super::{
    devices, tokens, AgentDevice, CreatedEnrollmentToken, EnrollmentToken, NewEnrollmentToken,
};
use crate::auth::extract::ApiActor;
use crate::error::{AppResult, Problem};
use crate::state::AppState;

/// Shared enrollment tokens, newest first (personal ones are not listed).
#[utoipa::path(get, path = "/api/v1/agent/enrollment-tokens", tag = "agents", operation_id = "list_enrollment_tokens",
    responses((status = 200, body = Vec<EnrollmentToken>), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> AppResult<Json<Vec<EnrollmentToken>>> {
    Ok(Json(tokens::list(&state, &actor).await?))
}

/// Create a token; its `secret` and ready `command` are shown only in this answer.
#[utoipa::path(post, path = "/api/v1/agent/enrollment-tokens", tag = "agents", operation_id = "create_enrollment_token",
    request_body = NewEnrollmentToken,
    responses((status = 201, body = CreatedEnrollmentToken), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(input): Json<NewEnrollmentToken>,
) -> AppResult<(StatusCode, Json<CreatedEnrollmentToken>)> {
    Ok((
        StatusCode::CREATED,
        Json(tokens::create(&state, &actor, input).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/agent/enrollment-tokens/{id}", tag = "agents", operation_id = "get_enrollment_token",
    params(("id" = i64, Path)), responses((status = 200, body = EnrollmentToken), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> AppResult<Json<EnrollmentToken>> {
    Ok(Json(tokens::get(&state, &actor, id).await?))
}

/// Revoke a token; devices already enrolled with it keep working.
#[utoipa::path(delete, path = "/api/v1/agent/enrollment-tokens/{id}", tag = "agents", operation_id = "revoke_enrollment_token",
    params(("id" = i64, Path)), responses((status = 200, body = EnrollmentToken), (status = 404, body = Problem)))]
pub async fn revoke(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> AppResult<Json<EnrollmentToken>> {
    Ok(Json(tokens::revoke(&state, &actor, id).await?))
}

/// Enrolled devices, newest first.
#[utoipa::path(get, path = "/api/v1/agent/devices", tag = "agents", operation_id = "list_agent_devices",
    responses((status = 200, body = Vec<AgentDevice>), (status = 403, body = Problem)))]
pub async fn list_devices(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> AppResult<Json<Vec<AgentDevice>>> {
    Ok(Json(devices::list(&state, &actor).await?))
}

/// Revoke a device: its reports get 401 from now on.
#[utoipa::path(delete, path = "/api/v1/agent/devices/{id}", tag = "agents", operation_id = "revoke_agent_device",
    params(("id" = i64, Path)), responses((status = 200, body = AgentDevice), (status = 404, body = Problem)))]
pub async fn revoke_device(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> AppResult<Json<AgentDevice>> {
    Ok(Json(devices::revoke(&state, &actor, id).await?))
}

/// Agent enrollment: `{"token", "hostname", "serial", "manufacturer", "agent_version"}` (at most
/// 16 KiB) in, `{"device_id", "secret", "asset_id", "report_interval_hours"}` out (201). Errors
/// are `{"error", "message"}`: 401 `invalid_token`, 429 `rate_limited` (Retry-After), 400, 413.
#[utoipa::path(post, path = "/api/v1/agent/enroll", tag = "agents", operation_id = "agent_enroll", security(()),
    request_body(content = Object, description = "piket-protocol EnrollRequest"),
    responses((status = 201, description = "piket-protocol EnrollResponse"),
        (status = 400, description = "bad_request"), (status = 401, description = "invalid_token"),
        (status = 413, description = "too_large"), (status = 429, description = "rate_limited")))]
pub async fn enroll_doc() {}

/// Agent report: `Authorization: Bearer dev_….secret`, a piket-protocol InventoryReport, optionally
/// `Content-Encoding: gzip` (at most 4 MiB sent, 16 MiB inflated). Answers
/// `{"status": "updated"|"unchanged", "asset_id", "fingerprint", "report_interval_hours"}`.
#[utoipa::path(post, path = "/api/v1/agent/inventory", tag = "agents", operation_id = "agent_inventory", security(("bearer" = [])),
    request_body(content = Object, description = "piket-protocol InventoryReport"),
    responses((status = 200, description = "piket-protocol InventoryResponse"),
        (status = 400, description = "bad_request or unsupported_protocol"), (status = 401, description = "invalid_credentials"),
        (status = 413, description = "too_large")))]
pub async fn inventory_doc() {}
