//! Rules for the hardware assets a ticket is about: requesters may link only devices they own,
//! staff only assets within their inventory reach (`inventory::service::visible`); links already
//! on the ticket may stay even when out of the editor's reach. Every change is in the ticket's
//! history and the audit log. An asset's tickets are listed within the viewer's ticket scope.

use std::collections::BTreeSet;

use sqlx::AnyConnection;

use super::history::{self, Entry};
use super::{asset_store, LinkedAsset, TicketSummary};
use crate::audit::{self, Change};
use crate::auth::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::validate::Check;

/// Links per ticket.
pub const MAX_ASSETS: usize = 20;
/// Tickets an asset's page and endpoint list (newest first).
pub const ASSET_TICKETS: i64 = 50;

/// The requested ids, deduplicated and sorted, each one the actor may link (or already linked).
pub async fn check(
    c: &mut Check,
    conn: &mut AnyConnection,
    actor: &Actor,
    ids: &[i64],
    already: &[i64],
) -> AppResult<Vec<i64>> {
    let set: BTreeSet<i64> = ids.iter().copied().collect();
    if set.len() > MAX_ASSETS {
        c.fail("asset_ids", format!("at most {MAX_ASSETS} assets"));
        return Ok(Vec::new());
    }
    for id in &set {
        if already.contains(id) {
            continue;
        }
        match crate::inventory::service::visible(conn, actor, *id).await {
            Ok(_) => {}
            Err(AppError::NotFound) => {
                c.fail("asset_ids", "includes an asset you may not link");
                break;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(set.into_iter().collect())
}

fn label(assets: &[LinkedAsset]) -> String {
    assets
        .iter()
        .map(|a| format!("#{} {}", a.id, a.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Make the ticket's links `ids` (already checked); the history entry it makes, if any changed.
/// The change is audited here.
pub async fn set(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket_id: i64,
    ids: &[i64],
    now: i64,
) -> AppResult<Option<Entry<'static>>> {
    let old = asset_store::of_ticket(conn, ticket_id).await?;
    let old_ids: Vec<i64> = old.iter().map(|a| a.id).collect();
    if old_ids == ids {
        return Ok(None);
    }
    asset_store::replace(conn, ticket_id, &old_ids, ids, now).await?;
    let new = asset_store::of_ticket(conn, ticket_id).await?;
    let change = Change {
        action: "ticket.assets",
        object_kind: "ticket",
        object_id: Some(ticket_id),
        before: Some(serde_json::json!({ "asset_ids": old_ids })),
        after: Some(serde_json::json!({ "asset_ids": ids })),
    };
    audit::record(conn, now, actor, change).await?;
    Ok(Some(Entry {
        field: "assets",
        old: Some(label(&old)).filter(|s| !s.is_empty()),
        new: Some(label(&new)).filter(|s| !s.is_empty()),
        internal: false,
    }))
}

/// [`set`] with its history entry written.
pub async fn set_and_record(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket_id: i64,
    ids: &[i64],
    now: i64,
) -> AppResult<()> {
    if let Some(entry) = set(conn, actor, ticket_id, ids, now).await? {
        history::record(conn, ticket_id, actor, entry, now).await?;
    }
    Ok(())
}

/// The newest tickets referencing an asset the actor may read, within their ticket scope.
pub async fn tickets_of(
    state: &AppState,
    actor: &Actor,
    asset_id: i64,
) -> AppResult<Vec<TicketSummary>> {
    let now = state.now();
    let mut conn = state.db.pool.acquire().await?;
    crate::inventory::service::visible(&mut conn, actor, asset_id).await?;
    let rows = asset_store::tickets_of(&mut conn, actor, asset_id, ASSET_TICKETS).await?;
    Ok(rows.into_iter().map(|r| r.summary(now)).collect())
}
