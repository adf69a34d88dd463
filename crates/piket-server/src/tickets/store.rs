//! SQL for tickets, their tags and watchers, lists and counts.

use sqlx::AnyConnection;

use super::filter::{
    make_back_cursor, make_cursor, parse_any_cursor, Cursor, Filter, SortKey, Who,
};
use super::{Priority, Status, StatusCounts, TicketSummary};
use crate::auth::actor::Actor;
use crate::auth::permissions::Scope;
use crate::clock::format_ms;
use crate::db::scope::push_ties;
use crate::db::sql::{Arg, Sql};
use crate::db::Backend;
use crate::error::{AppError, AppResult};

/// A ticket as stored, with the names of what it points at. Read from a row, or from the JSON
/// array of [`packed_row`] (fields in order, the SLA times a nested array).
#[derive(Debug, Clone, sqlx::FromRow, serde::Deserialize)]
pub struct TicketRow {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub requester_id: i64,
    pub requester_name: String,
    pub department_id: Option<i64>,
    pub department_name: Option<String>,
    pub category_id: Option<i64>,
    pub category_name: Option<String>,
    #[sqlx(try_from = "i64")]
    pub priority: Priority,
    #[sqlx(try_from = "String")]
    pub status: Status,
    pub assignee_id: Option<i64>,
    pub assignee_name: Option<String>,
    pub source: String,
    pub due_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub first_response_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub closed_at: Option<i64>,
    #[sqlx(flatten)]
    pub sla: crate::sla::SlaTimes,
}

impl TicketRow {
    pub fn overdue(&self, now: i64) -> bool {
        self.due_at.is_some_and(|d| d < now) && !self.status.is_done()
    }

    pub fn summary(self, now: i64) -> TicketSummary {
        TicketSummary {
            overdue: self.overdue(now),
            sla_state: self
                .sla
                .state(now, self.status.is_done(), self.first_response_at.is_some()),
            first_response_due_at: self.sla.first_response_due_at.map(format_ms),
            resolution_due_at: self.sla.resolution_due_at.map(format_ms),
            id: self.id,
            title: self.title,
            requester_id: self.requester_id,
            requester_name: self.requester_name,
            department_id: self.department_id,
            department_name: self.department_name,
            category_id: self.category_id,
            category_name: self.category_name,
            priority: self.priority.to_string(),
            status: self.status.to_string(),
            assignee_id: self.assignee_id,
            assignee_name: self.assignee_name,
            source: self.source,
            due_at: self.due_at.map(format_ms),
            created_at: format_ms(self.created_at),
            updated_at: format_ms(self.updated_at),
            snippet_html: None,
        }
    }
}

/// The tables a ticket row reads, joined to `t` (the ticket).
macro_rules! joins {
    () => {
        " JOIN users r ON r.id = t.requester_id \
         LEFT JOIN departments d ON d.id = t.department_id \
         LEFT JOIN ticket_categories c ON c.id = t.category_id \
         LEFT JOIN users a ON a.id = t.assignee_id"
    };
}

const SELECT: &str = concat!(
    "SELECT t.id, t.title, t.description, t.requester_id, r.name AS requester_name, \
     t.department_id, d.name AS department_name, t.category_id, c.name AS category_name, \
     t.priority, t.status, t.assignee_id, a.name AS assignee_name, t.source, t.due_at, \
     t.created_at, t.updated_at, t.first_response_at, t.resolved_at, t.closed_at, \
     t.first_response_due_at, t.first_response_risk_at, t.resolution_due_at, \
     t.resolution_risk_at, t.sla_paused_at \
     FROM tickets t",
    joins!()
);

/// [`TicketRow`] as one JSON array, for statements that return many tickets in one row (each
/// row through the driver costs more than building the array). Same columns and joins as
/// `SELECT`, in the field order of `TicketRow`.
macro_rules! packed_row {
    ($arr:literal) => {
        concat!(
            $arr,
            "(t.id, t.title, t.description, t.requester_id, r.name, t.department_id, d.name, \
             t.category_id, c.name, t.priority, t.status, t.assignee_id, a.name, t.source, \
             t.due_at, t.created_at, t.updated_at, t.first_response_at, t.resolved_at, \
             t.closed_at, ",
            $arr,
            "(t.first_response_due_at, t.first_response_risk_at, t.resolution_due_at, \
             t.resolution_risk_at, t.sla_paused_at))"
        )
    };
}

/// The packed ticket row for this backend (see [`TicketRow`]); needs the joins of [`JOINS`].
pub fn packed_row(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => packed_row!("json_array"),
        Backend::Postgres => packed_row!("json_build_array"),
    }
}

/// The tables [`packed_row`] reads, joined to `t` (the ticket).
pub const JOINS: &str = joins!();

/// The row query with `more` columns (trusted SQL, starting with a comma) after the ticket's.
pub(super) fn select_with(more: &str) -> String {
    let from = SELECT.find(" FROM tickets t").unwrap_or(SELECT.len());
    format!("{}{more}{}", &SELECT[..from], &SELECT[from..])
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> AppResult<Option<TicketRow>> {
    let mut sql = Sql::new(SELECT);
    sql.push(" WHERE t.id = ").bind(Arg::Int(id));
    Ok(sql.query_as::<TicketRow>().fetch_optional(conn).await?)
}

/// Rows by id, in the order given (for search results; see [`list_head`]).
pub async fn by_ids(
    conn: &mut AnyConnection,
    backend: Backend,
    ids: &[i64],
) -> AppResult<Vec<TicketRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = list_head(backend);
    sql.push(" AND t.id IN ").bind_list(ids);
    let mut rows = fetch_rows(conn, backend, sql).await?;
    rows.sort_by_key(|r| ids.iter().position(|i| *i == r.id));
    Ok(rows)
}

/// Run a query from [`list_head`]. On SQLite its rows come back joined into one (each row
/// through the driver is a hand-off between threads, dearer than packing it); the order is
/// lost there, so callers sort.
async fn fetch_rows(
    conn: &mut AnyConnection,
    backend: Backend,
    mut sql: Sql,
) -> AppResult<Vec<TicketRow>> {
    if backend == Backend::Postgres {
        return Ok(sql.query_as().fetch_all(conn).await?);
    }
    sql.wrap(
        "SELECT '[' || COALESCE(group_concat(x.packed, ','), '') || ']' FROM (",
        ") x",
    );
    let packed: String = sql.query_scalar().fetch_one(conn).await?;
    read_packed(&packed)
}

/// Ticket rows from a JSON array of [`packed_row`]s. Our own SQL wrote it: a failure is ours.
pub fn read_packed(json: &str) -> AppResult<Vec<TicketRow>> {
    serde_json::from_str(json).map_err(|e| AppError::Internal(format!("packed tickets: {e}")))
}

/// Fields written on create and update.
pub struct TicketFields<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub requester_id: i64,
    pub department_id: Option<i64>,
    pub category_id: Option<i64>,
    pub priority: Priority,
    pub status: Status,
    pub assignee_id: Option<i64>,
    pub due_at: Option<i64>,
}

pub async fn insert(
    conn: &mut AnyConnection,
    f: &TicketFields<'_>,
    source: &str,
    now: i64,
) -> AppResult<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO tickets (title, description, requester_id, department_id, category_id, \
         priority, status, assignee_id, source, due_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
    )
    .bind(f.title)
    .bind(f.description)
    .bind(f.requester_id)
    .bind(f.department_id)
    .bind(f.category_id)
    .bind(f.priority.rank())
    .bind(f.status.as_str())
    .bind(f.assignee_id)
    .bind(source)
    .bind(f.due_at)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// Times that move with the status.
pub struct Milestones {
    pub first_response_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub closed_at: Option<i64>,
}

pub async fn update(
    conn: &mut AnyConnection,
    id: i64,
    f: &TicketFields<'_>,
    m: &Milestones,
    now: i64,
) -> AppResult<()> {
    sqlx::query(
        "UPDATE tickets SET title = $2, description = $3, requester_id = $4, department_id = $5, \
         category_id = $6, priority = $7, status = $8, assignee_id = $9, due_at = $10, \
         first_response_at = $11, resolved_at = $12, closed_at = $13, updated_at = $14 \
         WHERE id = $1",
    )
    .bind(id)
    .bind(f.title)
    .bind(f.description)
    .bind(f.requester_id)
    .bind(f.department_id)
    .bind(f.category_id)
    .bind(f.priority.rank())
    .bind(f.status.as_str())
    .bind(f.assignee_id)
    .bind(f.due_at)
    .bind(m.first_response_at)
    .bind(m.resolved_at)
    .bind(m.closed_at)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Move the status alone (a reply reopened or opened the ticket).
pub async fn set_status(
    conn: &mut AnyConnection,
    id: i64,
    status: Status,
    m: &Milestones,
    now: i64,
) -> AppResult<()> {
    sqlx::query(
        "UPDATE tickets SET status = $2, resolved_at = $3, closed_at = $4, updated_at = $5 WHERE id = $1",
    )
    .bind(id)
    .bind(status.as_str())
    .bind(m.resolved_at)
    .bind(m.closed_at)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Bump `updated_at` (a reply arrived) and optionally the first response.
/// Hold the ticket's row until the transaction ends, so changes made from what was read of it
/// (its watchers, its assets, its status) follow one another. SQLite's write transaction
/// (`BEGIN IMMEDIATE`) already holds the whole database.
pub async fn lock(conn: &mut AnyConnection, backend: Backend, id: i64) -> AppResult<()> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT id FROM tickets WHERE id = $1 FOR UPDATE")
            .bind(id)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Put `updated_at` back (a change that changed nothing).
pub async fn keep_updated_at(conn: &mut AnyConnection, id: i64, at: i64) -> AppResult<()> {
    sqlx::query("UPDATE tickets SET updated_at = $2 WHERE id = $1")
        .bind(id)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn touch(
    conn: &mut AnyConnection,
    id: i64,
    now: i64,
    first_response: bool,
) -> AppResult<()> {
    sqlx::query(
        "UPDATE tickets SET updated_at = $2, \
         first_response_at = CASE WHEN $3 = 1 AND first_response_at IS NULL THEN $2 ELSE first_response_at END \
         WHERE id = $1",
    )
    .bind(id)
    .bind(now)
    .bind(i64::from(first_response))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete(conn: &mut AnyConnection, id: i64) -> AppResult<()> {
    sqlx::query("DELETE FROM tickets WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn tags(conn: &mut AnyConnection, id: i64) -> AppResult<Vec<String>> {
    Ok(
        sqlx::query_scalar("SELECT tag FROM ticket_tags WHERE ticket_id = $1 ORDER BY tag")
            .bind(id)
            .fetch_all(conn)
            .await?,
    )
}

pub async fn set_tags(conn: &mut AnyConnection, id: i64, tags: &[String]) -> AppResult<()> {
    sqlx::query("DELETE FROM ticket_tags WHERE ticket_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for tag in tags {
        sqlx::query("INSERT INTO ticket_tags (ticket_id, tag) VALUES ($1, $2)")
            .bind(id)
            .bind(tag)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn watchers(conn: &mut AnyConnection, id: i64) -> AppResult<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT user_id FROM ticket_watchers WHERE ticket_id = $1 ORDER BY user_id",
    )
    .bind(id)
    .fetch_all(conn)
    .await?)
}

pub async fn set_watchers(conn: &mut AnyConnection, id: i64, users: &[i64]) -> AppResult<()> {
    sqlx::query("DELETE FROM ticket_watchers WHERE ticket_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for user in users {
        sqlx::query("INSERT INTO ticket_watchers (ticket_id, user_id) VALUES ($1, $2)")
            .bind(id)
            .bind(user)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Append the filter's conditions (not the scope, not the cursor) to `sql`.
pub fn push_filter(sql: &mut Sql, f: &Filter, actor: &Actor) {
    if !f.statuses.is_empty() {
        sql.push(" AND t.status IN (");
        for (i, s) in f.statuses.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(Arg::Text(s.clone()));
        }
        sql.push(")");
    }
    if !f.priorities.is_empty() {
        sql.push(" AND t.priority IN ").bind_list(&f.priorities);
    }
    match f.department {
        Some(Who::User(d)) => {
            sql.push(" AND t.department_id = ").bind(Arg::Int(d));
        }
        Some(Who::Nobody) => {
            sql.push(" AND t.department_id IS NULL");
        }
        None => {}
    }
    match f.assignee {
        Some(Who::User(u)) => {
            sql.push(" AND t.assignee_id = ").bind(Arg::Int(u));
        }
        Some(Who::Nobody) => {
            sql.push(" AND t.assignee_id IS NULL");
        }
        None => {}
    }
    if let Some(r) = f.requester {
        sql.push(" AND t.requester_id = ").bind(Arg::Int(r));
    }
    if let Some(c) = f.category {
        sql.push(" AND t.category_id = ").bind(Arg::Int(c));
    }
    if let Some(tag) = &f.tag {
        sql.push(" AND t.id IN (SELECT ticket_id FROM ticket_tags WHERE tag = ")
            .bind(Arg::Text(tag.clone()))
            .push(")");
    }
    for (value, cond) in [
        (f.created_from, " AND t.created_at >= "),
        (f.created_to, " AND t.created_at < "),
        (f.updated_from, " AND t.updated_at >= "),
        (f.updated_to, " AND t.updated_at < "),
    ] {
        if let Some(v) = value {
            sql.push(cond).bind(Arg::Int(v));
        }
    }
    if let Some(now) = f.overdue_at {
        sql.push(" AND t.due_at < ")
            .bind(Arg::Int(now))
            .push(" AND t.status NOT IN ('resolved', 'closed')");
    }
    if let Some((state, now)) = f.sla {
        crate::sla::push_state_filter(sql, state, now);
    }
    if f.my_departments {
        sql.push(" AND t.department_id IN ")
            .bind_list(&actor.departments);
    }
}

/// One page of the list, from [`list_head`] with scope and filters appended: in keyset order
/// after (or, for a `b…` cursor, before) the cursor, else `offset` rows in.
pub async fn list(
    conn: &mut AnyConnection,
    backend: Backend,
    mut sql: Sql,
    f: &Filter,
) -> AppResult<ListRows> {
    let (key, desc) = f.order();
    let col = key.column();
    let cursor = f.cursor.as_deref().map(parse_any_cursor).transpose()?;
    // Rows before the cursor are read in the opposite order: the nearest first.
    let backwards = matches!(cursor, Some(Cursor::Before(..)));
    let read_desc = desc != backwards;
    if let Some(Cursor::After(value, id) | Cursor::Before(value, id)) = cursor {
        sql.push(" AND (")
            .push(col)
            .push(", t.id) ")
            .push(if read_desc { "< (" } else { "> (" })
            .bind(Arg::Int(value))
            .push(", ")
            .bind(Arg::Int(id))
            .push(")");
    }
    sql.push(" ORDER BY ")
        .push(col)
        .push(if read_desc {
            " DESC, t.id DESC"
        } else {
            " ASC, t.id ASC"
        })
        .push(" LIMIT ")
        .bind(Arg::Int(f.limit + 1));
    if cursor.is_none() && f.offset > 0 {
        sql.push(" OFFSET ").bind(Arg::Int(f.offset));
    }
    let mut rows = fetch_rows(conn, backend, sql).await?;
    rows.sort_unstable_by_key(|r| (sort_value(r, key), r.id));
    if read_desc {
        rows.reverse();
    }
    let more = rows.len() as i64 > f.limit;
    rows.truncate(f.limit as usize);
    if backwards {
        rows.reverse();
    }
    let first = rows
        .first()
        .map(|r| make_back_cursor(sort_value(r, key), r.id));
    let last = rows.last().map(|r| make_cursor(sort_value(r, key), r.id));
    let (next, prev) = if backwards {
        // Came from a later page, so there is one; earlier ones only if more were found.
        (last, first.filter(|_| more))
    } else {
        let earlier = cursor.is_some() || f.offset > 0;
        (last.filter(|_| more), first.filter(|_| earlier))
    };
    Ok(ListRows { rows, next, prev })
}

/// A page of ticket rows and the cursors around it.
pub struct ListRows {
    pub rows: Vec<TicketRow>,
    /// The rows after this page, if any.
    pub next: Option<String>,
    /// The rows before this page (a `b…` cursor), if any.
    pub prev: Option<String>,
}

/// How many tickets a query from [`count_head`] (with scope and filters appended) finds, up to
/// `cap + 1`: counting stops there, so a broad filter costs no more than `cap` rows.
pub async fn count_capped(conn: &mut AnyConnection, mut sql: Sql, cap: i64) -> AppResult<i64> {
    sql.push(" LIMIT ").bind(Arg::Int(cap + 1)).push(") x");
    Ok(sql.query_scalar().fetch_one(conn).await?)
}

/// Per-status counts for a query from [`count_head`] (scope and filters appended), reading at
/// most `cap + 1` tickets; returns the counts and whether reading stopped at the cap.
pub async fn counts_capped(
    conn: &mut AnyConnection,
    mut sql: Sql,
    cap: i64,
) -> AppResult<(StatusCounts, bool)> {
    sql.push(" LIMIT ")
        .bind(Arg::Int(cap + 1))
        .push(") x GROUP BY status");
    sql.wrap("SELECT status, CAST(COUNT(*) AS BIGINT) AS n FROM (", "");
    let rows: Vec<CountRow> = sql.query_as().fetch_all(conn).await?;
    let mut counts = StatusCounts::default();
    let mut seen = 0;
    for r in rows {
        seen += r.n;
        counts.add(&r.status, r.n);
    }
    Ok((counts, seen > cap))
}

/// The head for [`count_capped`] and [`counts_capped`]: the tickets' statuses, filtered to
/// nothing yet; close it with their `LIMIT`.
pub fn count_head() -> Sql {
    Sql::new("SELECT COUNT(*) FROM (SELECT t.status FROM tickets t WHERE 1 = 1")
}

/// The head for [`counts_capped`] (which wraps it in its grouping).
pub fn status_head() -> Sql {
    Sql::new("SELECT t.status FROM tickets t WHERE 1 = 1")
}

fn sort_value(row: &TicketRow, key: SortKey) -> i64 {
    match key {
        SortKey::Updated => row.updated_at,
        SortKey::Created => row.created_at,
        SortKey::Priority => row.priority.rank(),
        SortKey::Id => row.id,
    }
}

/// The query's head for ticket rows: every row joined, filtered to nothing yet (`WHERE 1 = 1`).
pub fn rows_head() -> Sql {
    let mut sql = Sql::new(SELECT);
    sql.push(" WHERE 1 = 1");
    sql
}

/// The head for [`list`] and [`by_ids`]: on SQLite each row as its packed array (`packed`, read
/// back by `fetch_rows`), on PostgreSQL plain rows (packing there costs the server more than
/// it saves the driver); filtered to nothing yet.
pub fn list_head(backend: Backend) -> Sql {
    if backend == Backend::Postgres {
        return rows_head();
    }
    let mut sql = Sql::new("SELECT ");
    sql.push(packed_row(backend))
        .push(" AS packed FROM tickets t")
        .push(JOINS)
        .push(" WHERE 1 = 1");
    sql
}

#[derive(sqlx::FromRow)]
struct CountRow {
    status: String,
    n: i64,
}

/// Per-status counts within the actor's reach. All-scope and department-scope read the
/// trigger-kept counters (O(departments)); own-scope counts its few rows directly.
pub async fn counts(conn: &mut AnyConnection, actor: &Actor) -> AppResult<StatusCounts> {
    let mut sql;
    match actor.scope {
        Scope::All => {
            sql = Sql::new(
                "SELECT status, CAST(SUM(n) AS BIGINT) AS n FROM ticket_counts GROUP BY status",
            );
        }
        Scope::Department => {
            // Department tickets from the counters, plus tickets outside those departments the
            // actor requested or is assigned (few, and found by index).
            sql = Sql::new(
                "SELECT status, CAST(SUM(n) AS BIGINT) AS n FROM (SELECT status, n FROM ticket_counts WHERE department_id IN ",
            );
            sql.bind_list(&actor.departments)
                .push(" UNION ALL SELECT status, 1 AS n FROM tickets t WHERE ");
            push_ties(&mut sql, super::policy::RULE.department_ties, actor.user_id);
            // `NOT IN (NULL)` is never true: with no departments every such ticket counts.
            if !actor.departments.is_empty() {
                sql.push(" AND (t.department_id IS NULL OR t.department_id NOT IN ")
                    .bind_list(&actor.departments)
                    .push(")");
            }
            sql.push(") x GROUP BY status");
        }
        Scope::Own => {
            sql = Sql::new("SELECT t.status, COUNT(*) AS n FROM tickets t WHERE 1 = 1");
            super::policy::push_scope(&mut sql, actor)?;
            sql.push(" GROUP BY t.status");
        }
    }
    let rows: Vec<CountRow> = sql.query_as().fetch_all(conn).await?;
    let mut counts = StatusCounts::default();
    for r in rows {
        counts.add(&r.status, r.n);
    }
    Ok(counts)
}

/// Someone a ticket can be assigned to.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct Person {
    pub id: i64,
    pub name: String,
}

/// Enabled users whose role works tickets (holds `tickets.write` and is not own-scoped).
pub async fn assignees(conn: &mut AnyConnection) -> AppResult<Vec<Person>> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT u.id, u.name, r.permissions FROM users u JOIN roles r ON r.id = u.role_id \
         WHERE u.disabled = 0 AND r.scope <> 'own' ORDER BY lower(u.name)",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|(_, _, perms)| perms.split_whitespace().any(|p| p == "tickets.write"))
        .map(|(id, name, _)| Person { id, name })
        .collect())
}

/// The department a requester's new ticket most likely belongs to: that of their latest
/// ticket, else their first department.
pub async fn suggested_department(
    conn: &mut AnyConnection,
    user_id: i64,
) -> AppResult<Option<i64>> {
    let last: Option<Option<i64>> = sqlx::query_scalar(
        "SELECT department_id FROM tickets WHERE requester_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?;
    match last {
        Some(found) => Ok(found),
        None => first_department(conn, user_id).await,
    }
}

/// The department a user's tickets go to when nothing else says: their first.
pub async fn first_department(conn: &mut AnyConnection, user_id: i64) -> AppResult<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT department_id FROM user_departments WHERE user_id = $1 ORDER BY department_id LIMIT 1",
    )
    .bind(user_id)
    .fetch_optional(conn)
    .await?)
}

/// The ticket a retried request (`ticket_requests`) filed, if it filed one.
pub async fn requested_ticket(conn: &mut AnyConnection, key: &str) -> AppResult<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT ticket_id FROM ticket_requests WHERE request_key = $1")
            .bind(key)
            .fetch_optional(conn)
            .await?,
    )
}

/// Record that `key` filed `ticket_id`; `false` when another transaction recorded the key first
/// (PostgreSQL waits for it to commit; SQLite writes one at a time).
pub async fn claim_request(
    conn: &mut AnyConnection,
    key: &str,
    ticket_id: i64,
    now: i64,
) -> AppResult<bool> {
    let done = sqlx::query(
        "INSERT INTO ticket_requests (request_key, ticket_id, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (request_key) DO NOTHING",
    )
    .bind(key)
    .bind(ticket_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
