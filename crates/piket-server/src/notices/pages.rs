//! The dismiss button of a page notice: a posted form (CSRF like every form) that goes back to
//! the page it was pressed on.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::Form;
use serde::Deserialize;

use super::service;
use crate::auth::extract::WebActor;
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::form_flow::see_other;
use crate::web::redirect::is_local_path;

#[derive(Deserialize)]
pub struct DismissForm {
    /// The page to go back to (a local path; anything else goes to `/`).
    #[serde(default)]
    pub back: String,
}

pub async fn dismiss(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Path(notice): Path<String>,
    Form(f): Form<DismissForm>,
) -> AppResult<Response> {
    service::dismiss(&state, &actor, &notice).await?;
    let back = Some(f.back).filter(|b| is_local_path(b));
    see_other(back.as_deref().unwrap_or("/"))
}

/// This module's pages.
pub fn pages() -> axum::Router<AppState> {
    axum::Router::new().route("/notices/{notice}/dismiss", axum::routing::post(dismiss))
}
