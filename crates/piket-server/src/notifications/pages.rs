//! The notifications page: the caller's list (opening one marks it read), mark all read, and
//! which kinds to mute.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};

use super::{service, Settings, KINDS};
use crate::auth::extract::WebActor;
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::context::WebCtx;
use crate::web::form::FormPairs;
use crate::web::form_flow::see_other;
use crate::web::layout::Shell;
use crate::web::render::{flash, html};

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage<'a> {
    shell: Shell<'a>,
    items: &'a [super::Notification],
    next_cursor: Option<&'a str>,
    unread: i64,
    kinds: &'static [&'static str],
    /// The kinds the reader does not want.
    muted: &'a [String],
}

#[derive(serde::Deserialize)]
pub struct PageQuery {
    cursor: Option<String>,
    msg: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Query(q): Query<PageQuery>,
) -> AppResult<Response> {
    let (items, unread) = service::list(&state, &actor, q.cursor.as_deref(), None).await?;
    let settings = service::settings(&state, &actor).await?;
    let page = html(&NotificationsPage {
        shell: Shell::new(&state, &ctx, "notifications").with_flash(flash(q.msg.as_deref())),
        items: &items.items,
        next_cursor: items.next_cursor.as_deref(),
        unread,
        kinds: KINDS,
        muted: &settings.muted,
    })?;
    Ok(page.into_response())
}

/// Mark read and go to the ticket.
pub async fn open(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let target = match service::mark_read(&state, &actor, id).await? {
        Some(ticket) => format!("/tickets/{ticket}"),
        None => "/notifications".to_string(),
    };
    see_other(&target)
}

pub async fn read_all(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
) -> AppResult<Response> {
    service::mark_all_read(&state, &actor).await?;
    see_other("/notifications")
}

/// The settings form lists the kinds to *receive*; the unticked ones are muted.
pub async fn save_settings(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    body: Bytes,
) -> AppResult<Response> {
    let form = FormPairs::parse(&body)?;
    let wanted = form.all("kind");
    let muted = KINDS
        .iter()
        .filter(|k| !wanted.iter().any(|w| w == *k))
        .map(|k| k.to_string())
        .collect();
    service::save_settings(&state, &actor, Settings { muted }).await?;
    see_other("/notifications?msg=saved")
}

/// This module's pages.
pub fn pages() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/notifications", get(list))
        .route("/notifications/read-all", post(read_all))
        .route("/notifications/settings", post(save_settings))
        .route("/notifications/{id}/open", post(open))
}
