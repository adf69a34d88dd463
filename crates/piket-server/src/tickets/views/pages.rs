//! The list page's "Save this view" form and the delete buttons beside each saved view.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::NewSavedView;
use crate::auth::extract::WebActor;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::context::WebCtx;
use crate::web::form::FormPairs;

/// `POST /tickets/views` with `name` and `query` (the list's current query string): on success
/// back to that list; on a bad name the list again, with the error by the form.
pub async fn create(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    body: Bytes,
) -> AppResult<Response> {
    let f = FormPairs::parse(&body)?;
    let input = NewSavedView {
        name: f.get("name"),
        query: f.get("query"),
    };
    match super::create(&state, &actor, input).await {
        Ok(view) => {
            let sep = if view.query.is_empty() { "" } else { "&" };
            Ok(Redirect::to(&format!("/tickets?{}{sep}msg=saved", view.query)).into_response())
        }
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let e = match e {
                AppError::Conflict(m) => AppError::invalid("name", m),
                other => other,
            };
            // The list again with the filters the form carried, or unfiltered if they are bad.
            let query = f.get("query");
            let query = query.trim().trim_start_matches('?');
            let raw: Vec<(String, String)> =
                match serde_urlencoded::from_str::<crate::tickets::filter::ListQuery>(query) {
                    Ok(_) => serde_urlencoded::from_str(query).unwrap_or_default(),
                    Err(_) => Vec::new(),
                };
            crate::tickets::pages::render_list(&state, &ctx, &actor, raw, &f.get("name"), Some(&e))
                .await
        }
        Err(e) => Err(e),
    }
}

pub async fn delete(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    super::delete(&state, &actor, id).await?;
    Ok(Redirect::to("/tickets?msg=deleted").into_response())
}

/// This module's pages.
pub fn pages() -> axum::Router<AppState> {
    use axum::routing::post;
    axum::Router::new()
        .route("/tickets/views", post(create))
        .route("/tickets/views/{id}/delete", post(delete))
}
