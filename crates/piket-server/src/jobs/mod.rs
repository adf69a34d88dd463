//! The durable job scheduler: periodic jobs kept in the `jobs` table, claimed by one node at a
//! time with a lease re-checked in the UPDATE's own WHERE clause (as the outbox does), run, and
//! rescheduled. A node that dies mid-run lets the lease expire and another node runs the job.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use sqlx::AnyConnection;

use crate::error::AppResult;
use crate::state::AppState;

/// How long a claimed run may take before another node may take the job over.
const LEASE_MS: i64 = 5 * 60_000;
/// How often a node looks for due jobs.
const POLL: Duration = Duration::from_secs(5);

pub type JobFuture = Pin<Box<dyn Future<Output = AppResult<()>> + Send>>;

/// A periodic job: its name (the row's key), its period, and its work given `now`. Domains
/// offer the work; the assembly (`crate::periodic_jobs`) lists the jobs.
pub struct Job {
    pub name: &'static str,
    pub every_ms: i64,
    pub work: fn(AppState, i64) -> JobFuture,
}

/// A job's row, for the admin page.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct JobRow {
    pub name: String,
    pub next_run_at: i64,
    pub locked_until: Option<i64>,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub last_run_at: Option<i64>,
}

pub async fn rows(conn: &mut AnyConnection) -> AppResult<Vec<JobRow>> {
    Ok(sqlx::query_as(
        "SELECT name, next_run_at, locked_until, attempts, last_error, last_run_at FROM jobs ORDER BY name",
    )
    .fetch_all(conn)
    .await?)
}

async fn ensure(conn: &mut AnyConnection, name: &str, now: i64) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO jobs (name, next_run_at, attempts) VALUES ($1, $2, 0) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Take the job if it is due and nobody holds it; the lease (`now + LEASE_MS`) is our token.
async fn claim(conn: &mut AnyConnection, name: &str, now: i64) -> AppResult<Option<i64>> {
    let lease = now + LEASE_MS;
    let claimed = sqlx::query(
        "UPDATE jobs SET locked_until = $2, attempts = attempts + 1 \
         WHERE name = $1 AND next_run_at <= $3 AND (locked_until IS NULL OR locked_until < $3)",
    )
    .bind(name)
    .bind(lease)
    .bind(now)
    .execute(conn)
    .await?;
    Ok((claimed.rows_affected() == 1).then_some(lease))
}

/// Record the run and schedule the next one, if the lease is still ours.
async fn finish(
    conn: &mut AnyConnection,
    job: &Job,
    lease: i64,
    started: i64,
    result: &AppResult<()>,
) -> AppResult<()> {
    let next = started + job.every_ms;
    match result {
        Ok(()) => {
            sqlx::query(
                "UPDATE jobs SET next_run_at = $3, locked_until = NULL, attempts = 0, last_error = NULL, \
                 last_run_at = $4 WHERE name = $1 AND locked_until = $2",
            )
            .bind(job.name)
            .bind(lease)
            .bind(next)
            .bind(started)
            .execute(conn)
            .await?;
        }
        Err(e) => {
            tracing::warn!(job = job.name, error = %e, "job failed; retrying next period");
            sqlx::query(
                "UPDATE jobs SET next_run_at = $3, locked_until = NULL, last_error = $4, last_run_at = $5 \
                 WHERE name = $1 AND locked_until = $2",
            )
            .bind(job.name)
            .bind(lease)
            .bind(next)
            .bind(e.to_string())
            .bind(started)
            .execute(conn)
            .await?;
        }
    }
    Ok(())
}

/// Run every job of `jobs` that is due now and not held by another node; returns how many ran.
pub async fn run_due(state: &AppState, jobs: &[Job]) -> AppResult<usize> {
    let mut ran = 0;
    for job in jobs {
        let now = state.now();
        let lease = {
            let mut conn = state.db.pool.acquire().await?;
            ensure(&mut conn, job.name, now).await?;
            claim(&mut conn, job.name, now).await?
        };
        let Some(lease) = lease else { continue };
        let result = (job.work)(state.clone(), now).await;
        let mut conn = state.db.pool.acquire().await?;
        finish(&mut conn, job, lease, now, &result).await?;
        ran += 1;
    }
    Ok(ran)
}

/// The background worker: runs due jobs until the shutdown signal.
pub async fn run(
    state: AppState,
    jobs: Vec<Job>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        if let Err(e) = run_due(&state, &jobs).await {
            tracing::warn!(error = %e, "job scheduler");
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = shutdown.changed() => return,
        }
    }
}
