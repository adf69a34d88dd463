//! The audit log page with filters.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};

use super::AuditFilter;
use crate::auth::extract::WebActor;
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::context::WebCtx;
use crate::web::layout::Shell;
use crate::web::render::html;

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage<'a> {
    shell: Shell<'a>,
    page: &'a crate::api::page::Page<super::AuditEntry>,
    /// The filters as typed.
    query: &'a Typed,
}

/// The filters as typed, for the form and the next page's link.
struct Typed {
    action: String,
    object_kind: String,
    since: String,
    until: String,
}

/// Whether a before/after value is worth showing (not absent, null, empty, false or zero).
pub fn shown(value: &Option<serde_json::Value>) -> bool {
    use serde_json::Value;
    match value {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64() != Some(0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
    }
}

/// A before/after value as indented JSON, safe inside HTML (`<`, `>`, `&` and `'` escaped the
/// JSON way).
pub fn pretty_json(value: &Option<serde_json::Value>) -> String {
    let text = value
        .as_ref()
        .and_then(|v| serde_json::to_string_pretty(v).ok())
        .unwrap_or_default();
    let mut safe = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => safe.push_str("\\u003c"),
            '>' => safe.push_str("\\u003e"),
            '&' => safe.push_str("\\u0026"),
            '\'' => safe.push_str("\\u0027"),
            _ => safe.push(c),
        }
    }
    safe
}

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
    // The page's dates are days in the reader's zone.
    let local = |s: &Option<String>| blank(s).map(|d| ctx.zone.typed_to_utc(&d).unwrap_or(d));
    let filter = AuditFilter {
        action: blank(&q.action),
        object_kind: blank(&q.object_kind),
        since: local(&q.since),
        until: local(&q.until),
        cursor: blank(&q.cursor),
        ..Default::default()
    };
    let entries = super::list(&state, &actor, filter).await?;
    let query = Typed {
        action: q.action.unwrap_or_default(),
        object_kind: q.object_kind.unwrap_or_default(),
        since: q.since.unwrap_or_default(),
        until: q.until.unwrap_or_default(),
    };
    Ok(html(&AuditPage {
        shell: Shell::new(&state, &ctx, "audit"),
        page: &entries,
        query: &query,
    })?
    .into_response())
}

/// This module's pages.
pub fn pages() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new().route("/admin/audit", get(list))
}
