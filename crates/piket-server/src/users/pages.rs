//! Admin pages for users: list with filters, create, edit (role, departments, disable), delete.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{service, NewUser, UserFilter, UserPatch};
use crate::auth::extract::WebActor;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::context::WebCtx;
use crate::web::form::FormPairs;
use crate::web::layout::Shell;
use crate::web::render::{flash, html, translated_field_errors};
use crate::{departments, roles};

#[derive(Deserialize, Default)]
pub struct ListQuery {
    pub q: Option<String>,
    pub cursor: Option<String>,
    pub msg: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Query(lq): Query<ListQuery>,
) -> AppResult<Response> {
    let filter = UserFilter {
        q: lq.q.clone(),
        cursor: lq.cursor.clone(),
        ..Default::default()
    };
    let users = service::list(&state, &actor, filter).await?;
    let page = UsersPage {
        shell: Shell::new(&state, &ctx, "users").with_flash(flash(lq.msg.as_deref())),
        page: &users,
        q: lq.q.as_deref().unwrap_or_default(),
    };
    Ok(html(&page)?.into_response())
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage<'a> {
    shell: Shell<'a>,
    page: &'a crate::api::page::Page<super::User>,
    /// The search typed.
    q: &'a str,
}

#[derive(Template)]
#[template(path = "admin/user_form.html")]
struct UserFormPage<'a> {
    shell: Shell<'a>,
    /// The account edited; none for a new one.
    id: Option<i64>,
    values: &'a Fields,
    /// The roles the reader may hand out.
    roles: &'a [crate::roles::Role],
    departments: &'a [crate::departments::Department],
    errors: std::collections::BTreeMap<String, String>,
}

/// User forms: repeated `departments` checkboxes are collected by hand (see roles::pages).
pub struct Fields {
    pub email: String,
    pub name: String,
    pub role_id: Option<i64>,
    pub departments: Vec<i64>,
    pub locale: String,
    pub password: String,
    pub disabled: bool,
}

impl Fields {
    fn parse(body: &[u8]) -> AppResult<Fields> {
        let f = FormPairs::parse(body)?;
        let departments = f.ids("departments")?;
        Ok(Fields {
            email: f.get("email"),
            name: f.get("name"),
            role_id: f.get("role_id").parse().ok(),
            departments,
            locale: f.get("locale"),
            password: f.get("password"),
            disabled: f.get("disabled") == "1",
        })
    }
}

async fn form(
    state: &AppState,
    ctx: &WebCtx,
    actor: &crate::auth::actor::Actor,
    id: Option<i64>,
    f: &Fields,
    err: Option<&AppError>,
) -> AppResult<Response> {
    let status = if err.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    // Only what the actor may hand out: the service refuses the rest anyway.
    let all_roles = roles::service::grantable(state, actor).await?;
    let mut all_departments = departments::service::all(state).await?;
    if let Some(own) = actor.assignable_departments() {
        all_departments.retain(|d| own.contains(&d.id));
    }
    let page = UserFormPage {
        shell: Shell::new(state, ctx, "users"),
        id,
        values: f,
        roles: &all_roles,
        departments: &all_departments,
        errors: translated_field_errors(state, ctx, err),
    };
    Ok((status, html(&page)?).into_response())
}

pub async fn new(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
) -> AppResult<Response> {
    actor.require("users.manage")?;
    let blank = Fields {
        email: String::new(),
        name: String::new(),
        role_id: None,
        departments: vec![],
        locale: String::new(),
        password: String::new(),
        disabled: false,
    };
    form(&state, &ctx, &actor, None, &blank, None).await
}

pub async fn create(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    let f = Fields::parse(&body)?;
    let input = NewUser {
        email: f.email.clone(),
        name: f.name.clone(),
        role: None,
        role_id: f.role_id,
        departments: f.departments.clone(),
        locale: Some(f.locale.clone()),
        password: Some(f.password.clone()).filter(|p| !p.is_empty()),
    };
    match service::create(&state, &actor, input).await {
        Ok(_) => Ok(Redirect::to("/admin/users?msg=created").into_response()),
        Err(e @ AppError::Invalid(_)) => form(&state, &ctx, &actor, None, &f, Some(&e)).await,
        Err(e) => Err(e),
    }
}

pub async fn edit(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    actor.require("users.manage")?;
    let u = service::get(&state, &actor, id).await?;
    let f = Fields {
        email: u.email,
        name: u.name,
        role_id: Some(u.role_id),
        departments: u.departments,
        locale: u.locale.unwrap_or_default(),
        password: String::new(),
        disabled: u.disabled,
    };
    form(&state, &ctx, &actor, Some(id), &f, None).await
}

pub async fn update(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    let f = Fields::parse(&body)?;
    let patch = UserPatch {
        email: Some(f.email.clone()),
        name: Some(f.name.clone()),
        role: None,
        role_id: f.role_id,
        departments: Some(f.departments.clone()),
        locale: Some(f.locale.clone()),
        disabled: Some(f.disabled),
        password: Some(f.password.clone()).filter(|p| !p.is_empty()),
    };
    match service::update(&state, &actor, id, patch).await {
        Ok(_) => Ok(Redirect::to("/admin/users?msg=saved").into_response()),
        Err(e @ AppError::Invalid(_)) => form(&state, &ctx, &actor, Some(id), &f, Some(&e)).await,
        Err(e) => Err(e),
    }
}

pub async fn delete(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    service::delete(&state, &actor, id).await?;
    Ok(Redirect::to("/admin/users?msg=deleted").into_response())
}

/// This module's pages.
pub fn pages() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/admin/users", get(list).post(create))
        .route("/admin/users/new", get(new))
        .route("/admin/users/{id}", get(edit).post(update))
        .route("/admin/users/{id}/delete", post(delete))
}
