//! Admin pages for roles: built-ins are shown read-only; custom roles are edited with checkboxes,
//! grouped by area with a plain name and a line of explanation each. Permissions of modules not
//! built yet are not offered (a save keeps those a role holds: `service::update_from_editor`).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};

use super::{service, NewRole, RolePatch};
use crate::auth::extract::WebActor;
use crate::auth::pages::Msg;
use crate::auth::permissions::{self, Scope};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::context::WebCtx;
use crate::web::form::FormPairs;
use crate::web::form_flow::{form_page, see_other, submitted, Submitted};
use crate::web::layout::Shell;
use crate::web::render::{flash, html, translated_field_errors};

#[derive(Template)]
#[template(path = "admin/roles.html")]
struct RolesPage<'a> {
    shell: Shell<'a>,
    items: &'a [super::Role],
}

impl RolesPage<'_> {
    /// A role's offered permissions by area, as the list shows them.
    fn groups(&self, role: &super::Role) -> Vec<(&'static str, Vec<&'static str>)> {
        permissions::offered_groups(|p| role.permissions.iter().any(|h| h == p))
    }

    /// Whether a role holds every permission the editor offers ("all permissions").
    fn holds_all(&self, role: &super::Role) -> bool {
        permissions::CATALOG
            .iter()
            .filter(|p| permissions::is_offered(p))
            .all(|p| role.permissions.iter().any(|h| h == p))
    }
}

#[derive(Template)]
#[template(path = "admin/role_form.html")]
struct RoleFormPage<'a> {
    shell: Shell<'a>,
    /// The role edited; none for a new one.
    id: Option<i64>,
    values: &'a Fields,
    scopes: &'static [&'static str],
    /// The offered permissions by area.
    groups: Vec<(&'static str, Vec<&'static str>)>,
    /// What the edited role holds of modules not built yet (kept on save, not offered).
    kept: Vec<String>,
    errors: std::collections::BTreeMap<String, String>,
}

pub async fn list(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Query(q): Query<Msg>,
) -> AppResult<Response> {
    let items = service::admin_list(&state, &actor).await?;
    Ok(html(&RolesPage {
        shell: Shell::new(&state, &ctx, "roles").with_flash(flash(q.msg.as_deref())),
        items: &items,
    })?
    .into_response())
}

/// Checkbox forms repeat `permissions=…`; serde_urlencoded cannot collect repeats, so parse pairs.
pub struct Fields {
    pub name: String,
    pub description: String,
    pub scope: String,
    pub permissions: Vec<String>,
}

impl Fields {
    fn parse(body: &[u8]) -> AppResult<Fields> {
        let f = FormPairs::parse(body)?;
        Ok(Fields {
            name: f.get("name"),
            description: f.get("description"),
            scope: f.get("scope"),
            permissions: f.all("permissions"),
        })
    }

    fn scope(&self) -> AppResult<Scope> {
        Scope::parse(&self.scope)
            .ok_or_else(|| AppError::invalid("scope", "must be all, department or own"))
    }
}

fn form(
    state: &AppState,
    ctx: &WebCtx,
    role: Option<&super::Role>,
    f: &Fields,
    err: Option<&AppError>,
) -> AppResult<Response> {
    let page = RoleFormPage {
        shell: Shell::new(state, ctx, "roles"),
        id: role.map(|r| r.id),
        values: f,
        scopes: &["all", "department", "own"],
        groups: permissions::offered_groups(|_| true),
        kept: role.map(service::hidden_held).unwrap_or_default(),
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
            scope: "department".into(),
            permissions: vec![],
        },
        None,
    )
}

pub async fn create(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    let f = Fields::parse(&body)?;
    let input = NewRole {
        name: f.name.clone(),
        description: f.description.clone(),
        scope: f.scope()?,
        permissions: f.permissions.clone(),
    };
    match submitted(service::create_from_editor(&state, &actor, input).await)? {
        Submitted::Done(_) => see_other("/admin/roles?msg=created"),
        Submitted::Again(e) => form(&state, &ctx, None, &f, Some(&e)),
    }
}

pub async fn edit(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let r = service::for_edit(&state, &actor, id).await?;
    let values = Fields {
        name: r.name.clone(),
        description: r.description.clone(),
        scope: r.scope.as_str().into(),
        permissions: r.permissions.clone(),
    };
    form(&state, &ctx, Some(&r), &values, None)
}

pub async fn update(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    let f = Fields::parse(&body)?;
    let patch = RolePatch {
        name: Some(f.name.clone()),
        description: Some(f.description.clone()),
        scope: Some(f.scope()?),
        permissions: Some(f.permissions.clone()),
    };
    match submitted(service::update_from_editor(&state, &actor, id, patch).await)? {
        Submitted::Done(_) => see_other("/admin/roles?msg=saved"),
        Submitted::Again(e) => {
            let r = service::for_edit(&state, &actor, id).await?;
            form(&state, &ctx, Some(&r), &f, Some(&e))
        }
    }
}

pub async fn delete(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    service::delete(&state, &actor, id).await?;
    see_other("/admin/roles?msg=deleted")
}

/// This module's pages.
pub fn pages() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/admin/roles", get(list).post(create))
        .route("/admin/roles/new", get(new))
        .route("/admin/roles/{id}", get(edit).post(update))
        .route("/admin/roles/{id}/delete", post(delete))
}
