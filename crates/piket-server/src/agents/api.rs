//! JSON handlers for enrollment tokens and agent devices (`settings.manage`), and the routes of
//! the two endpoints the agent itself calls (their handlers live in `enroll` and `report`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

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

/// Revoke a token, for clients that cannot send DELETE: the same as `DELETE …/{id}`.
#[utoipa::path(post, path = "/api/v1/agent/enrollment-tokens/{id}/revoke", tag = "agents", operation_id = "revoke_enrollment_token_by_post",
    params(("id" = i64, Path)), responses((status = 200, body = EnrollmentToken), (status = 404, body = Problem)))]
pub async fn revoke_by_post(
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

/// This module's JSON routes, each with its OpenAPI entry.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(list, create))
        .routes(routes!(get, revoke))
        .routes(routes!(revoke_by_post))
        .routes(routes!(list_devices))
        .routes(routes!(revoke_device))
}

/// The agent's enrollment and report endpoints, with their OpenAPI entries. They answer
/// `{"error", "message"}` rather than problem+json and keep their own limits, so they are served
/// outside the `/api/v1` layers (see `api::device_routes`).
pub fn agent_protocol() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(super::enroll::handler))
        .routes(routes!(super::report::handler))
}
