//! Taking turns inside a transaction, for changes that read and then write on what they read.
//!
//! SQLite needs nothing: `Db::begin` (`BEGIN IMMEDIATE`) already runs writers one at a time.
//! PostgreSQL's read-committed transactions would each act on what they read ("no main device
//! yet", "no asset for this machine") and both write; a transaction-scoped advisory lock on the
//! same key makes the second wait until the first has committed, and its next statement then
//! sees what the first wrote.

use sqlx::AnyConnection;

use super::Backend;
use crate::error::AppResult;

/// What a transaction takes its turn on.
#[derive(Clone, Copy, Debug)]
pub enum Turn {
    /// A collector report for this user (its rate count and main device).
    CollectorUser(i64),
    /// Creating an asset from an agent's report or an enrollment (rare, so one turn for all).
    NewAsset,
}

impl Turn {
    /// The advisory lock key: the kind in the high 32 bits, the id in the low ones (two ids
    /// that share a key only wait for each other).
    fn key(self) -> i64 {
        let (kind, id) = match self {
            Turn::CollectorUser(user) => (1_i64, user),
            Turn::NewAsset => (2, 0),
        };
        (kind << 32) | (id & 0xffff_ffff)
    }
}

/// Wait for `turn` until the transaction on `conn` ends (PostgreSQL only).
pub async fn take(conn: &mut AnyConnection, backend: Backend, turn: Turn) -> AppResult<()> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT 1 FROM pg_advisory_xact_lock($1)")
            .bind(turn.key())
            .execute(conn)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Turn;

    #[test]
    fn kinds_and_ids_get_their_own_keys() {
        assert_ne!(Turn::CollectorUser(1).key(), Turn::CollectorUser(2).key());
        assert_ne!(Turn::CollectorUser(0).key(), Turn::NewAsset.key());
        assert_eq!(Turn::CollectorUser(7).key(), Turn::CollectorUser(7).key());
    }
}
