//! Files on tickets as stored: moving accepted uploads into the blob store with their rows
//! (charged to the uploader's daily quota, audited), removing rows, fetching bytes and
//! thumbnails, and removing blobs once no row uses them. Who may do what with a ticket's files
//! is the ticket's rule: `tickets::service::files` asks here after deciding. Nothing here
//! imports the ticket domain.

use axum::body::Bytes;
use sqlx::AnyConnection;

use super::thumbnails::{self, Outcome};
use super::upload::Staged;
use super::{kind, quota, store, thumb, Attachment};
use crate::audit::{self, to_json, Change};
use crate::auth::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::storage::Blob;

fn io(e: std::io::Error) -> AppError {
    if e.kind() == std::io::ErrorKind::StorageFull {
        return AppError::from(e);
    }
    AppError::Internal(format!("blob store: {e}"))
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

/// A ticket's files; those on internal notes only for `staff`.
pub async fn of_ticket(
    conn: &mut AnyConnection,
    ticket_id: i64,
    staff: bool,
) -> AppResult<Vec<Attachment>> {
    store::list(conn, ticket_id, staff).await
}

/// One file of a ticket; one on an internal note only for `staff`, else "not found".
pub async fn one(
    conn: &mut AnyConnection,
    ticket_id: i64,
    id: i64,
    staff: bool,
) -> AppResult<Attachment> {
    match store::get(conn, ticket_id, id).await? {
        Some(att) if staff || !att.internal => Ok(att),
        _ => Err(AppError::NotFound),
    }
}

/// The uploader of comment `comment_id` of the ticket, if it is one of its comments.
pub async fn comment_author(
    conn: &mut AnyConnection,
    ticket_id: i64,
    comment_id: i64,
) -> AppResult<Option<Option<i64>>> {
    Ok(store::comment_of(conn, ticket_id, comment_id)
        .await?
        .map(|(author, _)| author))
}

/// Move staged files into the store and record them on the ticket (and comment) inside the
/// caller's transaction. Identical content is stored once. The files count against the actor's
/// daily quota first: over it, none of them is moved in. The caller holds
/// `state.blob_gate.writing()` from before this call until its transaction ends.
pub async fn store_files(
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
        out.push(att);
    }
    Ok(out)
}

/// Drop a file's row (audited) inside the caller's transaction; whether its blob is now unused
/// (then call [`remove_unused`] after the commit).
pub async fn remove(
    conn: &mut AnyConnection,
    actor: &Actor,
    att: &Attachment,
    now: i64,
) -> AppResult<bool> {
    store::delete(conn, att.id).await?;
    let unused = store::uses(conn, &att.sha256).await? == 0;
    let change = Change {
        action: "attachment.delete",
        object_kind: "attachment",
        object_id: Some(att.id),
        before: to_json(att),
        after: None,
    };
    audit::record(conn, now, actor, change).await?;
    Ok(unused)
}

/// A file's bytes.
pub async fn bytes(state: &AppState, att: &Attachment) -> AppResult<Blob> {
    match state.blobs.open(&att.sha256).await.map_err(io)? {
        Some(blob) => Ok(blob),
        None => Err(AppError::Internal(format!(
            "attachment {} has no blob {}",
            att.id, att.sha256
        ))),
    }
}

/// A PNG thumbnail of an image, made on first request (once, however many ask at the same
/// time) and kept in the store; an image that cannot have one is "not found".
pub async fn thumbnail(state: &AppState, att: &Attachment) -> AppResult<Bytes> {
    if !att.image {
        return Err(AppError::NotFound);
    }
    match thumbnails::get(state, &att.sha256).await {
        Outcome::Made(png) => Ok(png),
        Outcome::Refused => Err(AppError::NotFound),
        Outcome::Failed(e) => Err(AppError::Internal(format!(
            "thumbnail of attachment {}: {e}",
            att.id
        ))),
    }
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
