//! Ticket pages: the list with counts, filters and bulk actions; the ticket with its timeline and
//! reply box; the new-ticket form (which is also the requester portal's form).

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

use super::detail_view::{Choices, DetailView};
use super::filter::ListQuery;
use super::list_view::{cheap_pages, density, pager, side_views, status_links, Pager, ViewLink};
use super::{policy, service, BulkChange, NewTicket, TicketPatch, PRIORITIES, STATUSES};
use crate::auth::actor::Actor;
use crate::auth::extract::WebActor;
use crate::error::{AppError, AppResult};
use crate::local_time::Zone;
use crate::state::AppState;
use crate::web::context::WebCtx;
use crate::web::form::FormPairs;
use crate::web::form_flow::{form_page, see_other, submitted, Submitted};
use crate::web::layout::Shell;
use crate::web::render::{flash, translated_field_errors};

#[derive(Template)]
#[template(path = "tickets/list.html")]
struct ListPage<'a> {
    shell: Shell<'a>,
    page: &'a crate::api::page::Page<super::TicketSummary>,
    query: &'a ListQuery,
    /// The query string of this list as asked (for links, bulk's way back and saving the view).
    link: String,
    /// The query string of what is shown, defaults applied (for the CSV export).
    shown_link: String,
    staff: bool,
    choices: &'a Choices,
    /// The side panel: built-in views, saved views, statuses (within the active view).
    views: Vec<ViewLink>,
    saved: Vec<ViewLink>,
    statuses: Vec<ViewLink>,
    sorts: &'static [&'static str],
    /// A "Save this view" that failed: the name typed and its errors.
    save_name: &'a str,
    save_errors: std::collections::BTreeMap<String, String>,
    /// Why the filters were refused.
    errors: std::collections::BTreeMap<String, String>,
    pager: Pager,
    compact: bool,
    /// Whether any filter under "More filters" is set (it then starts open).
    more_open: bool,
    /// Closed tickets are left out because no status was chosen.
    closed_hidden: bool,
}

/// An SLA state's name (`at_risk`, `breached`, `ok`), or "" for none.
pub fn sla_key(state: &Option<crate::sla::SlaState>) -> &'static str {
    match state {
        Some(crate::sla::SlaState::AtRisk) => "at_risk",
        Some(crate::sla::SlaState::Breached) => "breached",
        Some(crate::sla::SlaState::Ok) => "ok",
        None => "",
    }
}

/// What the new-ticket form shows in its fields, as typed.
struct NewValues {
    title: String,
    description: String,
    priority: String,
    department: String,
    category: String,
    asset: String,
}

#[derive(Template)]
#[template(path = "tickets/new.html")]
struct NewPage<'a> {
    shell: Shell<'a>,
    values: &'a NewValues,
    choices: &'a Choices,
    /// The reader's own devices, for "Affected device".
    devices: &'a [crate::inventory::Hardware],
    errors: std::collections::BTreeMap<String, String>,
}

async fn choices(state: &AppState, actor: &Actor) -> AppResult<Choices> {
    // All from the reference caches, each loading with a connection of its own on a miss.
    let departments = crate::departments::service::all(state).await?;
    let categories = crate::categories::service::all_cached(state).await?;
    Ok(Choices {
        statuses: STATUSES,
        priorities: PRIORITIES,
        departments,
        categories,
        assignees: if policy::is_staff(actor) {
            service::assignees(state).await?
        } else {
            Vec::new()
        },
    })
}

pub async fn list(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    headers: axum::http::HeaderMap,
    Query(raw): Query<Vec<(String, String)>>,
) -> AppResult<Response> {
    render_list(&state, &ctx, &actor, &headers, raw, "", None).await
}

/// The list page for these query pairs. `save_name` and `save_error` are a "Save this view" that
/// failed: the page then shows the error by that form, with status 422.
pub(crate) async fn render_list(
    state: &AppState,
    ctx: &WebCtx,
    actor: &Actor,
    headers: &axum::http::HeaderMap,
    raw: Vec<(String, String)>,
    save_name: &str,
    save_error: Option<&AppError>,
) -> AppResult<Response> {
    // `msg`, `page` and `density` are the page's own; everything else is the list query.
    let own = |name: &str| raw.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let msg = own("msg");
    let number = own("page")
        .and_then(|p| p.parse::<i64>().ok())
        .filter(|p| (1..=1_000_000).contains(p))
        .unwrap_or(1);
    let (compact, density_cookie) = density(state, own("density").as_deref(), headers);
    let rest: Vec<(String, String)> = raw
        .into_iter()
        .filter(|(k, _)| !matches!(k.as_str(), "msg" | "page" | "density"))
        .collect();
    let encoded = serde_urlencoded::to_string(&rest).unwrap_or_default();
    let query: ListQuery = serde_urlencoded::from_str(&encoded)
        .map_err(|e| AppError::BadRequest(format!("bad filter: {e}")))?;
    let shown = query.with_page_default();
    let limit = shown.limit.unwrap_or(crate::api::page::DEFAULT_LIMIT);
    // A page number without a cursor is reached by skipping rows, only while that is cheap.
    let (number, offset) = if shown.cursor.is_none() {
        let number = number.min(cheap_pages(limit));
        (number, (number - 1) * limit)
    } else {
        (number, 0)
    };
    // Refused filters show an empty list with their errors (status 200: the page is not a form
    // sent back).
    let (queue, error) =
        match submitted(service::queue(state, actor, &shown.dates_in(&ctx.zone), offset).await)? {
            Submitted::Done(q) => (q, None),
            Submitted::Again(e) => (
                service::Queue {
                    page: crate::api::page::Page {
                        items: Vec::new(),
                        next_cursor: None,
                    },
                    prev_cursor: None,
                    total: None,
                },
                Some(e),
            ),
        };
    let staff = policy::is_staff(actor);
    let link = query.link();
    let shell = Shell::new(state, ctx, "tickets").with_flash(flash(msg.as_deref()));
    let (views, saved) = side_views(state, actor, &shell, &link, staff, false).await?;
    let statuses = status_links(state, actor, &shell, &query, error.is_some()).await?;
    let choices = choices(state, actor).await?;
    // The pager's links keep a chosen page size (the view's own link leaves it out).
    let paged_link = match (shown.limit, link.is_empty()) {
        (None, _) => link.clone(),
        (Some(l), true) => format!("limit={l}"),
        (Some(l), false) => format!("{link}&limit={l}"),
    };
    let pager = pager(&queue, &paged_link, number, limit);
    let more_open = [
        &query.priority,
        &query.department,
        &query.tag,
        &query.category,
        &query.created_from,
        &query.created_to,
        &query.sort,
    ]
    .iter()
    .any(|v| v.as_deref().is_some_and(|v| !v.is_empty()));
    let page = ListPage {
        shell,
        page: &queue.page,
        query: &query,
        shown_link: shown.link(),
        link,
        staff,
        choices: &choices,
        views,
        saved,
        statuses,
        sorts: &[
            "updated",
            "+updated",
            "created",
            "+created",
            "priority",
            "+priority",
        ],
        save_name,
        save_errors: translated_field_errors(state, ctx, save_error),
        errors: translated_field_errors(state, ctx, error.as_ref()),
        pager,
        compact,
        more_open,
        closed_hidden: shown.status != query.status,
    };
    let mut response = form_page(&page, save_error)?;
    if let Some(cookie) = density_cookie {
        if let Ok(v) = axum::http::HeaderValue::from_str(&cookie) {
            response
                .headers_mut()
                .append(axum::http::header::SET_COOKIE, v);
        }
    }
    Ok(response)
}

pub async fn export(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let zone = (*ctx.zone).clone();
    Ok(super::api::csv_download(
        super::export::export_csv(&state, &actor, &q.dates_in(&zone), Some(zone)).await?,
    ))
}

/// The caller's own devices, for the "Affected device" choice (at most 100, newest first).
async fn own_devices(
    state: &AppState,
    actor: &Actor,
) -> AppResult<Vec<crate::inventory::Hardware>> {
    let filter = crate::inventory::HardwareFilter {
        owner: Some(actor.user_id),
        limit: Some(100),
        ..Default::default()
    };
    Ok(crate::inventory::service::list(state, actor, filter)
        .await?
        .items)
}

async fn new_form(
    state: &AppState,
    ctx: &WebCtx,
    actor: &Actor,
    values: NewValues,
    err: Option<&AppError>,
) -> AppResult<Response> {
    let devices = own_devices(state, actor).await?;
    let page = NewPage {
        shell: Shell::new(state, ctx, "new_ticket"),
        values: &values,
        choices: &choices(state, actor).await?,
        devices: &devices,
        errors: translated_field_errors(state, ctx, err),
    };
    form_page(&page, err)
}

pub async fn new(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
) -> AppResult<Response> {
    let defaults = service::new_ticket_defaults(&state, &actor).await?;
    let text = |id: Option<i64>| id.map(|id| id.to_string()).unwrap_or_default();
    let values = NewValues {
        title: String::new(),
        description: String::new(),
        priority: "normal".into(),
        asset: text(defaults.asset),
        department: text(defaults.department),
        category: text(defaults.category),
    };
    new_form(&state, &ctx, &actor, values, None).await
}

/// An optional choice from a list: blank is none, anything but an id is a field error.
fn opt_id(name: &str, value: &str) -> AppResult<Option<i64>> {
    match value.trim() {
        "" => Ok(None),
        v => v
            .parse()
            .map(Some)
            .map_err(|_| AppError::invalid(name, "is not a valid choice")),
    }
}

/// The portal form, with or without files (`multipart/form-data` when files are chosen).
pub async fn create(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    req: Request,
) -> AppResult<Response> {
    let form = crate::attachments::form::read(&state, &actor, req).await?;
    let f = form.fields;
    let values = NewValues {
        title: f.get("title"),
        description: f.get("description"),
        priority: f.get("priority"),
        department: f.get("department"),
        category: f.get("category"),
        asset: f.get("asset"),
    };
    let input = (|| -> AppResult<NewTicket> {
        Ok(NewTicket {
            title: f.get("title"),
            description: f.get("description"),
            priority: f.opt("priority").filter(|p| !p.is_empty()),
            category: opt_id("category", &f.get("category"))?,
            department: opt_id("department", &f.get("department"))?,
            asset_ids: opt_id("asset", &f.get("asset"))?.into_iter().collect(),
            source: Some("web".into()),
            ..Default::default()
        })
    })();
    let result = match input {
        Ok(input) => {
            service::create_with_files(&state, &actor, input, "web", form.files, form.errors).await
        }
        Err(e) => Err(e),
    };
    match submitted(result)? {
        Submitted::Done(t) => see_other(&format!("/tickets/{}?msg=created", t.summary.id)),
        Submitted::Again(e) => new_form(&state, &ctx, &actor, values, Some(&e)).await,
    }
}

/// The ticket page. The requester's context (three reads of its own) is in it only when asked
/// for (`?context=1`, the link a browser without our script follows); the script fetches it
/// from `/tickets/{id}/context` after the page.
#[allow(clippy::too_many_arguments)]
async fn detail_page(
    state: &AppState,
    ctx: &WebCtx,
    actor: &Actor,
    id: i64,
    reply: &str,
    err: Option<&AppError>,
    msg: Option<&str>,
    with_context: bool,
) -> AppResult<Response> {
    let d = service::detail(state, actor, id).await?;
    let allowed = policy::allowed(actor, &d.ticket);
    let context = async {
        if with_context {
            service::requester_context(state, actor, &d.ticket.summary).await
        } else {
            Ok(None)
        }
    };
    // The lists mostly come from caches.
    let (choices, canned, context, mails) = tokio::join!(
        choices(state, actor),
        crate::canned::service::offered(state, actor),
        context,
        crate::mail::service::of_opened_ticket(state, allowed.staff, id),
    );
    let (choices, canned, context, mails) = (choices?, canned?, context?, mails?);
    let errors = translated_field_errors(state, ctx, err);
    // An empty box shows the reader's draft (kept on the server, so it survives a reload, the
    // side panel's Save and another device).
    let (reply, draft_at) = match (&d.draft, reply.is_empty()) {
        (Some((draft, at)), true) => (draft.as_str(), *at),
        _ => (reply, 0),
    };
    let view = DetailView::new(
        Shell::new(state, ctx, "tickets").with_flash(flash(msg)),
        &d,
        &choices,
        &canned,
        reply,
        &errors,
        allowed,
    )
    .with_context(context.as_ref(), actor.user_id, draft_at)
    .with_mails(&mails);
    form_page(&view, err)
}

#[derive(serde::Deserialize)]
pub struct ShowQuery {
    msg: Option<String>,
    /// A canned response to fill the reply box with: the "Insert" form without our script.
    canned: Option<String>,
    /// `1`: the requester's context in the page (a browser without our script).
    context: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> AppResult<Response> {
    let canned = q.canned.as_deref().map(str::trim).filter(|c| !c.is_empty());
    let (reply, err) = match canned {
        None => (String::new(), None),
        Some(c) => {
            let filled = match c.parse::<i64>() {
                Ok(cid) => crate::canned::service::expand_for_ticket(&state, &actor, id, cid).await,
                Err(_) => Err(AppError::NotFound),
            };
            match filled {
                Ok(f) => (f.body, None),
                // An unknown or withdrawn choice; the page itself still 404s if the ticket does.
                Err(AppError::NotFound) => (
                    String::new(),
                    Some(AppError::invalid("canned", "no such canned response")),
                ),
                Err(e) => return Err(e),
            }
        }
    };
    let msg = q.msg.as_deref();
    let with_context = q.context.as_deref() == Some("1");
    detail_page(
        &state,
        &ctx,
        &actor,
        id,
        &reply,
        err.as_ref(),
        msg,
        with_context,
    )
    .await
}

/// Every side-panel view's count, for the list page's script (the page itself shows only the
/// counts the counters give).
pub async fn view_counts(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
) -> AppResult<Response> {
    let shell = Shell::new(&state, &ctx, "tickets");
    let counts = super::list_view::view_counts(&state, &actor, &shell).await?;
    Ok(crate::web::render::no_store(
        axum::Json(&*counts).into_response(),
    ))
}

/// The requester's context alone, for the ticket page's script (staff; 404 otherwise, as for a
/// ticket out of reach).
pub async fn requester_context(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let ticket = service::get(&state, &actor, id).await?;
    let context = service::requester_context(&state, &actor, &ticket.summary)
        .await?
        .ok_or(AppError::NotFound)?;
    let departments = crate::departments::service::all(&state).await?;
    let page = super::detail_view::ContextFragment {
        shell: Shell::new(&state, &ctx, "tickets"),
        ctx: &context,
        requester_name: &ticket.summary.requester_name,
        can_read_inventory: policy::allowed(&actor, &ticket).can_read_inventory,
        departments: &departments,
    };
    Ok(crate::web::render::no_store(
        crate::web::render::html(&page)?.into_response(),
    ))
}

/// The side panel (staff) or a confirm/reopen button (requesters): a field the form did not
/// send stays as it is. The side panel's fields belong to the reply form, so its Save also
/// sends the text box, which is kept as the reader's draft.
#[derive(Deserialize)]
pub struct FieldsForm {
    title: Option<String>,
    status: Option<String>,
    priority: Option<String>,
    category: Option<String>,
    department: Option<String>,
    assignee: Option<String>,
    /// Separated by commas.
    tags: Option<String>,
    /// A date (`2026-12-10`), the start of that day in the reader's zone.
    due_at: Option<String>,
    /// The date the form showed: an untouched date is not a change.
    due_at_was: Option<String>,
    /// The reply box, when the side panel's Save sent it.
    body: Option<String>,
    /// "Assign to me" (`1`).
    assign_me: Option<String>,
}

impl FieldsForm {
    /// The fields of a form read with files (the reply form carries the side panel's).
    fn of(f: &FormPairs) -> FieldsForm {
        FieldsForm {
            title: f.opt("title"),
            status: f.opt("status"),
            priority: f.opt("priority"),
            category: f.opt("category"),
            department: f.opt("department"),
            assignee: f.opt("assignee"),
            tags: f.opt("tags"),
            due_at: f.opt("due_at"),
            due_at_was: f.opt("due_at_was"),
            body: f.opt("body"),
            assign_me: f.opt("assign_me"),
        }
    }

    /// The update this form asks for; `send` for the Update button (the text is a reply),
    /// otherwise the text is kept as a draft.
    fn update(mut self, send: bool, zone: &Zone) -> AppResult<service::Update> {
        if self.due_at.is_some() && self.due_at == self.due_at_was {
            self.due_at = None;
        }
        let assign_me = self.assign_me.as_deref() == Some("1");
        let text = self.body.clone();
        let any_field = self.title.is_some()
            || self.status.is_some()
            || self.priority.is_some()
            || self.category.is_some()
            || self.department.is_some()
            || self.assignee.is_some()
            || self.tags.is_some()
            || self.due_at.is_some();
        let patch = if any_field {
            Some(self.patch(zone)?)
        } else {
            None
        };
        Ok(service::Update {
            patch,
            assign_me,
            text,
            send,
            ..Default::default()
        })
    }

    fn patch(self, zone: &Zone) -> AppResult<TicketPatch> {
        let id_field =
            |name: &str, value: Option<String>| value.map(|v| opt_id(name, &v)).transpose();
        Ok(TicketPatch {
            category: id_field("category", self.category)?,
            department: id_field("department", self.department)?,
            assignee: id_field("assignee", self.assignee)?,
            title: self.title,
            status: self.status,
            priority: self.priority,
            tags: self.tags.map(|t| {
                t.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            }),
            due_at: self.due_at.map(|d| {
                Some(d)
                    .filter(|d| !d.trim().is_empty())
                    .map(|d| zone.typed_to_utc(&d).unwrap_or(d))
            }),
            ..Default::default()
        })
    }
}

/// The side panel's Save (and "Assign to me", confirm, reopen): fields only; the text box
/// becomes the reader's draft.
pub async fn update(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
    Form(f): Form<FieldsForm>,
) -> AppResult<Response> {
    let typed = f.body.clone().unwrap_or_default();
    let result = match f.update(false, &ctx.zone) {
        Ok(update) => service::respond(&state, &actor, id, update).await,
        Err(e) => Err(e),
    };
    match submitted(result)? {
        Submitted::Done(_) => see_other(&format!("/tickets/{id}?msg=saved")),
        Submitted::Again(e) => {
            detail_page(&state, &ctx, &actor, id, &typed, Some(&e), None, false).await
        }
    }
}

/// The one Update: a reply or note (with files) and the side panel's field changes together,
/// in one transaction.
pub async fn reply(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
    req: Request,
) -> AppResult<Response> {
    service::files::ensure_visible(&state, &actor, id).await?;
    let form = crate::attachments::form::read(&state, &actor, req).await?;
    let f = form.fields;
    let typed = f.get("body");
    let result = match FieldsForm::of(&f).update(true, &ctx.zone) {
        Ok(mut update) => {
            update.text = Some(typed.clone());
            update.internal = f.get("internal") == "1";
            update.staged = form.files;
            update.refused = form.errors;
            service::respond(&state, &actor, id, update).await
        }
        Err(e) => Err(e),
    };
    match submitted(result)? {
        Submitted::Done(Some(c)) => see_other(&format!("/tickets/{id}#c{}", c.id)),
        Submitted::Done(None) => see_other(&format!("/tickets/{id}?msg=saved")),
        Submitted::Again(e) => {
            detail_page(&state, &ctx, &actor, id, &typed, Some(&e), None, false).await
        }
    }
}

/// What the page's script sends as the reply box changes.
#[derive(Deserialize)]
pub struct DraftForm {
    #[serde(default)]
    body: String,
}

/// Keep the reader's draft of a reply (sent by the page's script, debounced): 204.
pub async fn save_draft(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
    Form(f): Form<DraftForm>,
) -> AppResult<Response> {
    service::save_draft(&state, &actor, id, &f.body).await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

pub async fn delete(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    service::delete(&state, &actor, id).await?;
    see_other("/tickets?msg=deleted")
}

pub async fn bulk(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    body: Bytes,
) -> AppResult<Response> {
    let f = FormPairs::parse(&body)?;
    let nonempty = |name: &str| f.opt(name).filter(|v| !v.is_empty());
    let assignee = match nonempty("assignee").as_deref() {
        None => None,
        Some("none") => Some(None),
        Some(v) => Some(opt_id("assignee", v)?),
    };
    let change = BulkChange {
        ids: f.ids("ids")?,
        status: nonempty("status"),
        priority: nonempty("priority"),
        assignee,
    };
    service::bulk(&state, &actor, change).await?;
    let back = f.get("back");
    // Only a plain path on this site: the form cannot redirect elsewhere, and a CR/LF is not a 500
    // after the change is made.
    let back = if back.starts_with("/tickets") && crate::web::redirect::is_local_path(&back) {
        back
    } else {
        "/tickets".to_string()
    };
    let sep = if back.contains('?') { '&' } else { '?' };
    see_other(&format!("{back}{sep}msg=saved"))
}

#[derive(Deserialize)]
pub struct WatchForm {
    /// `1` to start watching, anything else to stop.
    #[serde(default)]
    watch: String,
}

/// Start (`watch=1`) or stop watching the ticket.
pub async fn watch(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
    Form(f): Form<WatchForm>,
) -> AppResult<Response> {
    service::watch(&state, &actor, id, f.watch == "1").await?;
    see_other(&format!("/tickets/{id}?msg=saved"))
}

/// The "link a device" box: a number or tag typed, else the one chosen from the list.
#[derive(Deserialize)]
pub struct LinkAssetForm {
    #[serde(default)]
    asset_ref: String,
    #[serde(default)]
    asset: String,
}

/// Link one more asset (chosen from the list, or named by number or tag) to the ticket.
pub async fn link_asset(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
    Form(f): Form<LinkAssetForm>,
) -> AppResult<Response> {
    let reference = match f.asset_ref.trim() {
        "" => f.asset,
        typed => typed.to_string(),
    };
    match submitted(service::link_asset_named(&state, &actor, id, &reference).await)? {
        Submitted::Done(_) => see_other(&format!("/tickets/{id}?msg=saved")),
        Submitted::Again(e) => {
            detail_page(&state, &ctx, &actor, id, "", Some(&e), None, false).await
        }
    }
}

/// Remove one asset link from the ticket.
pub async fn unlink_asset(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Path((id, asset)): Path<(i64, i64)>,
) -> AppResult<Response> {
    match submitted(service::unlink_asset(&state, &actor, id, asset).await)? {
        Submitted::Done(_) => see_other(&format!("/tickets/{id}?msg=saved")),
        Submitted::Again(e) => {
            detail_page(&state, &ctx, &actor, id, "", Some(&e), None, false).await
        }
    }
}

/// This module's pages.
pub fn pages() -> axum::Router<AppState> {
    use axum::extract::DefaultBodyLimit;
    use axum::routing::{get, post};
    axum::Router::new()
        .route(
            "/tickets",
            get(list).post(create).layer(DefaultBodyLimit::disable()),
        )
        .route("/tickets/new", get(new))
        .route("/events/tickets", get(super::live::stream))
        .route("/tickets/bulk", post(bulk))
        .route("/tickets/export.csv", get(export))
        .route("/tickets/view-counts", get(view_counts))
        .route("/tickets/{id}", get(show).post(update))
        .route(
            "/tickets/{id}/comments",
            post(reply).layer(DefaultBodyLimit::disable()),
        )
        .route("/tickets/{id}/draft", post(save_draft))
        .route("/tickets/{id}/context", get(requester_context))
        .route("/tickets/{id}/delete", post(delete))
        .route("/tickets/{id}/assets", post(link_asset))
        .route("/tickets/{id}/watch", post(watch))
        .route("/tickets/{id}/assets/{asset_id}/delete", post(unlink_asset))
        .merge(super::views::pages::pages())
}
