//! JSON handlers for the caller's own notifications and notification settings.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{service, Notification, Settings};
use crate::api::page::ListParams;
use crate::auth::extract::ApiActor;
use crate::error::{AppResult, Problem};
use crate::state::AppState;

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct NotificationList {
    /// Newest first.
    pub items: Vec<Notification>,
    pub next_cursor: Option<String>,
    /// How many of the caller's notifications are unread (all pages).
    pub unread: i64,
}

#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", params(ListParams),
    responses((status = 200, body = NotificationList), (status = 401, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<ListParams>,
) -> AppResult<Json<NotificationList>> {
    let (page, unread) = service::list(&state, &actor, q.cursor.as_deref(), q.limit).await?;
    Ok(Json(NotificationList {
        items: page.items,
        next_cursor: page.next_cursor,
        unread,
    }))
}

#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn mark_read(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    service::mark_read(&state, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/notifications/read-all", tag = "notifications",
    responses((status = 204), (status = 401, body = Problem)))]
pub async fn mark_all_read(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> AppResult<StatusCode> {
    service::mark_all_read(&state, &actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/me/notification-settings", tag = "notifications",
    responses((status = 200, body = Settings), (status = 401, body = Problem)))]
pub async fn settings(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> AppResult<Json<Settings>> {
    Ok(Json(service::settings(&state, &actor).await?))
}

#[utoipa::path(put, path = "/api/v1/me/notification-settings", tag = "notifications", request_body = Settings,
    responses((status = 200, body = Settings), (status = 422, body = Problem)))]
pub async fn save_settings(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(input): Json<Settings>,
) -> AppResult<Json<Settings>> {
    Ok(Json(service::save_settings(&state, &actor, input).await?))
}

/// This module's JSON routes, each with its OpenAPI entry.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(list))
        .routes(routes!(mark_all_read))
        .routes(routes!(mark_read))
        .routes(routes!(settings, save_settings))
}
