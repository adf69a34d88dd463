//! Files on a ticket: seen, uploaded and fetched by exactly those who see the ticket, files on
//! internal notes only by staff, and everything out of reach is "not found". The ticket decides
//! here; `attachments::service` stores and fetches.

use axum::body::Bytes;

use super::super::history::{self, Entry};
use super::super::model::Status;
use super::super::policy;
use super::super::work::Work;
use super::{load_visible, refused};
use crate::attachments::service as files;
use crate::attachments::upload::Staged;
use crate::attachments::Attachment;
use crate::auth::actor::Actor;
use crate::error::{AppError, AppResult, FieldError};
use crate::events::TicketChanged;
use crate::state::AppState;
use crate::storage::Blob;

/// 404 unless the actor may see the ticket: asked before an upload's body is read, so nobody
/// streams files toward a ticket out of their reach (the upload asks again in its transaction).
pub async fn ensure_visible(state: &AppState, actor: &Actor, ticket_id: i64) -> AppResult<()> {
    let mut conn = state.db.pool.acquire().await?;
    load_visible(&mut conn, actor, ticket_id).await.map(|_| ())
}

pub async fn list(state: &AppState, actor: &Actor, ticket_id: i64) -> AppResult<Vec<Attachment>> {
    let mut conn = state.db.pool.acquire().await?;
    load_visible(&mut conn, actor, ticket_id).await?;
    files::of_ticket(&mut conn, ticket_id, policy::is_staff(actor)).await
}

/// Move staged files into the store and onto the ticket (and comment) within `work`, with a
/// history line each. The blob gate is held until the work ends.
pub(super) async fn attach(
    work: &mut Work<'_>,
    ticket_id: i64,
    comment_id: Option<i64>,
    staged: Vec<Staged>,
) -> AppResult<Vec<Attachment>> {
    let (state, actor, now) = (work.state, work.actor, work.now);
    if staged.is_empty() {
        return Ok(Vec::new());
    }
    work.hold_blobs().await;
    let tx = work.conn();
    let out = files::store_files(&mut *tx, state, actor, ticket_id, comment_id, staged).await?;
    for att in &out {
        let entry = Entry {
            field: "attachment",
            old: None,
            new: Some(att.file_name.clone()),
            internal: att.internal,
        };
        history::record(&mut *tx, ticket_id, actor, entry, now).await?;
    }
    Ok(out)
}

/// The API upload: files on the ticket, or on one of the caller's own comments of it.
pub async fn upload(
    state: &AppState,
    actor: &Actor,
    ticket_id: i64,
    comment_id: Option<i64>,
    staged: Vec<Staged>,
    errors: Vec<FieldError>,
) -> AppResult<Vec<Attachment>> {
    let mut work = Work::begin(state, actor).await?;
    let (row, watchers) = work.load(ticket_id).await?;
    let tx = work.conn();
    let staff = policy::is_staff(actor);
    if !staff && row.requester_id != actor.user_id && row.status == Status::Closed {
        return Err(AppError::Conflict("this ticket is closed".into()));
    }
    refused(errors)?;
    if staged.is_empty() {
        return Err(AppError::invalid("file", "choose at least one file"));
    }
    if let Some(c) = comment_id {
        if files::comment_author(&mut *tx, ticket_id, c).await? != Some(Some(actor.user_id)) {
            return Err(AppError::invalid(
                "comment_id",
                "not one of your replies on this ticket",
            ));
        }
    }
    let out = attach(&mut work, ticket_id, comment_id, staged).await?;
    let internal = out.iter().all(|a| a.internal);
    work.stage(TicketChanged::new(&row, &watchers, actor).internal(internal))
        .await?;
    work.commit().await?;
    Ok(out)
}

/// One file the actor may fetch.
async fn visible(
    state: &AppState,
    actor: &Actor,
    ticket_id: i64,
    id: i64,
) -> AppResult<Attachment> {
    let mut conn = state.db.pool.acquire().await?;
    load_visible(&mut conn, actor, ticket_id).await?;
    files::one(&mut conn, ticket_id, id, policy::is_staff(actor)).await
}

pub async fn open(
    state: &AppState,
    actor: &Actor,
    ticket_id: i64,
    id: i64,
) -> AppResult<(Attachment, Blob)> {
    let att = visible(state, actor, ticket_id, id).await?;
    let blob = files::bytes(state, &att).await?;
    Ok((att, blob))
}

/// A PNG thumbnail of an image file; one that cannot have one is "not found".
pub async fn thumbnail(
    state: &AppState,
    actor: &Actor,
    ticket_id: i64,
    id: i64,
) -> AppResult<Bytes> {
    let att = visible(state, actor, ticket_id, id).await?;
    files::thumbnail(state, &att).await
}

/// Staff who may edit the ticket, or the uploader, remove a file.
pub async fn delete(state: &AppState, actor: &Actor, ticket_id: i64, id: i64) -> AppResult<()> {
    let mut work = Work::begin(state, actor).await?;
    let now = work.now;
    let (row, watchers) = work.load(ticket_id).await?;
    let tx = work.conn();
    let att = files::one(&mut *tx, ticket_id, id, policy::is_staff(actor)).await?;
    if !(policy::is_staff(actor) || att.uploader_id == Some(actor.user_id)) {
        return Err(AppError::Forbidden);
    }
    let unused = files::remove(&mut *tx, actor, &att, now).await?;
    let entry = Entry {
        field: "attachment",
        old: Some(att.file_name.clone()),
        new: None,
        internal: att.internal,
    };
    history::record(&mut *tx, ticket_id, actor, entry, now).await?;
    work.stage(TicketChanged::new(&row, &watchers, actor).internal(att.internal))
        .await?;
    work.commit().await?;
    if unused {
        files::remove_unused(state, vec![att.sha256]).await;
    }
    Ok(())
}
