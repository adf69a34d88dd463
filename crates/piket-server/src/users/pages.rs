//! Admin pages for users: list with filters, create, edit (role, departments, disable), delete.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::service::{self, FormChoices};
use super::{NewUser, UserFilter, UserPatch};
use crate::auth::extract::WebActor;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::context::WebCtx;
use crate::web::form::FormPairs;
use crate::web::form_flow::{form_page, see_other, submitted, Submitted};
use crate::web::layout::Shell;
use crate::web::render::{flash, html, translated_field_errors};

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

impl UserFormPage<'_> {
    /// Editing, an empty password keeps the current one; creating, it means "by a reset link".
    fn password_hint(&self) -> &str {
        self.shell.t(if self.id.is_some() {
            "hint_password_optional"
        } else {
            "hint_password_new"
        })
    }
}

/// User forms: repeated `departments` checkboxes are collected by hand (see roles::pages).
pub struct Fields {
    pub email: String,
    pub name: String,
    pub role_id: Option<i64>,
    pub departments: Vec<i64>,
    pub locale: String,
    pub phone: String,
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
            phone: f.get("phone"),
            password: f.get("password"),
            disabled: f.get("disabled") == "1",
        })
    }
}

fn form(
    state: &AppState,
    ctx: &WebCtx,
    choices: &FormChoices,
    id: Option<i64>,
    f: &Fields,
    err: Option<&AppError>,
) -> AppResult<Response> {
    let page = UserFormPage {
        shell: Shell::new(state, ctx, "users"),
        id,
        values: f,
        roles: &choices.roles,
        departments: &choices.departments,
        errors: translated_field_errors(state, ctx, err),
    };
    form_page(&page, err)
}

pub async fn new(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
) -> AppResult<Response> {
    let choices = service::form_choices(&state, &actor).await?;
    let blank = Fields {
        email: String::new(),
        name: String::new(),
        role_id: choices.least_privileged(),
        departments: vec![],
        locale: String::new(),
        phone: String::new(),
        password: String::new(),
        disabled: false,
    };
    form(&state, &ctx, &choices, None, &blank, None)
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
        phone: Some(f.phone.clone()),
    };
    match submitted(service::create(&state, &actor, input).await)? {
        Submitted::Done(_) => see_other("/admin/users?msg=created"),
        Submitted::Again(e) => {
            let choices = service::form_choices(&state, &actor).await?;
            form(&state, &ctx, &choices, None, &f, Some(&e))
        }
    }
}

pub async fn edit(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let choices = service::form_choices(&state, &actor).await?;
    let u = service::get(&state, &actor, id).await?;
    let f = Fields {
        email: u.email,
        name: u.name,
        role_id: Some(u.role_id),
        departments: u.departments,
        locale: u.locale.unwrap_or_default(),
        phone: u.phone.unwrap_or_default(),
        password: String::new(),
        disabled: u.disabled,
    };
    form(&state, &ctx, &choices, Some(id), &f, None)
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
        phone: Some(f.phone.clone()),
    };
    match submitted(service::update(&state, &actor, id, patch).await)? {
        Submitted::Done(_) => see_other("/admin/users?msg=saved"),
        Submitted::Again(e) => {
            let choices = service::form_choices(&state, &actor).await?;
            form(&state, &ctx, &choices, Some(id), &f, Some(&e))
        }
    }
}

pub async fn delete(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    service::delete(&state, &actor, id).await?;
    see_other("/admin/users?msg=deleted")
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
