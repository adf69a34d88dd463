//! JSON handlers for hardware assets under `/api/v1/inventory/hardware`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{service, Hardware, HardwareFilter, HardwareHistoryEntry, HardwareInput, Revealed};
use crate::api::page::Page;
use crate::auth::extract::ApiActor;
use crate::error::{AppResult, Problem};
use crate::state::AppState;

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct HardwarePage {
    pub items: Vec<Hardware>,
    pub next_cursor: Option<String>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct HardwareHistoryList {
    pub items: Vec<HardwareHistoryEntry>,
}

#[utoipa::path(get, path = "/api/v1/inventory/hardware", tag = "inventory", params(HardwareFilter),
    responses((status = 200, body = HardwarePage), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(filter): Query<HardwareFilter>,
) -> AppResult<Json<Page<Hardware>>> {
    Ok(Json(service::list(&state, &actor, filter).await?))
}

#[utoipa::path(post, path = "/api/v1/inventory/hardware", tag = "inventory", request_body = HardwareInput,
    responses((status = 201, body = Hardware), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(input): Json<HardwareInput>,
) -> AppResult<(StatusCode, Json<Hardware>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::save(&state, &actor, None, input).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/inventory/hardware/{id}", tag = "inventory", params(("id" = i64, Path)),
    responses((status = 200, body = Hardware), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> AppResult<Json<Hardware>> {
    Ok(Json(service::get(&state, &actor, id).await?))
}

#[utoipa::path(put, path = "/api/v1/inventory/hardware/{id}", tag = "inventory", params(("id" = i64, Path)), request_body = HardwareInput,
    responses((status = 200, body = Hardware), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn replace(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(input): Json<HardwareInput>,
) -> AppResult<Json<Hardware>> {
    Ok(Json(service::save(&state, &actor, Some(id), input).await?))
}

/// Change some fields: send any subset of the fields of `HardwareInput`.
#[utoipa::path(patch, path = "/api/v1/inventory/hardware/{id}", tag = "inventory", params(("id" = i64, Path)), request_body = HardwareInput,
    responses((status = 200, body = Hardware), (status = 400, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(patch): Json<serde_json::Value>,
) -> AppResult<Json<Hardware>> {
    Ok(Json(service::patch(&state, &actor, id, patch).await?))
}

#[utoipa::path(delete, path = "/api/v1/inventory/hardware/{id}", tag = "inventory", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    service::delete(&state, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The stored credential in the clear; needs `inventory.credentials.reveal`, and is audited.
#[utoipa::path(post, path = "/api/v1/inventory/hardware/{id}/reveal", tag = "inventory", params(("id" = i64, Path)),
    responses((status = 200, body = Revealed), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn reveal(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> AppResult<Json<Revealed>> {
    Ok(Json(Revealed {
        credential: service::reveal(&state, &actor, id).await?,
    }))
}

#[utoipa::path(get, path = "/api/v1/inventory/hardware/{id}/history", tag = "inventory", params(("id" = i64, Path)),
    responses((status = 200, body = HardwareHistoryList), (status = 404, body = Problem)))]
pub async fn history(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> AppResult<Json<HardwareHistoryList>> {
    Ok(Json(HardwareHistoryList {
        items: service::history(&state, &actor, id).await?,
    }))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct AssetTickets {
    /// Newest first, at most 50, only tickets the caller may see.
    pub items: Vec<crate::tickets::TicketSummary>,
}

/// The tickets that reference this asset.
#[utoipa::path(get, path = "/api/v1/inventory/hardware/{id}/tickets", tag = "inventory", operation_id = "tickets_inventory_hardware", params(("id" = i64, Path)),
    responses((status = 200, body = AssetTickets), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn tickets(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> AppResult<Json<AssetTickets>> {
    Ok(Json(AssetTickets {
        items: crate::tickets::assets::tickets_of(&state, &actor, id).await?,
    }))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The duplicate: its software, licences, ticket links, identities, agents, history and last
    /// report move to this asset, its values fill this asset's empty fields, then it is deleted.
    pub from: i64,
}

/// Merge a duplicate asset into this one (needs `inventory.write`; both assets in reach).
#[utoipa::path(post, path = "/api/v1/inventory/hardware/{id}/merge", tag = "inventory", operation_id = "merge_inventory_hardware", params(("id" = i64, Path)), request_body = MergeRequest,
    responses((status = 200, body = Hardware), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn merge(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(req): Json<MergeRequest>,
) -> AppResult<Json<Hardware>> {
    Ok(Json(
        super::merge::merge(&state, &actor, id, req.from).await?,
    ))
}

/// This module's JSON routes, each with its OpenAPI entry.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(list, create))
        .routes(routes!(get, replace, update, delete))
        .routes(routes!(reveal))
        .routes(routes!(history))
        .routes(routes!(tickets))
        .routes(routes!(merge))
        .merge(super::software::api::router())
        .merge(super::software::license_api::router())
}

/// The legacy collector's endpoint with its OpenAPI entry. It answers plain JSON rather than
/// problem+json and has its own limits, so it is served outside the `/api/v1` layers.
pub fn legacy_collector() -> OpenApiRouter<AppState> {
    OpenApiRouter::default().routes(routes!(super::collector::update_main_device))
}
