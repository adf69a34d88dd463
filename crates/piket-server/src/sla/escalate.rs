//! The `sla.escalate` job: tickets whose target has passed are escalated once per target (a late
//! first response, then a late resolution), by email to the managers of their department
//! (through the outbox, in the transaction that marks them).

use super::calendar::WorkCalendar;
use super::model::format_local;
use super::store::{self, Breach, Target};
use crate::auth::actor::Actor;
use crate::error::AppResult;
use crate::i18n::Locale;
use crate::notify::outbox;
use crate::state::AppState;
use crate::tickets::history::{self, Entry};

/// Tickets handled per transaction batch; the job loops until none are left.
const BATCH: i64 = 100;
/// A bound on batches per run, so one run cannot go on forever.
const MAX_BATCHES: usize = 100;

/// Escalate every missed target not escalated yet; returns how many escalations were made now.
pub async fn run(state: &AppState, now: i64) -> AppResult<usize> {
    let mut escalated = 0;
    let cal = {
        let mut conn = state.db.pool.acquire().await?;
        super::service::work_calendar(&mut conn).await?
    };
    for _ in 0..MAX_BATCHES {
        let found = {
            let mut conn = state.db.pool.acquire().await?;
            store::breaches(&mut conn, now, BATCH).await?
        };
        let full = found.len() as i64 == BATCH;
        for breach in found {
            for (target, due) in breach.missed(now) {
                if escalate(state, &cal, &breach, target, due, now).await? {
                    escalated += 1;
                }
            }
        }
        if !full {
            break;
        }
    }
    Ok(escalated)
}

async fn escalate(
    state: &AppState,
    cal: &WorkCalendar,
    b: &Breach,
    target: Target,
    due: i64,
    now: i64,
) -> AppResult<bool> {
    let mut tx = state.db.begin().await?;
    // Re-checked in the UPDATE: a target another node escalated meanwhile is skipped.
    if !store::mark_escalated(&mut tx, b.id, target, now).await? {
        return Ok(false);
    }
    let target = target.name();
    let managers = match b.department_id {
        Some(d) => store::managers(&mut tx, d).await?,
        None => Vec::new(),
    };
    let link = format!("{}/tickets/{}", state.config.base_url, b.id);
    for m in &managers {
        let locale = m
            .locale
            .as_deref()
            .and_then(Locale::parse)
            .unwrap_or(Locale::En);
        let fill = |key: &str| {
            state
                .catalog
                .get(locale, key)
                .replace("{id}", &b.id.to_string())
                .replace("{title}", &b.title)
                .replace("{name}", &m.name)
                .replace(
                    "{target}",
                    state.catalog.get(locale, &format!("sla_target_{target}")),
                )
                .replace("{due}", &format_local(due, cal.utc_offset_minutes))
                .replace("{link}", &link)
        };
        let (subject, body) = (fill("sla_email_subject"), fill("sla_email_body"));
        outbox::enqueue_email(&mut tx, &m.email, &subject, &body, now).await?;
        // And on their notifications page. Escalations are not a mutable kind.
        let entry = crate::notifications::NewNotification {
            user_id: m.id,
            ticket_id: b.id,
            kind: crate::notifications::ESCALATION,
            actor_name: "SLA",
            ticket_title: &b.title,
        };
        crate::notifications::service::notify_in(&mut tx, &entry, now).await?;
    }
    let entry = Entry {
        field: "sla_escalated",
        old: None,
        new: Some(target.to_string()),
        // Escalation is between staff; requesters do not see it.
        internal: true,
    };
    history::record(&mut tx, b.id, &Actor::system(), entry, now).await?;
    tx.commit().await?;
    state
        .parts
        .get::<crate::notifications::unread::UnreadCounts>()
        .forget_all();
    tracing::info!(
        ticket = b.id,
        target,
        managers = managers.len(),
        "SLA breached: escalated"
    );
    Ok(true)
}
