//! Settings that belong to the whole organisation (issue #19: the time zone everyone sees unless
//! they choose their own). Kept in the `settings` table under `org.*` keys.

pub mod pages;
pub mod service;
mod store;

/// The organisation's zone as this node last read it (see `refcache` for how fresh).
#[derive(Default)]
pub struct ZoneCache(crate::refcache::RefCache<crate::local_time::Zone>);
