//! The API keys page: one's own keys (everyone's with `apikeys.manage`), create and revoke.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

use super::{service, NewApiKey};
use crate::auth::extract::WebActor;
use crate::auth::pages::Msg;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::context::WebCtx;
use crate::web::form_flow::{see_other, submitted, Submitted};
use crate::web::layout::Shell;
use crate::web::render::{flash, html, translated_field_errors};

#[derive(Template)]
#[template(path = "apikeys.html")]
struct ApiKeysPage<'a> {
    shell: Shell<'a>,
    keys: &'a [super::ApiKey],
    /// The key just made, shown this once.
    created: Option<&'a str>,
    errors: std::collections::BTreeMap<String, String>,
}

async fn render(
    state: &AppState,
    ctx: &WebCtx,
    actor: &crate::auth::actor::Actor,
    created: Option<String>,
    err: Option<&AppError>,
    msg: Option<&str>,
) -> AppResult<Response> {
    let keys = service::list(state, actor, true, None, Some(200)).await?;
    let page = html(&ApiKeysPage {
        shell: Shell::new(state, ctx, "apikeys").with_flash(flash(msg)),
        keys: &keys.items,
        created: created.as_deref(),
        errors: translated_field_errors(state, ctx, err),
    })?;
    Ok(page.into_response())
}

pub async fn list(
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
}

/// The new key is shown on this response only; it is never retrievable again.
pub async fn create(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Form(f): Form<Fields>,
) -> AppResult<Response> {
    let input = NewApiKey {
        name: f.name,
        user_id: None,
    };
    // A refused name shows the page with its errors (status 200, as this page always answered).
    match submitted(service::create(&state, &actor, input).await)? {
        Submitted::Done(created) => {
            render(&state, &ctx, &actor, Some(created.secret), None, None).await
        }
        Submitted::Again(e) => render(&state, &ctx, &actor, None, Some(&e), None).await,
    }
}

pub async fn revoke(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    service::revoke(&state, &actor, id).await?;
    see_other("/apikeys?msg=revoked")
}

/// This module's pages.
pub fn pages() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/apikeys", get(list).post(create))
        .route("/apikeys/{id}/revoke", post(revoke))
}
