//! Page notices a person may dismiss for good (issue #19): which notices exist, when each applies,
//! and each user's dismissals, kept in the database (`notice_dismissals`) so a dismissal holds on
//! every device and across sessions. A new notice adds its code to [`NOTICES`] and its condition
//! to `service::shown`.

pub mod cache;
pub mod pages;
pub mod service;
mod store;

/// "Email is not set up", shown to those who change settings while no SMTP server is configured.
pub const SMTP_MISSING: &str = "smtp_missing";

/// Every notice that can be dismissed, by the code stored for it.
pub const NOTICES: &[&str] = &[SMTP_MISSING];
