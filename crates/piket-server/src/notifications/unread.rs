//! Each signed-in user's unread count (the bell on every page), kept briefly in memory so a page
//! view costs no statement for it.
//!
//! The house cache rule (`refcache`): an entry lives at most [`TTL_MS`]; anything that can add
//! or read notifications empties it on this node after its commit. A ticket change empties all
//! entries when it commits here and again when its announcement arrives from any node
//! (`events::Events`), so on PostgreSQL another node's change is seen as soon as its `NOTIFY`
//! lands; an SLA escalation on another node is seen within the TTL. A load that raced a change
//! is not stored (generation check).

use std::collections::HashMap;
use std::sync::Mutex;

pub const TTL_MS: i64 = 2_000;
/// Beyond this many users the map is simply emptied (a count is one cheap statement).
const MAX_ENTRIES: usize = 10_000;

#[derive(Default)]
struct Counts {
    /// user → (count, loaded at).
    entries: HashMap<i64, (i64, i64)>,
    generation: u64,
}

#[derive(Default)]
pub struct UnreadCounts {
    counts: Mutex<Counts>,
}

impl UnreadCounts {
    /// The user's count if fresh, else the generation to pass to [`UnreadCounts::put`].
    pub fn get(&self, user_id: i64, now: i64) -> Result<i64, u64> {
        let Ok(counts) = self.counts.lock() else {
            return Err(u64::MAX);
        };
        match counts.entries.get(&user_id) {
            Some((n, at)) if now >= *at && now - *at < TTL_MS => Ok(*n),
            _ => Err(counts.generation),
        }
    }

    /// Keep a count loaded at `generation`; dropped if anything was forgotten since.
    pub fn put(&self, user_id: i64, n: i64, now: i64, generation: u64) {
        if let Ok(mut counts) = self.counts.lock() {
            if counts.generation != generation {
                return;
            }
            if counts.entries.len() >= MAX_ENTRIES {
                counts.entries.clear();
            }
            counts.entries.insert(user_id, (n, now));
        }
    }

    /// Forget every count (a ticket changed, or an escalation was written).
    pub fn forget_all(&self) {
        if let Ok(mut counts) = self.counts.lock() {
            counts.entries.clear();
            counts.generation = counts.generation.wrapping_add(1);
        }
    }

    /// Forget one user's count (they read notifications).
    pub fn forget(&self, user_id: i64) {
        if let Ok(mut counts) = self.counts.lock() {
            counts.entries.remove(&user_id);
            counts.generation = counts.generation.wrapping_add(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_expire_are_forgotten_and_raced_loads_are_dropped() {
        let cache = UnreadCounts::default();
        let generation = cache.get(7, 1_000).unwrap_err();
        cache.put(7, 3, 1_000, generation);
        assert_eq!(cache.get(7, 1_500), Ok(3));
        assert!(cache.get(7, 1_000 + TTL_MS).is_err(), "expired");
        assert!(cache.get(8, 1_500).is_err(), "another user");

        cache.forget(7);
        assert!(cache.get(7, 1_500).is_err());

        // A load that started before a change is not kept.
        let before = cache.get(7, 1_500).unwrap_err();
        cache.forget_all();
        cache.put(7, 3, 1_600, before);
        assert!(cache.get(7, 1_700).is_err(), "raced load dropped");

        let generation = cache.get(9, 1_700).unwrap_err();
        cache.put(9, 1, 1_700, generation);
        cache.forget_all();
        assert!(cache.get(9, 1_700).is_err());
    }
}
