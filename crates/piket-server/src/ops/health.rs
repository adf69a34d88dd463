//! What readiness knows beyond a database ping: when this node last found its disk full.

use std::sync::atomic::{AtomicI64, Ordering};

/// How long after a disk-full answer `/readyz` keeps saying so. Writes are not blocked in the
/// meantime: the next one that finds space succeeds, and readiness follows within this time.
pub const DISK_FULL_MEMORY_MS: i64 = 15_000;

#[derive(Default)]
pub struct Health {
    /// Unix ms of the last answer 507 (disk full); 0 for never.
    storage_full_at: AtomicI64,
}

impl Health {
    pub fn storage_full(&self, now: i64) {
        self.storage_full_at.store(now, Ordering::Relaxed);
    }

    /// Whether the disk was found full recently.
    pub fn disk_recently_full(&self, now: i64) -> bool {
        let at = self.storage_full_at.load(Ordering::Relaxed);
        at != 0 && now - at < DISK_FULL_MEMORY_MS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_disk_full_answer_is_remembered_for_a_while() {
        let h = Health::default();
        assert!(!h.disk_recently_full(1_000));
        h.storage_full(1_000);
        assert!(h.disk_recently_full(1_000 + DISK_FULL_MEMORY_MS - 1));
        assert!(!h.disk_recently_full(1_000 + DISK_FULL_MEMORY_MS));
    }
}
