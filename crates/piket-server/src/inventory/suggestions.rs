//! Merge suggestions: a report that looked like an existing asset but was not allowed to write
//! to it made a new asset instead (see `ingest::place`). People with `inventory.write` who reach
//! both assets see the suggestion on either asset's page; merging either way or dismissing it
//! makes it go (a merge deletes the duplicate, and its suggestions with it).

use serde::Serialize;

use super::{merge_store, service};
use crate::audit::{self, Change};
use crate::auth::actor::Actor;
use crate::clock::format_ms;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// One suggestion as the asset page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    pub id: i64,
    /// The asset the report created.
    pub asset_id: i64,
    pub asset_name: String,
    /// The existing asset it looks like.
    pub other_id: i64,
    pub other_name: String,
    /// `serial`, `hostname` or `agent`.
    pub reason: String,
    /// Who reported.
    pub source: String,
    pub created_at: String,
}

/// The suggestions that involve asset `id`, for someone who may merge them.
pub async fn of_asset(state: &AppState, actor: &Actor, id: i64) -> AppResult<Vec<Suggestion>> {
    if !actor.can("inventory.write") {
        return Ok(Vec::new());
    }
    let mut conn = state.db.pool.acquire().await?;
    service::visible(&mut conn, actor, id).await?;
    let rows = merge_store::suggestions_of(&mut conn, id).await?;
    let mut out = Vec::new();
    for r in rows {
        let other = if r.asset_id == id {
            r.other_id
        } else {
            r.asset_id
        };
        match service::visible(&mut conn, actor, other).await {
            Ok(_) => {}
            Err(AppError::NotFound) => continue,
            Err(e) => return Err(e),
        }
        out.push(Suggestion {
            id: r.id,
            asset_id: r.asset_id,
            asset_name: r.asset_name,
            other_id: r.other_id,
            other_name: r.other_name,
            reason: r.reason,
            source: r.source,
            created_at: format_ms(r.created_at),
        });
    }
    Ok(out)
}

/// Dismiss suggestion `sid` shown on asset `id`'s page: the two stay apart.
pub async fn dismiss(state: &AppState, actor: &Actor, id: i64, sid: i64) -> AppResult<()> {
    actor.require("inventory.write")?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let row = merge_store::suggestion(&mut tx, sid)
        .await?
        .filter(|r| r.asset_id == id || r.other_id == id)
        .ok_or(AppError::NotFound)?;
    service::visible(&mut tx, actor, row.asset_id).await?;
    service::visible(&mut tx, actor, row.other_id).await?;
    merge_store::delete_suggestion(&mut tx, sid).await?;
    let change = Change {
        action: "hardware.merge_dismissed",
        object_kind: "hardware",
        object_id: Some(row.asset_id),
        before: Some(serde_json::json!({
            "asset_id": row.asset_id, "other_id": row.other_id, "reason": row.reason,
        })),
        after: None,
    };
    audit::record(&mut tx, now, actor, change).await?;
    tx.commit().await?;
    Ok(())
}
