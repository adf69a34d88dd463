//! JSON handlers for licences under `/api/v1/inventory/licenses`, with the compliance view.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::licenses::{self as service, Compliance, License, LicenseInput, RevealedKey};
use crate::auth::extract::ApiActor;
use crate::error::{AppResult, Problem};
use crate::state::AppState;

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct LicenseList {
    pub items: Vec<License>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ComplianceList {
    pub items: Vec<Compliance>,
}

#[utoipa::path(get, path = "/api/v1/inventory/licenses", tag = "inventory",
    responses((status = 200, body = LicenseList), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> AppResult<Json<LicenseList>> {
    Ok(Json(LicenseList {
        items: service::list(&state, &actor).await?,
    }))
}

/// Per licence: seats, devices with a matching installation, assignments, over / expiring / expired.
#[utoipa::path(get, path = "/api/v1/inventory/licenses/compliance", tag = "inventory",
    responses((status = 200, body = ComplianceList), (status = 403, body = Problem)))]
pub async fn compliance(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> AppResult<Json<ComplianceList>> {
    Ok(Json(ComplianceList {
        items: service::compliance_all(&state, &actor).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/inventory/licenses", tag = "inventory", request_body = LicenseInput,
    responses((status = 201, body = License), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(input): Json<LicenseInput>,
) -> AppResult<(StatusCode, Json<License>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::save(&state, &actor, None, input).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/inventory/licenses/{id}", tag = "inventory", params(("id" = i64, Path)),
    responses((status = 200, body = License), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> AppResult<Json<License>> {
    Ok(Json(service::get(&state, &actor, id).await?))
}

#[utoipa::path(put, path = "/api/v1/inventory/licenses/{id}", tag = "inventory", params(("id" = i64, Path)), request_body = LicenseInput,
    responses((status = 200, body = License), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn replace(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(input): Json<LicenseInput>,
) -> AppResult<Json<License>> {
    Ok(Json(service::save(&state, &actor, Some(id), input).await?))
}

/// Change some fields: send any subset of the fields of `LicenseInput`.
#[utoipa::path(patch, path = "/api/v1/inventory/licenses/{id}", tag = "inventory", params(("id" = i64, Path)), request_body = LicenseInput,
    responses((status = 200, body = License), (status = 400, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(patch): Json<serde_json::Value>,
) -> AppResult<Json<License>> {
    Ok(Json(service::patch(&state, &actor, id, patch).await?))
}

#[utoipa::path(delete, path = "/api/v1/inventory/licenses/{id}", tag = "inventory", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    service::delete(&state, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The key in the clear; needs `inventory.credentials.reveal`, and is audited.
#[utoipa::path(post, path = "/api/v1/inventory/licenses/{id}/reveal", tag = "inventory", params(("id" = i64, Path)),
    responses((status = 200, body = RevealedKey), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn reveal(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> AppResult<Json<RevealedKey>> {
    Ok(Json(RevealedKey {
        key: service::reveal(&state, &actor, id).await?,
    }))
}

/// This module's JSON routes, each with its OpenAPI entry.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(list, create))
        .routes(routes!(compliance))
        .routes(routes!(get, replace, update, delete))
        .routes(routes!(reveal))
}
