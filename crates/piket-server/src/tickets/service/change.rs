//! Changing tickets: a patch of fields (staff; a requester may only confirm or reopen), watching,
//! linking and unlinking assets, and the same patch over many tickets at once. Each change is
//! made to the ticket as it stands inside the change's transaction, so two people changing it
//! at once never undo each other.

use std::collections::BTreeSet;

use sqlx::AnyConnection;

use super::super::history::{self, Entry};
use super::super::model::{self, Status};
use super::super::store::{self, Milestones, TicketFields, TicketRow};
use super::super::work::Work;
use super::super::{policy, search, BulkChange, BulkResult, Ticket, TicketPatch};
use super::{check_assignee, check_category, check_department, full};
use crate::auth::actor::{Actor, Via};
use crate::error::{AppError, AppResult};
use crate::events::TicketChanged;
use crate::notifications::{self, Event};
use crate::state::AppState;
use crate::validate::Check;

const MAX_BULK: usize = 500;

pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: i64,
    patch: TicketPatch,
) -> AppResult<Ticket> {
    change(state, actor, id, None, |_| patch).await
}

/// Start or stop watching a ticket the actor sees: a change of its watchers like any other
/// (staff only, as every field change; history entry, events, notifications), made to the list
/// as it stands inside the change's transaction, so a concurrent change is not undone.
pub async fn watch(state: &AppState, actor: &Actor, id: i64, on: bool) -> AppResult<Ticket> {
    change(state, actor, id, None, |current| {
        let mut watchers: Vec<i64> = current
            .iter()
            .copied()
            .filter(|w| *w != actor.user_id)
            .collect();
        if on {
            watchers.push(actor.user_id);
        }
        TicketPatch {
            watchers: Some(watchers),
            ..TicketPatch::default()
        }
    })
    .await
}

/// Add one asset to those the ticket is about (the others as they stand in the transaction).
pub async fn link_asset(state: &AppState, actor: &Actor, id: i64, asset: i64) -> AppResult<Ticket> {
    change(state, actor, id, Some(AssetEdit::Link(asset)), |_| {
        TicketPatch::default()
    })
    .await
}

/// Link the asset named as typed on the ticket page: its number (`42`, `#42`) or asset tag.
pub async fn link_asset_named(
    state: &AppState,
    actor: &Actor,
    id: i64,
    reference: &str,
) -> AppResult<Ticket> {
    if reference.trim().is_empty() {
        return Err(AppError::invalid("asset_ids", "is required"));
    }
    let asset = crate::inventory::merge::resolve(state, reference)
        .await?
        .ok_or_else(|| AppError::invalid("asset_ids", "no such asset"))?;
    link_asset(state, actor, id, asset).await
}

/// Remove one asset from those the ticket is about.
pub async fn unlink_asset(
    state: &AppState,
    actor: &Actor,
    id: i64,
    asset: i64,
) -> AppResult<Ticket> {
    change(state, actor, id, Some(AssetEdit::Unlink(asset)), |_| {
        TicketPatch::default()
    })
    .await
}

/// One asset added to or taken from the list as it stands.
enum AssetEdit {
    Link(i64),
    Unlink(i64),
}

/// A patch made from the ticket's current watchers (and, for an asset edit, its linked assets),
/// applied in the same transaction.
async fn change(
    state: &AppState,
    actor: &Actor,
    id: i64,
    assets: Option<AssetEdit>,
    make: impl FnOnce(&[i64]) -> TicketPatch,
) -> AppResult<Ticket> {
    let mut work = Work::begin(state, actor).await?;
    let now = work.now;
    let (before, watchers) = work.load(id).await?;
    let tx = work.conn();
    let mut patch = make(&watchers);
    if let Some(edit) = assets {
        let mut linked: Vec<i64> = super::super::asset_store::of_ticket(&mut *tx, id)
            .await?
            .iter()
            .map(|a| a.id)
            .collect();
        match edit {
            AssetEdit::Link(a) => linked.push(a),
            AssetEdit::Unlink(a) => linked.retain(|x| *x != a),
        }
        patch.asset_ids = Some(linked);
    }
    apply(tx, state, actor, &before, &watchers, &patch, now).await?;
    // Read back without the reach check: the change may have moved the ticket to a department
    // the actor does not see, which is allowed and must not undo the change.
    let row = store::get(&mut *tx, id).await?.ok_or(AppError::NotFound)?;
    notify_changes(&mut *tx, state, actor, &before, &row, now).await?;
    let watchers = store::watchers(&mut *tx, id).await?;
    let event = TicketChanged::new(&row, &watchers, actor);
    let ticket = full(&mut *tx, row, watchers, now).await?;
    work.stage(event).await?;
    work.commit().await?;
    Ok(ticket)
}

/// Change many tickets at once: all of them or, if any is out of reach or invalid, none.
pub async fn bulk(state: &AppState, actor: &Actor, change: BulkChange) -> AppResult<BulkResult> {
    policy::require_edit(actor)?;
    if change.ids.is_empty() || change.ids.len() > MAX_BULK {
        return Err(AppError::invalid(
            "ids",
            format!("give 1 to {MAX_BULK} ticket ids"),
        ));
    }
    let patch = TicketPatch {
        status: change.status,
        priority: change.priority,
        assignee: change.assignee,
        ..Default::default()
    };
    let mut work = Work::begin(state, actor).await?;
    let now = work.now;
    let mut updated = Vec::new();
    let ids: BTreeSet<i64> = change.ids.into_iter().collect();
    for id in ids {
        let (before, watchers) = work.load(id).await?;
        let tx = work.conn();
        if apply(&mut *tx, state, actor, &before, &watchers, &patch, now).await? {
            let after = store::get(&mut *tx, id).await?.ok_or(AppError::NotFound)?;
            notify_changes(&mut *tx, state, actor, &before, &after, now).await?;
            work.stage(TicketChanged::new(&after, &watchers, actor))
                .await?;
            updated.push(id);
        }
    }
    work.commit().await?;
    Ok(BulkResult { updated })
}

/// The history entries a change of `before` into `after` makes, with names rather than ids.
fn diff(before: &TicketRow, after: &TicketRow) -> Vec<Entry<'static>> {
    let mut out = Vec::new();
    let mut push = |field: &'static str, old: Option<String>, new: Option<String>| {
        if old != new {
            out.push(Entry {
                field,
                old,
                new,
                internal: false,
            });
        }
    };
    push(
        "title",
        Some(before.title.clone()),
        Some(after.title.clone()),
    );
    if before.description != after.description {
        push("description", None, Some("edited".into()));
    }
    push(
        "status",
        Some(before.status.to_string()),
        Some(after.status.to_string()),
    );
    push(
        "priority",
        Some(before.priority.to_string()),
        Some(after.priority.to_string()),
    );
    push(
        "assignee",
        before.assignee_name.clone(),
        after.assignee_name.clone(),
    );
    push(
        "department",
        before.department_name.clone(),
        after.department_name.clone(),
    );
    push(
        "category",
        before.category_name.clone(),
        after.category_name.clone(),
    );
    push(
        "due_at",
        before.due_at.map(crate::clock::format_ms),
        after.due_at.map(crate::clock::format_ms),
    );
    out
}

/// Where the status-bound times go when the status becomes `next`.
pub(super) fn milestones(row: &TicketRow, next: Status, now: i64) -> Milestones {
    let changed = row.status != next;
    Milestones {
        first_response_at: row.first_response_at,
        resolved_at: match next {
            Status::Resolved if changed => Some(now),
            Status::Resolved | Status::Closed => row.resolved_at.or(Some(now)),
            _ => None,
        },
        closed_at: match next {
            Status::Closed if changed => Some(now),
            Status::Closed => row.closed_at,
            _ => None,
        },
    }
}

/// Apply a patch to a loaded ticket inside `conn`'s transaction; returns whether anything changed.
pub(super) async fn apply(
    conn: &mut AnyConnection,
    state: &AppState,
    actor: &Actor,
    before: &TicketRow,
    watchers: &[i64],
    patch: &TicketPatch,
    now: i64,
) -> AppResult<bool> {
    let staff = policy::is_staff(actor);
    let only_status = patch.title.is_none()
        && patch.description.is_none()
        && patch.priority.is_none()
        && patch.category.is_none()
        && patch.department.is_none()
        && patch.assignee.is_none()
        && patch.tags.is_none()
        && patch.watchers.is_none()
        && patch.due_at.is_none()
        && patch.asset_ids.is_none();
    if !staff {
        // Requesters may confirm a resolution or reopen, nothing else.
        let allowed = only_status
            && patch
                .status
                .as_deref()
                .and_then(Status::parse)
                .is_some_and(|s| s == before.status || before.status.requester_may_become(s));
        if !allowed {
            return Err(AppError::Forbidden);
        }
    }
    if patch.assignee.is_some_and(|a| a != before.assignee_id) {
        actor.require("tickets.assign")?;
    }
    let mut c = Check::new();
    let title = model::title(&mut c, patch.title.as_deref().unwrap_or(&before.title));
    let description = model::description(
        &mut c,
        patch.description.as_deref().unwrap_or(&before.description),
    );
    let prio = model::priority(&mut c, patch.priority.as_deref(), before.priority);
    let status = match patch.status.as_deref() {
        None => before.status,
        Some(s) => model::status(&mut c, s, before.status),
    };
    let category_id = patch.category.unwrap_or(before.category_id);
    if patch.category.is_some() {
        check_category(&mut c, conn, category_id).await?;
    }
    let department_id = patch.department.unwrap_or(before.department_id);
    if patch.department.is_some() {
        check_department(&mut c, conn, department_id).await?;
    }
    let assignee_id = patch.assignee.unwrap_or(before.assignee_id);
    if patch.assignee.is_some() {
        check_assignee(&mut c, conn, assignee_id).await?;
    }
    let due_at = match &patch.due_at {
        None => before.due_at,
        Some(v) => model::due(&mut c, v.as_deref()),
    };
    let tags = patch.tags.as_ref().map(|t| model::tags(&mut c, t));
    let new_watchers = match &patch.watchers {
        None => None,
        Some(list) => {
            let set: Vec<i64> = list
                .iter()
                .copied()
                .collect::<BTreeSet<i64>>()
                .into_iter()
                .collect();
            // A new watcher must be able to open the ticket as it will be: watching lets a
            // requester see it, never staff outside its department (they would hear nothing).
            let added: Vec<i64> = set
                .iter()
                .copied()
                .filter(|w| !watchers.contains(w))
                .collect();
            let found = crate::users::accounts::load_actors(conn, &added, Via::System, "").await?;
            for w in added {
                match found.iter().find(|a| a.user_id == w) {
                    None => c.fail("watchers", format!("no active user {w}")),
                    Some(a) => {
                        let sees = policy::sees_parts(
                            a,
                            department_id,
                            before.requester_id,
                            assignee_id,
                            &set,
                        );
                        if !sees {
                            c.fail("watchers", format!("user {w} may not see this ticket"));
                        }
                    }
                }
            }
            Some(set)
        }
    };
    let asset_ids = match &patch.asset_ids {
        None => None,
        Some(ids) => {
            let linked: Vec<i64> = super::super::asset_store::of_ticket(conn, before.id)
                .await?
                .iter()
                .map(|a| a.id)
                .collect();
            Some(super::super::assets::check(&mut c, conn, actor, ids, &linked).await?)
        }
    };
    c.finish()?;
    let fields = TicketFields {
        title: &title,
        description: &description,
        requester_id: before.requester_id,
        department_id,
        category_id,
        priority: prio,
        status,
        assignee_id,
        due_at,
    };
    let marks = milestones(before, status, now);
    store::update(conn, before.id, &fields, &marks, now).await?;
    crate::sla::service::sync(conn, before.id, before.status, before.priority, now).await?;
    let after = store::get(conn, before.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut entries = diff(before, &after);
    if let Some(tags) = tags {
        let old = store::tags(conn, before.id).await?;
        if old != tags {
            store::set_tags(conn, before.id, &tags).await?;
            entries.push(Entry {
                field: "tags",
                old: Some(old.join(", ")),
                new: Some(tags.join(", ")),
                internal: false,
            });
        }
    }
    if let Some(w) = new_watchers {
        if w != watchers {
            store::set_watchers(conn, before.id, &w).await?;
            entries.push(Entry {
                field: "watchers",
                old: Some(format!("{}", watchers.len())),
                new: Some(format!("{}", w.len())),
                internal: false,
            });
        }
    }
    if let Some(ids) = asset_ids {
        if let Some(entry) = super::super::assets::set(conn, actor, before.id, &ids, now).await? {
            entries.push(entry);
        }
    }
    let changed = !entries.is_empty();
    for e in entries {
        history::record(conn, before.id, actor, e, now).await?;
    }
    if !changed {
        // Nothing moved: keep `updated_at` where it was.
        store::keep_updated_at(conn, before.id, before.updated_at).await?;
    }
    if before.title != after.title || before.description != after.description {
        search::reindex(conn, state.db.backend, before.id).await?;
    }
    Ok(changed)
}

/// Tell the ticket's people about a new assignee and a new status.
pub(super) async fn notify_changes(
    conn: &mut AnyConnection,
    app: &crate::state::App,
    actor: &Actor,
    before: &TicketRow,
    after: &TicketRow,
    now: i64,
) -> AppResult<()> {
    if after.assignee_id.is_some() && after.assignee_id != before.assignee_id {
        notifications::service::ticket_event(conn, app, after.id, actor, &Event::Assigned, now)
            .await?;
    }
    if after.status != before.status {
        let event = Event::Status {
            from: before.status.to_string(),
            to: after.status.to_string(),
        };
        notifications::service::ticket_event(conn, app, after.id, actor, &event, now).await?;
    }
    Ok(())
}
