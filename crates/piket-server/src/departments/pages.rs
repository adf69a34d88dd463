//! Admin pages for departments.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

use super::{service, DepartmentPatch, NewDepartment};
use crate::auth::extract::WebActor;
use crate::auth::pages::Msg;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::context::WebCtx;
use crate::web::form_flow::{form_page, see_other, submitted, Submitted};
use crate::web::layout::Shell;
use crate::web::render::{flash, html, translated_field_errors};

#[derive(Template)]
#[template(path = "admin/departments.html")]
struct DepartmentsPage<'a> {
    shell: Shell<'a>,
    items: &'a [super::Department],
}

#[derive(Template)]
#[template(path = "admin/department_form.html")]
struct DepartmentFormPage<'a> {
    shell: Shell<'a>,
    /// The department edited; none for a new one.
    id: Option<i64>,
    values: &'a Fields,
    errors: std::collections::BTreeMap<String, String>,
}

pub async fn list(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Query(q): Query<Msg>,
) -> AppResult<Response> {
    let items = service::admin_list(&state, &actor).await?;
    Ok(html(&DepartmentsPage {
        shell: Shell::new(&state, &ctx, "departments").with_flash(flash(q.msg.as_deref())),
        items: &items,
    })?
    .into_response())
}

#[derive(Deserialize)]
pub struct Fields {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

fn form(
    state: &AppState,
    ctx: &WebCtx,
    id: Option<i64>,
    values: &Fields,
    err: Option<&AppError>,
) -> AppResult<Response> {
    let page = DepartmentFormPage {
        shell: Shell::new(state, ctx, "departments"),
        id,
        values,
        errors: translated_field_errors(state, ctx, err),
    };
    form_page(&page, err)
}

pub async fn new(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
) -> AppResult<Response> {
    service::may_manage(&actor)?;
    form(
        &state,
        &ctx,
        None,
        &Fields {
            name: String::new(),
            description: String::new(),
        },
        None,
    )
}

pub async fn create(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Form(f): Form<Fields>,
) -> AppResult<Response> {
    let input = NewDepartment {
        name: f.name.clone(),
        description: f.description.clone(),
    };
    match submitted(service::create(&state, &actor, input).await)? {
        Submitted::Done(_) => see_other("/admin/departments?msg=created"),
        Submitted::Again(e) => form(&state, &ctx, None, &f, Some(&e)),
    }
}

pub async fn edit(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let d = service::for_edit(&state, &actor, id).await?;
    form(
        &state,
        &ctx,
        Some(id),
        &Fields {
            name: d.name,
            description: d.description,
        },
        None,
    )
}

pub async fn update(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
    Form(f): Form<Fields>,
) -> AppResult<Response> {
    let patch = DepartmentPatch {
        name: Some(f.name.clone()),
        description: Some(f.description.clone()),
    };
    match submitted(service::update(&state, &actor, id, patch).await)? {
        Submitted::Done(_) => see_other("/admin/departments?msg=saved"),
        Submitted::Again(e) => form(&state, &ctx, Some(id), &f, Some(&e)),
    }
}

pub async fn delete(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    service::delete(&state, &actor, id).await?;
    see_other("/admin/departments?msg=deleted")
}

/// This module's pages.
pub fn pages() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/admin/departments", get(list).post(create))
        .route("/admin/departments/new", get(new))
        .route("/admin/departments/{id}", get(edit).post(update))
        .route("/admin/departments/{id}/delete", post(delete))
}
