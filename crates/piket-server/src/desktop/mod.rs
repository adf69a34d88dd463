//! The desktop helper, server side (issue #20): linking a PC's OS account to a Piket user (the
//! helper asks, the user confirms in the browser), and the three routes the helper's credential
//! opens: who it files as, filing a report (a ticket with the screen and the machine's state,
//! once per client id) and the user's own tickets. The wire types are `piket_protocol::desktop`.

pub mod api;
pub mod pages;
pub mod service;
mod store;

/// How long an unconfirmed link may wait for the user's confirmation.
pub const PENDING_TTL_MS: i64 = 15 * 60 * 1000;
/// Links one user may hold (a PC, a laptop, a few more): past it the oldest is revoked.
pub const LINKS_PER_USER: i64 = 20;
/// Links asked for per client address and minute (an office's helpers start together).
pub const LINKS_PER_MINUTE: u32 = 120;
/// Wrong codes typed before a pending link is void.
pub const MAX_FAILED_CODES: i64 = 5;
/// Longest hostname or OS user name accepted, in characters.
pub const MAX_NAME: usize = 100;

/// A link as a user sees it on the agent page.
#[derive(Debug, Clone)]
pub struct LinkView {
    pub id: i64,
    pub hostname: String,
    pub os_user: String,
    /// The enrolled device's asset name, when the helper named one.
    pub device_name: Option<String>,
    pub linked_at: i64,
    pub last_used_at: Option<i64>,
}

/// A link as the confirmation page shows it.
#[derive(Debug, Clone)]
pub struct PendingLink {
    pub link_key: String,
    pub hostname: String,
    pub os_user: String,
    /// The address the helper asked from.
    pub requested_from: String,
    pub device_name: Option<String>,
    /// `pending`, `linked` (by this reader), `taken` (by someone else) or `expired`.
    pub status: &'static str,
    /// The code typed was wrong (the link stays pending while tries are left).
    pub wrong_code: bool,
}
