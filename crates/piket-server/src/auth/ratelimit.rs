//! A small fixed-window rate limiter keyed by client IP (or any string), kept per node.
//!
//! Account lockouts, which must hold across nodes, live in the database (`login_throttle`).

use std::collections::HashMap;
use std::sync::Mutex;

pub struct RateLimiter {
    limit: u32,
    window_ms: i64,
    entries: Mutex<HashMap<String, (i64, u32)>>,
}

impl RateLimiter {
    pub fn new(limit: u32, window_ms: i64) -> Self {
        Self {
            limit,
            window_ms,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `key` is over the limit now, without counting a hit (for limits on failures only).
    pub fn check(&self, key: &str, now: i64) -> Result<(), u64> {
        let Ok(entries) = self.entries.lock() else {
            return Ok(());
        };
        match entries.get(key) {
            Some((start, n)) if now - start < self.window_ms && *n >= self.limit => {
                Err(((self.window_ms - (now - start) + 999) / 1000).max(1) as u64)
            }
            _ => Ok(()),
        }
    }

    /// Count one hit; `Err(seconds)` says how long until the key may try again.
    pub fn hit(&self, key: &str, now: i64) -> Result<(), u64> {
        let Ok(mut entries) = self.entries.lock() else {
            return Ok(());
        };
        if entries.len() > 50_000 {
            let window = self.window_ms;
            entries.retain(|_, (start, _)| now - *start < window);
        }
        let entry = entries.entry(key.to_string()).or_insert((now, 0));
        if now - entry.0 >= self.window_ms {
            *entry = (now, 0);
        }
        if entry.1 >= self.limit {
            let wait_ms = self.window_ms - (now - entry.0);
            return Err(((wait_ms + 999) / 1000).max(1) as u64);
        }
        entry.1 += 1;
        Ok(())
    }
}

impl RateLimiter {
    /// Give back one hit of `key` (a request counted up front that turned out not to count).
    pub fn refund(&self, key: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            if let Some(entry) = entries.get_mut(key) {
                entry.1 = entry.1.saturating_sub(1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_the_limit_then_refuses_until_the_window_ends() {
        let rl = RateLimiter::new(2, 60_000);
        assert!(rl.hit("a", 0).is_ok());
        assert!(rl.hit("a", 1).is_ok());
        assert_eq!(rl.hit("a", 30_000), Err(30));
        assert!(rl.hit("b", 30_000).is_ok());
        assert!(rl.hit("a", 60_000).is_ok());
    }

    #[test]
    fn a_refunded_hit_is_not_counted() {
        let rl = RateLimiter::new(1, 60_000);
        assert!(rl.hit("a", 0).is_ok());
        rl.refund("a");
        assert!(rl.hit("a", 1).is_ok());
        assert!(rl.hit("a", 2).is_err());
        rl.refund("nobody");
    }

    #[test]
    fn check_does_not_count() {
        let rl = RateLimiter::new(1, 60_000);
        assert!(rl.check("a", 0).is_ok());
        assert!(rl.check("a", 0).is_ok());
        assert!(rl.hit("a", 0).is_ok());
        assert_eq!(rl.check("a", 1_000), Err(59));
        assert!(rl.check("a", 60_000).is_ok());
    }
}
