//! JSON handlers for ticket categories.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{service, Category, NewCategory};
use crate::auth::extract::ApiActor;
use crate::error::{AppResult, Problem};
use crate::state::AppState;

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct CategoryList {
    pub items: Vec<Category>,
}

#[utoipa::path(get, path = "/api/v1/categories", tag = "tickets",
    responses((status = 200, body = CategoryList), (status = 401, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> AppResult<Json<CategoryList>> {
    Ok(Json(CategoryList {
        items: service::all(&state, &actor).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/categories", tag = "tickets", request_body = NewCategory,
    responses((status = 201, body = Category), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(input): Json<NewCategory>,
) -> AppResult<(StatusCode, Json<Category>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::save(&state, &actor, None, input).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/categories/{id}", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 200, body = Category), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> AppResult<Json<Category>> {
    Ok(Json(service::get(&state, &actor, id).await?))
}

#[utoipa::path(put, path = "/api/v1/categories/{id}", tag = "tickets", params(("id" = i64, Path)), request_body = NewCategory,
    responses((status = 200, body = Category), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(input): Json<NewCategory>,
) -> AppResult<Json<Category>> {
    Ok(Json(service::save(&state, &actor, Some(id), input).await?))
}

#[utoipa::path(delete, path = "/api/v1/categories/{id}", tag = "tickets", params(("id" = i64, Path)),
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
