//! Admin pages for departments.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use super::{service, DepartmentPatch, NewDepartment};
use crate::auth::extract::WebActor;
use crate::auth::pages::Msg;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::context::WebCtx;
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
    actor.require("departments.manage")?;
    let items = service::all(&state).await?;
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
    let status = if err.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = DepartmentFormPage {
        shell: Shell::new(state, ctx, "departments"),
        id,
        values,
        errors: translated_field_errors(state, ctx, err),
    };
    Ok((status, html(&page)?).into_response())
}

pub async fn new(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
) -> AppResult<Response> {
    actor.require("departments.manage")?;
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
    match service::create(
        &state,
        &actor,
        NewDepartment {
            name: f.name.clone(),
            description: f.description.clone(),
        },
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/admin/departments?msg=created").into_response()),
        Err(e @ AppError::Invalid(_)) => form(&state, &ctx, None, &f, Some(&e)),
        Err(e) => Err(e),
    }
}

pub async fn edit(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    actor.require("departments.manage")?;
    let d = service::get(&state, &actor, id).await?;
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
    match service::update(
        &state,
        &actor,
        id,
        DepartmentPatch {
            name: Some(f.name.clone()),
            description: Some(f.description.clone()),
        },
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/admin/departments?msg=saved").into_response()),
        Err(e @ AppError::Invalid(_)) => form(&state, &ctx, Some(id), &f, Some(&e)),
        Err(e) => Err(e),
    }
}

pub async fn delete(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    service::delete(&state, &actor, id).await?;
    Ok(Redirect::to("/admin/departments?msg=deleted").into_response())
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
