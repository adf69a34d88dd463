//! Rules for tickets: who may create, see, change, reply and delete; what a change records in the
//! history; and how lists, counts and search stay within the caller's reach.

use std::collections::{BTreeSet, HashMap};

use sqlx::AnyConnection;

use super::filter::{instant, ListQuery};
use super::history::{self, Entry};
use super::store::{self, Milestones, TicketFields, TicketRow};
use super::{
    comments, markdown, policy, priority_name, priority_rank, search, BulkChange, BulkResult,
    Comment, HistoryEntry, LinkedAsset, NewComment, NewTicket, StatusCounts, Ticket, TicketPatch,
    TicketSummary, SOURCES, STATUSES,
};
use crate::api::page::Page;
use crate::audit::{self, to_json, Change};
use crate::auth::actor::{Actor, Via};
use crate::categories;
use crate::clock::format_ms;
use crate::db::Backend;
use crate::error::{AppError, AppResult};
use crate::events::{self, TicketChanged};
use crate::notifications::{self, Event};
use crate::state::AppState;
use crate::users;
use crate::validate::Check;

pub const MAX_TITLE: usize = 200;
pub const MAX_TEXT: usize = 20_000;
const MAX_TAGS: usize = 20;
const MAX_BULK: usize = 500;
/// Search ranks at most this many of the newest matches; older matches follow by recency.
pub const RANKED_CANDIDATES: i64 = 200;

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

fn clean_tags(c: &mut Check, tags: &[String]) -> Vec<String> {
    let mut out = BTreeSet::new();
    for tag in tags {
        let t = tag.trim().to_lowercase();
        if t.is_empty() {
            continue;
        }
        if t.chars().count() > 40
            || !t
                .chars()
                .all(|ch| ch.is_alphanumeric() || matches!(ch, '-' | '_' | '.'))
        {
            c.fail("tags", "a tag is up to 40 letters, digits, `-`, `_` or `.`");
            continue;
        }
        out.insert(t);
    }
    if out.len() > MAX_TAGS {
        c.fail("tags", format!("at most {MAX_TAGS} tags"));
    }
    out.into_iter().collect()
}

fn priority(c: &mut Check, value: Option<&str>, default: i64) -> i64 {
    match value {
        None => default,
        Some(p) => priority_rank(p).unwrap_or_else(|| {
            c.fail("priority", "must be low, normal, high or urgent");
            default
        }),
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
            let found = categories::store::get(conn, id).await?;
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
        if crate::departments::store::get(conn, id).await?.is_none() {
            c.fail("department", "no such department");
        }
    }
    Ok(())
}

/// An assignee must be an enabled user who can work tickets.
async fn check_assignee(c: &mut Check, conn: &mut AnyConnection, id: Option<i64>) -> AppResult<()> {
    if let Some(id) = id {
        let ok = users::store::load_actor(conn, id, Via::System, "")
            .await?
            .is_some_and(|a| policy::is_staff(&a));
        if !ok {
            c.fail("assignee", "must be an active user who works tickets");
        }
    }
    Ok(())
}

fn due(c: &mut Check, value: Option<&str>) -> Option<i64> {
    let v = value.map(str::trim).filter(|v| !v.is_empty())?;
    match instant("due_at", v) {
        Ok(ms) => Some(ms),
        Err(_) => {
            c.fail("due_at", "must be a date (YYYY-MM-DD) or an RFC 3339 time");
            None
        }
    }
}

pub async fn create(
    state: &AppState,
    actor: &Actor,
    input: NewTicket,
    default_source: &str,
) -> AppResult<Ticket> {
    let mut tx = state.db.begin().await?;
    let (ticket, event) = create_in(&mut tx, state, actor, input, default_source).await?;
    tx.commit().await?;
    state.events.committed(vec![event]);
    Ok(ticket)
}

/// [`create`] inside the caller's transaction (attachments add their files to the same one).
/// The caller announces the returned event after commit (`state.events.committed`).
pub async fn create_in(
    tx: &mut AnyConnection,
    state: &AppState,
    actor: &Actor,
    input: NewTicket,
    default_source: &str,
) -> AppResult<(Ticket, TicketChanged)> {
    actor.require("tickets.create")?;
    let staff = policy::is_staff(actor);
    if input.assignee.is_some() {
        actor.require("tickets.assign")?;
    }
    let now = state.now();
    let mut c = Check::new();
    let title = c.text("title", &input.title, 1, MAX_TITLE);
    let description = c.text("description", &input.description, 0, MAX_TEXT);
    let prio = priority(&mut c, input.priority.as_deref(), 1);
    let source = input
        .source
        .as_deref()
        .unwrap_or(default_source)
        .to_string();
    if !SOURCES.contains(&source.as_str()) {
        c.fail("source", format!("must be one of {}", SOURCES.join(", ")));
    }
    let tags = clean_tags(&mut c, &input.tags);
    let due_at = due(&mut c, input.due_at.as_deref());
    let category = check_category(&mut c, &mut *tx, input.category).await?;
    check_department(&mut c, &mut *tx, input.department).await?;
    check_assignee(&mut c, &mut *tx, input.assignee).await?;
    let requester_id = match input.requester {
        Some(r) if r != actor.user_id => {
            if !staff {
                return Err(AppError::Forbidden);
            }
            match users::store::get(&mut *tx, r).await? {
                Some(u) if !u.disabled => r,
                _ => {
                    c.fail("requester", "no such active user");
                    actor.user_id
                }
            }
        }
        _ => actor.user_id,
    };
    if requester_id <= 0 {
        c.fail("requester", "a ticket needs a requester");
    }
    let asset_ids = super::assets::check(&mut c, &mut *tx, actor, &input.asset_ids, &[]).await?;
    c.finish()?;
    let department_id = match input.department {
        Some(d) => Some(d),
        None => match category.as_ref().and_then(|c| c.department_id) {
            Some(d) => Some(d),
            None => store::first_department(&mut *tx, requester_id).await?,
        },
    };
    let fields = TicketFields {
        title: &title,
        description: &description,
        requester_id,
        department_id,
        category_id: input.category,
        priority: prio,
        status: "new",
        assignee_id: input.assignee,
        due_at,
    };
    let id = store::insert(&mut *tx, &fields, &source, now).await?;
    store::set_tags(&mut *tx, id, &tags).await?;
    crate::sla::service::start(&mut *tx, id).await?;
    history::record(
        &mut *tx,
        id,
        actor,
        Entry {
            field: "created",
            old: None,
            new: Some(title.clone()),
            internal: false,
        },
        now,
    )
    .await?;
    if !asset_ids.is_empty() {
        super::assets::set_and_record(&mut *tx, actor, id, &asset_ids, now).await?;
    }
    search::reindex(&mut *tx, state.db.backend, id).await?;
    notifications::service::ticket_event(&mut *tx, state, id, actor, &Event::Created, now).await?;
    let (row, watchers) = (
        store::get(&mut *tx, id).await?.ok_or(AppError::NotFound)?,
        Vec::new(),
    );
    let event = TicketChanged::new(&row, &watchers, actor);
    events::stage(&mut *tx, state.db.backend, &event).await?;
    Ok((full(&mut *tx, row, watchers, now).await?, event))
}

pub async fn get(state: &AppState, actor: &Actor, id: i64) -> AppResult<Ticket> {
    let mut conn = state.db.pool.acquire().await?;
    let (row, watchers) = load_visible(&mut conn, actor, id).await?;
    full(&mut conn, row, watchers, state.now()).await
}

/// Everything the ticket page shows, in one round of queries.
pub struct Detail {
    pub ticket: Ticket,
    pub comments: Vec<Comment>,
    pub history: Vec<HistoryEntry>,
    pub attachments: Vec<crate::attachments::Attachment>,
}

/// One statement: the ticket row with everything around it packed (`page_store`).
pub async fn detail(state: &AppState, actor: &Actor, id: i64) -> AppResult<Detail> {
    let mut conn = state.db.pool.acquire().await?;
    let staff = policy::is_staff(actor);
    let (row, around) = super::page_store::page(&mut conn, state.db.backend, id, staff)
        .await?
        .ok_or(AppError::NotFound)?;
    if !policy::sees(actor, &row, &around.watchers) {
        return Err(AppError::NotFound);
    }
    Ok(Detail {
        ticket: assemble(
            row,
            around.watchers,
            around.tags,
            around.assets,
            state.now(),
        ),
        comments: around.comments,
        history: around.history,
        attachments: around.attachments,
    })
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
        Some(before.status.clone()),
        Some(after.status.clone()),
    );
    push(
        "priority",
        Some(priority_name(before.priority).into()),
        Some(priority_name(after.priority).into()),
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
        before.due_at.map(format_ms),
        after.due_at.map(format_ms),
    );
    out
}

/// Where the status-bound times go when the status becomes `next`.
fn milestones(row: &TicketRow, next: &str, now: i64) -> Milestones {
    let changed = row.status != next;
    Milestones {
        first_response_at: row.first_response_at,
        resolved_at: match next {
            "resolved" if changed => Some(now),
            "resolved" | "closed" => row.resolved_at.or(Some(now)),
            _ => None,
        },
        closed_at: match next {
            "closed" if changed => Some(now),
            "closed" => row.closed_at,
            _ => None,
        },
    }
}

/// Apply a patch to a loaded ticket inside `conn`'s transaction; returns whether anything changed.
async fn apply(
    conn: &mut AnyConnection,
    backend: Backend,
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
            && patch.status.as_deref().is_some_and(|s| {
                s == before.status || policy::requester_may_set_status(&before.status, s)
            });
        if !allowed {
            return Err(AppError::Forbidden);
        }
    }
    if patch.assignee.is_some_and(|a| a != before.assignee_id) {
        actor.require("tickets.assign")?;
    }
    let mut c = Check::new();
    let title = c.text(
        "title",
        patch.title.as_deref().unwrap_or(&before.title),
        1,
        MAX_TITLE,
    );
    let description = c.text(
        "description",
        patch.description.as_deref().unwrap_or(&before.description),
        0,
        MAX_TEXT,
    );
    let prio = priority(&mut c, patch.priority.as_deref(), before.priority);
    let status = patch
        .status
        .clone()
        .unwrap_or_else(|| before.status.clone());
    if !STATUSES.contains(&status.as_str()) {
        c.fail("status", format!("must be one of {}", STATUSES.join(", ")));
    }
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
        Some(v) => due(&mut c, v.as_deref()),
    };
    let tags = patch.tags.as_ref().map(|t| clean_tags(&mut c, t));
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
            let found = users::store::load_actors(conn, &added, Via::System, "").await?;
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
            let linked: Vec<i64> = super::asset_store::of_ticket(conn, before.id)
                .await?
                .iter()
                .map(|a| a.id)
                .collect();
            Some(super::assets::check(&mut c, conn, actor, ids, &linked).await?)
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
        status: &status,
        assignee_id,
        due_at,
    };
    store::update(
        conn,
        before.id,
        &fields,
        &milestones(before, &status, now),
        now,
    )
    .await?;
    crate::sla::service::sync(conn, before.id, &before.status, before.priority, now).await?;
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
        if let Some(entry) = super::assets::set(conn, actor, before.id, &ids, now).await? {
            entries.push(entry);
        }
    }
    let changed = !entries.is_empty();
    for e in entries {
        history::record(conn, before.id, actor, e, now).await?;
    }
    if !changed {
        // Nothing moved: keep `updated_at` where it was.
        sqlx::query("UPDATE tickets SET updated_at = $2 WHERE id = $1")
            .bind(before.id)
            .bind(before.updated_at)
            .execute(&mut *conn)
            .await?;
    }
    if before.title != after.title || before.description != after.description {
        search::reindex(conn, backend, before.id).await?;
    }
    Ok(changed)
}

/// Start or stop watching a ticket the actor sees: a change of its watchers like any other
/// (staff only, as every field change; history entry, events, notifications), made to the list
/// as it stands inside the change's transaction, so a concurrent change is not undone.
pub async fn watch(state: &AppState, actor: &Actor, id: i64, on: bool) -> AppResult<Ticket> {
    change(state, actor, id, |current| {
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

pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: i64,
    patch: TicketPatch,
) -> AppResult<Ticket> {
    change(state, actor, id, |_| patch).await
}

/// [`update`] with the patch made from the ticket's current watchers, in the same transaction.
async fn change(
    state: &AppState,
    actor: &Actor,
    id: i64,
    make: impl FnOnce(&[i64]) -> TicketPatch,
) -> AppResult<Ticket> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let (before, watchers) = load_visible(&mut tx, actor, id).await?;
    let patch = make(&watchers);
    apply(
        &mut tx,
        state.db.backend,
        actor,
        &before,
        &watchers,
        &patch,
        now,
    )
    .await?;
    // Read back without the reach check: the change may have moved the ticket to a department
    // the actor does not see, which is allowed and must not undo the change.
    let row = store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    notify_changes(&mut tx, state, actor, &before, &row, now).await?;
    let watchers = store::watchers(&mut tx, id).await?;
    let event = TicketChanged::new(&row, &watchers, actor);
    events::stage(&mut tx, state.db.backend, &event).await?;
    let ticket = full(&mut tx, row, watchers, now).await?;
    tx.commit().await?;
    state.events.committed(vec![event]);
    Ok(ticket)
}

/// Tell the ticket's people about a new assignee and a new status.
async fn notify_changes(
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
            from: before.status.clone(),
            to: after.status.clone(),
        };
        notifications::service::ticket_event(conn, app, after.id, actor, &event, now).await?;
    }
    Ok(())
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
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let mut updated = Vec::new();
    let mut changed = Vec::new();
    let ids: BTreeSet<i64> = change.ids.into_iter().collect();
    for id in ids {
        let (before, watchers) = load_visible(&mut tx, actor, id).await?;
        if apply(
            &mut tx,
            state.db.backend,
            actor,
            &before,
            &watchers,
            &patch,
            now,
        )
        .await?
        {
            let after = store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
            notify_changes(&mut tx, state, actor, &before, &after, now).await?;
            let event = TicketChanged::new(&after, &watchers, actor);
            events::stage(&mut tx, state.db.backend, &event).await?;
            changed.push(event);
            updated.push(id);
        }
    }
    tx.commit().await?;
    state.events.committed(changed);
    Ok(BulkResult { updated })
}

pub async fn delete(state: &AppState, actor: &Actor, id: i64) -> AppResult<()> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let (row, watchers) = load_visible(&mut tx, actor, id).await?;
    actor.require("tickets.delete")?;
    let event = TicketChanged::new(&row, &watchers, actor);
    events::stage(&mut tx, state.db.backend, &event).await?;
    let before = full(&mut tx, row, watchers, now).await?;
    let unused_blobs = crate::attachments::service::before_ticket_delete(&mut tx, id).await?;
    store::delete(&mut tx, id).await?;
    // The search entry goes with the ticket: by foreign key on PostgreSQL, by trigger on SQLite.
    audit::record(
        &mut tx,
        now,
        actor,
        Change {
            action: "ticket.delete",
            object_kind: "ticket",
            object_id: Some(id),
            before: to_json(&before),
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    state.events.committed(vec![event]);
    crate::attachments::service::remove_unused(state, unused_blobs).await;
    Ok(())
}

/// PostgreSQL's statistics of the search index (reference cache; see `search_plan::plan`).
async fn index_stats(state: &AppState) -> AppResult<std::sync::Arc<search::IndexStats>> {
    state
        .index_stats
        .get_or_load(state.now(), || async {
            let mut conn = state.db.pool.acquire().await?;
            search::index_stats(&mut conn).await
        })
        .await
}

/// Who tickets can be assigned to, from the reference cache (users and roles empty it).
pub async fn assignees(state: &AppState) -> AppResult<Vec<store::Person>> {
    let all = state
        .assignees
        .get_or_load(state.now(), || async {
            let mut conn = state.db.pool.acquire().await?;
            store::assignees(&mut conn).await
        })
        .await?;
    Ok(all.as_ref().clone())
}

pub async fn comments(state: &AppState, actor: &Actor, id: i64) -> AppResult<Vec<Comment>> {
    let mut conn = state.db.pool.acquire().await?;
    load_visible(&mut conn, actor, id).await?;
    comments::list(&mut conn, id, policy::is_staff(actor)).await
}

pub async fn history(state: &AppState, actor: &Actor, id: i64) -> AppResult<Vec<HistoryEntry>> {
    let mut conn = state.db.pool.acquire().await?;
    load_visible(&mut conn, actor, id).await?;
    history::list(&mut conn, id, policy::is_staff(actor)).await
}

/// Post a reply or an internal note. A staff reply to a new ticket opens it (and is its first
/// response); a requester's reply to a pending or resolved ticket puts it back to open.
pub async fn add_comment(
    state: &AppState,
    actor: &Actor,
    id: i64,
    input: NewComment,
) -> AppResult<Comment> {
    let mut tx = state.db.begin().await?;
    let (comment, event) = add_comment_in(&mut tx, state, actor, id, input).await?;
    tx.commit().await?;
    state.events.committed(vec![event]);
    Ok(comment)
}

/// [`add_comment`] inside the caller's transaction (a reply's files join the same one).
/// The caller announces the returned event after commit (`state.events.committed`).
pub async fn add_comment_in(
    tx: &mut AnyConnection,
    state: &AppState,
    actor: &Actor,
    id: i64,
    input: NewComment,
) -> AppResult<(Comment, TicketChanged)> {
    let staff = policy::is_staff(actor);
    // Out of reach is a 404 before anything else is judged.
    let (row, watchers) = load_visible(&mut *tx, actor, id).await?;
    if input.internal && !staff {
        return Err(AppError::Forbidden);
    }
    let mut c = Check::new();
    let body = c.text("body", &input.body, 1, MAX_TEXT);
    c.finish()?;
    let now = state.now();
    if !staff && row.requester_id != actor.user_id && row.status == "closed" {
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
    history::record(
        &mut *tx,
        id,
        actor,
        Entry {
            field: if input.internal { "note" } else { "reply" },
            old: None,
            new: Some(comment.id.to_string()),
            internal: input.internal,
        },
        now,
    )
    .await?;
    let reopens = !from_staff && matches!(row.status.as_str(), "pending" | "resolved");
    let opens = from_staff && row.status == "new";
    if !input.internal && (reopens || opens) {
        store::set_status(&mut *tx, id, "open", &milestones(&row, "open", now), now).await?;
        crate::sla::service::sync(&mut *tx, id, &row.status, row.priority, now).await?;
        let entry = Entry {
            field: "status",
            old: Some(row.status.clone()),
            new: Some("open".into()),
            internal: false,
        };
        history::record(&mut *tx, id, actor, entry, now).await?;
    }
    search::reindex(&mut *tx, state.db.backend, id).await?;
    let event = TicketChanged::new(&row, &watchers, actor).internal(input.internal);
    events::stage(&mut *tx, state.db.backend, &event).await?;
    Ok((comment, event))
}

/// One page of the list (or of search results when `q` is set), within the caller's reach.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    query: &ListQuery,
) -> AppResult<Page<TicketSummary>> {
    let now = state.now();
    let f = query.parse(actor.user_id, now)?;
    if let Some(q) = f.q.clone() {
        let query = search::SearchQuery::parse(&q);
        if query.is_empty() {
            return Ok(Page {
                items: Vec::new(),
                next_cursor: None,
            });
        }
        // Before taking a connection: the planner's hint comes from a cache that loads with one.
        let plan = match state.db.backend {
            Backend::Postgres => {
                search::plan(&query, &*index_stats(state).await?, RANKED_CANDIDATES)
            }
            Backend::Sqlite => search::Plan::default(),
        };
        let mut conn = state.db.pool.acquire().await?;
        return search_page(state, &mut conn, actor, &f, &query, plan, now).await;
    }
    let mut conn = state.db.pool.acquire().await?;
    let mut sql = store::list_head(state.db.backend);
    policy::push_scope(&mut sql, actor)?;
    store::push_filter(&mut sql, &f, actor);
    let (rows, next_cursor) = store::list(&mut conn, state.db.backend, sql, &f).await?;
    Ok(Page {
        items: rows.into_iter().map(|r| r.summary(now)).collect(),
        next_cursor,
    })
}

/// Search results: the newest [`RANKED_CANDIDATES`] matches ranked by relevance (cursor `r<offset>`),
/// then every older match newest first (cursor `k<id>`), so nothing is capped.
async fn search_page(
    state: &AppState,
    conn: &mut AnyConnection,
    actor: &Actor,
    f: &super::filter::Filter,
    query: &search::SearchQuery,
    plan: search::Plan,
    now: i64,
) -> AppResult<Page<TicketSummary>> {
    let backend = state.db.backend;
    let staff = policy::is_staff(actor);
    let bad_cursor = || AppError::invalid("cursor", "is not a cursor this server issued");
    enum Phase {
        Ranked(usize),
        Older(i64),
    }
    let phase = match f.cursor.as_deref() {
        None => Phase::Ranked(0),
        Some(c) => match (c.get(..1), c.get(1..).and_then(|n| n.parse::<i64>().ok())) {
            // The ranked phase never holds more than the candidates.
            (Some("r"), Some(n)) if (0..=RANKED_CANDIDATES).contains(&n) => {
                Phase::Ranked(n as usize)
            }
            (Some("k"), Some(n)) => Phase::Older(n),
            _ => return Err(bad_cursor()),
        },
    };
    let narrow = |sql: &mut crate::db::sql::Sql| -> AppResult<()> {
        policy::push_scope(sql, actor)?;
        store::push_filter(sql, f, actor);
        Ok(())
    };
    let empty = || Page {
        items: Vec::new(),
        next_cursor: None,
    };
    let limit = f.limit as usize;
    let (rows, next_cursor) = match phase {
        Phase::Ranked(offset) => {
            let ranked = search::ranked_page(
                conn,
                backend,
                query,
                staff,
                &plan,
                RANKED_CANDIDATES,
                (offset as i64, f.limit),
                narrow,
            )
            .await?;
            let Some(ranked) = ranked else {
                return Ok(empty());
            };
            let capped = ranked.considered == RANKED_CANDIDATES;
            let next = if ((offset + limit) as i64) < ranked.visible {
                Some(format!("r{}", offset + limit))
            } else if capped {
                ranked.oldest.map(|id| format!("k{id}"))
            } else {
                None
            };
            (ranked.rows, next)
        }
        Phase::Older(before) => {
            let index_first = plan.index_first;
            let Some(mut sql) = search::candidates_head(backend, query, staff, index_first) else {
                return Ok(empty());
            };
            narrow(&mut sql)?;
            let found = search::older(conn, backend, index_first, sql, before, f.limit + 1).await?;
            let more = found.len() > limit;
            let page: Vec<i64> = found.into_iter().take(limit).collect();
            let next = if more {
                page.last().map(|id| format!("k{id}"))
            } else {
                None
            };
            (store::by_ids(conn, backend, &page).await?, next)
        }
    };
    // Passages from the text in hand; the index is asked only for matches found elsewhere.
    let terms = super::snippet::Terms::of(query);
    let mut snippets: HashMap<i64, String> = rows
        .iter()
        .filter_map(|r| {
            super::snippet::passage(&r.description, &terms)
                .or_else(|| super::snippet::passage(&r.title, &terms))
                .map(|p| (r.id, search::highlight(&p)))
        })
        .collect();
    let rest: Vec<i64> = rows
        .iter()
        .map(|r| r.id)
        .filter(|id| !snippets.contains_key(id))
        .collect();
    if !rest.is_empty() {
        snippets.extend(search::snippets(conn, backend, query, staff, &rest).await?);
    }
    let items = rows
        .into_iter()
        .map(|r| {
            let id = r.id;
            let mut s = r.summary(now);
            s.snippet_html = snippets.remove(&id);
            s
        })
        .collect();
    Ok(Page { items, next_cursor })
}

pub async fn counts(state: &AppState, actor: &Actor) -> AppResult<StatusCounts> {
    actor.require("tickets.read")?;
    let mut conn = state.db.pool.acquire().await?;
    store::counts(&mut conn, actor).await
}
