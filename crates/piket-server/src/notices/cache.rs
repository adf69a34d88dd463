//! Each user's dismissed notices, kept in memory for a while so an admin's page view costs no
//! statement for them. Dismissals only ever grow, so a stale entry can only show a notice the
//! user dismissed on another node, for at most [`TTL_MS`]; a dismissal forgets the user's entry
//! on its own node at once, and a load that raced it is not kept (generation check).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const TTL_MS: i64 = 60_000;
/// Beyond this many users the map is simply emptied (a load is one small statement).
const MAX_ENTRIES: usize = 10_000;

#[derive(Default)]
struct Entries {
    /// user → (dismissed codes, loaded at).
    map: HashMap<i64, (Arc<Vec<String>>, i64)>,
    generation: u64,
}

#[derive(Default)]
pub struct Dismissed {
    entries: Mutex<Entries>,
}

impl Dismissed {
    /// The user's dismissals if fresh, else the generation to pass to [`Dismissed::put`].
    pub fn get(&self, user_id: i64, now: i64) -> Result<Arc<Vec<String>>, u64> {
        let Ok(entries) = self.entries.lock() else {
            return Err(u64::MAX);
        };
        match entries.map.get(&user_id) {
            Some((codes, at)) if now >= *at && now - *at < TTL_MS => Ok(codes.clone()),
            _ => Err(entries.generation),
        }
    }

    /// Keep dismissals loaded at `generation`; dropped if anything was forgotten since.
    pub fn put(&self, user_id: i64, codes: Arc<Vec<String>>, now: i64, generation: u64) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.generation != generation {
                return;
            }
            if entries.map.len() >= MAX_ENTRIES {
                entries.map.clear();
            }
            entries.map.insert(user_id, (codes, now));
        }
    }

    /// Forget one user's entry (they dismissed something).
    pub fn forget(&self, user_id: i64) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.map.remove(&user_id);
            entries.generation = entries.generation.wrapping_add(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_are_forgotten_and_raced_loads_are_dropped() {
        let cache = Dismissed::default();
        let codes = Arc::new(vec!["smtp_missing".to_string()]);
        let generation = cache.get(7, 1_000).unwrap_err();
        cache.put(7, codes.clone(), 1_000, generation);
        assert_eq!(cache.get(7, 1_500).unwrap().as_slice(), codes.as_slice());
        assert!(cache.get(7, 1_000 + TTL_MS).is_err(), "expired");
        assert!(cache.get(8, 1_500).is_err(), "another user");
        cache.forget(7);
        assert!(cache.get(7, 1_500).is_err());
        let before = cache.get(7, 1_500).unwrap_err();
        cache.forget(9);
        cache.put(7, codes, 1_600, before);
        assert!(cache.get(7, 1_700).is_err(), "raced load dropped");
    }
}
