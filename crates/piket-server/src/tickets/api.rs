//! JSON handlers for tickets, their comments and history, counts, bulk changes and CSV export.

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::filter::ListQuery;
use super::{
    service, BulkChange, BulkResult, Comment, HistoryEntry, NewComment, NewTicket, StatusCounts,
    Ticket, TicketPatch, TicketSummary,
};
use crate::api::page::Page;
use crate::auth::extract::ApiActor;
use crate::error::{AppResult, Problem};
use crate::state::AppState;

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Items<T> {
    pub items: Vec<T>,
}

#[utoipa::path(get, path = "/api/v1/tickets", tag = "tickets", params(ListQuery),
    responses((status = 200, body = Page<TicketSummary>), (status = 422, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Page<TicketSummary>>> {
    Ok(Json(service::list(&state, &actor, &q).await?))
}

#[utoipa::path(post, path = "/api/v1/tickets", tag = "tickets", request_body = NewTicket,
    responses((status = 201, body = Ticket), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(input): Json<NewTicket>,
) -> AppResult<(StatusCode, Json<Ticket>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::create(&state, &actor, input, "api").await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 200, body = Ticket), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> AppResult<Json<Ticket>> {
    Ok(Json(service::get(&state, &actor, id).await?))
}

#[utoipa::path(patch, path = "/api/v1/tickets/{id}", tag = "tickets", params(("id" = i64, Path)), request_body = TicketPatch,
    responses((status = 200, body = Ticket), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(patch): Json<TicketPatch>,
) -> AppResult<Json<Ticket>> {
    Ok(Json(service::update(&state, &actor, id, patch).await?))
}

/// `PUT` takes the same body as `PATCH`: fields left out keep their value.
#[utoipa::path(put, path = "/api/v1/tickets/{id}", tag = "tickets", params(("id" = i64, Path)), request_body = TicketPatch,
    responses((status = 200, body = Ticket), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn replace(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(patch): Json<TicketPatch>,
) -> AppResult<Json<Ticket>> {
    Ok(Json(service::update(&state, &actor, id, patch).await?))
}

#[utoipa::path(delete, path = "/api/v1/tickets/{id}", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 403, body = Problem)))]
pub async fn delete(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    service::delete(&state, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/comments", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 200, body = Items<Comment>), (status = 404, body = Problem)))]
pub async fn comments(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> AppResult<Json<Items<Comment>>> {
    Ok(Json(Items {
        items: service::comments(&state, &actor, id).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/tickets/{id}/comments", tag = "tickets", params(("id" = i64, Path)), request_body = NewComment,
    responses((status = 201, body = Comment), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn add_comment(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(input): Json<NewComment>,
) -> AppResult<(StatusCode, Json<Comment>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::add_comment(&state, &actor, id, input).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/history", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 200, body = Items<HistoryEntry>), (status = 404, body = Problem)))]
pub async fn history(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> AppResult<Json<Items<HistoryEntry>>> {
    Ok(Json(Items {
        items: service::history(&state, &actor, id).await?,
    }))
}

#[utoipa::path(get, path = "/api/v1/tickets/counts", tag = "tickets",
    responses((status = 200, body = StatusCounts)))]
pub async fn counts(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> AppResult<Json<StatusCounts>> {
    Ok(Json(service::counts(&state, &actor).await?))
}

#[utoipa::path(post, path = "/api/v1/tickets/bulk", tag = "tickets", request_body = BulkChange,
    responses((status = 200, body = BulkResult), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn bulk(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(change): Json<BulkChange>,
) -> AppResult<Json<BulkResult>> {
    Ok(Json(service::bulk(&state, &actor, change).await?))
}

#[utoipa::path(get, path = "/api/v1/tickets/export.csv", tag = "tickets", params(ListQuery),
    responses((status = 200, content_type = "text/csv", body = String)))]
pub async fn export(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<ListQuery>,
) -> AppResult<impl IntoResponse> {
    Ok(csv_download(
        super::export::export_csv(&state, &actor, &q, None).await?,
    ))
}

/// A CSV body served as a download, streamed (shared with the list page's export link).
pub fn csv_download(
    csv: impl futures_util::Stream<Item = crate::error::AppResult<String>> + Send + 'static,
) -> axum::response::Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"tickets.csv\"",
            ),
        ],
        axum::body::Body::from_stream(csv),
    )
        .into_response()
}

/// This module's JSON routes, each with its OpenAPI entry.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(list, create))
        .routes(routes!(counts))
        .routes(routes!(bulk))
        .routes(routes!(export))
        .routes(routes!(get, update, replace, delete))
        .routes(routes!(comments, add_comment))
        .routes(routes!(history))
        .merge(super::views::api::router())
}
