//! Rules for attachments: a file is seen, uploaded and fetched by exactly those who see its
//! ticket (`tickets::policy`), files on internal notes only by staff, and everything out of
//! reach is "not found". Uploads count against the uploader's daily quota. Blobs are removed
//! once no attachment row uses them.

use axum::body::Bytes;
use sqlx::AnyConnection;

use super::thumbnails::{self, Outcome};
use super::upload::Staged;
use super::{kind, quota, store, thumb, Attachment};
use crate::audit::{self, to_json, Change};
use crate::auth::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::events::{self, TicketChanged};
use crate::state::AppState;
use crate::storage::Blob;
use crate::tickets::history::{self, Entry};
use crate::tickets::service::load_visible;
use crate::tickets::{policy, Comment, NewComment, NewTicket, Ticket};

fn io(e: std::io::Error) -> AppError {
    if e.kind() == std::io::ErrorKind::StorageFull {
        return AppError::from(e);
    }
    AppError::Internal(format!("blob store: {e}"))
}

/// A file as refused by the rules, for the form that sent it.
fn refused(errors: Vec<crate::error::FieldError>) -> AppResult<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid(errors))
    }
}

/// 404 unless the actor may see the ticket: asked before an upload's body is read, so nobody
/// streams files toward a ticket out of their reach (the upload asks again in its transaction).
pub async fn ensure_visible(state: &AppState, actor: &Actor, ticket_id: i64) -> AppResult<()> {
    let mut conn = state.db.pool.acquire().await?;
    load_visible(&mut conn, actor, ticket_id).await.map(|_| ())
}

/// Before an upload's body is read: refuse one surely over the actor's quota or arriving while
/// the disk is nearly full (see `quota::precheck`; the upload's transaction counts exactly).
pub async fn before_upload(
    state: &AppState,
    actor: &Actor,
    declared: Option<u64>,
) -> AppResult<()> {
    quota::precheck(state, actor, declared).await
}

pub async fn list(state: &AppState, actor: &Actor, ticket_id: i64) -> AppResult<Vec<Attachment>> {
    let mut conn = state.db.pool.acquire().await?;
    load_visible(&mut conn, actor, ticket_id).await?;
    store::list(&mut conn, ticket_id, policy::is_staff(actor)).await
}

/// Move staged files into the store and record them on the ticket (and comment) inside the
/// caller's transaction. Identical content is stored once. The files count against the actor's
/// daily quota first: over it, none of them is moved in. The caller holds
/// `state.blob_gate.writing()` from before this call until its transaction ends.
pub async fn attach_in(
    conn: &mut AnyConnection,
    state: &AppState,
    actor: &Actor,
    ticket_id: i64,
    comment_id: Option<i64>,
    files: Vec<Staged>,
) -> AppResult<Vec<Attachment>> {
    let now = state.now();
    let bytes = files.iter().map(|f| f.size).sum();
    quota::charge(conn, state, actor, bytes, now).await?;
    let mut out = Vec::new();
    for file in files {
        state
            .blobs
            .put_file(&file.sha256, &file.path)
            .await
            .map_err(io)?;
        let row = store::NewRow {
            ticket_id,
            comment_id,
            uploader_id: (actor.user_id > 0).then_some(actor.user_id),
            file_name: &file.file_name,
            content_type: kind::content_type(file.kind),
            size: i64::try_from(file.size).unwrap_or(i64::MAX),
            sha256: &file.sha256,
        };
        let id = store::insert(conn, &row, now).await?;
        let att = store::get(conn, ticket_id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let change = Change {
            action: "attachment.create",
            object_kind: "attachment",
            object_id: Some(id),
            before: None,
            after: to_json(&att),
        };
        audit::record(conn, now, actor, change).await?;
        let entry = Entry {
            field: "attachment",
            old: None,
            new: Some(att.file_name.clone()),
            internal: att.internal,
        };
        history::record(conn, ticket_id, actor, entry, now).await?;
        out.push(att);
    }
    Ok(out)
}

/// The API upload: files on the ticket, or on one of the caller's own comments of it.
pub async fn upload(
    state: &AppState,
    actor: &Actor,
    ticket_id: i64,
    comment_id: Option<i64>,
    files: Vec<Staged>,
    errors: Vec<crate::error::FieldError>,
) -> AppResult<Vec<Attachment>> {
    let mut tx = state.db.begin().await?;
    let (row, watchers) = load_visible(&mut tx, actor, ticket_id).await?;
    let staff = policy::is_staff(actor);
    if !staff && row.requester_id != actor.user_id && row.status == "closed" {
        return Err(AppError::Conflict("this ticket is closed".into()));
    }
    refused(errors)?;
    if files.is_empty() {
        return Err(AppError::invalid("file", "choose at least one file"));
    }
    if let Some(c) = comment_id {
        match store::comment_of(&mut tx, ticket_id, c).await? {
            Some((author, _)) if author == Some(actor.user_id) => {}
            _ => {
                return Err(AppError::invalid(
                    "comment_id",
                    "not one of your replies on this ticket",
                ))
            }
        }
    }
    // Until the commit: a removal of the same content must see the row (`BlobGate`).
    let _writing = state.blob_gate.writing().await;
    let out = attach_in(&mut tx, state, actor, ticket_id, comment_id, files).await?;
    let internal = out.iter().all(|a| a.internal);
    let event = TicketChanged::new(&row, &watchers, actor).internal(internal);
    events::stage(&mut tx, state.db.backend, &event).await?;
    tx.commit().await?;
    state.events.committed(vec![event]);
    Ok(out)
}

/// Post a reply or note together with its files: all of it, or (a refused file) none of it.
pub async fn reply(
    state: &AppState,
    actor: &Actor,
    ticket_id: i64,
    input: NewComment,
    files: Vec<Staged>,
    errors: Vec<crate::error::FieldError>,
) -> AppResult<Comment> {
    let mut tx = state.db.begin().await?;
    let (comment, event) =
        crate::tickets::service::add_comment_in(&mut tx, state, actor, ticket_id, input).await?;
    refused(errors)?;
    // Until the commit: a removal of the same content must see the row (`BlobGate`).
    let _writing = state.blob_gate.writing().await;
    attach_in(&mut tx, state, actor, ticket_id, Some(comment.id), files).await?;
    tx.commit().await?;
    state.events.committed(vec![event]);
    Ok(comment)
}

/// File a ticket together with its files.
pub async fn create_ticket(
    state: &AppState,
    actor: &Actor,
    input: NewTicket,
    source: &str,
    files: Vec<Staged>,
    errors: Vec<crate::error::FieldError>,
) -> AppResult<Ticket> {
    let mut tx = state.db.begin().await?;
    let (ticket, event) =
        crate::tickets::service::create_in(&mut tx, state, actor, input, source).await?;
    refused(errors)?;
    // Until the commit: a removal of the same content must see the row (`BlobGate`).
    let _writing = state.blob_gate.writing().await;
    attach_in(&mut tx, state, actor, ticket.summary.id, None, files).await?;
    tx.commit().await?;
    state.events.committed(vec![event]);
    Ok(ticket)
}

/// One attachment the actor may fetch.
async fn visible(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket_id: i64,
    id: i64,
) -> AppResult<Attachment> {
    load_visible(conn, actor, ticket_id).await?;
    of_ticket(conn, actor, ticket_id, id).await
}

/// One attachment of a ticket already known to be within the actor's reach.
async fn of_ticket(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket_id: i64,
    id: i64,
) -> AppResult<Attachment> {
    let att = store::get(conn, ticket_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if att.internal && !policy::is_staff(actor) {
        return Err(AppError::NotFound);
    }
    Ok(att)
}

pub async fn open(
    state: &AppState,
    actor: &Actor,
    ticket_id: i64,
    id: i64,
) -> AppResult<(Attachment, Blob)> {
    let att = {
        let mut conn = state.db.pool.acquire().await?;
        visible(&mut conn, actor, ticket_id, id).await?
    };
    match state.blobs.open(&att.sha256).await.map_err(io)? {
        Some(blob) => Ok((att, blob)),
        None => Err(AppError::Internal(format!(
            "attachment {id} has no blob {}",
            att.sha256
        ))),
    }
}

/// A PNG thumbnail of an image attachment, made on first request (once, however many ask at
/// the same time) and kept in the store; an image that cannot have one is "not found".
pub async fn thumbnail(
    state: &AppState,
    actor: &Actor,
    ticket_id: i64,
    id: i64,
) -> AppResult<Bytes> {
    let att = {
        let mut conn = state.db.pool.acquire().await?;
        visible(&mut conn, actor, ticket_id, id).await?
    };
    if !att.image {
        return Err(AppError::NotFound);
    }
    match thumbnails::get(state, &att.sha256).await {
        Outcome::Made(png) => Ok(png),
        Outcome::Refused => Err(AppError::NotFound),
        Outcome::Failed(e) => Err(AppError::Internal(format!(
            "thumbnail of attachment {id}: {e}"
        ))),
    }
}

/// Staff who may edit the ticket, or the uploader, remove a file.
pub async fn delete(state: &AppState, actor: &Actor, ticket_id: i64, id: i64) -> AppResult<()> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let (row, watchers) = load_visible(&mut tx, actor, ticket_id).await?;
    let att = of_ticket(&mut tx, actor, ticket_id, id).await?;
    if !(policy::is_staff(actor) || att.uploader_id == Some(actor.user_id)) {
        return Err(AppError::Forbidden);
    }
    store::delete(&mut tx, id).await?;
    let unused = store::uses(&mut tx, &att.sha256).await? == 0;
    let change = Change {
        action: "attachment.delete",
        object_kind: "attachment",
        object_id: Some(id),
        before: to_json(&att),
        after: None,
    };
    audit::record(&mut tx, now, actor, change).await?;
    let entry = Entry {
        field: "attachment",
        old: Some(att.file_name.clone()),
        new: None,
        internal: att.internal,
    };
    history::record(&mut tx, ticket_id, actor, entry, now).await?;
    let event = TicketChanged::new(&row, &watchers, actor).internal(att.internal);
    events::stage(&mut tx, state.db.backend, &event).await?;
    tx.commit().await?;
    state.events.committed(vec![event]);
    if unused {
        remove_unused(state, vec![att.sha256]).await;
    }
    Ok(())
}

/// Inside a ticket's deletion: drop its attachment rows and say which digests nothing else uses.
/// Call [`remove_unused`] with the answer after the transaction commits.
pub async fn before_ticket_delete(
    conn: &mut AnyConnection,
    ticket_id: i64,
) -> AppResult<Vec<String>> {
    let mut unused = Vec::new();
    for sha in store::delete_for_ticket(conn, ticket_id).await? {
        if store::uses(conn, &sha).await? == 0 {
            unused.push(sha);
        }
    }
    Ok(unused)
}

/// Delete blobs (and their thumbnails) that no row uses, re-checking just before each removal (with
/// the `BlobGate` held) so that an upload of the same content keeps its file. Failures are logged: a
/// leftover blob wastes space until the `attachments.sweep` job finds it.
pub async fn remove_unused(state: &AppState, shas: Vec<String>) {
    for sha in shas {
        let _removing = state.blob_gate.removing().await;
        let still_used = match state.db.pool.acquire().await {
            Ok(mut conn) => store::uses(&mut conn, &sha).await.map(|n| n > 0),
            Err(e) => Err(e.into()),
        };
        match still_used {
            Ok(false) => {
                for key in thumb::derived_keys(&sha).into_iter().chain([sha.clone()]) {
                    if let Err(e) = state.blobs.delete(&key).await {
                        tracing::warn!(key = %key, error = %e, "could not remove a blob");
                    }
                }
            }
            Ok(true) => {}
            Err(e) => tracing::warn!(sha = %sha, error = %e, "could not check a blob's use"),
        }
    }
}
