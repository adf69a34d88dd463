//! The sign-in lock schedule: how many failures lock, and for how long. No I/O; the counts live
//! in `login_throttle` (see `auth::login`).
//!
//! A lock that strangers can trigger is a lock-out button, so it starts short and grows: the
//! fifth failure locks for a minute, each further failure (one per lock, since a locked key is
//! not tried) doubles it, up to fifteen minutes. Browsers the owner signed in from are counted
//! apart (see `auth::login`), so this lock does not keep the owner out of them.

/// Failures allowed before the first lock.
pub const LOCK_AFTER_FAILURES: i64 = 5;
/// The first lock.
pub const FIRST_LOCK_MS: i64 = 60 * 1000;
/// The longest lock.
pub const MAX_LOCK_MS: i64 = 15 * 60 * 1000;
/// Failures are forgotten a day after the first of them (or at a successful sign-in). Longer
/// than the longest lock, so waiting out a lock does not earn a fresh set of tries.
pub const FAILURE_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

/// How long the `failures`-th failure in the window locks for, if it locks.
pub fn lock_ms(failures: i64) -> Option<i64> {
    let extra = failures - LOCK_AFTER_FAILURES;
    if extra < 0 {
        return None;
    }
    // 2^4 minutes already exceeds the cap; the shift never grows past that.
    Some((FIRST_LOCK_MS << extra.min(4)).min(MAX_LOCK_MS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_failures_are_free_then_the_lock_doubles_up_to_fifteen_minutes() {
        assert_eq!(lock_ms(1), None);
        assert_eq!(lock_ms(4), None);
        assert_eq!(lock_ms(5), Some(60_000));
        assert_eq!(lock_ms(6), Some(120_000));
        assert_eq!(lock_ms(7), Some(240_000));
        assert_eq!(lock_ms(8), Some(480_000));
        assert_eq!(lock_ms(9), Some(MAX_LOCK_MS));
        assert_eq!(lock_ms(10_000), Some(MAX_LOCK_MS));
        assert_eq!(lock_ms(i64::MAX), Some(MAX_LOCK_MS));
    }
}
