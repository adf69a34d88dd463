//! Who sees and changes which ticket. One rule, asked the same way by lists, detail, search,
//! counts, attachments and exports: requesters see what they requested or watch; department-scoped
//! staff see their departments' tickets and those they requested or are assigned; `all` sees all.
//! A ticket out of reach is reported as not found.

use super::store::TicketRow;
use super::Ticket;
use crate::auth::actor::Actor;
use crate::auth::permissions::Scope;
use crate::db::scope::{self, ScopeRule, Tie};
use crate::db::sql::Sql;
use crate::error::{AppError, AppResult};

/// Staff see internal notes; requesters never do.
pub fn is_staff(actor: &Actor) -> bool {
    actor.scope != Scope::Own && actor.can("tickets.write")
}

/// Whether the actor may see this ticket at all.
pub fn sees(actor: &Actor, t: &TicketRow, watchers: &[i64]) -> bool {
    sees_parts(
        actor,
        t.department_id,
        t.requester_id,
        t.assignee_id,
        watchers,
    )
}

/// The same rule on the fields it needs (live events carry just these).
pub fn sees_parts(
    actor: &Actor,
    department: Option<i64>,
    requester: i64,
    assignee: Option<i64>,
    watchers: &[i64],
) -> bool {
    if !actor.can("tickets.read") {
        return false;
    }
    match actor.scope {
        Scope::All => true,
        Scope::Department => {
            requester == actor.user_id
                || assignee == Some(actor.user_id)
                || department.is_some_and(|d| actor.departments.contains(&d))
        }
        Scope::Own => requester == actor.user_id || watchers.contains(&actor.user_id),
    }
}

/// Which ticket rows (`tickets t`) each scope reaches, for [`push_scope`] and the counts.
pub const RULE: ScopeRule = ScopeRule {
    in_departments: ("t.department_id IN ", ""),
    department_ties: &[
        Tie::column("t.requester_id = "),
        Tie::column("t.assignee_id = "),
    ],
    own_ties: &[
        Tie::column("t.requester_id = "),
        Tie {
            before: "t.id IN (SELECT ticket_id FROM ticket_watchers WHERE user_id = ",
            after: ")",
        },
    ],
};

/// Append ` AND (…)` restricting rows of `tickets t` to those the actor sees.
pub fn push_scope(sql: &mut Sql, actor: &Actor) -> AppResult<()> {
    if !actor.can("tickets.read") {
        return Err(AppError::Forbidden);
    }
    scope::push_scope(sql, &RULE, actor.scope, &actor.departments, actor.user_id);
    Ok(())
}

/// Editing fields (title, priority, department, tags, …) is for staff holding `tickets.write`.
pub fn require_edit(actor: &Actor) -> AppResult<()> {
    if is_staff(actor) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// What the reader may do on a ticket's page, so it offers only what will work (each action
/// checks again).
pub struct Allowed {
    pub staff: bool,
    pub may_assign: bool,
    pub may_delete: bool,
    /// A requester confirms a resolved ticket (closing it) …
    pub may_confirm: bool,
    /// … or reopens a resolved or closed one.
    pub may_reopen: bool,
    /// Suggestions of assets to link come from the inventory.
    pub can_read_inventory: bool,
    /// The reader is among the watchers.
    pub watching: bool,
}

pub fn allowed(actor: &Actor, ticket: &Ticket) -> Allowed {
    let staff = is_staff(actor);
    let status = ticket.summary.status.as_str();
    let resolved = status == "resolved";
    Allowed {
        staff,
        may_assign: actor.can("tickets.assign"),
        may_delete: actor.can("tickets.delete"),
        may_confirm: !staff && resolved,
        may_reopen: !staff && (resolved || status == "closed"),
        can_read_inventory: actor.can("inventory.read"),
        watching: ticket.watchers.contains(&actor.user_id),
    }
}
