//! Ticket pages: the list with counts, filters and bulk actions; the ticket with its timeline and
//! reply box; the new-ticket form (which is also the requester portal's form).

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::detail_view::{Allowed, Choices, DetailView};
use super::filter::ListQuery;
use super::{
    policy, service, store, BulkChange, NewComment, NewTicket, TicketPatch, PRIORITIES, STATUSES,
};
use crate::auth::actor::Actor;
use crate::auth::extract::WebActor;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::context::WebCtx;
use crate::web::form::FormPairs;
use crate::web::layout::Shell;
use crate::web::render::{flash, html, translated_field_errors};

#[derive(Template)]
#[template(path = "tickets/list.html")]
struct ListPage<'a> {
    shell: Shell<'a>,
    page: &'a crate::api::page::Page<super::TicketSummary>,
    counts: &'a super::StatusCounts,
    query: &'a ListQuery,
    /// The query string of this list (for links, export and saving the view).
    link: String,
    staff: bool,
    choices: &'a Choices,
    saved_views: &'a [super::views::SavedView],
    sorts: &'static [&'static str],
    /// A "Save this view" that failed: the name typed and its errors.
    save_name: &'a str,
    save_errors: std::collections::BTreeMap<String, String>,
    /// Why the filters were refused.
    errors: std::collections::BTreeMap<String, String>,
}

impl ListPage<'_> {
    /// How many tickets the reader sees in `status`.
    fn count(&self, status: &str) -> i64 {
        let c = self.counts;
        match status {
            "new" => c.new,
            "open" => c.open,
            "pending" => c.pending,
            "resolved" => c.resolved,
            "closed" => c.closed,
            _ => 0,
        }
    }
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
    Query(raw): Query<Vec<(String, String)>>,
) -> AppResult<Response> {
    render_list(&state, &ctx, &actor, raw, "", None).await
}

/// The list page for these query pairs. `save_name` and `save_error` are a "Save this view" that
/// failed: the page then shows the error by that form, with status 422.
pub(crate) async fn render_list(
    state: &AppState,
    ctx: &WebCtx,
    actor: &Actor,
    raw: Vec<(String, String)>,
    save_name: &str,
    save_error: Option<&AppError>,
) -> AppResult<Response> {
    // `msg` is the page's own flash; everything else is the list query.
    let msg = raw.iter().find(|(k, _)| k == "msg").map(|(_, v)| v.clone());
    let rest: Vec<(String, String)> = raw.into_iter().filter(|(k, _)| k != "msg").collect();
    let encoded = serde_urlencoded::to_string(&rest).unwrap_or_default();
    let query: ListQuery = serde_urlencoded::from_str(&encoded)
        .map_err(|e| AppError::BadRequest(format!("bad filter: {e}")))?;
    let (items, error) = match service::list(state, actor, &query).await {
        Ok(p) => (p, None),
        Err(e @ AppError::Invalid(_)) => (
            crate::api::page::Page {
                items: Vec::new(),
                next_cursor: None,
            },
            Some(e),
        ),
        Err(e) => return Err(e),
    };
    let counts = service::counts(state, actor).await?;
    let staff = policy::is_staff(actor);
    let saved_views = super::views::list(state, actor).await?;
    let status = if save_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let choices = choices(state, actor).await?;
    let page = ListPage {
        shell: Shell::new(state, ctx, "tickets").with_flash(flash(msg.as_deref())),
        page: &items,
        counts: &counts,
        query: &query,
        link: query.link(),
        staff,
        choices: &choices,
        saved_views: &saved_views,
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
    };
    let html = html(&page)?;
    Ok((status, html).into_response())
}

pub async fn export(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    Ok(super::api::csv_download(
        super::export::export_csv(&state, &actor, &q).await?,
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
    let status = if err.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        html(&NewPage {
            shell: Shell::new(state, ctx, "new_ticket"),
            values: &values,
            choices: &choices(state, actor).await?,
            devices: &devices,
            errors: translated_field_errors(state, ctx, err),
        })?,
    )
        .into_response())
}

pub async fn new(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
) -> AppResult<Response> {
    actor.require("tickets.create")?;
    let (suggestion, main) = {
        let mut conn = state.db.pool.acquire().await?;
        (
            store::suggestion(&mut conn, actor.user_id).await?,
            crate::inventory::service::main_of(&mut conn, actor.user_id).await?,
        )
    };
    let values = NewValues {
        title: String::new(),
        description: String::new(),
        priority: "normal".into(),
        asset: main.map(|h| h.id.to_string()).unwrap_or_default(),
        department: suggestion.0.map(|d| d.to_string()).unwrap_or_default(),
        category: suggestion.1.map(|c| c.to_string()).unwrap_or_default(),
    };
    new_form(&state, &ctx, &actor, values, None).await
}

fn opt_id(f: &FormPairs, name: &str) -> AppResult<Option<i64>> {
    match f.get(name).trim() {
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
            category: opt_id(&f, "category")?,
            department: opt_id(&f, "department")?,
            asset_ids: opt_id(&f, "asset")?.into_iter().collect(),
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
    match result {
        Ok(t) => {
            Ok(Redirect::to(&format!("/tickets/{}?msg=created", t.summary.id)).into_response())
        }
        Err(e @ AppError::Invalid(_)) => new_form(&state, &ctx, &actor, values, Some(&e)).await,
        Err(e) => Err(e),
    }
}

async fn detail_page(
    state: &AppState,
    ctx: &WebCtx,
    actor: &Actor,
    id: i64,
    reply: &str,
    err: Option<&AppError>,
    msg: Option<&str>,
) -> AppResult<Response> {
    let d = service::detail(state, actor, id).await?;
    let staff = policy::is_staff(actor);
    let status = if err.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let resolved = d.ticket.summary.status == "resolved";
    let allowed = Allowed {
        staff,
        may_assign: actor.can("tickets.assign"),
        may_delete: actor.can("tickets.delete"),
        may_confirm: !staff && resolved,
        may_reopen: !staff && (resolved || d.ticket.summary.status == "closed"),
        can_read_inventory: actor.can("inventory.read"),
        watching: d.ticket.watchers.contains(&actor.user_id),
    };
    let choices = choices(state, actor).await?;
    let canned = crate::canned::service::offered(state, actor).await?;
    let errors = translated_field_errors(state, ctx, err);
    let view = DetailView::new(
        Shell::new(state, ctx, "tickets").with_flash(flash(msg)),
        &d,
        &choices,
        &canned,
        reply,
        &errors,
        allowed,
    );
    Ok((status, html(&view)?).into_response())
}

#[derive(serde::Deserialize)]
pub struct ShowQuery {
    msg: Option<String>,
    /// A canned response to fill the reply box with: the "Insert" form without our script.
    canned: Option<String>,
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
    detail_page(&state, &ctx, &actor, id, &reply, err.as_ref(), msg).await
}

/// The side panel (staff) or the confirm/reopen buttons (requesters): only fields the form sent
/// are changed.
pub async fn update(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
    body: Bytes,
) -> AppResult<Response> {
    let f = FormPairs::parse(&body)?;
    let patch = (|| -> AppResult<TicketPatch> {
        let id_field = |name: &str| -> AppResult<Option<Option<i64>>> {
            match f.opt(name) {
                None => Ok(None),
                Some(_) => opt_id(&f, name).map(Some),
            }
        };
        Ok(TicketPatch {
            title: f.opt("title"),
            status: f.opt("status"),
            priority: f.opt("priority"),
            category: id_field("category")?,
            department: id_field("department")?,
            assignee: id_field("assignee")?,
            tags: f.opt("tags").map(|t| {
                t.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            }),
            due_at: f
                .opt("due_at")
                .map(|d| Some(d).filter(|d| !d.trim().is_empty())),
            ..Default::default()
        })
    })();
    match patch {
        Ok(p) => match service::update(&state, &actor, id, p).await {
            Ok(_) => Ok(Redirect::to(&format!("/tickets/{id}?msg=saved")).into_response()),
            Err(e @ AppError::Invalid(_)) => {
                detail_page(&state, &ctx, &actor, id, "", Some(&e), None).await
            }
            Err(e) => Err(e),
        },
        Err(e) => detail_page(&state, &ctx, &actor, id, "", Some(&e), None).await,
    }
}

/// A reply or note, with or without files.
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
    let input = NewComment {
        body: f.get("body"),
        internal: f.get("internal") == "1",
    };
    let result = service::reply(&state, &actor, id, input, form.files, form.errors).await;
    match result {
        Ok(c) => Ok(Redirect::to(&format!("/tickets/{id}#c{}", c.id)).into_response()),
        Err(e @ AppError::Invalid(_)) => {
            detail_page(&state, &ctx, &actor, id, &f.get("body"), Some(&e), None).await
        }
        Err(e) => Err(e),
    }
}

pub async fn delete(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    service::delete(&state, &actor, id).await?;
    Ok(Redirect::to("/tickets?msg=deleted").into_response())
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
        Some(_) => Some(opt_id(&f, "assignee")?),
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
    Ok(Redirect::to(&format!("{back}{sep}msg=saved")).into_response())
}

/// Start (`watch=1`) or stop watching the ticket.
pub async fn watch(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
    body: Bytes,
) -> AppResult<Response> {
    let on = FormPairs::parse(&body)?.get("watch") == "1";
    service::watch(&state, &actor, id, on).await?;
    Ok(Redirect::to(&format!("/tickets/{id}?msg=saved")).into_response())
}

/// Link one more asset (chosen from the list, or named by number or tag) to the ticket.
pub async fn link_asset(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
    body: Bytes,
) -> AppResult<Response> {
    let f = FormPairs::parse(&body)?;
    let reference = match f.get("asset_ref").trim() {
        "" => f.get("asset"),
        r => r.to_string(),
    };
    let found = if reference.trim().is_empty() {
        Err(AppError::invalid("asset_ids", "is required"))
    } else {
        crate::inventory::merge::resolve(&state, &reference)
            .await?
            .ok_or_else(|| AppError::invalid("asset_ids", "no such asset"))
    };
    let result = match found {
        Ok(asset) => service::link_asset(&state, &actor, id, asset).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/tickets/{id}?msg=saved")).into_response()),
        Err(e @ AppError::Invalid(_)) => {
            detail_page(&state, &ctx, &actor, id, "", Some(&e), None).await
        }
        Err(e) => Err(e),
    }
}

/// Remove one asset link from the ticket.
pub async fn unlink_asset(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Path((id, asset)): Path<(i64, i64)>,
) -> AppResult<Response> {
    match service::unlink_asset(&state, &actor, id, asset).await {
        Ok(_) => Ok(Redirect::to(&format!("/tickets/{id}?msg=saved")).into_response()),
        Err(e @ AppError::Invalid(_)) => {
            detail_page(&state, &ctx, &actor, id, "", Some(&e), None).await
        }
        Err(e) => Err(e),
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
        .route("/tickets/{id}", get(show).post(update))
        .route(
            "/tickets/{id}/comments",
            post(reply).layer(DefaultBodyLimit::disable()),
        )
        .route("/tickets/{id}/delete", post(delete))
        .route("/tickets/{id}/assets", post(link_asset))
        .route("/tickets/{id}/watch", post(watch))
        .route("/tickets/{id}/assets/{asset_id}/delete", post(unlink_asset))
        .merge(super::views::pages::pages())
}
