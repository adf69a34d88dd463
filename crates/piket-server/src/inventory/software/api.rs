//! JSON handlers for the software catalog (`/api/v1/inventory/software`) and a device's
//! installations (`/api/v1/inventory/hardware/{id}/software`).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{
    service, InstallDiff, Installation, Software, SoftwareDetail, SoftwareFilter, SoftwareItem,
};
use crate::api::page::Page;
use crate::auth::extract::ApiActor;
use crate::error::{AppResult, Problem};
use crate::state::AppState;

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SoftwarePage {
    pub items: Vec<Software>,
    pub next_cursor: Option<String>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct InstallationList {
    pub items: Vec<Installation>,
}

#[utoipa::path(get, path = "/api/v1/inventory/software", tag = "inventory", params(SoftwareFilter),
    responses((status = 200, body = SoftwarePage), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(filter): Query<SoftwareFilter>,
) -> AppResult<Json<Page<Software>>> {
    Ok(Json(service::list(&state, &actor, filter).await?))
}

#[utoipa::path(post, path = "/api/v1/inventory/software", tag = "inventory", request_body = SoftwareItem,
    responses((status = 201, body = Software), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(input): Json<SoftwareItem>,
) -> AppResult<(StatusCode, Json<Software>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::save(&state, &actor, None, input).await?),
    ))
}

/// The entry and the devices in the caller's reach it is installed on.
#[utoipa::path(get, path = "/api/v1/inventory/software/{id}", tag = "inventory", params(("id" = i64, Path)),
    responses((status = 200, body = SoftwareDetail), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> AppResult<Json<SoftwareDetail>> {
    Ok(Json(service::get(&state, &actor, id).await?))
}

#[utoipa::path(put, path = "/api/v1/inventory/software/{id}", tag = "inventory", params(("id" = i64, Path)), request_body = SoftwareItem,
    responses((status = 200, body = Software), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn replace(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(input): Json<SoftwareItem>,
) -> AppResult<Json<Software>> {
    Ok(Json(service::save(&state, &actor, Some(id), input).await?))
}

/// Change some fields: send any subset of name, vendor, version.
#[utoipa::path(patch, path = "/api/v1/inventory/software/{id}", tag = "inventory", params(("id" = i64, Path)), request_body = SoftwareItem,
    responses((status = 200, body = Software), (status = 400, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(patch): Json<serde_json::Value>,
) -> AppResult<Json<Software>> {
    Ok(Json(service::patch(&state, &actor, id, patch).await?))
}

#[utoipa::path(delete, path = "/api/v1/inventory/software/{id}", tag = "inventory", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    service::delete(&state, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The software installed on a hardware asset.
#[utoipa::path(get, path = "/api/v1/inventory/hardware/{id}/software", tag = "inventory", params(("id" = i64, Path)),
    responses((status = 200, body = InstallationList), (status = 404, body = Problem)))]
pub async fn installed(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> AppResult<Json<InstallationList>> {
    Ok(Json(InstallationList {
        items: service::installed(&state, &actor, id).await?,
    }))
}

/// Make the asset's installations exactly this list (at most 5000 items); says what changed.
#[utoipa::path(put, path = "/api/v1/inventory/hardware/{id}/software", tag = "inventory", params(("id" = i64, Path)), request_body = Vec<SoftwareItem>,
    responses((status = 200, body = InstallDiff), (status = 404, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn replace_installed(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(items): Json<Vec<SoftwareItem>>,
) -> AppResult<Json<InstallDiff>> {
    Ok(Json(service::replace(&state, &actor, id, items).await?))
}

/// This module's JSON routes, each with its OpenAPI entry.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(list, create))
        .routes(routes!(get, replace, update, delete))
        .routes(routes!(installed, replace_installed))
}
