//! Canned responses: reply templates an admin keeps, which staff insert into a ticket's reply box
//! with `{{placeholders}}` filled in for that ticket. Optionally offered only to one department.

pub mod api;
pub mod pages;
pub mod service;
mod store;

use serde::{Deserialize, Serialize};

/// Every canned response, briefly (see `refcache`).
pub type Cache = crate::refcache::RefCache<Vec<CannedResponse>>;

/// The placeholders a body may use, each written `{{name}}` (spaces inside the braces allowed).
pub const PLACEHOLDERS: &[&str] = &[
    "requester_name",
    "ticket_number",
    "ticket_title",
    "agent_name",
];

/// A placeholder as written in a body: `{{name}}`.
pub fn written(name: &str) -> String {
    format!("{{{{{name}}}}}")
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CannedResponse {
    pub id: i64,
    pub name: String,
    /// Markdown with placeholders: `{{requester_name}}`, `{{ticket_number}}` (e.g. `#1042`),
    /// `{{ticket_title}}`, `{{agent_name}}` (the staff member replying).
    pub body: String,
    /// Offered only to the staff of this department; `null`: to all staff.
    pub department_id: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCannedResponse {
    pub name: String,
    pub body: String,
    pub department_id: Option<i64>,
}

/// A canned response filled in for one ticket, ready to post as a reply.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ExpandedResponse {
    pub canned_id: i64,
    pub ticket_id: i64,
    pub name: String,
    /// The body with every placeholder replaced; Markdown, not HTML (escape it when showing it).
    pub body: String,
}
