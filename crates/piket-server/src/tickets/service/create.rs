//! Filing a ticket (with the form's files, if any): the rules for a new ticket's fields, its
//! requester and department, its first history line, SLA clock and notifications.

use super::super::history::{self, Entry};
use super::super::machine::{self, Machine};
use super::super::machine_store;
use super::super::model::{self, Priority, Status};
use super::super::store::{self, TicketFields};
use super::super::work::Work;
use super::super::{policy, search, NewTicket, Ticket, SOURCES};
use super::{check_assignee, check_category, check_department, files, full, refused};
use crate::attachments::upload::Staged;
use crate::auth::actor::Actor;
use crate::error::{AppError, AppResult, FieldError};
use crate::events::TicketChanged;
use crate::notifications::{self, Event};
use crate::state::AppState;
use crate::validate::Check;

pub async fn create(
    state: &AppState,
    actor: &Actor,
    input: NewTicket,
    default_source: &str,
) -> AppResult<Ticket> {
    let mut work = Work::begin(state, actor).await?;
    let ticket = create_in(&mut work, input, default_source).await?;
    work.commit().await?;
    Ok(ticket)
}

/// File a ticket together with its files: all of it, or (a refused file) none of it.
pub async fn create_with_files(
    state: &AppState,
    actor: &Actor,
    input: NewTicket,
    default_source: &str,
    staged: Vec<Staged>,
    errors: Vec<FieldError>,
) -> AppResult<Ticket> {
    let mut work = Work::begin(state, actor).await?;
    let ticket = create_in(&mut work, input, default_source).await?;
    refused(errors)?;
    files::attach(&mut work, ticket.summary.id, None, staged).await?;
    work.commit().await?;
    Ok(ticket)
}

/// File a ticket with its files inside a caller's unit of work, so the caller can record what
/// caused it in the same transaction (a mail's receipt, `mail::intake`).
pub async fn file_in(
    work: &mut Work<'_>,
    input: NewTicket,
    source: &str,
    staged: Vec<Staged>,
) -> AppResult<Ticket> {
    let ticket = create_in(work, input, source).await?;
    files::attach(work, ticket.summary.id, None, staged).await?;
    Ok(ticket)
}

/// What a client that retries (the desktop helper's offline queue) files with a ticket.
pub struct Once {
    /// The client's key for this request, already namespaced by the caller
    /// (`desktop:<link>:<client id>`): a retry answers with the ticket the first one filed.
    pub key: String,
    /// The machine it was filed from (staff see it as a table; search finds its values).
    pub machine: Option<Machine>,
    /// An asset the caller vouches for (the helper's enrolled device), linked whatever the
    /// filer's own view of the inventory.
    pub device_asset: Option<i64>,
}

/// File a ticket once per `once.key`, with its files: `(ticket, true)` when this call filed it,
/// `(ticket, false)` when an earlier call with the same key had (this call's files are dropped).
pub async fn create_once(
    state: &AppState,
    actor: &Actor,
    input: NewTicket,
    source: &str,
    staged: Vec<Staged>,
    errors: Vec<FieldError>,
    once: Once,
) -> AppResult<(Ticket, bool)> {
    if let Some(m) = &once.machine {
        let mut c = Check::new();
        machine::check(&mut c, &m.state);
        c.finish()?;
    }
    let mut work = Work::begin(state, actor).await?;
    if let Some(id) = store::requested_ticket(work.conn(), &once.key).await? {
        drop(work);
        return Ok((super::get(state, actor, id).await?, false));
    }
    let ticket = create_in(&mut work, input, source).await?;
    refused(errors)?;
    let id = ticket.summary.id;
    let now = work.now;
    if let Some(asset) = once.device_asset {
        super::super::assets::set_and_record(work.conn(), actor, id, &[asset], now).await?;
    }
    if let Some(m) = &once.machine {
        machine_store::save(work.conn(), id, m).await?;
        search::reindex(work.conn(), state.db.backend, id).await?;
    }
    if !store::claim_request(work.conn(), &once.key, id, now).await? {
        // Filed meanwhile by the same request sent twice at once: this one's work is undone.
        drop(work);
        let first = {
            let mut conn = state.db.pool.acquire().await?;
            store::requested_ticket(&mut conn, &once.key).await?
        };
        let first = first.ok_or(AppError::Conflict("the request is being filed".into()))?;
        return Ok((super::get(state, actor, first).await?, false));
    }
    files::attach(&mut work, id, None, staged).await?;
    work.commit().await?;
    let ticket = super::get(state, actor, id).await?;
    Ok((ticket, true))
}

async fn create_in(
    work: &mut Work<'_>,
    input: NewTicket,
    default_source: &str,
) -> AppResult<Ticket> {
    let (state, actor, now) = (work.state, work.actor, work.now);
    actor.require("tickets.create")?;
    let staff = policy::is_staff(actor);
    if input.assignee.is_some() {
        actor.require("tickets.assign")?;
    }
    let mut c = Check::new();
    let title = model::title(&mut c, &input.title);
    let description = model::description(&mut c, &input.description);
    let prio = model::priority(&mut c, input.priority.as_deref(), Priority::Normal);
    let source = input
        .source
        .as_deref()
        .unwrap_or(default_source)
        .to_string();
    if !SOURCES.contains(&source.as_str()) {
        c.fail("source", format!("must be one of {}", SOURCES.join(", ")));
    }
    let tags = model::tags(&mut c, &input.tags);
    let due_at = model::due(&mut c, input.due_at.as_deref());
    let tx = work.conn();
    let category = check_category(&mut c, &mut *tx, input.category).await?;
    check_department(&mut c, &mut *tx, input.department).await?;
    check_assignee(&mut c, &mut *tx, input.assignee).await?;
    let requester_id = match input.requester {
        Some(r) if r != actor.user_id => {
            if !staff {
                return Err(AppError::Forbidden);
            }
            match crate::users::accounts::get(&mut *tx, r).await? {
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
    let asset_ids =
        super::super::assets::check(&mut c, &mut *tx, actor, &input.asset_ids, &[]).await?;
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
        status: Status::New,
        assignee_id: input.assignee,
        due_at,
    };
    let id = store::insert(&mut *tx, &fields, &source, now).await?;
    store::set_tags(&mut *tx, id, &tags).await?;
    crate::sla::service::start(&mut *tx, id).await?;
    let entry = Entry {
        field: "created",
        old: None,
        new: Some(title.clone()),
        internal: false,
    };
    history::record(&mut *tx, id, actor, entry, now).await?;
    if !asset_ids.is_empty() {
        super::super::assets::set_and_record(&mut *tx, actor, id, &asset_ids, now).await?;
    }
    search::reindex(&mut *tx, state.db.backend, id).await?;
    notifications::service::ticket_event(&mut *tx, state, id, actor, &Event::Created, now).await?;
    let row = store::get(&mut *tx, id).await?.ok_or(AppError::NotFound)?;
    let ticket = full(&mut *tx, row.clone(), Vec::new(), now).await?;
    work.stage(TicketChanged::new(&row, &[], actor)).await?;
    Ok(ticket)
}

/// What the new-ticket form starts with.
pub struct NewTicketDefaults {
    /// The department and category of the requester's latest ticket, else their first
    /// department and no category.
    pub department: Option<i64>,
    pub category: Option<i64>,
    /// The requester's main device.
    pub asset: Option<i64>,
}

/// The new-ticket form's first values; the form is for `tickets.create`.
pub async fn new_ticket_defaults(state: &AppState, actor: &Actor) -> AppResult<NewTicketDefaults> {
    actor.require("tickets.create")?;
    // The department of their latest ticket (else their first); never that ticket's category,
    // which a requester took as what the form expected of this one.
    let department = {
        let mut conn = state.db.pool.acquire().await?;
        store::suggested_department(&mut conn, actor.user_id).await?
    };
    // After the connection is back: a service takes its own (holding two can starve the pool).
    let main = crate::inventory::service::main_asset_of(state, actor).await?;
    Ok(NewTicketDefaults {
        department,
        category: None,
        asset: main.map(|h| h.id),
    })
}
