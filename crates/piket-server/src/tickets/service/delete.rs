//! Deleting a ticket (`tickets.delete`): its rows go in one transaction, audited with what it
//! was; its files' blobs go after the commit once nothing else uses them.

use super::super::store;
use super::super::work::Work;
use super::full;
use crate::audit::{self, to_json, Change};
use crate::auth::actor::Actor;
use crate::error::AppResult;
use crate::events::TicketChanged;
use crate::state::AppState;

pub async fn delete(state: &AppState, actor: &Actor, id: i64) -> AppResult<()> {
    let mut work = Work::begin(state, actor).await?;
    let now = work.now;
    let (row, watchers) = work.load(id).await?;
    let tx = work.conn();
    actor.require("tickets.delete")?;
    let event = TicketChanged::new(&row, &watchers, actor);
    let before = full(&mut *tx, row, watchers, now).await?;
    let unused_blobs = crate::attachments::service::before_ticket_delete(&mut *tx, id).await?;
    store::delete(&mut *tx, id).await?;
    // The search entry goes with the ticket: by foreign key on PostgreSQL, by trigger on SQLite.
    let change = Change {
        action: "ticket.delete",
        object_kind: "ticket",
        object_id: Some(id),
        before: to_json(&before),
        after: None,
    };
    audit::record(&mut *tx, now, actor, change).await?;
    work.stage(event).await?;
    work.commit().await?;
    crate::attachments::service::remove_unused(state, unused_blobs).await;
    Ok(())
}
