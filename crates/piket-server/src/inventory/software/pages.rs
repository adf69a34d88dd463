//! HTML pages for software: the catalog with search and installation counts, a device's software
//! (replaced from a textarea on the device page), and licences with the compliance table, the
//! create/edit form, the masked key and its reveal button. A licence's devices and users are
//! picked by searching (`license_picker`): a GET search box lists matches with an Assign button
//! each, which works without script; the page's script types ahead over `…/candidates`.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::{Deserialize, Serialize};

use super::license_picker::{self, Assigned, Candidate, PickerRights};
use super::license_store::Assignment;
use super::licenses::{self, License, LicenseInput};
use super::{service, SoftwareFilter, SoftwareItem};
use crate::auth::actor::Actor;
use crate::auth::extract::WebActor;
use crate::auth::pages::Msg;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::context::WebCtx;
use crate::web::form_flow::{form_page, see_other, submitted, Submitted};
use crate::web::layout::Shell;
use crate::web::render::{flash, html, translated_field_errors};

#[derive(Template)]
#[template(path = "inventory/software.html")]
struct CatalogPage<'a> {
    shell: Shell<'a>,
    items: &'a [super::Software],
    /// The next page's query string.
    next: Option<String>,
    q: &'a str,
}

#[derive(Template)]
#[template(path = "inventory/licenses.html")]
struct LicensesPage<'a> {
    shell: Shell<'a>,
    lines: &'a [licenses::Compliance],
    /// None: the form makes a new licence.
    editing: Option<&'a License>,
    key_set: bool,
    values: &'a LicenseFields,
    can_write: bool,
    errors: std::collections::BTreeMap<String, String>,
}

#[derive(Template)]
#[template(path = "inventory/license.html")]
struct LicensePage<'a> {
    shell: Shell<'a>,
    license: &'a License,
    editing: Option<&'a License>,
    /// Whether a key is stored (the form offers to clear it).
    key_set: bool,
    values: &'a LicenseFields,
    can_write: bool,
    can_reveal: bool,
    /// The key, on the answer to "reveal" only.
    revealed: Option<String>,
    errors: std::collections::BTreeMap<String, String>,
    assigned: Assigned,
    picker: PickerRights,
    pick: &'a PickQuery,
    found_devices: Vec<Candidate>,
    found_users: Vec<Candidate>,
}

/// The licence page's query: the picker's two searches (`dq` devices, `uq` users) and a notice.
#[derive(Deserialize, Default)]
pub struct PickQuery {
    #[serde(default)]
    pub dq: String,
    #[serde(default)]
    pub uq: String,
    pub msg: Option<String>,
}

impl PickQuery {
    /// This page again with the same searches (after an assignment), at `anchor`.
    fn back(&self, id: i64, msg: &str, anchor: &str) -> String {
        // The searches as far as the search reads them (a long text would only bloat Location).
        let cut = |q: &str| crate::web::layout::first_chars(q, 200);
        let query = serde_urlencoded::to_string([
            ("dq", cut(&self.dq).as_str()),
            ("uq", cut(&self.uq).as_str()),
            ("msg", msg),
        ])
        .unwrap_or_default();
        format!("/inventory/licenses/{id}?{query}#{anchor}")
    }
}

#[derive(Deserialize, Default)]
pub struct CatalogQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub cursor: String,
}

pub async fn catalog(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Query(q): Query<CatalogQuery>,
) -> AppResult<Response> {
    let query = q.q.trim().chars().take(200).collect::<String>();
    let filter = SoftwareFilter {
        q: Some(query.clone()).filter(|v| !v.is_empty()),
        device: None,
        cursor: Some(q.cursor.trim().to_string()).filter(|c| c.parse::<i64>().is_ok()),
        limit: Some(100),
    };
    let result = service::list(&state, &actor, filter).await?;
    let next = result.next_cursor.as_ref().map(|c| {
        serde_urlencoded::to_string([("q", query.as_str()), ("cursor", c.as_str())])
            .unwrap_or_default()
    });
    Ok(html(&CatalogPage {
        shell: Shell::new(&state, &ctx, "inventory"),
        items: &result.items,
        next,
        q: &query,
    })?
    .into_response())
}

/// The device page's software form: one item a line, `name | vendor | version`.
#[derive(Deserialize)]
pub struct SoftwareForm {
    #[serde(default)]
    pub items: String,
}

/// `name | vendor | version` lines as items (vendor and version optional).
pub fn parse_lines(text: &str) -> Vec<SoftwareItem> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut parts = l.splitn(3, '|').map(|p| p.trim().to_string());
            SoftwareItem {
                name: parts.next().unwrap_or_default(),
                vendor: parts.next().unwrap_or_default(),
                version: parts.next().unwrap_or_default(),
            }
        })
        .collect()
}

pub async fn replace_device(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
    Form(f): Form<SoftwareForm>,
) -> AppResult<Response> {
    service::replace(&state, &actor, id, parse_lines(&f.items)).await?;
    see_other(&format!("/inventory/{id}?msg=saved#software"))
}

/// The licence form, every value as typed.
#[derive(Deserialize, Serialize, Default, Clone)]
pub struct LicenseFields {
    #[serde(default)]
    pub product: String,
    #[serde(default)]
    pub vendor: String,
    #[serde(default)]
    pub key: String,
    pub key_clear: Option<String>,
    #[serde(default)]
    pub seats: String,
    #[serde(default)]
    pub expires_on: String,
    #[serde(default)]
    pub notes: String,
}

impl LicenseFields {
    fn input(&self) -> AppResult<LicenseInput> {
        let seats = self
            .seats
            .trim()
            .parse()
            .map_err(|_| AppError::invalid("seats", "must be a whole number"))?;
        let key = if self.key_clear.is_some() {
            Some(String::new())
        } else {
            Some(self.key.clone()).filter(|k| !k.trim().is_empty())
        };
        Ok(LicenseInput {
            product: self.product.clone(),
            vendor: self.vendor.clone(),
            key,
            seats,
            expires_on: Some(self.expires_on.clone()),
            notes: self.notes.clone(),
            // The page assigns through the picker; `save_details` keeps the assignments.
            device_ids: Vec::new(),
            user_ids: Vec::new(),
        })
    }

    fn of(l: &License) -> LicenseFields {
        LicenseFields {
            product: l.product.clone(),
            vendor: l.vendor.clone(),
            key: String::new(),
            key_clear: None,
            seats: l.seats.to_string(),
            expires_on: l.expires_on.clone().unwrap_or_default(),
            notes: l.notes.clone(),
        }
    }
}

#[derive(Default)]
struct View<'a> {
    license: Option<&'a License>,
    err: Option<&'a AppError>,
    revealed: Option<String>,
    msg: Option<&'a str>,
    /// The picker's searches (a licence's page only).
    pick: Option<&'a PickQuery>,
}

/// The compliance table with the new-licence form, or one licence's form.
async fn render(
    state: &AppState,
    ctx: &WebCtx,
    actor: &Actor,
    values: &LicenseFields,
    view: View<'_>,
) -> AppResult<Response> {
    let lines = match view.license {
        None => licenses::compliance_all(state, actor).await?,
        Some(_) => Vec::new(),
    };
    let shell = Shell::new(state, ctx, "inventory").with_flash(flash(view.msg));
    let errors = translated_field_errors(state, ctx, view.err);
    let rights = crate::inventory::service::rights(actor);
    match view.license {
        Some(license) => {
            let none = PickQuery::default();
            let pick = view.pick.unwrap_or(&none);
            let picker = license_picker::rights(actor);
            let found_devices = match picker.assign {
                true => {
                    license_picker::search(state, actor, license, Assignment::Device, &pick.dq)
                        .await?
                }
                false => Vec::new(),
            };
            let found_users = match picker.search_users {
                true => {
                    license_picker::search(state, actor, license, Assignment::User, &pick.uq)
                        .await?
                }
                false => Vec::new(),
            };
            let page = LicensePage {
                shell,
                license,
                editing: Some(license),
                key_set: license.key_set,
                values,
                can_write: rights.write,
                can_reveal: rights.reveal,
                revealed: view.revealed,
                errors,
                assigned: license_picker::assigned(state, actor, license).await?,
                picker,
                pick,
                found_devices,
                found_users,
            };
            form_page(&page, view.err)
        }
        None => {
            let page = LicensesPage {
                shell,
                lines: &lines,
                editing: None,
                key_set: false,
                values,
                can_write: rights.write,
                errors,
            };
            form_page(&page, view.err)
        }
    }
}

pub async fn licenses_page(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Query(q): Query<Msg>,
) -> AppResult<Response> {
    let values = LicenseFields {
        seats: "1".into(),
        ..LicenseFields::default()
    };
    let view = View {
        msg: q.msg.as_deref(),
        ..View::default()
    };
    render(&state, &ctx, &actor, &values, view).await
}

pub async fn license_page(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
    Query(q): Query<PickQuery>,
) -> AppResult<Response> {
    let license = licenses::get(&state, &actor, id).await?;
    let view = View {
        license: Some(&license),
        msg: q.msg.as_deref(),
        pick: Some(&q),
        ..View::default()
    };
    render(&state, &ctx, &actor, &LicenseFields::of(&license), view).await
}

async fn save(
    state: AppState,
    ctx: WebCtx,
    actor: Actor,
    id: Option<i64>,
    f: LicenseFields,
) -> AppResult<Response> {
    let result = match f.input() {
        Ok(input) => licenses::save_details(&state, &actor, id, input).await,
        Err(e) => Err(e),
    };
    match submitted(result)? {
        Submitted::Done(l) => {
            let msg = if id.is_some() { "saved" } else { "created" };
            see_other(&format!("/inventory/licenses/{}?msg={msg}", l.id))
        }
        Submitted::Again(e) => {
            let license = match id {
                Some(id) => Some(licenses::get(&state, &actor, id).await?),
                None => None,
            };
            let view = View {
                license: license.as_ref(),
                err: Some(&e),
                ..View::default()
            };
            render(&state, &ctx, &actor, &f, view).await
        }
    }
}

pub async fn license_create(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Form(f): Form<LicenseFields>,
) -> AppResult<Response> {
    save(state, ctx, actor, None, f).await
}

pub async fn license_update(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
    Form(f): Form<LicenseFields>,
) -> AppResult<Response> {
    save(state, ctx, actor, Some(id), f).await
}

pub async fn license_reveal(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let (key, status) =
        crate::secrets::pages::revealed(licenses::reveal(&state, &actor, id).await)?;
    let license = licenses::get(&state, &actor, id).await?;
    let view = View {
        license: Some(&license),
        msg: key
            .is_none()
            .then_some(crate::secrets::pages::UNREADABLE_FLASH),
        revealed: key,
        ..View::default()
    };
    let mut response = render(&state, &ctx, &actor, &LicenseFields::of(&license), view).await?;
    *response.status_mut() = status;
    Ok(crate::web::render::no_store(response))
}

/// `devices` or `users` in a picker path; anything else is not a page.
fn assignment(kind: &str) -> AppResult<Assignment> {
    match kind {
        "devices" => Ok(Assignment::Device),
        "users" => Ok(Assignment::User),
        _ => Err(AppError::NotFound),
    }
}

/// The picker's Assign button: the device or user, then this page again with the same search.
#[derive(Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    pub target: String,
    #[serde(default)]
    pub dq: String,
    #[serde(default)]
    pub uq: String,
}

async fn set_assignment(
    state: &AppState,
    actor: &Actor,
    id: i64,
    kind: &str,
    target: &str,
    f: AssignForm,
    add: bool,
) -> AppResult<Response> {
    let kind = assignment(kind)?;
    let target = target
        .trim()
        .parse::<i64>()
        .map_err(|_| AppError::NotFound)?;
    license_picker::set(state, actor, id, kind, target, add).await?;
    let pick = PickQuery {
        dq: f.dq,
        uq: f.uq,
        msg: None,
    };
    let anchor = match kind {
        Assignment::Device => "license-devices",
        Assignment::User => "license-users",
    };
    let msg = if add { "assigned" } else { "unassigned" };
    see_other(&pick.back(id, msg, anchor))
}

pub async fn license_assign(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Path((id, kind)): Path<(i64, String)>,
    Form(f): Form<AssignForm>,
) -> AppResult<Response> {
    let target = f.target.clone();
    set_assignment(&state, &actor, id, &kind, &target, f, true).await
}

pub async fn license_unassign(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Path((id, kind, target)): Path<(i64, String, String)>,
    Form(f): Form<AssignForm>,
) -> AppResult<Response> {
    set_assignment(&state, &actor, id, &kind, &target, f, false).await
}

#[derive(Deserialize)]
pub struct CandidatesQuery {
    #[serde(default)]
    pub q: String,
}

/// JSON for the picker's type-ahead: the same search as the page's box, in the same reach.
pub async fn license_candidates(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Path((id, kind)): Path<(i64, String)>,
    Query(q): Query<CandidatesQuery>,
) -> AppResult<Response> {
    let kind = assignment(&kind)?;
    let license = licenses::get(&state, &actor, id).await?;
    let found = license_picker::search(&state, &actor, &license, kind, &q.q).await?;
    Ok(axum::Json(found).into_response())
}

pub async fn license_delete(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    licenses::delete(&state, &actor, id).await?;
    see_other("/inventory/licenses?msg=deleted")
}

/// This module's pages.
pub fn pages() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/inventory/software", get(catalog))
        // The interface spells it "licences"; the paths keep the API's spelling.
        .route(
            "/inventory/licences",
            get(|| async { axum::response::Redirect::permanent("/inventory/licenses") }),
        )
        .route(
            "/inventory/licenses",
            get(licenses_page).post(license_create),
        )
        .route(
            "/inventory/licenses/{id}",
            get(license_page).post(license_update),
        )
        .route("/inventory/licenses/{id}/reveal", post(license_reveal))
        .route("/inventory/licenses/{id}/{kind}", post(license_assign))
        .route(
            "/inventory/licenses/{id}/{kind}/candidates",
            get(license_candidates),
        )
        .route(
            "/inventory/licenses/{id}/{kind}/{target}/remove",
            post(license_unassign),
        )
        .route("/inventory/licenses/{id}/delete", post(license_delete))
        .route("/inventory/{id}/software", post(replace_device))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_become_items_with_optional_vendor_and_version() {
        let items = parse_lines("GIMP\n\n Photoshop | Adobe | 25.0 \nInkscape | | 1.3 | extra");
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].name, "GIMP");
        assert_eq!(items[0].vendor, "");
        assert_eq!(items[1].vendor, "Adobe");
        assert_eq!(items[1].version, "25.0");
        assert_eq!(items[2].version, "1.3 | extra");
    }
}
