//! A short-lived cache of API-key callers, so an authenticated request costs no extra queries.
//!
//! An entry lives at most [`TTL_MS`]; any change to users, roles, departments or keys made on
//! this node empties the cache at once (services call [`ActorCache::invalidate`] after commit).
//! On a multi-node PostgreSQL deployment another node's change takes effect within the TTL.

use std::collections::HashMap;
use std::sync::Mutex;

use super::actor::Actor;

pub const TTL_MS: i64 = 2_000;
const MAX_ENTRIES: usize = 10_000;

#[derive(Default)]
pub struct ActorCache {
    entries: Mutex<HashMap<String, (Actor, i64)>>,
}

impl ActorCache {
    /// The cached actor for this key hash, if fresh.
    pub fn get(&self, key_hash: &str, now: i64) -> Option<Actor> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(key_hash)
            .filter(|(_, at)| now - *at < TTL_MS && now >= *at)
            .map(|(actor, _)| actor.clone())
    }

    pub fn put(&self, key_hash: String, actor: Actor, now: i64) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(key_hash, (actor, now));
        }
    }

    /// Forget everything (a user, role, department or key changed).
    pub fn invalidate(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_invalidate() {
        let cache = ActorCache::default();
        cache.put("h".into(), Actor::system(), 1_000);
        assert!(cache.get("h", 1_500).is_some());
        assert!(cache.get("h", 1_000 + TTL_MS).is_none());
        assert!(cache.get("other", 1_500).is_none());
        cache.invalidate();
        assert!(cache.get("h", 1_500).is_none());
    }
}
