//! JSON handlers for SLA policies and the working-hours calendar.

use axum::extract::{Path, State};
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{service, Calendar, Policy, PolicyInput, PolicyList};
use crate::auth::extract::ApiActor;
use crate::error::{AppResult, Problem};
use crate::state::AppState;

#[utoipa::path(get, path = "/api/v1/sla/policies", tag = "sla",
    responses((status = 200, body = PolicyList), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn policies(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> AppResult<Json<PolicyList>> {
    Ok(Json(PolicyList {
        items: service::policies(&state, &actor).await?,
    }))
}

#[utoipa::path(put, path = "/api/v1/sla/policies/{priority}", tag = "sla",
    params(("priority" = String, Path, description = "`low`, `normal`, `high` or `urgent`")),
    request_body = PolicyInput,
    responses((status = 200, body = Policy), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn set_policy(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(priority): Path<String>,
    Json(input): Json<PolicyInput>,
) -> AppResult<Json<Policy>> {
    Ok(Json(
        service::set_policy(&state, &actor, &priority, input).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/sla/calendar", tag = "sla",
    responses((status = 200, body = Calendar), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn calendar(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> AppResult<Json<Calendar>> {
    Ok(Json(service::calendar(&state, &actor).await?))
}

#[utoipa::path(put, path = "/api/v1/sla/calendar", tag = "sla", request_body = Calendar,
    responses((status = 200, body = Calendar), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn set_calendar(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(input): Json<Calendar>,
) -> AppResult<Json<Calendar>> {
    Ok(Json(service::set_calendar(&state, &actor, input).await?))
}

/// This module's JSON routes, each with its OpenAPI entry.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(policies))
        .routes(routes!(set_policy))
        .routes(routes!(calendar, set_calendar))
}
