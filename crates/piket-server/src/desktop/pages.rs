//! `/desktop/link/{key}`: where the helper sends the browser so the signed-in user confirms
//! which Piket user this PC's account files as; and unlinking a computer from the agent page.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

use super::{service, PendingLink};
use crate::auth::extract::WebActor;
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::context::WebCtx;
use crate::web::form_flow::see_other;
use crate::web::layout::Shell;
use crate::web::render::{html, no_store};

#[derive(Template)]
#[template(path = "desktop_link.html")]
struct LinkPage<'a> {
    shell: Shell<'a>,
    link: PendingLink,
    name: &'a str,
    email: &'a str,
}

fn render(
    state: &AppState,
    ctx: &WebCtx,
    actor: &crate::auth::actor::Actor,
    link: PendingLink,
) -> AppResult<Response> {
    let page = html(&LinkPage {
        shell: Shell::new(state, ctx, "agent"),
        link,
        name: &actor.name,
        email: &actor.email,
    })?;
    Ok(no_store(page.into_response()))
}

pub async fn show(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Path(key): Path<String>,
) -> AppResult<Response> {
    let link = service::pending(&state, &actor, &key).await?;
    render(&state, &ctx, &actor, link)
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    pub code: String,
}

pub async fn confirm(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Path(key): Path<String>,
    Form(form): Form<CodeForm>,
) -> AppResult<Response> {
    let link = service::confirm(&state, &actor, &key, &form.code).await?;
    render(&state, &ctx, &actor, link)
}

pub async fn unlink(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    service::revoke(&state, &actor, id).await?;
    see_other("/agent?msg=revoked#linked-computers")
}

pub fn pages() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/desktop/link/{key}", get(show).post(confirm))
        .route("/desktop/links/{id}/unlink", post(unlink))
}
