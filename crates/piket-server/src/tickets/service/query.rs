//! What the caller may see of tickets: one ticket, everything its page shows, lists and search
//! (within the caller's reach, `policy::push_scope`), counts, and who can be assigned.

use std::collections::HashMap;

use sqlx::AnyConnection;

use super::super::filter::ListQuery;
use super::super::{
    comments, history, policy, search, store, Comment, HistoryEntry, StatusCounts, Ticket,
    TicketSummary,
};
use super::{assemble, full, load_visible};
use crate::api::page::Page;
use crate::auth::actor::Actor;
use crate::db::Backend;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Search ranks at most this many of the newest matches; older matches follow by recency.
pub const RANKED_CANDIDATES: i64 = 200;

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
    /// The reader's draft of a reply: its text and when it was kept (unix ms).
    pub draft: Option<(String, i64)>,
    /// The machine a desktop report came from (staff only).
    pub machine: Option<super::super::machine::Machine>,
}

/// One statement: the ticket row with everything around it packed (`page_store`).
pub async fn detail(state: &AppState, actor: &Actor, id: i64) -> AppResult<Detail> {
    let mut conn = state.db.pool.acquire().await?;
    let staff = policy::is_staff(actor);
    let (row, around) =
        super::super::page_store::page(&mut conn, state.db.backend, id, staff, actor.user_id)
            .await?
            .ok_or(AppError::NotFound)?;
    if !policy::sees(actor, &row, &around.watchers) {
        return Err(AppError::NotFound);
    }
    // One more query, for staff reading a desktop report only.
    let machine = if staff && row.source == "desktop" {
        super::super::machine_store::get(&mut conn, id).await?
    } else {
        None
    };
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
        draft: around.draft,
        machine,
    })
}

/// PostgreSQL's statistics of the search index (reference cache; see `search_plan::plan`).
async fn index_stats(state: &AppState) -> AppResult<std::sync::Arc<search::IndexStats>> {
    state
        .parts
        .get::<crate::tickets::search::IndexStatsCache>()
        .get_or_load(state.now(), || async {
            let mut conn = state.db.pool.acquire().await?;
            search::index_stats(&mut conn).await
        })
        .await
}

/// Who tickets can be assigned to, from the reference cache (users and roles empty it).
pub async fn assignees(state: &AppState) -> AppResult<Vec<store::Person>> {
    let all = state
        .parts
        .get::<crate::tickets::AssigneeCache>()
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

/// One page of the list (or of search results when `q` is set), within the caller's reach.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    query: &ListQuery,
) -> AppResult<Page<TicketSummary>> {
    let now = state.now();
    let f = query.parse(actor.user_id, now)?;
    if f.q.is_some() {
        return Ok(search(state, actor, &f, now).await?.page);
    }
    let mut conn = state.db.pool.acquire().await?;
    let mut sql = store::list_head(state.db.backend);
    policy::push_scope(&mut sql, actor)?;
    store::push_filter(&mut sql, &f, actor);
    let found = store::list(&mut conn, state.db.backend, sql, &f).await?;
    Ok(Page {
        items: found.rows.into_iter().map(|r| r.summary(now)).collect(),
        next_cursor: found.next,
    })
}

/// A page of search results with what the list page's pager shows: while in the ranked
/// matches, how many there are (exact below [`RANKED_CANDIDATES`], else "at least") and the
/// previous page's cursor; past them neither.
struct Found {
    page: Page<TicketSummary>,
    total: Option<Total>,
    prev: Option<String>,
}

async fn search(
    state: &AppState,
    actor: &Actor,
    f: &super::super::filter::Filter,
    now: i64,
) -> AppResult<Found> {
    if let Some(q) = f.q.clone() {
        let query = search::SearchQuery::parse(&q);
        if query.is_empty() {
            return Ok(Found {
                page: Page {
                    items: Vec::new(),
                    next_cursor: None,
                },
                total: Some(Total::Exact(0)),
                prev: None,
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
        return search_page(state, &mut conn, actor, f, &query, plan, now).await;
    }
    Err(AppError::Internal("search without a query".into()))
}

/// Search results: the newest [`RANKED_CANDIDATES`] matches ranked by relevance (cursor `r<offset>`),
/// then every older match newest first (cursor `k<id>`), so nothing is capped.
async fn search_page(
    state: &AppState,
    conn: &mut AnyConnection,
    actor: &Actor,
    f: &super::super::filter::Filter,
    query: &search::SearchQuery,
    plan: search::Plan,
    now: i64,
) -> AppResult<Found> {
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
    let empty = || Found {
        page: Page {
            items: Vec::new(),
            next_cursor: None,
        },
        total: Some(Total::Exact(0)),
        prev: None,
    };
    let limit = f.limit as usize;
    let (rows, next_cursor, total, prev) = match phase {
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
            let total = if capped {
                Total::AtLeast(ranked.visible)
            } else {
                Total::Exact(ranked.visible)
            };
            let prev = (offset > 0).then(|| format!("r{}", offset.saturating_sub(limit)));
            (ranked.rows, next, Some(total), prev)
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
            (store::by_ids(conn, backend, &page).await?, next, None, None)
        }
    };
    // Passages from the text in hand; the index is asked only for matches found elsewhere.
    let terms = super::super::snippet::Terms::of(query);
    let mut snippets: HashMap<i64, String> = rows
        .iter()
        .filter_map(|r| {
            super::super::snippet::passage(&r.description, &terms)
                .or_else(|| super::super::snippet::passage(&r.title, &terms))
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
    Ok(Found {
        page: Page { items, next_cursor },
        total,
        prev,
    })
}

pub async fn counts(state: &AppState, actor: &Actor) -> AppResult<StatusCounts> {
    actor.require("tickets.read")?;
    let mut conn = state.db.pool.acquire().await?;
    store::counts(&mut conn, actor).await
}

/// Counting stops at this many tickets: a total or a view's count beyond it shows as "1 000+".
pub const COUNT_CAP: i64 = 1000;

/// How many tickets a list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Total {
    Exact(i64),
    /// More than this many (counting stopped at [`COUNT_CAP`]).
    AtLeast(i64),
}

/// One page of the list page's queue, with what its pager shows.
pub struct Queue {
    pub page: Page<TicketSummary>,
    /// The rows before this page (a cursor), when there are any and this is not page one.
    pub prev_cursor: Option<String>,
    pub total: Option<Total>,
}

/// A page of the list as the list page shows it: [`list`] plus the previous page's cursor and
/// the total. `offset` places a page reached by its number (no cursor). The total comes from the
/// trigger-kept counters when only statuses narrow the list, else from counting at most
/// [`COUNT_CAP`] rows; a search's from its ranked matches (none past them).
pub async fn queue(
    state: &AppState,
    actor: &Actor,
    query: &ListQuery,
    offset: i64,
) -> AppResult<Queue> {
    let now = state.now();
    let mut f = query.parse(actor.user_id, now)?;
    if f.q.is_some() {
        // A page of the ranked matches reached by its number is that many matches in.
        if f.cursor.is_none() && (1..RANKED_CANDIDATES).contains(&offset) {
            f.cursor = Some(format!("r{offset}"));
        }
        let found = search(state, actor, &f, now).await?;
        return Ok(Queue {
            page: found.page,
            prev_cursor: found.prev,
            total: found.total,
        });
    }
    f.offset = offset.max(0);
    let mut conn = state.db.pool.acquire().await?;
    let mut sql = store::list_head(state.db.backend);
    policy::push_scope(&mut sql, actor)?;
    store::push_filter(&mut sql, &f, actor);
    let found = store::list(&mut conn, state.db.backend, sql, &f).await?;
    let total = total_of(&mut conn, actor, &f).await?;
    Ok(Queue {
        page: Page {
            items: found.rows.into_iter().map(|r| r.summary(now)).collect(),
            next_cursor: found.next,
        },
        prev_cursor: found.prev,
        total: Some(total),
    })
}

async fn total_of(
    conn: &mut AnyConnection,
    actor: &Actor,
    f: &super::super::filter::Filter,
) -> AppResult<Total> {
    if f.is_status_only() {
        let counts = store::counts(conn, actor).await?;
        let n = if f.statuses.is_empty() {
            counts.total()
        } else {
            f.statuses.iter().map(|s| counts.get(s)).sum()
        };
        return Ok(Total::Exact(n));
    }
    let mut sql = store::count_head();
    policy::push_scope(&mut sql, actor)?;
    store::push_filter(&mut sql, f, actor);
    let n = store::count_capped(conn, sql, COUNT_CAP).await?;
    Ok(if n > COUNT_CAP {
        Total::AtLeast(COUNT_CAP)
    } else {
        Total::Exact(n)
    })
}

/// How many tickets each of these lists holds (the side panel's views), within the caller's
/// reach; `None` for a query that does not parse (a saved view from older rules) or searches.
/// Without `every`, only the views the counters answer (status only): counting the others
/// (overdue, SLA, saved filters) in the list page made it four times slower (52 ms against
/// 13 ms on 20 000 tickets), so the page's script asks for them afterwards (`every`), each
/// counted up to [`COUNT_CAP`].
pub async fn totals(
    state: &AppState,
    actor: &Actor,
    queries: &[ListQuery],
    every: bool,
) -> AppResult<Vec<Option<Total>>> {
    actor.require("tickets.read")?;
    let now = state.now();
    let mut conn = state.db.pool.acquire().await?;
    let mut out = Vec::with_capacity(queries.len());
    for q in queries {
        match q.parse(actor.user_id, now) {
            Ok(f) if f.q.is_none() && (every || f.is_status_only()) => {
                out.push(Some(total_of(&mut conn, actor, &f).await?))
            }
            _ => out.push(None),
        }
    }
    Ok(out)
}

/// Per-status counts within this list's other filters (the side panel follows the active
/// view): the counters when nothing but status narrows it, else counted over at most
/// [`COUNT_CAP`] tickets (the flag says counting stopped there). A search counts nothing here.
pub async fn counts_within(
    state: &AppState,
    actor: &Actor,
    query: &ListQuery,
) -> AppResult<(StatusCounts, bool)> {
    actor.require("tickets.read")?;
    let mut f = query.parse(actor.user_id, state.now())?;
    f.statuses.clear();
    let mut conn = state.db.pool.acquire().await?;
    if f.is_status_only() || f.q.is_some() {
        return Ok((store::counts(&mut conn, actor).await?, false));
    }
    let mut sql = store::status_head();
    policy::push_scope(&mut sql, actor)?;
    store::push_filter(&mut sql, &f, actor);
    store::counts_capped(&mut conn, sql, COUNT_CAP).await
}
