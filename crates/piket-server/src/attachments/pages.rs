//! Attachment downloads for signed-in browsers (the same rules as the API, by session).

use axum::extract::{Path, State};
use axum::response::Response;

use super::api::{file_response, thumbnail_response};
use crate::auth::extract::WebActor;
use crate::error::AppResult;
use crate::state::AppState;
use crate::tickets::service::files as service;
use crate::web::form_flow::see_other;

pub async fn download(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Path((id, attachment_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let (att, blob) = service::open(&state, &actor, id, attachment_id).await?;
    Ok(file_response(&att, blob))
}

pub async fn thumbnail(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Path((id, attachment_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let png = service::thumbnail(&state, &actor, id, attachment_id).await?;
    Ok(thumbnail_response(png))
}

pub async fn delete(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Path((id, attachment_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    service::delete(&state, &actor, id, attachment_id).await?;
    see_other(&format!("/tickets/{id}?msg=deleted"))
}

/// This module's pages.
pub fn pages() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/tickets/{id}/attachments/{attachment_id}", get(download))
        .route(
            "/tickets/{id}/attachments/{attachment_id}/thumbnail",
            get(thumbnail),
        )
        .route(
            "/tickets/{id}/attachments/{attachment_id}/delete",
            post(delete),
        )
}
