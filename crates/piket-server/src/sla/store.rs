//! SQL for SLA policies, the calendar document, and the SLA columns of tickets.

use sqlx::AnyConnection;

use super::SlaState;
use crate::db::sql::{Arg, Sql};
use crate::error::AppResult;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PolicyRow {
    pub priority: i64,
    pub first_response_minutes: Option<i64>,
    pub resolution_minutes: Option<i64>,
    pub updated_at: i64,
}

pub async fn policies(conn: &mut AnyConnection) -> AppResult<Vec<PolicyRow>> {
    Ok(sqlx::query_as(
        "SELECT priority, first_response_minutes, resolution_minutes, updated_at FROM sla_policies ORDER BY priority",
    )
    .fetch_all(conn)
    .await?)
}

pub async fn policy(conn: &mut AnyConnection, priority: i64) -> AppResult<Option<PolicyRow>> {
    Ok(sqlx::query_as(
        "SELECT priority, first_response_minutes, resolution_minutes, updated_at FROM sla_policies WHERE priority = $1",
    )
    .bind(priority)
    .fetch_optional(conn)
    .await?)
}

pub async fn set_policy(
    conn: &mut AnyConnection,
    priority: i64,
    first_response: Option<i64>,
    resolution: Option<i64>,
    now: i64,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO sla_policies (priority, first_response_minutes, resolution_minutes, updated_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (priority) DO UPDATE SET \
         first_response_minutes = $2, resolution_minutes = $3, updated_at = $4",
    )
    .bind(priority)
    .bind(first_response)
    .bind(resolution)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The stored calendar document (JSON) and when it was saved.
pub async fn calendar(conn: &mut AnyConnection) -> AppResult<Option<(String, i64)>> {
    Ok(
        sqlx::query_as("SELECT body, updated_at FROM sla_calendar WHERE id = 1")
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn set_calendar(conn: &mut AnyConnection, body: &str, now: i64) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO sla_calendar (id, body, updated_at) VALUES (1, $1, $2) \
         ON CONFLICT (id) DO UPDATE SET body = $1, updated_at = $2",
    )
    .bind(body)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// What the SLA rules need of a ticket.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TicketSla {
    pub id: i64,
    #[sqlx(try_from = "String")]
    pub status: crate::tickets::Status,
    pub priority: i64,
    pub created_at: i64,
    pub first_response_due_at: Option<i64>,
    pub first_response_risk_at: Option<i64>,
    pub resolution_due_at: Option<i64>,
    pub resolution_risk_at: Option<i64>,
    pub sla_paused_at: Option<i64>,
    pub sla_paused_ms: i64,
    pub sla_response_escalated_at: Option<i64>,
    pub sla_resolution_escalated_at: Option<i64>,
}

pub async fn ticket(conn: &mut AnyConnection, id: i64) -> AppResult<Option<TicketSla>> {
    Ok(sqlx::query_as(
        "SELECT id, status, priority, created_at, first_response_due_at, first_response_risk_at, \
         resolution_due_at, resolution_risk_at, sla_paused_at, sla_paused_ms, \
         sla_response_escalated_at, sla_resolution_escalated_at FROM tickets WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

pub async fn save_ticket(conn: &mut AnyConnection, t: &TicketSla) -> AppResult<()> {
    sqlx::query(
        "UPDATE tickets SET first_response_due_at = $2, first_response_risk_at = $3, \
         resolution_due_at = $4, resolution_risk_at = $5, sla_paused_at = $6, sla_paused_ms = $7, \
         sla_response_escalated_at = $8, sla_resolution_escalated_at = $9 WHERE id = $1",
    )
    .bind(t.id)
    .bind(t.first_response_due_at)
    .bind(t.first_response_risk_at)
    .bind(t.resolution_due_at)
    .bind(t.resolution_risk_at)
    .bind(t.sla_paused_at)
    .bind(t.sla_paused_ms)
    .bind(t.sla_response_escalated_at)
    .bind(t.sla_resolution_escalated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A ticket with a target that has passed, not done, not paused, not yet escalated for it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Breach {
    pub id: i64,
    pub title: String,
    pub department_id: Option<i64>,
    pub first_response_due_at: Option<i64>,
    pub first_response_at: Option<i64>,
    pub resolution_due_at: Option<i64>,
    pub sla_response_escalated_at: Option<i64>,
    pub sla_resolution_escalated_at: Option<i64>,
}

/// An SLA target, escalated on its own (each has its own `sla_<column>_escalated_at`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    FirstResponse,
    Resolution,
}

impl Target {
    /// The name in history entries and the catalog (`sla_target_<name>`).
    pub fn name(self) -> &'static str {
        match self {
            Target::FirstResponse => "first_response",
            Target::Resolution => "resolution",
        }
    }
}

impl Breach {
    /// The targets missed by `now` and not escalated yet, with their due times.
    pub fn missed(&self, now: i64) -> Vec<(Target, i64)> {
        let mut out = Vec::new();
        if let (Some(due), None, None) = (
            self.first_response_due_at,
            self.first_response_at,
            self.sla_response_escalated_at,
        ) {
            if due <= now {
                out.push((Target::FirstResponse, due));
            }
        }
        if let (Some(due), None) = (self.resolution_due_at, self.sla_resolution_escalated_at) {
            if due <= now {
                out.push((Target::Resolution, due));
            }
        }
        out
    }
}

/// Active tickets with a first response or resolution past `$1` that was not escalated yet,
/// by id, at most `$2`. Each due time is looked up in its own partial index, whose condition
/// is spelled out here as in migration `0015_sla_escalation_per_target` (both planners match a
/// partial index by its terms): with one `OR` over both, the planner walked every ticket in id
/// order, 2 s on a million tickets, every minute.
pub const BREACHES: &str = "SELECT id, title, department_id, first_response_due_at, \
     first_response_at, resolution_due_at, sla_response_escalated_at, \
     sla_resolution_escalated_at FROM tickets WHERE id IN (\
     SELECT id FROM tickets WHERE resolution_due_at <= $1 AND sla_resolution_escalated_at IS NULL \
     AND sla_paused_at IS NULL AND status NOT IN ('resolved', 'closed') \
     UNION ALL \
     SELECT id FROM tickets WHERE first_response_due_at <= $1 AND first_response_at IS NULL \
     AND sla_response_escalated_at IS NULL AND sla_paused_at IS NULL \
     AND status NOT IN ('resolved', 'closed')) \
     ORDER BY id LIMIT $2";

/// The tickets of [`BREACHES`].
pub async fn breaches(conn: &mut AnyConnection, now: i64, limit: i64) -> AppResult<Vec<Breach>> {
    Ok(sqlx::query_as(BREACHES)
        .bind(now)
        .bind(limit)
        .fetch_all(conn)
        .await?)
}

/// Mark a ticket escalated for `target` unless another run already did; true when this call did.
pub async fn mark_escalated(
    conn: &mut AnyConnection,
    id: i64,
    target: Target,
    now: i64,
) -> AppResult<bool> {
    let sql = match target {
        Target::FirstResponse => {
            "UPDATE tickets SET sla_response_escalated_at = $2 \
             WHERE id = $1 AND sla_response_escalated_at IS NULL"
        }
        Target::Resolution => {
            "UPDATE tickets SET sla_resolution_escalated_at = $2 \
             WHERE id = $1 AND sla_resolution_escalated_at IS NULL"
        }
    };
    let done = sqlx::query(sql).bind(id).bind(now).execute(conn).await?;
    Ok(done.rows_affected() == 1)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Manager {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub locale: Option<String>,
}

/// Enabled users of the department whose role is the built-in Manager role.
pub async fn managers(conn: &mut AnyConnection, department_id: i64) -> AppResult<Vec<Manager>> {
    Ok(sqlx::query_as(
        "SELECT u.id, u.email, u.name, u.locale FROM users u \
         JOIN roles r ON r.id = u.role_id \
         JOIN user_departments ud ON ud.user_id = u.id \
         WHERE ud.department_id = $1 AND lower(r.name) = 'manager' AND u.disabled = 0 ORDER BY u.id",
    )
    .bind(department_id)
    .fetch_all(conn)
    .await?)
}

/// Append "tickets in this SLA state at `now`" to a ticket list query (alias `t`), matching
/// [`super::SlaTimes::state`]: a paused ticket is judged at the moment it paused.
pub fn push_state_filter(sql: &mut Sql, state: SlaState, now: i64) {
    // `kind` is `due` (breached) or `risk` (at risk or worse).
    fn passed(sql: &mut Sql, kind: &'static str, now: i64) {
        sql.push("((t.first_response_at IS NULL AND t.first_response_")
            .push(kind)
            .push("_at IS NOT NULL AND t.first_response_")
            .push(kind)
            .push("_at <= COALESCE(t.sla_paused_at, ")
            .bind(Arg::Int(now))
            .push(")) OR (t.resolution_")
            .push(kind)
            .push("_at IS NOT NULL AND t.resolution_")
            .push(kind)
            .push("_at <= COALESCE(t.sla_paused_at, ")
            .bind(Arg::Int(now))
            .push(")))");
    }
    sql.push(" AND t.status NOT IN ('resolved', 'closed') AND ");
    match state {
        SlaState::Breached => passed(sql, "due", now),
        SlaState::AtRisk => {
            passed(sql, "risk", now);
            sql.push(" AND NOT ");
            passed(sql, "due", now);
        }
        SlaState::Ok => {
            sql.push(
                "(t.first_response_due_at IS NOT NULL OR t.resolution_due_at IS NOT NULL) AND NOT ",
            );
            passed(sql, "risk", now);
        }
    }
}
