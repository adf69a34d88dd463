//! A read-mostly reference list (departments, ticket categories, canned responses) kept briefly in memory, so hot reads such as
//! `GET /api/v1/departments` and every ticket form skip the database.
//!
//! Same rule as the API-key cache (`auth::cache`): a change made on this node empties it at once
//! (services call [`RefCache::invalidate`] after commit); another node's change is seen within
//! [`TTL_MS`]. A load that raced with a change is not stored (generation check), so a stale list
//! never outlives the change that made it stale on this node.

use std::sync::{Arc, Mutex};

pub const TTL_MS: i64 = 2_000;

struct Slot<T> {
    value: Option<(Arc<T>, i64)>,
    generation: u64,
}

pub struct RefCache<T> {
    slot: Mutex<Slot<T>>,
}

impl<T> Default for RefCache<T> {
    fn default() -> Self {
        RefCache {
            slot: Mutex::new(Slot {
                value: None,
                generation: 0,
            }),
        }
    }
}

impl<T> RefCache<T> {
    /// The cached value if fresh, else the generation to pass to [`RefCache::put`] after loading.
    pub fn get(&self, now: i64) -> Result<Arc<T>, u64> {
        let Ok(slot) = self.slot.lock() else {
            return Err(u64::MAX);
        };
        match &slot.value {
            Some((value, at)) if now >= *at && now - *at < TTL_MS => Ok(value.clone()),
            _ => Err(slot.generation),
        }
    }

    /// Store a value loaded when the generation was `generation`; dropped if a change came since.
    pub fn put(&self, value: Arc<T>, now: i64, generation: u64) {
        if let Ok(mut slot) = self.slot.lock() {
            if slot.generation == generation {
                slot.value = Some((value, now));
            }
        }
    }

    /// The cached value, else `load` it and keep it (unless a change raced the load). Call it
    /// without holding a connection: `load` takes one of its own.
    pub async fn get_or_load<F, Fut>(&self, now: i64, load: F) -> crate::error::AppResult<Arc<T>>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = crate::error::AppResult<T>>,
    {
        match self.get(now) {
            Ok(value) => Ok(value),
            Err(generation) => {
                let value = Arc::new(load().await?);
                self.put(value.clone(), now, generation);
                Ok(value)
            }
        }
    }

    pub fn invalidate(&self) {
        if let Ok(mut slot) = self.slot.lock() {
            slot.value = None;
            slot.generation = slot.generation.wrapping_add(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires_invalidates_and_refuses_a_load_that_raced_a_change() {
        let cache = RefCache::<Vec<i64>>::default();
        let generation = cache.get(1_000).unwrap_err();
        cache.put(Arc::new(vec![1]), 1_000, generation);
        assert_eq!(*cache.get(1_500).unwrap(), vec![1]);
        assert!(cache.get(1_000 + TTL_MS).is_err());

        // A load starts, a change lands, the load finishes: its (old) value is not kept.
        let generation = cache.get(5_000).unwrap_err();
        cache.invalidate();
        cache.put(Arc::new(vec![2]), 5_000, generation);
        assert!(cache.get(5_001).is_err());
    }
}
