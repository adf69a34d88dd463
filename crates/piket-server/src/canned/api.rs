//! JSON handlers for canned responses, and filling one in for a ticket.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{service, CannedResponse, ExpandedResponse, NewCannedResponse};
use crate::auth::extract::ApiActor;
use crate::error::{AppResult, Problem};
use crate::state::AppState;

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct CannedResponseList {
    pub items: Vec<CannedResponse>,
}

/// With `settings.manage`: every canned response; other staff: those offered to them.
#[utoipa::path(get, path = "/api/v1/canned-responses", tag = "tickets",
    responses((status = 200, body = CannedResponseList), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> AppResult<Json<CannedResponseList>> {
    Ok(Json(CannedResponseList {
        items: service::list(&state, &actor).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/canned-responses", tag = "tickets", request_body = NewCannedResponse,
    responses((status = 201, body = CannedResponse), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(input): Json<NewCannedResponse>,
) -> AppResult<(StatusCode, Json<CannedResponse>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::save(&state, &actor, None, input).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/canned-responses/{id}", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 200, body = CannedResponse), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> AppResult<Json<CannedResponse>> {
    Ok(Json(service::get(&state, &actor, id).await?))
}

#[utoipa::path(put, path = "/api/v1/canned-responses/{id}", tag = "tickets", params(("id" = i64, Path)), request_body = NewCannedResponse,
    responses((status = 200, body = CannedResponse), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(input): Json<NewCannedResponse>,
) -> AppResult<Json<CannedResponse>> {
    Ok(Json(service::save(&state, &actor, Some(id), input).await?))
}

#[utoipa::path(delete, path = "/api/v1/canned-responses/{id}", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    service::delete(&state, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The canned response with its placeholders filled in for this ticket and the caller as the
/// replying agent. A ticket or canned response out of the caller's reach is `404`.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/canned-responses/{canned_id}", tag = "tickets",
    params(("id" = i64, Path), ("canned_id" = i64, Path)),
    responses((status = 200, body = ExpandedResponse), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn expand(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((id, canned_id)): Path<(i64, i64)>,
) -> AppResult<Json<ExpandedResponse>> {
    Ok(Json(
        service::expand_for_ticket(&state, &actor, id, canned_id).await?,
    ))
}

/// This module's JSON routes, each with its OpenAPI entry.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(list, create))
        .routes(routes!(get, update, delete))
        .routes(routes!(expand))
}
