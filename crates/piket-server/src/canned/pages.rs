//! The admin page for canned responses (list with an add/edit form beside it), and the filled-in
//! text our script fetches to insert one into a ticket's reply box in place.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

use super::{service, written, NewCannedResponse, PLACEHOLDERS};
use crate::auth::actor::Actor;
use crate::auth::extract::WebActor;
use crate::auth::pages::Msg;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::context::WebCtx;
use crate::web::form_flow::{form_page, see_other, submitted_unique, Submitted};
use crate::web::layout::Shell;
use crate::web::render::{flash, translated_field_errors};

#[derive(Template)]
#[template(path = "admin/canned.html")]
struct ListPage<'a> {
    shell: Shell<'a>,
    items: &'a [super::CannedResponse],
    departments: &'a [crate::departments::Department],
    /// The entry in the form beside the list; none for a new one.
    editing: Option<i64>,
    /// The placeholders a body may use, as written.
    placeholders: &'a [String],
    values: &'a Fields,
    errors: std::collections::BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
pub struct Fields {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub department_id: String,
}

impl Fields {
    fn input(&self) -> AppResult<NewCannedResponse> {
        let department_id = match self.department_id.trim() {
            "" => None,
            v => Some(
                v.parse()
                    .map_err(|_| AppError::invalid("department_id", "no such department"))?,
            ),
        };
        Ok(NewCannedResponse {
            name: self.name.clone(),
            body: self.body.clone(),
            department_id,
        })
    }
}

async fn render(
    state: &AppState,
    ctx: &WebCtx,
    actor: &Actor,
    editing: Option<i64>,
    values: &Fields,
    err: Option<&AppError>,
    msg: Option<&str>,
) -> AppResult<Response> {
    let items = service::admin_list(state, actor).await?;
    let departments = crate::departments::service::all(state).await?;
    let placeholders: Vec<String> = PLACEHOLDERS.iter().map(|p| written(p)).collect();
    let page = ListPage {
        shell: Shell::new(state, ctx, "canned").with_flash(flash(msg)),
        items: &items,
        departments: &departments,
        editing,
        placeholders: &placeholders,
        values,
        errors: translated_field_errors(state, ctx, err),
    };
    form_page(&page, err)
}

pub async fn list(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Query(q): Query<Msg>,
) -> AppResult<Response> {
    let values = Fields::default();
    render(&state, &ctx, &actor, None, &values, None, q.msg.as_deref()).await
}

pub async fn edit(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let c = service::for_edit(&state, &actor, id).await?;
    let values = Fields {
        name: c.name,
        body: c.body,
        department_id: c.department_id.map(|d| d.to_string()).unwrap_or_default(),
    };
    render(&state, &ctx, &actor, Some(id), &values, None, None).await
}

async fn save(
    state: AppState,
    ctx: WebCtx,
    actor: Actor,
    id: Option<i64>,
    f: Fields,
) -> AppResult<Response> {
    let result = match f.input() {
        Ok(input) => service::save(&state, &actor, id, input).await,
        Err(e) => Err(e),
    };
    match submitted_unique(result, "name")? {
        Submitted::Done(_) => see_other("/admin/canned?msg=saved"),
        Submitted::Again(e) => render(&state, &ctx, &actor, id, &f, Some(&e), None).await,
    }
}

pub async fn create(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Form(f): Form<Fields>,
) -> AppResult<Response> {
    save(state, ctx, actor, None, f).await
}

pub async fn update(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
    Form(f): Form<Fields>,
) -> AppResult<Response> {
    save(state, ctx, actor, Some(id), f).await
}

pub async fn delete(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    service::delete(&state, &actor, id).await?;
    see_other("/admin/canned?msg=deleted")
}

/// `GET /tickets/{id}/canned/{canned_id}`: the filled-in text as plain text, for `app.js` to
/// insert at the cursor (the JSON API takes API keys only, so the page cannot call it).
pub async fn text(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Path((id, canned_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let filled = service::expand_for_ticket(&state, &actor, id, canned_id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        filled.body,
    )
        .into_response())
}

/// This module's pages.
pub fn pages() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/admin/canned", get(list).post(create))
        .route("/admin/canned/{id}", get(edit).post(update))
        .route("/admin/canned/{id}/delete", post(delete))
        .route("/tickets/{id}/canned/{canned_id}", get(text))
}
