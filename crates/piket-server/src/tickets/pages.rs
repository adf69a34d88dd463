//! Ticket pages: the list with counts, filters and bulk actions; the ticket with its timeline and
//! reply box; the new-ticket form (which is also the requester portal's form).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Serialize;

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
use crate::web::render::{field_errors, flash, page};

/// The lists a ticket form chooses from.
#[derive(Serialize)]
struct Choices {
    statuses: &'static [&'static str],
    priorities: &'static [&'static str],
    departments: Vec<crate::departments::Department>,
    categories: Vec<crate::categories::Category>,
    assignees: Vec<store::Person>,
}

async fn choices(state: &AppState, actor: &Actor) -> AppResult<Choices> {
    let mut conn = state.db.pool.acquire().await?;
    let staff = policy::is_staff(actor);
    Ok(Choices {
        statuses: STATUSES,
        priorities: PRIORITIES,
        departments: crate::departments::service::all(state).await?,
        categories: crate::categories::store::all(&mut conn).await?,
        assignees: if staff {
            store::assignees(&mut conn).await?
        } else {
            Vec::new()
        },
    })
}

/// The query string of the current view (filters and sort, not the page), for the next-page
/// and export links.
fn view_link(q: &ListQuery) -> String {
    let blank = |v: &Option<String>| v.clone().filter(|v| !v.is_empty());
    let q = ListQuery {
        status: blank(&q.status),
        priority: blank(&q.priority),
        department: blank(&q.department),
        assigned_to: blank(&q.assigned_to),
        requester: blank(&q.requester),
        category: blank(&q.category),
        tag: blank(&q.tag),
        created_from: blank(&q.created_from),
        created_to: blank(&q.created_to),
        updated_from: blank(&q.updated_from),
        updated_to: blank(&q.updated_to),
        q: blank(&q.q),
        view: blank(&q.view),
        sla: blank(&q.sla),
        sort: blank(&q.sort),
        cursor: None,
        limit: None,
    };
    serde_urlencoded::to_string(&q).unwrap_or_default()
}

pub async fn list(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Query(raw): Query<Vec<(String, String)>>,
) -> AppResult<Response> {
    // `msg` is the page's own flash; everything else is the list query.
    let msg = raw.iter().find(|(k, _)| k == "msg").map(|(_, v)| v.clone());
    let rest: Vec<(String, String)> = raw.into_iter().filter(|(k, _)| k != "msg").collect();
    let encoded = serde_urlencoded::to_string(&rest).unwrap_or_default();
    let query: ListQuery = serde_urlencoded::from_str(&encoded)
        .map_err(|e| AppError::BadRequest(format!("bad filter: {e}")))?;
    let (items, error) = match service::list(&state, &actor, &query).await {
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
    let counts = service::counts(&state, &actor).await?;
    let staff = policy::is_staff(&actor);
    Ok(page(
        &state,
        &ctx,
        "tickets/list.html",
        context! {
            nav => "tickets", page => items, counts => counts, query => context! {
                status => query.status, priority => query.priority, department => query.department,
                assigned_to => query.assigned_to, category => query.category, tag => query.tag,
                q => query.q, view => query.view, sort => query.sort, sla => query.sla,
            },
            link => view_link(&query), staff => staff, choices => choices(&state, &actor).await?,
            errors => error.as_ref().map(field_errors).unwrap_or_default(), flash => flash(msg.as_deref()),
        },
    )?
    .into_response())
}

pub async fn export(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    Ok(super::api::csv_download(
        service::export_csv(&state, &actor, &q).await?,
    ))
}

async fn new_form(
    state: &AppState,
    ctx: &WebCtx,
    actor: &Actor,
    values: minijinja::Value,
    err: Option<&AppError>,
) -> AppResult<Response> {
    let status = if err.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        page(
            state,
            ctx,
            "tickets/new.html",
            context! {
                nav => "new_ticket", values => values, choices => choices(state, actor).await?,
                errors => err.map(field_errors).unwrap_or_default(),
            },
        )?,
    )
        .into_response())
}

pub async fn new(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
) -> AppResult<Response> {
    actor.require("tickets.create")?;
    let suggestion = {
        let mut conn = state.db.pool.acquire().await?;
        store::suggestion(&mut conn, actor.user_id).await?
    };
    let values = context! {
        title => "", description => "", priority => "normal",
        department => suggestion.0.map(|d| d.to_string()).unwrap_or_default(),
        category => suggestion.1.map(|c| c.to_string()).unwrap_or_default(),
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

pub async fn create(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    body: Bytes,
) -> AppResult<Response> {
    let f = FormPairs::parse(&body)?;
    let values = context! {
        title => f.get("title"), description => f.get("description"), priority => f.get("priority"),
        department => f.get("department"), category => f.get("category"),
    };
    let input = (|| -> AppResult<NewTicket> {
        Ok(NewTicket {
            title: f.get("title"),
            description: f.get("description"),
            priority: f.opt("priority").filter(|p| !p.is_empty()),
            category: opt_id(&f, "category")?,
            department: opt_id(&f, "department")?,
            source: Some("web".into()),
            ..Default::default()
        })
    })();
    let result = match input {
        Ok(input) => service::create(&state, &actor, input, "web").await,
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
    let may_confirm = !staff && d.ticket.summary.status == "resolved";
    let may_reopen =
        !staff && (d.ticket.summary.status == "resolved" || d.ticket.summary.status == "closed");
    Ok((
        status,
        page(
            state,
            ctx,
            "tickets/detail.html",
            context! {
                nav => "tickets", ticket => d.ticket, comments => d.comments, history => d.history,
                staff => staff, may_assign => actor.can("tickets.assign"), may_delete => actor.can("tickets.delete"),
                may_confirm => may_confirm, may_reopen => may_reopen,
                choices => choices(state, actor).await?, reply => reply,
                errors => err.map(field_errors).unwrap_or_default(), flash => flash(msg),
            },
        )?,
    )
        .into_response())
}

#[derive(serde::Deserialize)]
pub struct Msg {
    msg: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
    Query(m): Query<Msg>,
) -> AppResult<Response> {
    detail_page(&state, &ctx, &actor, id, "", None, m.msg.as_deref()).await
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

pub async fn reply(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
    body: Bytes,
) -> AppResult<Response> {
    let f = FormPairs::parse(&body)?;
    let input = NewComment {
        body: f.get("body"),
        internal: f.get("internal") == "1",
    };
    match service::add_comment(&state, &actor, id, input).await {
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
    // Only a path on this site, so the form cannot redirect elsewhere.
    let back = if back.starts_with("/tickets") && !back.starts_with("//") {
        back
    } else {
        "/tickets".to_string()
    };
    let sep = if back.contains('?') { '&' } else { '?' };
    Ok(Redirect::to(&format!("{back}{sep}msg=saved")).into_response())
}
