//! JSON handlers for roles and the permission catalog.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{service, NewRole, PermissionInfo, Role, RolePatch};
use crate::auth::extract::ApiActor;
use crate::auth::permissions::CATALOG;
use crate::error::{AppResult, Problem};
use crate::state::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct RoleList {
    pub items: Vec<Role>,
    /// Roles are few; the list is never paged.
    pub next_cursor: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PermissionList {
    pub items: Vec<PermissionInfo>,
    pub next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/roles", tag = "roles", responses((status = 200, body = RoleList), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> AppResult<Json<RoleList>> {
    Ok(Json(RoleList {
        items: service::list(&state, &actor).await?,
        next_cursor: None,
    }))
}

#[utoipa::path(post, path = "/api/v1/roles", tag = "roles", request_body = NewRole,
    responses((status = 201, body = Role), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(input): Json<NewRole>,
) -> AppResult<(StatusCode, Json<Role>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::create(&state, &actor, input).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/roles/{id}", tag = "roles", params(("id" = i64, Path)),
    responses((status = 200, body = Role), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> AppResult<Json<Role>> {
    Ok(Json(service::get(&state, &actor, id).await?))
}

#[utoipa::path(patch, path = "/api/v1/roles/{id}", tag = "roles", params(("id" = i64, Path)), request_body = RolePatch,
    responses((status = 200, body = Role), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(patch): Json<RolePatch>,
) -> AppResult<Json<Role>> {
    Ok(Json(service::update(&state, &actor, id, patch).await?))
}

#[utoipa::path(delete, path = "/api/v1/roles/{id}", tag = "roles", params(("id" = i64, Path)),
    responses((status = 204), (status = 409, body = Problem)))]
pub async fn delete(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    service::delete(&state, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/permissions", tag = "roles", responses((status = 200, body = PermissionList)))]
pub async fn permissions(ApiActor(_actor): ApiActor) -> Json<PermissionList> {
    Json(PermissionList {
        items: CATALOG
            .iter()
            .map(|p| PermissionInfo {
                name: p.to_string(),
            })
            .collect(),
        next_cursor: None,
    })
}

/// This module's JSON routes, each with its OpenAPI entry.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(list, create))
        .routes(routes!(get, update, delete))
        .routes(routes!(permissions))
}
