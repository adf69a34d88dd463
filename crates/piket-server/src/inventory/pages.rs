//! HTML pages for hardware assets: the list with filters, and the new/edit form (`/inventory/new`,
//! `/inventory/{id}/edit`) with the software list, merging and delete. The asset's own page is
//! its read view (`read_page`); the form posts to `/inventory/{id}` as before.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::{Deserialize, Serialize};

use super::{service, Hardware, HardwareFilter, HardwareInput, STATUSES, TYPES};
use crate::auth::actor::Actor;
use crate::auth::extract::WebActor;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::context::WebCtx;
use crate::web::form_flow::{form_page, see_other, submitted, Submitted};
use crate::web::layout::Shell;
use crate::web::render::{flash, html, translated_field_errors};

#[derive(Template)]
#[template(path = "inventory/list.html")]
struct ListPage<'a> {
    shell: Shell<'a>,
    items: &'a [Hardware],
    /// The next page's query string.
    next: Option<String>,
    filter: &'a ListQuery,
    types: &'static [&'static str],
    statuses: &'static [&'static str],
    departments: &'a [crate::departments::Department],
    can_write: bool,
}

#[derive(Template)]
#[template(path = "inventory/form.html")]
struct FormPage<'a> {
    shell: Shell<'a>,
    /// The asset edited; none on the new-asset form.
    asset: Option<&'a Hardware>,
    values: &'a Fields,
    software: &'a [super::software::Installation],
    merge_from: &'a str,
    /// (id, name, email) of the people an asset may belong to.
    owners: &'a [(i64, String, String)],
    departments: &'a [crate::departments::Department],
    types: &'static [&'static str],
    statuses: &'static [&'static str],
    errors: std::collections::BTreeMap<String, String>,
}

impl FormPage<'_> {
    /// Whether the asset has a stored credential (the form offers to clear it).
    fn credential_set(&self) -> bool {
        self.asset.is_some_and(|a| a.credential_set)
    }
}

/// The catalog key naming a field in the asset's history, if it has one.
/// A history value as the reader reads it: an asset's type and status by name in the reader's
/// language (the entry stores their codes), an owner by name (the entry keeps their address
/// too), other values as stored.
pub fn history_value(shell: &crate::web::layout::Shell<'_>, field: &str, value: &str) -> String {
    let prefix = match field {
        "type" => "inv_type_",
        "status" => "inv_status_",
        "owner" => return super::asset_view::without_email(value).to_string(),
        _ => return value.to_string(),
    };
    let key = format!("{prefix}{value}");
    match shell.t(&key) {
        text if text == key => value.to_string(),
        text => text.to_string(),
    }
}

pub fn history_label(field: &str) -> Option<&'static str> {
    Some(match field {
        "asset_tag" => "inv_asset_tag",
        "name" => "label_name",
        "type" => "inv_type",
        "manufacturer" => "inv_manufacturer",
        "model" => "inv_model",
        "serial" => "inv_serial",
        "cpu" => "inv_cpu",
        "ram" => "inv_ram_mb",
        "storage" => "inv_storage",
        "os" => "inv_os",
        "hostname" => "inv_hostname",
        "ip_addresses" => "inv_ip_addresses",
        "mac_addresses" => "inv_mac_addresses",
        "owner" => "label_owner",
        "department" => "label_department",
        "location" => "inv_location",
        "status" => "label_status",
        "purchase_date" => "inv_purchase_date",
        "warranty_end" => "inv_warranty_end",
        "notes" => "inv_notes",
        "jenis" => "inv_jenis",
        "lisensi_windows" => "inv_lisensi_windows",
        "office" => "inv_office",
        "lisensi_office" => "inv_lisensi_office",
        "credential" => "inv_credential",
        "main_device" => "inv_main_device",
        "merged" => "inv_merged",
        "software added" => "sw_added",
        "software removed" => "sw_removed",
        _ => return None,
    })
}

/// The list page's query: every value as typed, so an empty select is not an error.
#[derive(Deserialize, Default, Serialize)]
pub struct ListQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub cursor: String,
    pub msg: Option<String>,
}

fn some(v: &str) -> Option<String> {
    Some(v.trim().to_string()).filter(|v| !v.is_empty())
}

#[derive(serde::Deserialize)]
pub struct SuggestQuery {
    #[serde(default)]
    q: String,
}

/// A suggestion as the ticket page's "link a device" box shows it.
#[derive(serde::Serialize)]
struct Suggestion {
    id: i64,
    name: String,
    asset_tag: String,
}

/// Up to 20 assets within the caller's reach whose name, tag, serial or hostname holds `q`, as
/// JSON: typed-ahead suggestions for pages (a signed-in session, not an API key).
pub async fn suggest(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Query(q): Query<SuggestQuery>,
) -> AppResult<Response> {
    let filter = HardwareFilter {
        q: some(&q.q).map(|s| s.chars().take(200).collect()),
        limit: Some(20),
        ..Default::default()
    };
    let found: Vec<Suggestion> = service::list(&state, &actor, filter)
        .await?
        .items
        .into_iter()
        .map(|h| Suggestion {
            id: h.id,
            name: h.name,
            asset_tag: h.asset_tag,
        })
        .collect();
    Ok(axum::Json(found).into_response())
}

pub async fn list(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let filter = HardwareFilter {
        kind: some(&q.kind).filter(|k| TYPES.contains(&k.as_str())),
        status: some(&q.status).filter(|s| STATUSES.contains(&s.as_str())),
        department: q.department.trim().parse().ok(),
        owner: None,
        q: some(&q.q).map(|s| s.chars().take(200).collect()),
        cursor: some(&q.cursor).filter(|c| c.parse::<i64>().is_ok()),
        limit: Some(50),
    };
    let result = service::list(&state, &actor, filter).await?;
    let next = result.next_cursor.as_ref().map(|c| {
        serde_urlencoded::to_string([
            ("q", q.q.as_str()),
            ("type", q.kind.as_str()),
            ("status", q.status.as_str()),
            ("department", q.department.as_str()),
            ("cursor", c.as_str()),
        ])
        .unwrap_or_default()
    });
    let departments = crate::departments::service::all(&state).await?;
    Ok(html(&ListPage {
        shell: Shell::new(&state, &ctx, "inventory").with_flash(flash(q.msg.as_deref())),
        items: &result.items,
        next,
        filter: &q,
        types: TYPES,
        statuses: STATUSES,
        departments: &departments,
        can_write: service::rights(&actor).write,
    })?
    .into_response())
}

/// The form, every value as typed.
#[derive(Deserialize, Serialize, Default, Clone)]
pub struct Fields {
    #[serde(default)]
    pub asset_tag: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub manufacturer: String,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub serial: String,
    #[serde(default)]
    pub cpu: String,
    #[serde(default)]
    pub ram_mb: String,
    #[serde(default)]
    pub storage: String,
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub hostname: String,
    #[serde(default)]
    pub ip_addresses: String,
    #[serde(default)]
    pub mac_addresses: String,
    #[serde(default)]
    pub owner_id: String,
    #[serde(default)]
    pub department_id: String,
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub purchase_date: String,
    #[serde(default)]
    pub warranty_end: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub jenis: String,
    #[serde(default)]
    pub lisensi_windows: String,
    /// Empty keeps the stored credential (the form never shows it).
    #[serde(default, skip_serializing)]
    pub credential: String,
    #[serde(default)]
    pub credential_clear: Option<String>,
    #[serde(default)]
    pub office: String,
    #[serde(default)]
    pub lisensi_office: String,
    #[serde(default)]
    pub is_main: Option<String>,
}

fn id_field(field: &str, v: &str, message: &str) -> AppResult<Option<i64>> {
    match v.trim() {
        "" => Ok(None),
        v => v
            .parse()
            .map(Some)
            .map_err(|_| AppError::invalid(field, message.to_string())),
    }
}

impl Fields {
    fn input(&self) -> AppResult<HardwareInput> {
        let ram_mb = id_field("ram_mb", &self.ram_mb, "is not a number")?;
        let credential = if self.credential_clear.is_some() {
            Some(String::new())
        } else {
            some(&self.credential)
        };
        Ok(HardwareInput {
            asset_tag: self.asset_tag.clone(),
            name: self.name.clone(),
            kind: self.kind.clone(),
            manufacturer: self.manufacturer.clone(),
            model: self.model.clone(),
            serial: self.serial.clone(),
            cpu: self.cpu.clone(),
            ram_mb,
            storage: self.storage.clone(),
            os: self.os.clone(),
            hostname: self.hostname.clone(),
            ip_addresses: self.ip_addresses.clone(),
            mac_addresses: self.mac_addresses.clone(),
            owner_id: id_field("owner_id", &self.owner_id, "no such user")?,
            department_id: id_field("department_id", &self.department_id, "no such department")?,
            location: self.location.clone(),
            status: self.status.clone(),
            purchase_date: some(&self.purchase_date),
            warranty_end: some(&self.warranty_end),
            notes: self.notes.clone(),
            jenis: self.jenis.clone(),
            lisensi_windows: self.lisensi_windows.clone(),
            credential,
            office: self.office.clone(),
            lisensi_office: self.lisensi_office.clone(),
            is_main: self.is_main.is_some(),
        })
    }

    fn of(h: &Hardware) -> Fields {
        let s = |v: &Option<String>| v.clone().unwrap_or_default();
        let n = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
        Fields {
            asset_tag: h.asset_tag.clone(),
            name: h.name.clone(),
            kind: h.kind.clone(),
            manufacturer: h.manufacturer.clone(),
            model: h.model.clone(),
            serial: h.serial.clone(),
            cpu: h.cpu.clone(),
            ram_mb: n(h.ram_mb),
            storage: h.storage.clone(),
            os: h.os.clone(),
            hostname: h.hostname.clone(),
            ip_addresses: h.ip_addresses.clone(),
            mac_addresses: h.mac_addresses.clone(),
            owner_id: n(h.owner_id),
            department_id: n(h.department_id),
            location: h.location.clone(),
            status: h.status.clone(),
            purchase_date: s(&h.purchase_date),
            warranty_end: s(&h.warranty_end),
            notes: h.notes.clone(),
            jenis: h.jenis.clone(),
            lisensi_windows: h.lisensi_windows.clone(),
            credential: String::new(),
            credential_clear: None,
            office: h.office.clone(),
            lisensi_office: h.lisensi_office.clone(),
            is_main: (h.is_main && h.owner_id.is_some()).then(|| "on".to_string()),
        }
    }
}

/// What the form page shows besides the values.
#[derive(Default)]
struct View<'a> {
    asset: Option<&'a Hardware>,
    err: Option<&'a AppError>,
    /// The merge form's value after an error.
    merge_from: &'a str,
}

/// The new-asset or edit form (for those who may write: `service::may_create`).
async fn render(
    state: &AppState,
    ctx: &WebCtx,
    actor: &Actor,
    values: &Fields,
    view: View<'_>,
) -> AppResult<Response> {
    service::may_create(actor)?;
    let owners = service::owner_choices(state, actor).await?;
    let software = match view.asset {
        Some(a) => super::software::service::installed(state, actor, a.id).await?,
        None => Vec::new(),
    };
    let departments = crate::departments::service::all(state).await?;
    let page = FormPage {
        shell: Shell::new(state, ctx, "inventory"),
        asset: view.asset,
        values,
        software: &software,
        merge_from: view.merge_from,
        owners: &owners,
        departments: &departments,
        types: TYPES,
        statuses: STATUSES,
        errors: translated_field_errors(state, ctx, view.err),
    };
    form_page(&page, view.err)
}

pub async fn new(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
) -> AppResult<Response> {
    service::may_create(&actor)?;
    let values = Fields {
        kind: "desktop".into(),
        status: "in_use".into(),
        ..Fields::default()
    };
    render(&state, &ctx, &actor, &values, View::default()).await
}

/// The edit form of an asset (its page is the read view, `read_page::show`).
pub async fn edit(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    service::may_create(&actor)?;
    let asset = service::get(&state, &actor, id).await?;
    let view = View {
        asset: Some(&asset),
        ..View::default()
    };
    render(&state, &ctx, &actor, &Fields::of(&asset), view).await
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
    match submitted(result)? {
        Submitted::Done(h) => {
            let msg = if id.is_some() { "saved" } else { "created" };
            see_other(&format!("/inventory/{}?msg={msg}", h.id))
        }
        Submitted::Again(e) => {
            let asset = match id {
                Some(id) => Some(service::get(&state, &actor, id).await?),
                None => None,
            };
            let view = View {
                asset: asset.as_ref(),
                err: Some(&e),
                ..View::default()
            };
            render(&state, &ctx, &actor, &f, view).await
        }
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
    see_other("/inventory?msg=deleted")
}

#[derive(Deserialize)]
pub struct MergeForm {
    #[serde(default)]
    from: String,
}

/// Merge the asset named in the form (number or tag) into this one.
pub async fn merge(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
    Form(f): Form<MergeForm>,
) -> AppResult<Response> {
    match submitted(super::merge::merge_by_ref(&state, &actor, id, &f.from).await)? {
        Submitted::Done(h) => see_other(&format!("/inventory/{}?msg=merged", h.id)),
        Submitted::Again(e) => {
            let asset = service::get(&state, &actor, id).await?;
            let view = View {
                asset: Some(&asset),
                err: Some(&e),
                merge_from: &f.from,
            };
            render(&state, &ctx, &actor, &Fields::of(&asset), view).await
        }
    }
}

/// Dismiss a merge suggestion shown on this asset's page.
pub async fn dismiss_suggestion(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Path((id, sid)): Path<(i64, i64)>,
) -> AppResult<Response> {
    super::suggestions::dismiss(&state, &actor, id, sid).await?;
    see_other(&format!("/inventory/{id}?msg=dismissed"))
}

/// This module's pages.
pub fn pages() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/inventory", get(list).post(create))
        .route("/inventory/new", get(new))
        .route("/inventory/suggest", get(suggest))
        .route("/inventory/{id}", get(super::read_page::show).post(update))
        .route("/inventory/{id}/edit", get(edit))
        .route("/inventory/{id}/reveal", post(super::read_page::reveal))
        .route("/inventory/{id}/delete", post(delete))
        .route("/inventory/{id}/merge", post(merge))
        .route(
            "/inventory/{id}/suggestions/{sid}/dismiss",
            post(dismiss_suggestion),
        )
        .route(
            "/admin/inventory/collector",
            get(super::admin::show).post(super::admin::save),
        )
        .merge(super::software::pages::pages())
}
