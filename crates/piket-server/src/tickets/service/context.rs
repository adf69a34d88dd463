//! The requester beside the conversation, for staff: who they are (email, departments), their
//! other open tickets and their devices, each as far as the reader may see it: the users,
//! tickets and inventory services decide, so nothing out of the reader's scope shows.

use super::super::filter::ListQuery;
use super::super::{policy, TicketSummary};
use crate::auth::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::inventory::{Hardware, HardwareFilter};
use crate::state::AppState;
use crate::users::User;

/// At most this many of the requester's other open tickets and devices are listed.
pub const CONTEXT_ITEMS: usize = 10;

pub struct RequesterContext {
    /// The requester's account, when the reader may see it.
    pub user: Option<User>,
    /// Their other tickets that are not resolved or closed, newest change first.
    pub open_tickets: Vec<TicketSummary>,
    /// Their devices the reader may see.
    pub devices: Vec<Hardware>,
}

/// The context of `ticket`'s requester, or `None` for a reader who is not staff.
pub async fn requester_context(
    state: &AppState,
    actor: &Actor,
    ticket: &TicketSummary,
) -> AppResult<Option<RequesterContext>> {
    if !policy::is_staff(actor) {
        return Ok(None);
    }
    let requester = ticket.requester_id;
    let tickets = ListQuery {
        requester: Some(requester.to_string()),
        status: Some("new,open,pending".into()),
        limit: Some(CONTEXT_ITEMS as i64 + 1),
        ..Default::default()
    };
    let devices = HardwareFilter {
        owner: Some(requester),
        limit: Some(CONTEXT_ITEMS as i64),
        ..Default::default()
    };
    // Three small reads on connections of their own, at once.
    let (user, tickets, devices) = tokio::join!(
        crate::users::service::get(state, actor, requester),
        super::list(state, actor, &tickets),
        crate::inventory::service::list(state, actor, devices),
    );
    let mut open_tickets = out_of_reach_is_none(tickets)?
        .map(|p| p.items)
        .unwrap_or_default();
    open_tickets.retain(|t| t.id != ticket.id);
    open_tickets.truncate(CONTEXT_ITEMS);
    Ok(Some(RequesterContext {
        user: out_of_reach_is_none(user)?,
        open_tickets,
        devices: out_of_reach_is_none(devices)?
            .map(|p| p.items)
            .unwrap_or_default(),
    }))
}

/// What the reader may not see is left out, not an error of the page.
fn out_of_reach_is_none<T>(result: AppResult<T>) -> AppResult<Option<T>> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(AppError::NotFound | AppError::Forbidden) => Ok(None),
        Err(e) => Err(e),
    }
}
