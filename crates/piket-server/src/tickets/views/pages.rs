//! The list page's "Save this view" form and the delete buttons beside each saved view.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::Form;
use serde::Deserialize;

use super::NewSavedView;
use crate::auth::extract::WebActor;
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::context::WebCtx;
use crate::web::form_flow::{see_other, submitted_unique, Submitted};

#[derive(Deserialize)]
pub struct SaveViewForm {
    #[serde(default)]
    name: String,
    /// The list's query string.
    #[serde(default)]
    query: String,
}

/// `POST /tickets/views` with `name` and `query` (the list's current query string): on success
/// back to that list; on a bad name the list again, with the error by the form.
pub async fn create(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    headers: axum::http::HeaderMap,
    Form(f): Form<SaveViewForm>,
) -> AppResult<Response> {
    let input = NewSavedView {
        name: f.name.clone(),
        query: f.query.clone(),
    };
    match submitted_unique(super::create(&state, &actor, input).await, "name")? {
        Submitted::Done(view) => {
            let sep = if view.query.is_empty() { "" } else { "&" };
            see_other(&format!("/tickets?{}{sep}msg=saved", view.query))
        }
        Submitted::Again(e) => {
            // The list again with the filters the form carried, or unfiltered if they are bad.
            let query = f.query.trim().trim_start_matches('?');
            let raw: Vec<(String, String)> =
                match serde_urlencoded::from_str::<crate::tickets::filter::ListQuery>(query) {
                    Ok(_) => serde_urlencoded::from_str(query).unwrap_or_default(),
                    Err(_) => Vec::new(),
                };
            crate::tickets::pages::render_list(
                &state,
                &ctx,
                &actor,
                &headers,
                raw,
                &f.name,
                Some(&e),
            )
            .await
        }
    }
}

pub async fn delete(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    super::delete(&state, &actor, id).await?;
    see_other("/tickets?msg=deleted")
}

/// This module's pages.
pub fn pages() -> axum::Router<AppState> {
    use axum::routing::post;
    axum::Router::new()
        .route("/tickets/views", post(create))
        .route("/tickets/views/{id}/delete", post(delete))
}
