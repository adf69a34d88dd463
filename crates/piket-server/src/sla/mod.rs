//! SLA: response and resolution targets per priority, measured in business hours of a
//! working-hours calendar, the due times they put on tickets, and escalation when they pass.

pub mod api;
pub mod calendar;
pub mod escalate;
pub mod model;
pub mod pages;
pub mod service;
mod store;

/// "Tickets in this SLA state", as SQL for the ticket list query.
pub use store::push_state_filter;
/// The escalation job's query, for the test that checks its plan uses the due-time indexes.
#[doc(hidden)]
pub use store::BREACHES;

use serde::{Deserialize, Serialize};

/// The targets for one priority, in business minutes; `null` means no target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Policy {
    /// `low`, `normal`, `high` or `urgent`.
    pub priority: String,
    pub first_response_minutes: Option<i64>,
    pub resolution_minutes: Option<i64>,
    pub updated_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PolicyList {
    pub items: Vec<Policy>,
}

/// `PUT /api/v1/sla/policies/{priority}`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyInput {
    /// Business minutes, 1 to 525600; absent or `null` for no target.
    #[serde(default)]
    pub first_response_minutes: Option<i64>,
    /// Business minutes, 1 to 525600; absent or `null` for no target.
    #[serde(default)]
    pub resolution_minutes: Option<i64>,
}

/// Working hours of one weekday.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkingHours {
    /// `mon`, `tue`, `wed`, `thu`, `fri`, `sat` or `sun`.
    pub day: String,
    /// Local time `HH:MM`.
    pub start: String,
    /// Local time `HH:MM`, after `start`; `24:00` is the end of the day.
    pub end: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Holiday {
    /// `YYYY-MM-DD`, a local date.
    pub date: String,
    #[serde(default)]
    pub name: String,
}

/// The working-hours calendar SLA targets are measured in. Days not listed are days off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Calendar {
    /// Local time = UTC + this many minutes; WIB is 420, WITA 480, WIT 540.
    pub utc_offset_minutes: i64,
    pub hours: Vec<WorkingHours>,
    #[serde(default)]
    pub holidays: Vec<Holiday>,
}

/// Where a ticket stands against its targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SlaState {
    Ok,
    /// Less than 20 % of a target's business time is left.
    AtRisk,
    Breached,
}

/// A ticket's SLA times as stored (unix ms), read along with the ticket (also from a packed
/// JSON array, see `tickets::store::packed_row`).
#[derive(Debug, Clone, Default, sqlx::FromRow, Deserialize)]
pub struct SlaTimes {
    pub first_response_due_at: Option<i64>,
    pub first_response_risk_at: Option<i64>,
    pub resolution_due_at: Option<i64>,
    pub resolution_risk_at: Option<i64>,
    pub sla_paused_at: Option<i64>,
}

impl SlaTimes {
    /// The worst state among the targets still open; `None` when none applies. While paused
    /// (pending) the clock stands still at the moment of pausing.
    pub fn state(&self, now: i64, done: bool, responded: bool) -> Option<SlaState> {
        if done {
            return None;
        }
        let now = self.sla_paused_at.unwrap_or(now);
        let one = |due: Option<i64>, risk: Option<i64>| {
            let due = due?;
            Some(if now >= due {
                SlaState::Breached
            } else if risk.is_some_and(|r| now >= r) {
                SlaState::AtRisk
            } else {
                SlaState::Ok
            })
        };
        let response = if responded {
            None
        } else {
            one(self.first_response_due_at, self.first_response_risk_at)
        };
        let resolution = one(self.resolution_due_at, self.resolution_risk_at);
        response.max(resolution)
    }
}
