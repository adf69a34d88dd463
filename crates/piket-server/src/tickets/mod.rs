//! Tickets: the queue an IT team works from, with its conversation, history, counts and search.

pub mod api;
mod asset_store;
pub mod assets;
pub mod comments;
pub mod detail_view;
mod draft_store;
pub mod export;
pub mod filter;
pub mod history;
pub mod list_view;
pub mod live;
pub mod machine;
mod machine_store;
pub mod markdown;
pub mod model;
mod page_store;
pub mod pages;
pub mod policy;
pub mod search;
pub mod search_plan;
pub mod search_query;
pub mod service;
pub mod snippet;
mod store;
pub mod views;
pub mod work;

use serde::{Deserialize, Serialize};

pub use model::{Priority, Status};
/// A ticket as stored (see `store`); `Ticket` is what callers are shown.
pub use store::{Person, TicketRow};

/// Who tickets can be assigned to, briefly (emptied by user and role changes).
pub type AssigneeCache = crate::refcache::RefCache<Vec<Person>>;

/// The lifecycle states, as stored (see `model::Status`).
pub const STATUSES: &[&str] = Status::NAMES;
/// Priorities by rank (see `model::Priority`).
pub const PRIORITIES: &[&str] = Priority::NAMES;
/// Where a ticket came from.
pub const SOURCES: &[&str] = &[
    "web", "email", "api", "agent", "desktop", "telegram", "whatsapp", "phone",
];

/// A row of a ticket list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TicketSummary {
    /// Also the human number: ticket 1042 is shown as `#1042`.
    pub id: i64,
    pub title: String,
    pub requester_id: i64,
    pub requester_name: String,
    pub department_id: Option<i64>,
    pub department_name: Option<String>,
    pub category_id: Option<i64>,
    pub category_name: Option<String>,
    /// `low`, `normal`, `high` or `urgent`.
    pub priority: String,
    /// `new`, `open`, `pending`, `resolved` or `closed`.
    pub status: String,
    pub assignee_id: Option<i64>,
    pub assignee_name: Option<String>,
    pub source: String,
    pub due_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Due and not done.
    pub overdue: bool,
    /// SLA: when the first response is due (policy of the ticket's priority, business hours).
    pub first_response_due_at: Option<String>,
    /// SLA: when resolution is due.
    pub resolution_due_at: Option<String>,
    /// SLA: `ok`, `at_risk`, `breached`, or null when no target applies or all are met.
    pub sla_state: Option<crate::sla::SlaState>,
    /// With `q`: the best matching passage, HTML-escaped, matches wrapped in `<mark>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet_html: Option<String>,
}

/// One ticket: its list row plus the text, tags, watchers and milestones.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Ticket {
    #[serde(flatten)]
    pub summary: TicketSummary,
    /// Markdown as written.
    pub description: String,
    /// The description rendered to sanitised HTML.
    pub description_html: String,
    pub tags: Vec<String>,
    pub watchers: Vec<i64>,
    pub first_response_at: Option<String>,
    pub resolved_at: Option<String>,
    pub closed_at: Option<String>,
    /// The hardware assets this ticket is about.
    pub assets: Vec<LinkedAsset>,
}

/// A hardware asset a ticket references.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct LinkedAsset {
    pub id: i64,
    pub name: String,
    pub asset_tag: String,
    pub hostname: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTicket {
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Default `normal`.
    pub priority: Option<String>,
    /// A category id.
    pub category: Option<i64>,
    /// A department id; defaults to the category's department, then the requester's first.
    pub department: Option<i64>,
    /// A user id (needs `tickets.assign`).
    pub assignee: Option<i64>,
    /// A user id; staff may file on someone's behalf. Default: the caller.
    pub requester: Option<i64>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Default `api` through the API, `web` through the UI.
    pub source: Option<String>,
    /// RFC 3339 or `YYYY-MM-DD`.
    pub due_at: Option<String>,
    /// Hardware assets the ticket is about (at most 20): requesters may name only devices they
    /// own, staff only assets in their inventory reach.
    #[serde(default)]
    pub asset_ids: Vec<i64>,
}

/// A partial change; absent fields stay as they are. `null` clears nullable fields.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub priority: Option<String>,
    pub status: Option<String>,
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub category: Option<Option<i64>>,
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub department: Option<Option<i64>>,
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub assignee: Option<Option<i64>>,
    pub tags: Option<Vec<String>>,
    pub watchers: Option<Vec<i64>>,
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub due_at: Option<Option<String>>,
    /// Replaces the linked hardware assets (staff only; `[]` removes them all).
    pub asset_ids: Option<Vec<i64>>,
}

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
mod double_option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
    where
        T: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        Option::<T>::deserialize(d).map(Some)
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Comment {
    pub id: i64,
    pub ticket_id: i64,
    pub author_id: Option<i64>,
    pub author_name: String,
    pub body: String,
    pub body_html: String,
    /// Internal notes are only ever shown to staff.
    pub internal: bool,
    pub created_at: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewComment {
    pub body: String,
    #[serde(default)]
    pub internal: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    pub id: i64,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    /// What changed: `created`, `status`, `priority`, `assignee`, `comment`, …
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub at: String,
}

/// Per-status numbers for the sidebar, within what the caller may see.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct StatusCounts {
    pub new: i64,
    pub open: i64,
    pub pending: i64,
    pub resolved: i64,
    pub closed: i64,
}

impl StatusCounts {
    /// The count for a status name (0 for an unknown one).
    pub fn get(&self, status: &str) -> i64 {
        match status {
            "new" => self.new,
            "open" => self.open,
            "pending" => self.pending,
            "resolved" => self.resolved,
            "closed" => self.closed,
            _ => 0,
        }
    }

    pub fn total(&self) -> i64 {
        self.new + self.open + self.pending + self.resolved + self.closed
    }

    pub fn add(&mut self, status: &str, n: i64) {
        match status {
            "new" => self.new += n,
            "open" => self.open += n,
            "pending" => self.pending += n,
            "resolved" => self.resolved += n,
            "closed" => self.closed += n,
            _ => {}
        }
    }
}

/// Change several tickets at once.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkChange {
    pub ids: Vec<i64>,
    pub status: Option<String>,
    pub priority: Option<String>,
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub assignee: Option<Option<i64>>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BulkResult {
    /// Tickets changed.
    pub updated: Vec<i64>,
}
