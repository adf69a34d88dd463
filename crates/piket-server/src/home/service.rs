//! What the start page shows, by who is asking; everything goes through the ticket service, so
//! each list is within the person's own reach.

use crate::auth::actor::Actor;
use crate::error::AppResult;
use crate::state::AppState;
use crate::tickets::filter::ListQuery;
use crate::tickets::{self, StatusCounts, TicketSummary};

/// How many tickets each list on the start page shows.
const SHOWN: i64 = 10;
/// Not done: what a person still waits on or works on.
const ACTIVE: &str = "new,open,pending";

/// The start page's content.
#[derive(Default)]
pub struct Start {
    /// Works tickets (sees internal notes, can be assigned).
    pub staff: bool,
    pub may_create: bool,
    /// A requester's own open tickets (staff: none).
    pub mine: Vec<TicketSummary>,
    /// Staff: per-status counts within their reach.
    pub counts: Option<StatusCounts>,
    /// Staff: open tickets assigned to them.
    pub assigned: Vec<TicketSummary>,
    /// Staff: tickets past an SLA target, then those close to one.
    pub breached: Vec<TicketSummary>,
    pub at_risk: Vec<TicketSummary>,
}

pub async fn start(state: &AppState, actor: &Actor) -> AppResult<Start> {
    let mut start = Start {
        staff: tickets::policy::is_staff(actor),
        may_create: actor.can("tickets.create"),
        ..Start::default()
    };
    if !actor.can("tickets.read") {
        return Ok(start);
    }
    let list = |query: ListQuery| async move {
        let query = ListQuery {
            limit: Some(SHOWN),
            ..query
        };
        tickets::service::list(state, actor, &query)
            .await
            .map(|page| page.items)
    };
    if !start.staff {
        start.mine = list(ListQuery {
            status: Some(ACTIVE.into()),
            requester: Some("me".into()),
            ..ListQuery::default()
        })
        .await?;
        return Ok(start);
    }
    start.counts = Some(tickets::service::counts(state, actor).await?);
    start.assigned = list(ListQuery {
        status: Some(ACTIVE.into()),
        assigned_to: Some("me".into()),
        ..ListQuery::default()
    })
    .await?;
    start.breached = list(ListQuery {
        sla: Some("breached".into()),
        ..ListQuery::default()
    })
    .await?;
    start.at_risk = list(ListQuery {
        sla: Some("at_risk".into()),
        ..ListQuery::default()
    })
    .await?;
    Ok(start)
}
