//! The organisation's settings: rows of the `settings` table under `org.*` keys.

pub use crate::db::settings::{put, value};

pub const TIME_ZONE: &str = "org.time_zone";
