//! The agent's one "Update" on the ticket page: a reply or internal note and the side panel's
//! field changes in one transaction (as Zammad does), so a refused change sends no reply and a
//! refused reply changes nothing. The side panel's own Save (field changes, no text sent) keeps
//! what is typed as the reader's draft.

use super::super::model::MAX_TEXT;
use super::super::work::Work;
use super::super::{draft_store, store, Comment, NewComment, TicketPatch};
use super::change::{apply, notify_changes};
use super::comment::add_loaded;
use super::{files, refused};
use crate::attachments::upload::Staged;
use crate::auth::actor::Actor;
use crate::error::{AppError, AppResult, FieldError};
use crate::events::TicketChanged;
use crate::state::AppState;

/// What the ticket page sent: field changes, the text box, and what to do with the text.
#[derive(Default)]
pub struct Update {
    /// The side panel's fields (none for a requester's reply).
    pub patch: Option<TicketPatch>,
    /// "Assign to me": the reader becomes the assignee, whatever the panel's choice.
    pub assign_me: bool,
    /// The text box, when the form sent it.
    pub text: Option<String>,
    pub internal: bool,
    /// Send the text (the Update button); otherwise keep it as the reader's draft.
    pub send: bool,
    /// Files chosen with the reply, and those the form refused.
    pub staged: Vec<Staged>,
    pub refused: Vec<FieldError>,
}

/// Apply an [`Update`]: the fields first (so a staff reply does not open a ticket the same
/// Update sets pending), then the reply with its files; all of it or none. Returns the reply,
/// if one was sent.
pub async fn respond(
    state: &AppState,
    actor: &Actor,
    id: i64,
    mut update: Update,
) -> AppResult<Option<Comment>> {
    if update.assign_me {
        update
            .patch
            .get_or_insert_with(TicketPatch::default)
            .assignee = Some(Some(actor.user_id));
    }
    let typed = update.text.is_some();
    let text = update.text.take().unwrap_or_default();
    // With no field to change, Update sends the text (and a missing text is the reply's error).
    let sends = update.send
        && (!text.trim().is_empty() || !update.staged.is_empty() || update.patch.is_none());
    if !update.send && text.chars().count() > MAX_TEXT {
        return Err(too_long());
    }
    let mut work = Work::begin(state, actor).await?;
    let now = work.now;
    let (mut row, mut watchers) = work.load(id).await?;
    if let Some(patch) = &update.patch {
        let before = row;
        let tx = work.conn();
        apply(&mut *tx, state, actor, &before, &watchers, patch, now).await?;
        // Read back without the reach check: the change may move the ticket to a department
        // the actor does not see, which is allowed.
        row = store::get(&mut *tx, id).await?.ok_or(AppError::NotFound)?;
        notify_changes(&mut *tx, state, actor, &before, &row, now).await?;
        watchers = store::watchers(&mut *tx, id).await?;
        work.stage(TicketChanged::new(&row, &watchers, actor))
            .await?;
    }
    let comment = if sends {
        let input = NewComment {
            body: text,
            internal: update.internal,
        };
        let comment = add_loaded(&mut work, &row, &watchers, input).await?;
        refused(update.refused)?;
        files::attach(&mut work, id, Some(comment.id), update.staged).await?;
        Some(comment)
    } else {
        // Kept as typed (an Update with an empty box forgets a stale draft).
        if typed {
            keep_draft(work.conn(), id, actor.user_id, &text, now).await?;
        }
        None
    };
    work.commit().await?;
    Ok(comment)
}

/// Keep what the reader is writing on a ticket they see, for their next visit or another
/// device; an empty text forgets it. Nobody reads or writes another's draft: the reader is the
/// key.
pub async fn save_draft(state: &AppState, actor: &Actor, id: i64, text: &str) -> AppResult<()> {
    if text.chars().count() > MAX_TEXT {
        return Err(too_long());
    }
    let mut conn = state.db.pool.acquire().await?;
    super::load_visible(&mut conn, actor, id).await?;
    keep_draft(&mut conn, id, actor.user_id, text, state.now()).await
}

async fn keep_draft(
    conn: &mut sqlx::AnyConnection,
    id: i64,
    user: i64,
    text: &str,
    now: i64,
) -> AppResult<()> {
    if text.trim().is_empty() {
        draft_store::remove(conn, id, user).await
    } else {
        draft_store::put(conn, id, user, text, now).await
    }
}

fn too_long() -> AppError {
    AppError::invalid("body", format!("must be at most {MAX_TEXT} characters"))
}
