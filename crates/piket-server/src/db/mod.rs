//! The database handle: one `AnyPool` for SQLite or PostgreSQL, migrations, and the few things
//! that differ by backend (connection pragmas, backup, integrity check), each in one function.

pub mod fold;
pub mod scope;
pub mod settings;
pub mod sql;
pub mod turns;

use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// Errors from opening the database, worded for an operator reading a terminal.
#[derive(Debug)]
pub struct OpenError(pub String);

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How many connections the pool keeps when the configuration does not say (`cores`: this
/// machine's, from `std::thread::available_parallelism`).
///
/// SQLite: 8. It takes one writer at a time and its readers share the WAL; 2 or 4 measured the
/// same (bench/README.md). PostgreSQL: twice the cores, at least 4 and at most 32. Every
/// connection is a database process, and more of them busy than there are cores to run them
/// only makes each query wait longer: requests beyond the pool queue in the server, in order,
/// instead of being time-sliced by the kernel. On 2 cores, 16 connections against 4 moved the
/// p99 of a rare-word search from 12-13 ms to 8.6 ms at the same throughput (bench/README.md,
/// "Ninth session").
pub fn default_pool_size(backend: Backend, cores: usize) -> u32 {
    match backend {
        Backend::Sqlite => 8,
        Backend::Postgres => (2 * cores).clamp(4, 32) as u32,
    }
}

/// Whether a connection coming back to the pool may be handed out again: never while it is
/// still inside a transaction. A dropped transaction queues its `ROLLBACK`; flushing it (a
/// ping) normally ends the transaction. When the database had already rolled back on its own
/// (SQLite does so when the disk fills), that `ROLLBACK` fails and sqlx would keep counting the
/// transaction as open: every later `BEGIN` on that connection then failed ("begin_with at
/// non-zero transaction depth") until a restart. Such a connection is closed instead. Only
/// connections released inside a transaction pay for the check.
async fn release_outside_transaction(conn: &mut sqlx::AnyConnection) -> Result<bool, sqlx::Error> {
    use sqlx::Connection;
    if !conn.is_in_transaction() {
        return Ok(true);
    }
    conn.ping().await?;
    if conn.is_in_transaction() {
        tracing::warn!(
            "a connection was still inside a transaction after its rollback; closing it"
        );
        return Ok(false);
    }
    Ok(true)
}

impl Db {
    /// Connect and check the connection, failing fast (not hanging) when the server is away.
    /// `pool`: the pool's size, `None` for [`default_pool_size`].
    pub async fn connect(url: &str, pool: Option<u32>) -> Result<Db, OpenError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        let options: AnyConnectOptions = url
            .parse()
            .map_err(|e| OpenError(format!("invalid database URL: {e}")))?;
        // No ping before each checkout: on SQLite it is one more hand-off to the connection's
        // worker thread, on PostgreSQL one more network round trip, for every query a request
        // makes. A connection that died while idle fails its next query instead, and is dropped.
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let size = pool.unwrap_or_else(|| default_pool_size(backend, cores));
        let pool_options = AnyPoolOptions::new()
            .max_connections(size)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(3))
            .idle_timeout(Duration::from_secs(300))
            .after_release(|conn, _meta| Box::pin(release_outside_transaction(conn)));
        let pool_options = match backend {
            Backend::Sqlite => pool_options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                         PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;",
                    )
                    .await?;
                    Ok(())
                })
            }),
            // Prepared statements keep one generic plan. Left to choose, PostgreSQL re-plans the
            // ticket list (five joins) on every execution, because its generic cost comes out a
            // hair above the custom one: 1.5 ms of planning for 0.3 ms of work. Piket's
            // statements are keyed lookups and keyset walks whose plan does not hinge on the
            // values; search gets its plan choice from the statement's shape (`tickets::search`).
            // No parallel workers: starting them costs milliseconds, more than these statements
            // take, and under load the cores are busy with other requests anyway.
            Backend::Postgres => pool_options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    conn.execute(
                        "SET plan_cache_mode = force_generic_plan; \
                         SET max_parallel_workers_per_gather = 0",
                    )
                    .await?;
                    Ok(())
                })
            }),
        };
        let pool =
            tokio::time::timeout(Duration::from_secs(10), pool_options.connect_with(options))
                .await
                .map_err(|_| OpenError("timed out connecting to the database".into()))?
                .map_err(|e| OpenError(format!("cannot connect to the database: {e}")))?;
        Ok(Db { pool, backend })
    }

    pub async fn migrate(&self) -> Result<(), OpenError> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        // The name keys need folding once, right after the migration that made them; a
        // database that had it already is not read through again at every start.
        let keyed_before: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE version = $1")
                .bind(fold::KEYS_MIGRATION)
                .fetch_one(&self.pool)
                .await
                .unwrap_or(0);
        migrator
            .run(&self.pool)
            .await
            .map_err(|e| OpenError(format!("migration failed: {e}")))?;
        if keyed_before == 0 {
            let mut conn = self
                .pool
                .acquire()
                .await
                .map_err(|e| OpenError(format!("migration failed: {e}")))?;
            fold::refold_keys(&mut conn)
                .await
                .map_err(|e| OpenError(format!("cannot fill the name keys: {e}")))?;
        }
        self.drop_plan_samples()
            .await
            .map_err(|e| OpenError(format!("cannot clear plan samples: {e}")))
    }

    /// SQLite only: remove the value samples `ANALYZE` keeps in `sqlite_stat4` (the per-index
    /// summaries in `sqlite_stat1` stay). With samples present, SQLite re-prepares a statement
    /// every time it is bound to new values, in case a value changes the best plan: the
    /// ticket page spent a third of its time in SQLite's parser (3 200 pages a second with
    /// them, 4 500 without). Piket's statements are keyed lookups and keyset walks that do
    /// not need them. Run at start and after the seeder's `ANALYZE`.
    pub async fn drop_plan_samples(&self) -> Result<(), sqlx::Error> {
        if self.backend != Backend::Sqlite {
            return Ok(());
        }
        let has: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat4'",
        )
        .fetch_optional(&self.pool)
        .await?;
        if has.is_some() {
            sqlx::query("DELETE FROM sqlite_stat4")
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// A transaction for a change. On SQLite it is `BEGIN IMMEDIATE`: it takes the write lock
    /// first, so a transaction that reads and then writes waits its turn (busy timeout) instead
    /// of failing with SQLITE_BUSY when another write committed after its first read (a
    /// deferred transaction cannot upgrade a stale WAL snapshot). PostgreSQL's plain `BEGIN`
    /// has no such problem. Every service that changes data begins with this.
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// `SELECT 1` for readiness checks.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// SQLite's own integrity check; PostgreSQL keeps its own and answers "ok".
    pub async fn integrity_check(&self) -> Result<String, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => {
                sqlx::query_scalar::<_, String>("PRAGMA integrity_check")
                    .fetch_one(&self.pool)
                    .await
            }
            Backend::Postgres => Ok("ok".to_string()),
        }
    }

    /// A consistent online copy of a SQLite database (safe while the server writes).
    pub async fn backup_sqlite(&self, out: &std::path::Path) -> Result<(), OpenError> {
        if self.backend != Backend::Sqlite {
            return Err(OpenError(
                "this is a PostgreSQL database: back it up with pg_dump, e.g. \
                 `pg_dump --format=custom --file=piket.dump \"$PIKET_DATABASE_URL\"`; \
                 restore with pg_restore"
                    .into(),
            ));
        }
        if out.exists() {
            return Err(OpenError(format!("{} already exists", out.display())));
        }
        let target = out.to_string_lossy().to_string();
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(&self.pool)
            .await
            .map_err(|e| OpenError(format!("backup failed: {e}")))?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::{default_pool_size, Backend};

    #[test]
    fn postgres_pool_follows_the_cores_within_bounds() {
        assert_eq!(default_pool_size(Backend::Postgres, 1), 4);
        assert_eq!(default_pool_size(Backend::Postgres, 2), 4);
        assert_eq!(default_pool_size(Backend::Postgres, 6), 12);
        assert_eq!(default_pool_size(Backend::Postgres, 64), 32);
        assert_eq!(default_pool_size(Backend::Sqlite, 64), 8);
    }

    /// Both backends must carry the same migration versions, or one of them drifts.
    #[test]
    fn migration_folders_have_the_same_versions() {
        let names = |dir: &str| {
            let mut v: Vec<String> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
                .collect();
            v.sort();
            v
        };
        let base = env!("CARGO_MANIFEST_DIR");
        let sqlite = names(&format!("{base}/migrations/sqlite"));
        let postgres = names(&format!("{base}/migrations/postgres"));
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, postgres);
    }

    /// The bundled SQLite carries the build flags of `.cargo/config.toml`. A build that lost them
    /// still works, only slower: without QPSG every statement with a bound `LIMIT` is parsed
    /// and planned again on each execution, and the two global mutexes come back.
    #[tokio::test]
    async fn the_bundled_sqlite_has_the_build_flags_piket_relies_on() {
        let db = super::Db::connect("sqlite::memory:", None).await.unwrap();
        let options: Vec<String> =
            sqlx::query_scalar("SELECT compile_options FROM pragma_compile_options")
                .fetch_all(&db.pool)
                .await
                .unwrap();
        let has = |o: &str| options.iter().any(|x| x == o);
        assert!(has("ENABLE_QPSG"), "{options:?}");
        assert!(has("DEFAULT_MEMSTATUS=0"), "{options:?}");
        assert!(!has("ENABLE_MEMORY_MANAGEMENT"), "{options:?}");
    }
}
