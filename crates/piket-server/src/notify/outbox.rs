//! The outbox table and its worker: claim a due message, deliver it, mark it sent or back off.
//!
//! A row is written in the same transaction as the change that causes it. Claiming uses a lease
//! (`locked_until`) checked again in the UPDATE's own WHERE clause, so two nodes never claim the
//! same row; a node that dies mid-send lets the lease expire and another node retries.

use std::sync::Arc;
use std::time::Duration;

use sqlx::AnyConnection;

use super::mail::Mailer;
use crate::error::AppResult;
use crate::state::AppState;

const LEASE_MS: i64 = 60_000;
const MAX_ATTEMPTS: i64 = 12;

pub async fn enqueue_email(
    conn: &mut AnyConnection,
    to: &str,
    subject: &str,
    body: &str,
    now: i64,
) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO outbox (channel, recipient, subject, body, created_at, next_attempt_at) VALUES ('email', $1, $2, $3, $4, $4) RETURNING id",
    )
    .bind(to)
    .bind(subject)
    .bind(body)
    .bind(now)
    .fetch_one(conn)
    .await?)
}

/// An email about a ticket: it carries the ticket's threading headers (`mail::thread`), and
/// its Message-ID is made from the row's id when it is sent.
pub async fn enqueue_ticket_email(
    conn: &mut AnyConnection,
    to: &str,
    subject: &str,
    body: &str,
    ticket_id: i64,
    headers: &str,
    now: i64,
) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO outbox (channel, recipient, subject, body, created_at, next_attempt_at, ticket_id, headers) \
         VALUES ('email', $1, $2, $3, $4, $4, $5, $6) RETURNING id",
    )
    .bind(to)
    .bind(subject)
    .bind(body)
    .bind(now)
    .bind(ticket_id)
    .bind(headers)
    .fetch_one(conn)
    .await?)
}

/// Replace the threading headers of the unsent email about `ticket_id` (the mail that opened
/// the ticket is known only once the ticket exists, after its receipt was queued).
pub async fn set_unsent_headers(
    conn: &mut AnyConnection,
    ticket_id: i64,
    headers: &str,
) -> AppResult<()> {
    sqlx::query("UPDATE outbox SET headers = $1 WHERE ticket_id = $2 AND sent_at IS NULL")
        .bind(headers)
        .bind(ticket_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The threading headers (JSON) kept with an outbox message.
pub async fn headers_of(conn: &mut AnyConnection, id: i64) -> AppResult<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT headers FROM outbox WHERE id = $1")
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

#[derive(sqlx::FromRow, Debug)]
pub struct Message {
    pub id: i64,
    pub channel: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub attempts: i64,
    /// The ticket an email is about, and its threading headers (JSON), if any.
    pub ticket_id: Option<i64>,
    pub headers: String,
}

async fn claim(state: &AppState, now: i64) -> AppResult<Option<Message>> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(sqlx::query_as(
        "UPDATE outbox SET locked_until = $1, attempts = attempts + 1 \
         WHERE id = (SELECT id FROM outbox WHERE sent_at IS NULL AND attempts < $3 AND next_attempt_at <= $2 \
                     AND (locked_until IS NULL OR locked_until < $2) ORDER BY id LIMIT 1) \
           AND sent_at IS NULL AND (locked_until IS NULL OR locked_until < $2) \
         RETURNING id, channel, recipient, subject, body, attempts, ticket_id, headers",
    )
    .bind(now + LEASE_MS)
    .bind(now)
    .bind(MAX_ATTEMPTS)
    .fetch_optional(&mut *conn)
    .await?)
}

async fn finish(
    state: &AppState,
    id: i64,
    result: Result<(), String>,
    attempts: i64,
) -> AppResult<()> {
    let now = state.now();
    let mut conn = state.db.pool.acquire().await?;
    match result {
        Ok(()) => {
            sqlx::query("UPDATE outbox SET sent_at = $1, locked_until = NULL, last_error = NULL WHERE id = $2")
                .bind(now)
                .bind(id)
                .execute(&mut *conn)
                .await?;
        }
        Err(error) => {
            // 30 s, 1 min, 2 min, ... capped at 1 h.
            let backoff = (30_000i64 << (attempts - 1).clamp(0, 7)).min(3_600_000);
            tracing::warn!(id, attempts, %error, "outbox delivery failed; will retry");
            sqlx::query("UPDATE outbox SET next_attempt_at = $1, locked_until = NULL, last_error = $2 WHERE id = $3")
                .bind(now + backoff)
                .bind(error)
                .bind(id)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

/// Deliver everything that is due now; returns how many messages were attempted.
pub async fn drain(state: &AppState, mailer: &Mailer) -> AppResult<usize> {
    let mut n = 0;
    while let Some(msg) = claim(state, state.now()).await? {
        n += 1;
        let result = match msg.channel.as_str() {
            "email" => mailer.send(&msg, state.secrets.signing_key()).await,
            other => Err(format!("unknown channel {other}")),
        };
        finish(state, msg.id, result, msg.attempts).await?;
    }
    Ok(n)
}

/// The background worker: polls the outbox until the shutdown signal.
pub async fn run(
    state: AppState,
    mailer: Arc<Mailer>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        if let Err(e) = drain(&state, &mailer).await {
            tracing::warn!(error = %e, "outbox worker");
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// Pending (unsent) message count, for the admin UI and metrics.
pub async fn pending(state: &AppState) -> AppResult<i64> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL")
            .fetch_one(&mut *conn)
            .await?,
    )
}
