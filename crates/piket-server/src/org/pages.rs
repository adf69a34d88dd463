//! The organisation page (`/admin/organisation`): the time zone pages show for anyone who has not
//! chosen their own.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::Form;
use serde::Deserialize;

use super::service;
use crate::auth::actor::Actor;
use crate::auth::extract::WebActor;
use crate::auth::pages::Msg;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::context::WebCtx;
use crate::web::form_flow::{form_page, see_other, submitted, Submitted};
use crate::web::layout::Shell;
use crate::web::render::{flash, translated_field_errors};

#[derive(Template)]
#[template(path = "admin/organisation.html")]
struct OrgPage<'a> {
    shell: Shell<'a>,
    /// What the field shows (as chosen, or as typed when shown again).
    time_zone: &'a str,
    /// The zone in force when none is chosen (the SLA calendar's offset).
    fallback: String,
    zones: Vec<String>,
    errors: std::collections::BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
pub struct Fields {
    #[serde(default)]
    pub time_zone: String,
}

async fn render(
    state: &AppState,
    ctx: &WebCtx,
    actor: &Actor,
    typed: Option<&str>,
    err: Option<&AppError>,
    msg: Option<&str>,
) -> AppResult<Response> {
    let setting = service::for_edit(state, actor).await?;
    let fallback = match &setting.chosen {
        Some(_) => service::calendar_zone(state).await?.name().to_string(),
        None => setting.effective.name().to_string(),
    };
    let page = OrgPage {
        shell: Shell::new(state, ctx, "organisation").with_flash(flash(msg)),
        time_zone: typed.unwrap_or(setting.chosen.as_deref().unwrap_or("")),
        fallback,
        zones: crate::local_time::Zone::names(),
        errors: translated_field_errors(state, ctx, err),
    };
    form_page(&page, err)
}

pub async fn show(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Query(q): Query<Msg>,
) -> AppResult<Response> {
    render(&state, &ctx, &actor, None, None, q.msg.as_deref()).await
}

pub async fn save(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Form(f): Form<Fields>,
) -> AppResult<Response> {
    let result = service::set_time_zone(&state, &actor, &f.time_zone).await;
    match submitted(result)? {
        Submitted::Done(()) => see_other("/admin/organisation?msg=saved"),
        Submitted::Again(e) => {
            render(&state, &ctx, &actor, Some(&f.time_zone), Some(&e), None).await
        }
    }
}

/// This module's pages.
pub fn pages() -> axum::Router<AppState> {
    axum::Router::new().route("/admin/organisation", axum::routing::get(show).post(save))
}
