//! Live updates: a ticket change is announced to every open page (server-sent events).
//!
//! On PostgreSQL the announcement is a `NOTIFY` sent inside the change's own transaction, so it
//! goes out only if the change commits, and it reaches every node (each node `LISTEN`s and hands
//! what it hears to its local subscribers). On SQLite there is one node: the announcement goes
//! to this process's subscribers right after commit. This module is the only place that knows
//! the difference; services call [`stage`] before and [`Events::committed`] after commit.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use tokio::sync::broadcast;

use crate::auth::actor::Actor;
use crate::db::Backend;
use crate::error::AppResult;
use crate::notifications::unread::UnreadCounts;

/// The PostgreSQL channel every node listens on.
pub const CHANNEL: &str = "piket_events";
/// Watchers carried in an event (NOTIFY payloads are limited to 8000 bytes).
const MAX_WATCHERS: usize = 200;

/// A ticket changed: enough to decide, without a query, who may hear of it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TicketChanged {
    pub ticket: i64,
    pub department: Option<i64>,
    pub requester: i64,
    pub assignee: Option<i64>,
    pub watchers: Vec<i64>,
    /// Who changed it (pages ignore their own changes).
    pub actor: i64,
    /// Only an internal note (or its files) changed: requesters are not told, not even that
    /// something happened.
    #[serde(default)]
    pub staff_only: bool,
}

impl TicketChanged {
    pub fn new(row: &crate::tickets::TicketRow, watchers: &[i64], actor: &Actor) -> TicketChanged {
        TicketChanged {
            ticket: row.id,
            department: row.department_id,
            requester: row.requester_id,
            assignee: row.assignee_id,
            watchers: watchers.iter().copied().take(MAX_WATCHERS).collect(),
            actor: actor.user_id,
            staff_only: false,
        }
    }

    /// The same event, told only to staff when `internal`.
    pub fn internal(self, internal: bool) -> TicketChanged {
        TicketChanged {
            staff_only: internal,
            ..self
        }
    }

    /// The ticket visibility rule (`tickets::policy`), on the event's own fields; staff only for
    /// an internal change.
    pub fn visible_to(&self, actor: &Actor) -> bool {
        (!self.staff_only || crate::tickets::policy::is_staff(actor))
            && crate::tickets::policy::sees_parts(
                actor,
                self.department,
                self.requester,
                self.assignee,
                &self.watchers,
            )
    }
}

/// This node's subscribers.
pub struct Events {
    backend: Backend,
    sender: broadcast::Sender<TicketChanged>,
    /// Unread counts, forgotten on every ticket change (a change may have notified someone).
    unread: Arc<UnreadCounts>,
}

impl Events {
    pub fn new(backend: Backend, unread: Arc<UnreadCounts>) -> Events {
        Events {
            backend,
            sender: broadcast::channel(1024).0,
            unread,
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<TicketChanged> {
        self.sender.subscribe()
    }

    /// Hand an event to this node's subscribers (nobody listening is fine).
    pub fn deliver(&self, event: TicketChanged) {
        self.unread.forget_all();
        let _ = self.sender.send(event);
    }

    /// After commit: on SQLite deliver now; on PostgreSQL the listener delivers the NOTIFY
    /// (this node's unread counts are forgotten now, and again when it arrives).
    pub fn committed(&self, events: Vec<TicketChanged>) {
        self.unread.forget_all();
        if self.backend == Backend::Sqlite {
            events.into_iter().for_each(|e| self.deliver(e));
        }
    }
}

/// Inside the change's transaction: on PostgreSQL, queue the NOTIFY that commit will send.
pub async fn stage(
    conn: &mut AnyConnection,
    backend: Backend,
    event: &TicketChanged,
) -> AppResult<()> {
    if backend == Backend::Postgres {
        let payload = serde_json::to_string(event).unwrap_or_default();
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(payload)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// PostgreSQL only: start listening for every node's events (this one's included) and hand them
/// to local subscribers until shutdown. The first `LISTEN` is in place when this returns, so no
/// change committed afterwards is missed; after a lost connection it reconnects every 2 s (events
/// in between are lost: pages then miss one refresh). Payloads that do not parse are dropped.
pub async fn spawn_listener(
    app: crate::state::AppState,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    if app.db.backend != Backend::Postgres {
        return tokio::spawn(async {});
    }
    let mut first = match connect(&app).await {
        Ok(l) => Some(l),
        Err(e) => {
            tracing::warn!(error = %e, "event listener: cannot listen yet; retrying");
            None
        }
    };
    tokio::spawn(async move {
        loop {
            let listener = match first.take() {
                Some(l) => Ok(l),
                None => connect(&app).await,
            };
            let result = match listener {
                Ok(l) => receive(&app, l, &mut shutdown).await,
                Err(e) => Err(e),
            };
            match result {
                Ok(()) => return,
                Err(e) => tracing::warn!(error = %e, "event listener; retrying in 2 s"),
            }
            tokio::select! {
                _ = tokio::time::sleep(std::time::Duration::from_secs(2)) => {}
                _ = shutdown.changed() => return,
            }
        }
    })
}

async fn connect(app: &crate::state::AppState) -> Result<sqlx::postgres::PgListener, sqlx::Error> {
    let mut listener = sqlx::postgres::PgListener::connect(&app.config.database_url).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

async fn receive(
    app: &crate::state::AppState,
    mut listener: sqlx::postgres::PgListener,
    shutdown: &mut tokio::sync::watch::Receiver<bool>,
) -> Result<(), sqlx::Error> {
    loop {
        tokio::select! {
            n = listener.recv() => {
                if let Ok(event) = serde_json::from_str::<TicketChanged>(n?.payload()) {
                    app.events.deliver(event);
                }
            }
            _ = shutdown.changed() => return Ok(()),
        }
    }
}
