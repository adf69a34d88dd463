//! The admin page for piket-agent: enrollment tokens (create, shown once with the ready
//! command; revoke) and the enrolled devices (revoke one).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

use super::{devices, tokens, CreatedEnrollmentToken, NewEnrollmentToken};
use crate::auth::actor::Actor;
use crate::auth::extract::WebActor;
use crate::auth::pages::Msg;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::context::WebCtx;
use crate::web::form_flow::{see_other, submitted, Submitted};
use crate::web::layout::Shell;
use crate::web::render::{flash, html, no_store, translated_field_errors};

#[derive(Template)]
#[template(path = "admin/agents.html")]
struct AgentsPage<'a> {
    shell: Shell<'a>,
    tokens: &'a [super::EnrollmentToken],
    devices: &'a [super::AgentDevice],
    departments: &'a [crate::departments::Department],
    /// A token just made, shown this once with its command.
    fresh: Option<CreatedEnrollmentToken>,
    errors: std::collections::BTreeMap<String, String>,
}

/// The address agents should use: the configured base URL, unless it only names a wildcard
/// listen address (no `base_url` set), then the Host the browser used.
pub fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    let configured = state.config.base_url.trim_end_matches('/');
    let wildcard = ["//0.0.0.0", "//[::]"]
        .iter()
        .any(|w| configured.contains(w));
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        });
    match (wildcard, host) {
        (true, Some(h)) => format!("http://{h}"),
        _ => configured.to_string(),
    }
}

async fn render(
    state: &AppState,
    ctx: &WebCtx,
    actor: &Actor,
    fresh: Option<CreatedEnrollmentToken>,
    err: Option<&AppError>,
    msg: Option<&str>,
) -> AppResult<Response> {
    let list = tokens::list(state, actor).await?;
    let devs = devices::list(state, actor).await?;
    let departments = crate::departments::service::all(state).await?;
    let page = html(&AgentsPage {
        shell: Shell::new(state, ctx, "agents").with_flash(flash(msg)),
        tokens: &list,
        devices: &devs,
        departments: &departments,
        fresh,
        errors: translated_field_errors(state, ctx, err),
    })?;
    Ok(no_store(page.into_response()))
}

pub async fn show(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Query(q): Query<Msg>,
) -> AppResult<Response> {
    render(&state, &ctx, &actor, None, None, q.msg.as_deref()).await
}

#[derive(Deserialize)]
pub struct Fields {
    pub name: String,
    #[serde(default)]
    pub department_id: String,
    #[serde(default)]
    pub expires_in_days: String,
    #[serde(default)]
    pub max_uses: String,
}

/// An optional number from a form field; text that is not one becomes 0, which the rules refuse.
fn number(s: &str) -> Option<i64> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.parse().unwrap_or(0))
}

pub async fn create(
    State(state): State<AppState>,
    ctx: WebCtx,
    headers: HeaderMap,
    WebActor(actor): WebActor,
    Form(f): Form<Fields>,
) -> AppResult<Response> {
    let input = NewEnrollmentToken {
        name: f.name,
        department_id: number(&f.department_id),
        expires_in_days: number(&f.expires_in_days),
        max_uses: number(&f.max_uses),
    };
    // The new token is shown on this answer, once; a refused one shows the page with its
    // errors (status 200, as this page always answered).
    match submitted(tokens::create(&state, &actor, input).await)? {
        Submitted::Done(mut created) => {
            created.command = tokens::command(&base_url(&state, &headers), &created.secret);
            render(&state, &ctx, &actor, Some(created), None, None).await
        }
        Submitted::Again(e) => render(&state, &ctx, &actor, None, Some(&e), None).await,
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    tokens::revoke(&state, &actor, id).await?;
    see_other("/admin/inventory/agents?msg=revoked")
}

pub async fn revoke_device(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    devices::revoke(&state, &actor, id).await?;
    see_other("/admin/inventory/agents?msg=revoked")
}

/// This module's pages.
pub fn pages() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/admin/inventory/agents", get(show).post(create))
        .route(
            "/admin/inventory/agents/tokens/{id}/revoke",
            post(revoke_token),
        )
        .route(
            "/admin/inventory/agents/devices/{id}/revoke",
            post(revoke_device),
        )
        .route("/agent", get(super::portal::show))
        .route("/agent/command", post(super::portal::create_command))
        .route("/agent/download/{name}", get(super::portal::download))
}

#[cfg(test)]
mod tests {
    use super::number;

    #[test]
    fn numbers_from_forms() {
        assert_eq!(number(""), None);
        assert_eq!(number(" 7 "), Some(7));
        assert_eq!(number("seven"), Some(0));
    }
}
