//! The audit log page with filters.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use minijinja::context;

use super::AuditFilter;
use crate::auth::extract::WebActor;
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::context::WebCtx;
use crate::web::render::page;

#[derive(serde::Deserialize, Default)]
pub struct Q {
    pub action: Option<String>,
    pub object_kind: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub cursor: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Query(q): Query<Q>,
) -> AppResult<Response> {
    let blank = |s: &Option<String>| s.clone().filter(|v| !v.trim().is_empty());
    let filter = AuditFilter {
        action: blank(&q.action),
        object_kind: blank(&q.object_kind),
        since: blank(&q.since),
        until: blank(&q.until),
        cursor: blank(&q.cursor),
        ..Default::default()
    };
    let entries = super::list(&state, &actor, filter).await?;
    let query = context! { action => q.action.unwrap_or_default(), object_kind => q.object_kind.unwrap_or_default(), since => q.since.unwrap_or_default(), until => q.until.unwrap_or_default() };
    Ok(page(
        &state,
        &ctx,
        "admin/audit.html",
        context! { nav => "audit", page => entries, query => query },
    )?
    .into_response())
}

/// This module's pages.
pub fn pages() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new().route("/admin/audit", get(list))
}
