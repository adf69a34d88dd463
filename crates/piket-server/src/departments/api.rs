//! JSON handlers for departments.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{service, Department, DepartmentPatch, NewDepartment};
use crate::api::page::{ListParams, Page};
use crate::auth::extract::ApiActor;
use crate::error::{AppResult, Problem};
use crate::state::AppState;

#[utoipa::path(get, path = "/api/v1/departments", tag = "departments", params(ListParams),
    responses((status = 200, body = Page<Department>), (status = 401, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(p): Query<ListParams>,
) -> AppResult<Json<Page<Department>>> {
    Ok(Json(
        service::list(&state, &actor, p.cursor.as_deref(), p.limit).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/departments", tag = "departments", request_body = NewDepartment,
    responses((status = 201, body = Department), (status = 422, body = Problem), (status = 409, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(input): Json<NewDepartment>,
) -> AppResult<(StatusCode, Json<Department>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::create(&state, &actor, input).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/departments/{id}", tag = "departments", params(("id" = i64, Path)),
    responses((status = 200, body = Department), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> AppResult<Json<Department>> {
    Ok(Json(service::get(&state, &actor, id).await?))
}

#[utoipa::path(patch, path = "/api/v1/departments/{id}", tag = "departments", params(("id" = i64, Path)), request_body = DepartmentPatch,
    responses((status = 200, body = Department), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(patch): Json<DepartmentPatch>,
) -> AppResult<Json<Department>> {
    Ok(Json(service::update(&state, &actor, id, patch).await?))
}

#[utoipa::path(delete, path = "/api/v1/departments/{id}", tag = "departments", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    service::delete(&state, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// This module's JSON routes, each with its OpenAPI entry.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(list, create))
        .routes(routes!(get, update, delete))
}
