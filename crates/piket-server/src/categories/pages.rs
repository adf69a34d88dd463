//! Admin page for ticket categories: the list with an add/edit form beside it.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::Form;
use serde::Deserialize;

use super::{service, NewCategory};
use crate::auth::extract::WebActor;
use crate::auth::pages::Msg;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::context::WebCtx;
use crate::web::form_flow::{form_page, see_other, submitted_unique, Submitted};
use crate::web::layout::Shell;
use crate::web::render::{flash, translated_field_errors};

#[derive(Template)]
#[template(path = "admin/categories.html")]
struct ListPage<'a> {
    shell: Shell<'a>,
    items: &'a [super::Category],
    departments: &'a [crate::departments::Department],
    /// The entry in the form beside the list; none for a new one.
    editing: Option<i64>,
    values: &'a Fields,
    errors: std::collections::BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
pub struct Fields {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub department_id: String,
}

impl Fields {
    fn input(&self) -> AppResult<NewCategory> {
        let department_id = match self.department_id.trim() {
            "" => None,
            v => Some(
                v.parse()
                    .map_err(|_| AppError::invalid("department_id", "no such department"))?,
            ),
        };
        Ok(NewCategory {
            name: self.name.clone(),
            description: self.description.clone(),
            department_id,
        })
    }
}

async fn render(
    state: &AppState,
    ctx: &WebCtx,
    actor: &crate::auth::actor::Actor,
    editing: Option<i64>,
    values: &Fields,
    err: Option<&AppError>,
    msg: Option<&str>,
) -> AppResult<Response> {
    let items = service::admin_list(state, actor).await?;
    let departments = crate::departments::service::all(state).await?;
    let page = ListPage {
        shell: Shell::new(state, ctx, "categories").with_flash(flash(msg)),
        items: &items,
        departments: &departments,
        editing,
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
    render(
        &state,
        &ctx,
        &actor,
        None,
        &Fields::default(),
        None,
        q.msg.as_deref(),
    )
    .await
}

pub async fn edit(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let c = service::get(&state, &actor, id).await?;
    let values = Fields {
        name: c.name,
        description: c.description,
        department_id: c.department_id.map(|d| d.to_string()).unwrap_or_default(),
    };
    render(&state, &ctx, &actor, Some(id), &values, None, None).await
}

async fn save(
    state: AppState,
    ctx: WebCtx,
    actor: crate::auth::actor::Actor,
    id: Option<i64>,
    f: Fields,
) -> AppResult<Response> {
    let result = match f.input() {
        Ok(input) => service::save(&state, &actor, id, input).await,
        Err(e) => Err(e),
    };
    match submitted_unique(result, "name")? {
        Submitted::Done(_) => see_other("/admin/categories?msg=saved"),
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
    see_other("/admin/categories?msg=deleted")
}

/// This module's pages.
pub fn pages() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/admin/categories", get(list).post(create))
        .route("/admin/categories/{id}", get(edit).post(update))
        .route("/admin/categories/{id}/delete", post(delete))
}
