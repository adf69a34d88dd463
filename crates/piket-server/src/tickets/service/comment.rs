//! Replies and internal notes. A staff reply to a new ticket opens it (and is its first
//! response); a requester's reply to a pending or resolved ticket puts it back to open.

use super::super::history::{self, Entry};
use super::super::model::{Status, MAX_TEXT};
use super::super::work::Work;
use super::super::{comments, policy, search, store, Comment, NewComment, TicketRow};
use super::change::milestones;
use super::{files, refused};
use crate::attachments::upload::Staged;
use crate::auth::actor::Actor;
use crate::error::{AppError, AppResult, FieldError};
use crate::events::TicketChanged;
use crate::notifications::{self, Event};
use crate::state::AppState;
use crate::validate::Check;

pub async fn add_comment(
    state: &AppState,
    actor: &Actor,
    id: i64,
    input: NewComment,
) -> AppResult<Comment> {
    reply(state, actor, id, input, Vec::new(), Vec::new()).await
}

/// Post a reply or note together with its files: all of it, or (a refused file) none of it.
pub async fn reply(
    state: &AppState,
    actor: &Actor,
    id: i64,
    input: NewComment,
    staged: Vec<Staged>,
    errors: Vec<FieldError>,
) -> AppResult<Comment> {
    let mut work = Work::begin(state, actor).await?;
    let comment = add_in(&mut work, id, input).await?;
    refused(errors)?;
    files::attach(&mut work, id, Some(comment.id), staged).await?;
    work.commit().await?;
    Ok(comment)
}

/// A reply with its files inside a caller's unit of work (see `create::file_in`).
pub async fn reply_in(
    work: &mut Work<'_>,
    id: i64,
    input: NewComment,
    staged: Vec<Staged>,
) -> AppResult<Comment> {
    let comment = add_in(work, id, input).await?;
    files::attach(work, id, Some(comment.id), staged).await?;
    Ok(comment)
}

async fn add_in(work: &mut Work<'_>, id: i64, input: NewComment) -> AppResult<Comment> {
    // Out of reach is a 404 before anything else is judged.
    let (row, watchers) = work.load(id).await?;
    add_loaded(work, &row, &watchers, input).await
}

/// Add a reply or note to a ticket this work has loaded (`row` as it stands now).
pub(super) async fn add_loaded(
    work: &mut Work<'_>,
    row: &TicketRow,
    watchers: &[i64],
    input: NewComment,
) -> AppResult<Comment> {
    let (state, actor, now) = (work.state, work.actor, work.now);
    let staff = policy::is_staff(actor);
    let id = row.id;
    let tx = work.conn();
    if input.internal && !staff {
        return Err(AppError::Forbidden);
    }
    let mut c = Check::new();
    let body = c.text("body", &input.body, 1, MAX_TEXT);
    c.finish()?;
    if !staff && row.requester_id != actor.user_id && row.status == Status::Closed {
        return Err(AppError::Conflict("this ticket is closed".into()));
    }
    let mut comment =
        comments::insert(&mut *tx, id, actor.user_id, &body, input.internal, now).await?;
    comment.author_name = actor.name.clone();
    let event = Event::Commented {
        internal: input.internal,
        body: body.clone(),
    };
    notifications::service::ticket_event(&mut *tx, state, id, actor, &event, now).await?;
    let from_staff = staff && actor.user_id != row.requester_id;
    store::touch(&mut *tx, id, now, from_staff && !input.internal).await?;
    let entry = Entry {
        field: if input.internal { "note" } else { "reply" },
        old: None,
        new: Some(comment.id.to_string()),
        internal: input.internal,
    };
    history::record(&mut *tx, id, actor, entry, now).await?;
    let reopens = !from_staff && matches!(row.status, Status::Pending | Status::Resolved);
    let opens = from_staff && row.status == Status::New;
    if !input.internal && (reopens || opens) {
        let marks = milestones(row, Status::Open, now);
        store::set_status(&mut *tx, id, Status::Open, &marks, now).await?;
        crate::sla::service::sync(&mut *tx, id, row.status, row.priority, now).await?;
        let entry = Entry {
            field: "status",
            old: Some(row.status.to_string()),
            new: Some(Status::Open.to_string()),
            internal: false,
        };
        history::record(&mut *tx, id, actor, entry, now).await?;
    }
    search::reindex(&mut *tx, state.db.backend, id).await?;
    // The draft this reply came from is sent.
    super::super::draft_store::remove(&mut *tx, id, actor.user_id).await?;
    let event = TicketChanged::new(row, watchers, actor).internal(input.internal);
    work.stage(event).await?;
    Ok(comment)
}
