//! What each domain keeps in the running server besides the database (a cache, a counter, the
//! thumbnails in flight), found by its type. A domain asks for its part with [`Parts::get`] and
//! gets the one instance of this server, made from `Default` the first time; the assembly may
//! put one in first (`Parts::with`) when it needs building. So `state.rs` names no domain type
//! and a new domain adds its cache without touching it.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

type Part = Arc<dyn Any + Send + Sync>;

#[derive(Default)]
pub struct Parts {
    map: RwLock<HashMap<TypeId, Part>>,
}

impl Parts {
    /// Puts `part` in before anyone asks for it (a part that is not built by `Default`).
    pub fn with<T: Any + Send + Sync>(self, part: T) -> Parts {
        self.write().insert(TypeId::of::<T>(), Arc::new(part));
        self
    }

    /// This server's part of type `T`, made from `Default` on first use.
    pub fn get<T: Any + Send + Sync + Default>(&self) -> Arc<T> {
        let id = TypeId::of::<T>();
        let found = self.read().get(&id).cloned();
        let part = match found {
            Some(part) => part,
            None => self.write().entry(id).or_insert_with(new::<T>).clone(),
        };
        // Keyed by its own type, so the downcast holds; a fresh part is the harmless fallback.
        part.downcast::<T>().unwrap_or_default()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<TypeId, Part>> {
        self.map.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<TypeId, Part>> {
        self.map.write().unwrap_or_else(|e| e.into_inner())
    }
}

fn new<T: Any + Send + Sync + Default>() -> Part {
    Arc::new(T::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[derive(Default)]
    struct Counter(AtomicU32);
    #[derive(Default)]
    struct Other(AtomicU32);

    #[test]
    fn each_type_has_one_instance() {
        let parts = Parts::default().with(Other(AtomicU32::new(5)));
        parts.get::<Counter>().0.fetch_add(1, Ordering::SeqCst);
        parts.get::<Counter>().0.fetch_add(1, Ordering::SeqCst);
        assert_eq!(parts.get::<Counter>().0.load(Ordering::SeqCst), 2);
        assert_eq!(parts.get::<Other>().0.load(Ordering::SeqCst), 5);
    }
}
