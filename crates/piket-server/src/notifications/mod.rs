//! Notifications about tickets: an in-app list with an unread count, and emails through the
//! outbox, both written in the same transaction as the change. Each user can mute kinds.

pub mod api;
pub mod pages;
pub mod service;
mod store;
pub mod unread;

/// A notification to put on a user's page (see `service::notify_in`).
pub use store::NewNotification;

use serde::{Deserialize, Serialize};

/// The kinds of notification, which are also what a user can mute.
pub const KINDS: &[&str] = &["created", "assigned", "reply", "note", "status"];
/// An SLA breach escalated to the department's managers (`sla::escalate`); not mutable.
pub const ESCALATION: &str = "sla";

/// What happened to a ticket.
#[derive(Debug, Clone)]
pub enum Event {
    Created,
    Assigned,
    /// A public reply (`internal` false) or an internal note, with its text.
    Commented {
        internal: bool,
        body: String,
    },
    Status {
        from: String,
        to: String,
    },
}

impl Event {
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Created => "created",
            Event::Assigned => "assigned",
            Event::Commented {
                internal: false, ..
            } => "reply",
            Event::Commented { internal: true, .. } => "note",
            Event::Status { .. } => "status",
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Notification {
    pub id: i64,
    pub ticket_id: Option<i64>,
    /// `created`, `assigned`, `reply`, `note`, `status`, or `sla` (an escalation to managers).
    pub kind: String,
    /// Who made the change.
    pub actor_name: String,
    pub ticket_title: String,
    pub created_at: String,
    pub read: bool,
}

/// A user's notification settings: the kinds they do not want, by email or in the app.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub muted: Vec<String>,
}
