//! One ticket write as a unit: the transaction, who acts and when, and the live events it
//! announces, published only once it commits. Every use case (`service::create`, `change`,
//! `comment`, `delete`, the files) runs in one: begin, load what is visible, apply, notify,
//! stage the event, commit.

use sqlx::AnyConnection;

use super::store::{self, TicketRow};
use crate::auth::actor::Actor;
use crate::error::AppResult;
use crate::events::{self, TicketChanged};
use crate::state::AppState;

pub struct Work<'a> {
    pub state: &'a AppState,
    pub actor: &'a Actor,
    /// The time of the whole change.
    pub now: i64,
    tx: sqlx::Transaction<'static, sqlx::Any>,
    events: Vec<TicketChanged>,
    /// Held while files this change moved into the store are not yet committed.
    blobs: Option<tokio::sync::RwLockReadGuard<'a, ()>>,
}

impl<'a> Work<'a> {
    pub async fn begin(state: &'a AppState, actor: &'a Actor) -> AppResult<Work<'a>> {
        Ok(Work {
            now: state.now(),
            tx: state.db.begin().await?,
            state,
            actor,
            events: Vec::new(),
            blobs: None,
        })
    }

    /// A ticket within the actor's reach (with its watchers), its row held until this work ends
    /// (see `store::lock`), or not found.
    pub async fn load(&mut self, id: i64) -> AppResult<(TicketRow, Vec<i64>)> {
        store::lock(&mut self.tx, self.state.db.backend, id).await?;
        super::service::load_visible(&mut self.tx, self.actor, id).await
    }

    /// The transaction's connection, for stores.
    pub fn conn(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    /// Announce `event` to open pages when this work commits (on PostgreSQL the NOTIFY is
    /// queued in the transaction now).
    pub async fn stage(&mut self, event: TicketChanged) -> AppResult<()> {
        events::stage(&mut self.tx, self.state.db.backend, &event).await?;
        self.events.push(event);
        Ok(())
    }

    /// Before moving files into the blob store: a removal of the same content waits for this
    /// work to end (see `storage::BlobGate`).
    pub async fn hold_blobs(&mut self) {
        let state: &'a AppState = self.state;
        if self.blobs.is_none() {
            self.blobs = Some(state.blob_gate.writing().await);
        }
    }

    /// Commit, then publish the staged events. Dropped without this, nothing happened.
    pub async fn commit(self) -> AppResult<()> {
        self.tx.commit().await?;
        self.state.events.committed(self.events);
        Ok(())
    }
}
