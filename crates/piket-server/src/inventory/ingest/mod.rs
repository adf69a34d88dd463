//! Reports from agents (piket-agent, FusionInventory/OCS, GLPI agents) applied to the hardware
//! registry. A report finds its asset by the identity it came under; a serial or hostname match
//! is adopted only as far as the report's credentials reach (`place`), else the report creates
//! an asset and leaves a merge suggestion. A report whose fingerprint matches the last one
//! applied changes nothing but the time it was seen.

pub mod map;
pub mod place;
pub(super) mod store;

use piket_protocol::Inventory;
use sqlx::AnyConnection;

pub use place::{Placement, TokenScope, Trust};

use super::history::Source;
use super::software::store as software_store;
use super::store::{self as asset_store, Record};
use crate::audit::{self, Change};
use crate::auth::actor::{Actor, Via};
use crate::db::turns::{self, Turn};
use crate::db::Backend;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Where a report came from.
#[derive(Debug, Clone)]
pub struct Origin {
    /// `piket`, `fusioninventory` or `glpi`: also the kind of its identity.
    pub kind: &'static str,
    /// The identity the report came under (device key, DEVICEID, GLPI agent id), if any.
    pub identity: Option<String>,
    /// The asset this sender is bound to already (an enrolled piket-agent), if any.
    pub asset: Option<i64>,
    /// Department of an asset this report creates.
    pub department_id: Option<i64>,
    /// Who vouches for the report: decides which existing asset it may write to.
    pub trust: Trust,
    /// Who the history and audit log name, e.g. `piket-agent dev_ab12`.
    pub label: String,
    pub ip: String,
}

/// What a report did.
#[derive(Debug, Clone, PartialEq)]
pub struct Ingested {
    pub asset_id: i64,
    /// A new asset was created.
    pub created: bool,
    /// Anything was written besides the time the report was seen.
    pub changed: bool,
    pub fingerprint: String,
}

/// Apply one report in its own transaction.
pub async fn ingest(state: &AppState, origin: &Origin, inv: &Inventory) -> AppResult<Ingested> {
    let now = state.now();
    let fingerprint = inv.fingerprint();
    // A sender bound to its asset that repeats its last report: one UPDATE, no write transaction.
    if let Some(asset) = origin.asset {
        let mut conn = state.db.pool.acquire().await?;
        if store::touch_if_same(&mut conn, asset, origin.kind, &fingerprint, now).await? {
            return Ok(Ingested {
                asset_id: asset,
                created: false,
                changed: false,
                fingerprint,
            });
        }
    }
    let mut tx = state.db.begin().await?;
    let out = apply(&mut tx, state.db.backend, now, origin, inv, fingerprint).await?;
    tx.commit().await?;
    Ok(out)
}

/// Apply one report inside the caller's transaction.
pub async fn apply(
    conn: &mut AnyConnection,
    backend: Backend,
    now: i64,
    origin: &Origin,
    inv: &Inventory,
    fingerprint: String,
) -> AppResult<Ingested> {
    let mut placed = place::place(conn, origin, inv).await?;
    if placed.asset.is_none() {
        // A new asset: reports that would create one take turns, and look again once it is
        // this one's turn, because a retry of the same agent may just have created it.
        turns::take(conn, backend, Turn::NewAsset).await?;
        placed = place::place(conn, origin, inv).await?;
    }
    if placed.binds_token {
        bind_token(conn, origin, now).await?;
    }
    let found = placed.asset;
    if let Some(id) = found {
        if store::touch_if_same(conn, id, origin.kind, &fingerprint, now).await? {
            remember(conn, origin, id, now).await?;
            return Ok(Ingested {
                asset_id: id,
                created: false,
                changed: false,
                fingerprint,
            });
        }
    }
    let before = match found {
        Some(id) => Some(
            asset_store::get(conn, id)
                .await?
                .ok_or(AppError::NotFound)?,
        ),
        None => None,
    };
    let (record, unchanged_fields) = match &before {
        Some(b) => {
            let stored = Record::of(b, asset_store::credential(conn, b.id).await?);
            let mut record = stored.clone();
            map::apply(&mut record, inv);
            let same = record == stored;
            (record, same)
        }
        None => (map::new_record(inv, origin.department_id), false),
    };
    let actor = Actor {
        name: origin.label.clone(),
        ip: origin.ip.clone(),
        via: Via::System,
        ..Actor::system()
    };
    let source = Source {
        kind: "agent",
        actor_id: None,
        label: origin.label.clone(),
    };
    let asset_id = match (&before, unchanged_fields) {
        (Some(b), true) => b.id,
        _ => {
            super::service::write(conn, now, &actor, &source, before.as_ref(), &record)
                .await?
                .id
        }
    };
    if let (None, Some(resembles)) = (&before, placed.resembles) {
        suggest(conn, now, &actor, asset_id, resembles).await?;
    }
    let items = map::software(&inv.software);
    let diff = software_store::replace_installations(conn, asset_id, &items, now, &source).await?;
    let json = serde_json::to_string(inv).unwrap_or_default();
    store::save_report(conn, asset_id, origin.kind, &fingerprint, &json, now).await?;
    remember(conn, origin, asset_id, now).await?;
    Ok(Ingested {
        asset_id,
        created: before.is_none(),
        changed: !unchanged_fields || !diff.added.is_empty() || !diff.removed.is_empty(),
        fingerprint,
    })
}

/// Count the binding of a new identity to its token as one use of it; a used-up token binds none.
async fn bind_token(conn: &mut AnyConnection, origin: &Origin, now: i64) -> AppResult<()> {
    let Trust::Token(t) = &origin.trust else {
        return Ok(());
    };
    match crate::agents::tokens::use_once(conn, t.id, now).await? {
        true => Ok(()),
        false => Err(AppError::Unauthorized),
    }
}

/// Leave an admin the suggestion that the new asset `asset` is the machine `other` is, audited.
pub async fn suggest(
    conn: &mut AnyConnection,
    now: i64,
    actor: &Actor,
    asset: i64,
    (other, reason): (i64, &'static str),
) -> AppResult<()> {
    store::suggest_merge(conn, asset, other, reason, &actor.name, now).await?;
    let change = Change {
        action: "hardware.merge_suggested",
        object_kind: "hardware",
        object_id: Some(asset),
        before: None,
        after: Some(serde_json::json!({ "asset_id": asset, "other_id": other, "reason": reason })),
    };
    audit::record(conn, now, actor, change).await
}

async fn remember(
    conn: &mut AnyConnection,
    origin: &Origin,
    asset: i64,
    now: i64,
) -> AppResult<()> {
    let token = match &origin.trust {
        Trust::Token(t) => Some(t.id),
        _ => None,
    };
    match &origin.identity {
        Some(identity) => {
            store::remember_identity(conn, origin.kind, identity, asset, token, now).await
        }
        None => Ok(()),
    }
}

/// Whether `fingerprint` is what `source` last reported for `asset` (an unchanged report).
pub async fn is_last_report(
    conn: &mut AnyConnection,
    asset: i64,
    source: &str,
    fingerprint: &str,
) -> AppResult<bool> {
    store::is_last(conn, asset, source, fingerprint).await
}

/// Remembers that identity `kind`/`value` is `asset` (enrolled with `token`).
pub async fn remember_identity(
    conn: &mut AnyConnection,
    kind: &str,
    value: &str,
    asset: i64,
    token: Option<i64>,
    now: i64,
) -> AppResult<()> {
    store::remember_identity(conn, kind, value, asset, token, now).await
}
