//! JSON handlers for mailboxes, the quarantine and a ticket's mails.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::fetch::Round;
use super::{service, Mailbox, MailboxInput, Received, TestResult};
use crate::auth::extract::ApiActor;
use crate::error::{AppResult, Problem};
use crate::state::AppState;

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct MailboxList {
    pub items: Vec<Mailbox>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ReceivedList {
    pub items: Vec<Received>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FirstFetch {
    /// `new`: only mail from now on; `all`: import everything waiting.
    pub choice: String,
}

#[utoipa::path(get, path = "/api/v1/mailboxes", tag = "mail",
    responses((status = 200, body = MailboxList), (status = 403, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> AppResult<Json<MailboxList>> {
    Ok(Json(MailboxList {
        items: service::list(&state, &actor).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/mailboxes", tag = "mail", request_body = MailboxInput,
    responses((status = 201, body = Mailbox), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(input): Json<MailboxInput>,
) -> AppResult<(StatusCode, Json<Mailbox>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::save(&state, &actor, None, input).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/mailboxes/{id}", tag = "mail", params(("id" = i64, Path)),
    responses((status = 200, body = Mailbox), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> AppResult<Json<Mailbox>> {
    Ok(Json(service::get(&state, &actor, id).await?))
}

#[utoipa::path(put, path = "/api/v1/mailboxes/{id}", tag = "mail", params(("id" = i64, Path)), request_body = MailboxInput,
    responses((status = 200, body = Mailbox), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(input): Json<MailboxInput>,
) -> AppResult<Json<Mailbox>> {
    Ok(Json(service::save(&state, &actor, Some(id), input).await?))
}

#[utoipa::path(delete, path = "/api/v1/mailboxes/{id}", tag = "mail", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    service::delete(&state, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/mailboxes/{id}/test", tag = "mail", params(("id" = i64, Path)),
    responses((status = 200, body = TestResult), (status = 404, body = Problem)))]
pub async fn test(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> AppResult<Json<TestResult>> {
    Ok(Json(service::test(&state, &actor, id).await?))
}

#[utoipa::path(post, path = "/api/v1/mailboxes/{id}/first-fetch", tag = "mail", params(("id" = i64, Path)), request_body = FirstFetch,
    responses((status = 200, body = Mailbox), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn first_fetch(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(input): Json<FirstFetch>,
) -> AppResult<Json<Mailbox>> {
    Ok(Json(
        service::choose_first_fetch(&state, &actor, id, &input.choice).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/mailboxes/{id}/fetch", tag = "mail", params(("id" = i64, Path)),
    responses((status = 200, body = Round), (status = 409, body = Problem)))]
pub async fn fetch_now(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> AppResult<Json<Round>> {
    Ok(Json(service::fetch_now(&state, &actor, id).await?))
}

#[utoipa::path(get, path = "/api/v1/mail/quarantine", tag = "mail",
    responses((status = 200, body = ReceivedList), (status = 403, body = Problem)))]
pub async fn quarantine(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> AppResult<Json<ReceivedList>> {
    Ok(Json(ReceivedList {
        items: service::quarantine(&state, &actor).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/mail/quarantine/{id}/retry", tag = "mail", params(("id" = i64, Path)),
    responses((status = 200, body = Received), (status = 409, body = Problem)))]
pub async fn retry(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> AppResult<Json<Received>> {
    Ok(Json(service::retry(&state, &actor, id).await?))
}

#[utoipa::path(delete, path = "/api/v1/mail/quarantine/{id}", tag = "mail", params(("id" = i64, Path)),
    responses((status = 204), (status = 409, body = Problem)))]
pub async fn discard(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    service::discard(&state, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/mail/{id}/original", tag = "mail", params(("id" = i64, Path)),
    responses((status = 200, content_type = "message/rfc822"), (status = 404, body = Problem)))]
pub async fn original(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> AppResult<impl IntoResponse> {
    let bytes = service::original(&state, &actor, id).await?;
    Ok(eml_response(id, bytes))
}

/// An original message as a download.
pub fn eml_response(id: i64, bytes: Vec<u8>) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "message/rfc822".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"mail-{id}.eml\""),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        bytes,
    )
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/mails", tag = "mail", params(("id" = i64, Path)),
    responses((status = 200, body = ReceivedList), (status = 404, body = Problem)))]
pub async fn ticket_mails(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> AppResult<Json<ReceivedList>> {
    Ok(Json(ReceivedList {
        items: service::of_ticket(&state, &actor, id).await?,
    }))
}

/// This module's JSON routes, each with its OpenAPI entry.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(list, create))
        .routes(routes!(get, update, delete))
        .routes(routes!(test))
        .routes(routes!(first_fetch))
        .routes(routes!(fetch_now))
        .routes(routes!(quarantine))
        .routes(routes!(retry))
        .routes(routes!(discard))
        .routes(routes!(original))
        .routes(routes!(ticket_mails))
}
