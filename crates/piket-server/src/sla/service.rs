//! SLA rules: who reads and changes policies and the calendar, and how a ticket's due times are
//! set at creation, recomputed when its priority changes, and moved by time spent pending.

use sqlx::AnyConnection;

use super::calendar::{add_business_ms, business_ms_between, WorkCalendar};
use super::model::{self, default_calendar, due_times};
use super::store::{self, PolicyRow, TicketSla};
use super::{Calendar, Policy, PolicyInput};
use crate::audit::{self, to_json, Change};
use crate::auth::actor::Actor;
use crate::clock::format_ms;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::tickets::{Priority, Status, PRIORITIES};
use crate::validate::Check;

/// Staff see the targets; only `settings.manage` changes them.
fn may_read(actor: &Actor) -> AppResult<()> {
    if actor.can("settings.manage") || actor.can("tickets.write") {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

fn policy_of(priority: i64, row: Option<&PolicyRow>) -> Policy {
    Policy {
        priority: Priority::from_rank(priority)
            .unwrap_or(Priority::Normal)
            .to_string(),
        first_response_minutes: row.and_then(|r| r.first_response_minutes),
        resolution_minutes: row.and_then(|r| r.resolution_minutes),
        updated_at: row.map(|r| format_ms(r.updated_at)),
    }
}

async fn all_policies(conn: &mut AnyConnection) -> AppResult<Vec<Policy>> {
    let rows = store::policies(conn).await?;
    Ok((0..PRIORITIES.len() as i64)
        .map(|p| policy_of(p, rows.iter().find(|r| r.priority == p)))
        .collect())
}

/// One entry per priority, lowest first; no target is `null`.
pub async fn policies(state: &AppState, actor: &Actor) -> AppResult<Vec<Policy>> {
    may_read(actor)?;
    let mut conn = state.db.pool.acquire().await?;
    all_policies(&mut conn).await
}

pub async fn set_policy(
    state: &AppState,
    actor: &Actor,
    priority: &str,
    input: PolicyInput,
) -> AppResult<Policy> {
    actor.require("settings.manage")?;
    let rank = Priority::parse(priority)
        .map(Priority::rank)
        .ok_or(AppError::NotFound)?;
    let mut saved = save_policies(state, actor, &[(rank, input)], false).await?;
    saved.pop().ok_or(AppError::NotFound)
}

/// Set several priorities' targets at once (the admin page): all or, if any is invalid, none.
/// Field errors are named `first_response_minutes.<priority>`.
pub async fn set_policies(
    state: &AppState,
    actor: &Actor,
    inputs: &[(i64, PolicyInput)],
) -> AppResult<Vec<Policy>> {
    save_policies(state, actor, inputs, true).await
}

async fn save_policies(
    state: &AppState,
    actor: &Actor,
    inputs: &[(i64, PolicyInput)],
    qualified: bool,
) -> AppResult<Vec<Policy>> {
    actor.require("settings.manage")?;
    let mut c = Check::new();
    let mut checked = Vec::new();
    for (rank, input) in inputs {
        let field = |name: &str| {
            if qualified {
                let p = Priority::from_rank(*rank).unwrap_or(Priority::Normal);
                format!("{name}.{p}")
            } else {
                name.to_string()
            }
        };
        let first = model::target(
            &mut c,
            &field("first_response_minutes"),
            input.first_response_minutes,
        );
        let resolution = model::target(
            &mut c,
            &field("resolution_minutes"),
            input.resolution_minutes,
        );
        checked.push((*rank, first, resolution));
    }
    c.finish()?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let mut out = Vec::new();
    for (rank, first, resolution) in checked {
        let before = store::policy(&mut tx, rank).await?;
        let unchanged = before
            .as_ref()
            .map_or(first.is_none() && resolution.is_none(), |b| {
                b.first_response_minutes == first && b.resolution_minutes == resolution
            });
        if unchanged {
            out.push(policy_of(rank, before.as_ref()));
            continue;
        }
        store::set_policy(&mut tx, rank, first, resolution, now).await?;
        let after = store::policy(&mut tx, rank).await?;
        let (before, after) = (
            policy_of(rank, before.as_ref()),
            policy_of(rank, after.as_ref()),
        );
        let change = Change {
            action: "sla.policy.update",
            object_kind: "sla_policy",
            object_id: Some(rank),
            before: to_json(&before),
            after: to_json(&after),
        };
        audit::record(&mut tx, now, actor, change).await?;
        out.push(after);
    }
    tx.commit().await?;
    Ok(out)
}

/// The stored calendar, or the default (Mon-Fri 08:00-17:00 WIB) when none was saved.
async fn stored_calendar(conn: &mut AnyConnection) -> AppResult<(Calendar, WorkCalendar)> {
    if let Some((body, _)) = store::calendar(conn).await? {
        match serde_json::from_str::<Calendar>(&body) {
            Ok(doc) => {
                let mut c = Check::new();
                let (work, doc) = model::validate(&mut c, &doc);
                if c.finish().is_ok() {
                    return Ok((doc, work));
                }
                tracing::warn!("stored SLA calendar is invalid; using the default");
            }
            Err(e) => {
                tracing::warn!(error = %e, "stored SLA calendar unreadable; using the default")
            }
        }
    }
    Ok((default_calendar(), WorkCalendar::default()))
}

/// The calculator's calendar, for other modules (the escalation job, tickets).
pub async fn work_calendar(conn: &mut AnyConnection) -> AppResult<WorkCalendar> {
    Ok(stored_calendar(conn).await?.1)
}

pub async fn calendar(state: &AppState, actor: &Actor) -> AppResult<Calendar> {
    may_read(actor)?;
    let mut conn = state.db.pool.acquire().await?;
    Ok(stored_calendar(&mut conn).await?.0)
}

/// Replace the calendar. Due times already set stay; new and recomputed ones use it.
pub async fn set_calendar(state: &AppState, actor: &Actor, input: Calendar) -> AppResult<Calendar> {
    actor.require("settings.manage")?;
    let mut c = Check::new();
    let (_, doc) = model::validate(&mut c, &input);
    c.finish()?;
    let body = serde_json::to_string(&doc).map_err(|e| AppError::Internal(e.to_string()))?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let (before, _) = stored_calendar(&mut tx).await?;
    store::set_calendar(&mut tx, &body, now).await?;
    let change = Change {
        action: "sla.calendar.update",
        object_kind: "sla_calendar",
        object_id: None,
        before: to_json(&before),
        after: to_json(&doc),
    };
    audit::record(&mut tx, now, actor, change).await?;
    tx.commit().await?;
    // The organisation's time zone falls back to the calendar's offset.
    crate::org::service::forget_zone(state);
    Ok(doc)
}

/// Due times from the policy of the ticket's priority, counted from its creation plus the
/// business time it has spent paused.
async fn recompute(
    conn: &mut AnyConnection,
    t: &mut TicketSla,
    cal: &WorkCalendar,
) -> AppResult<()> {
    let policy = store::policy(conn, t.priority).await?;
    let first = policy.as_ref().and_then(|p| p.first_response_minutes);
    let resolution = policy.as_ref().and_then(|p| p.resolution_minutes);
    (t.first_response_due_at, t.first_response_risk_at) =
        due_times(t.created_at, first, t.sla_paused_ms, cal);
    (t.resolution_due_at, t.resolution_risk_at) =
        due_times(t.created_at, resolution, t.sla_paused_ms, cal);
    Ok(())
}

/// Set a new ticket's due times (inside its creating transaction).
pub async fn start(conn: &mut AnyConnection, ticket_id: i64) -> AppResult<()> {
    let Some(mut t) = store::ticket(conn, ticket_id).await? else {
        return Ok(());
    };
    // Without a policy for this priority there is nothing to set (the columns start empty).
    if store::policy(conn, t.priority).await?.is_none() {
        return Ok(());
    }
    let cal = work_calendar(conn).await?;
    recompute(conn, &mut t, &cal).await?;
    store::save_ticket(conn, &t).await
}

/// After a ticket changed (inside the same transaction): entering `pending` pauses the clock,
/// leaving it moves the due times forward by the business time paused, and a new priority
/// recomputes them from its policy.
pub async fn sync(
    conn: &mut AnyConnection,
    ticket_id: i64,
    old_status: Status,
    old_priority: Priority,
    now: i64,
) -> AppResult<()> {
    let Some(mut t) = store::ticket(conn, ticket_id).await? else {
        return Ok(());
    };
    let pauses = old_status != Status::Pending && t.status == Status::Pending;
    let resumes = old_status == Status::Pending && t.status != Status::Pending;
    let reprioritised = old_priority.rank() != t.priority;
    if !(pauses || resumes || reprioritised) {
        return Ok(());
    }
    let cal = work_calendar(conn).await?;
    if pauses && t.sla_paused_at.is_none() {
        t.sla_paused_at = Some(now);
    }
    if resumes {
        if let Some(since) = t.sla_paused_at.take() {
            let paused = business_ms_between(since, now, &cal);
            if paused > 0 {
                t.sla_paused_ms = t.sla_paused_ms.saturating_add(paused);
                let shift = |at: Option<i64>| at.and_then(|a| add_business_ms(a, paused, &cal));
                t.first_response_due_at = shift(t.first_response_due_at);
                t.first_response_risk_at = shift(t.first_response_risk_at);
                t.resolution_due_at = shift(t.resolution_due_at);
                t.resolution_risk_at = shift(t.resolution_risk_at);
            }
        }
    }
    if reprioritised {
        recompute(conn, &mut t, &cal).await?;
    }
    // A target moved into the future (a new priority, or time paused) is a new target: missing
    // it is escalated again. One still past stays escalated, so nobody hears of it twice.
    if t.first_response_due_at.is_some_and(|d| d > now) {
        t.sla_response_escalated_at = None;
    }
    if t.resolution_due_at.is_some_and(|d| d > now) {
        t.sla_resolution_escalated_at = None;
    }
    store::save_ticket(conn, &t).await
}

/// The escalation job's schedule row (for the admin page), if it has run on any node yet.
pub async fn escalation_job(state: &AppState, actor: &Actor) -> AppResult<Option<JobStatus>> {
    actor.require("settings.manage")?;
    let mut conn = state.db.pool.acquire().await?;
    let rows = crate::jobs::rows(&mut conn).await?;
    Ok(rows
        .into_iter()
        .find(|r| r.name == "sla.escalate")
        .map(|r| JobStatus {
            last_run_at: r.last_run_at.map(format_ms),
            next_run_at: format_ms(r.next_run_at),
            last_error: r.last_error,
        }))
}

/// When a periodic job last ran and runs next, for people.
#[derive(Debug, Clone, serde::Serialize)]
pub struct JobStatus {
    pub last_run_at: Option<String>,
    pub next_run_at: String,
    pub last_error: Option<String>,
}

/// What the admin page shows: the targets, the calendar and the escalation job's last run.
pub struct AdminView {
    pub policies: Vec<Policy>,
    pub calendar: Calendar,
    pub job: Option<JobStatus>,
}

/// The admin page is for `settings.manage`.
pub async fn admin_view(state: &AppState, actor: &Actor) -> AppResult<AdminView> {
    actor.require("settings.manage")?;
    Ok(AdminView {
        policies: policies(state, actor).await?,
        calendar: calendar(state, actor).await?,
        job: escalation_job(state, actor).await?,
    })
}

/// The admin page's targets as typed (`model::FormText`): text that is not a whole number of
/// minutes is refused before anything else is checked.
pub async fn set_policies_typed(
    state: &AppState,
    actor: &Actor,
    typed: &model::FormText,
) -> AppResult<Vec<Policy>> {
    actor.require("settings.manage")?;
    let mut c = Check::new();
    let inputs = model::typed_policies(&mut c, typed);
    c.finish()?;
    set_policies(state, actor, &inputs).await
}

/// The admin page's calendar as typed (`model::FormText`): a missing offset, or one that is
/// not a whole number, is refused before the calendar is checked.
pub async fn set_calendar_typed(
    state: &AppState,
    actor: &Actor,
    typed: &model::FormText,
) -> AppResult<Calendar> {
    actor.require("settings.manage")?;
    let mut c = Check::new();
    let input = model::typed_calendar(&mut c, typed);
    c.finish()?;
    set_calendar(state, actor, input).await
}

/// The admin page's one form: targets and calendar as typed. Both are checked before either is
/// saved, so a mistake in one keeps what was typed in the other and saves nothing.
pub async fn set_all_typed(
    state: &AppState,
    actor: &Actor,
    typed: &model::FormText,
) -> AppResult<()> {
    actor.require("settings.manage")?;
    let mut c = Check::new();
    let inputs = model::typed_policies(&mut c, typed);
    let calendar = model::typed_calendar(&mut c, typed);
    c.finish()?;
    let mut c = Check::new();
    model::validate(&mut c, &calendar);
    c.finish()?;
    set_policies(state, actor, &inputs).await?;
    set_calendar(state, actor, calendar).await?;
    Ok(())
}
