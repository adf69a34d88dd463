//! JSON handlers for the caller's saved views.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{NewSavedView, SavedView};
use crate::auth::extract::ApiActor;
use crate::error::{AppResult, Problem};
use crate::state::AppState;

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SavedViewList {
    pub items: Vec<SavedView>,
}

/// The caller's own saved views, oldest first.
#[utoipa::path(get, path = "/api/v1/ticket-views", tag = "tickets",
    responses((status = 200, body = SavedViewList), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> AppResult<Json<SavedViewList>> {
    Ok(Json(SavedViewList {
        items: super::list(&state, &actor).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/ticket-views", tag = "tickets", request_body = NewSavedView,
    responses((status = 201, body = SavedView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(input): Json<NewSavedView>,
) -> AppResult<(StatusCode, Json<SavedView>)> {
    Ok((
        StatusCode::CREATED,
        Json(super::create(&state, &actor, input).await?),
    ))
}

/// Delete one of the caller's saved views; anyone else's id is `404`.
#[utoipa::path(delete, path = "/api/v1/ticket-views/{id}", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    super::delete(&state, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// This module's JSON routes, each with its OpenAPI entry.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(list, create))
        .routes(routes!(delete))
}
