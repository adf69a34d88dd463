//! Rules for tickets, one file per use: `create`, `change` (fields, watchers, linked assets,
//! bulk), `comment` (replies and notes), `respond` (the ticket page's one Update: a reply and
//! field changes together; drafts), `delete`, `files` (attachments on a ticket) and
//! `query` (one ticket, the ticket page, lists, search, counts). Every write runs in one
//! [`Work`](super::work::Work): begin, load what the actor sees, apply, notify, stage the event,
//! commit and publish. What the fields may hold is `model`; who sees what is `policy`.

mod change;
mod comment;
mod context;
mod create;
mod delete;
pub mod files;
mod query;
mod respond;

use sqlx::AnyConnection;

use super::store::{self, TicketRow};
use super::{markdown, policy, LinkedAsset, Ticket};
use crate::auth::actor::{Actor, Via};
use crate::categories;
use crate::clock::format_ms;
use crate::error::{AppError, AppResult};
use crate::validate::Check;

pub use change::{bulk, link_asset, link_asset_named, unlink_asset, update, watch};
pub use comment::{add_comment, reply, reply_in};
pub use context::{requester_context, RequesterContext, CONTEXT_ITEMS};
pub use create::{
    create, create_once, create_with_files, file_in, new_ticket_defaults, NewTicketDefaults, Once,
};
pub use delete::delete;
pub use query::{
    assignees, comments, counts, counts_within, detail, get, history, list, queue, totals, Detail,
    Queue, Total, COUNT_CAP, RANKED_CANDIDATES,
};
pub use respond::{respond, save_draft, Update};

/// A ticket within reach (with its watchers), or not found.
pub async fn load_visible(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
) -> AppResult<(TicketRow, Vec<i64>)> {
    let row = store::get(conn, id).await?.ok_or(AppError::NotFound)?;
    let watchers = store::watchers(conn, id).await?;
    if policy::sees(actor, &row, &watchers) {
        Ok((row, watchers))
    } else {
        Err(AppError::NotFound)
    }
}

/// A ticket and its watchers, whoever may see it: for notifications, which apply the
/// visibility rule to each person they would tell.
pub async fn row_and_watchers(
    conn: &mut AnyConnection,
    id: i64,
) -> AppResult<Option<(TicketRow, Vec<i64>)>> {
    let Some(row) = store::get(conn, id).await? else {
        return Ok(None);
    };
    let watchers = store::watchers(conn, id).await?;
    Ok(Some((row, watchers)))
}

/// The whole ticket of a row: tags and linked assets read in `conn`.
async fn full(
    conn: &mut AnyConnection,
    row: TicketRow,
    watchers: Vec<i64>,
    now: i64,
) -> AppResult<Ticket> {
    let tags = store::tags(conn, row.id).await?;
    let assets = super::asset_store::of_ticket(conn, row.id).await?;
    Ok(assemble(row, watchers, tags, assets, now))
}

fn assemble(
    row: TicketRow,
    watchers: Vec<i64>,
    tags: Vec<String>,
    assets: Vec<LinkedAsset>,
    now: i64,
) -> Ticket {
    Ticket {
        assets,
        description_html: markdown::to_html(&row.description),
        description: row.description.clone(),
        tags,
        watchers,
        first_response_at: row.first_response_at.map(format_ms),
        resolved_at: row.resolved_at.map(format_ms),
        closed_at: row.closed_at.map(format_ms),
        summary: row.summary(now),
    }
}

async fn check_category(
    c: &mut Check,
    conn: &mut AnyConnection,
    id: Option<i64>,
) -> AppResult<Option<categories::Category>> {
    match id {
        None => Ok(None),
        Some(id) => {
            let found = categories::service::get_in(conn, id).await?;
            if found.is_none() {
                c.fail("category", "no such category");
            }
            Ok(found)
        }
    }
}

async fn check_department(
    c: &mut Check,
    conn: &mut AnyConnection,
    id: Option<i64>,
) -> AppResult<()> {
    if let Some(id) = id {
        if !crate::departments::service::exists(conn, id).await? {
            c.fail("department", "no such department");
        }
    }
    Ok(())
}

/// An assignee must be an enabled user who can work tickets.
async fn check_assignee(c: &mut Check, conn: &mut AnyConnection, id: Option<i64>) -> AppResult<()> {
    if let Some(id) = id {
        let ok = crate::users::accounts::load_actor(conn, id, Via::System, "")
            .await?
            .is_some_and(|a| policy::is_staff(&a));
        if !ok {
            c.fail("assignee", "must be an active user who works tickets");
        }
    }
    Ok(())
}

/// Files a form refused (kind, emptiness), as the form's field errors.
fn refused(errors: Vec<crate::error::FieldError>) -> AppResult<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid(errors))
    }
}
