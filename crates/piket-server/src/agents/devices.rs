//! Enrolled agent devices: listed for admins, revoked one by one (its reports then get 401).

use super::store::{self, DeviceRow};
use super::AgentDevice;
use crate::audit::{self, to_json, Change};
use crate::auth::actor::Actor;
use crate::clock::format_ms;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub fn view(d: &DeviceRow) -> AgentDevice {
    AgentDevice {
        id: d.id,
        device_id: d.device_key.clone(),
        asset_id: d.asset_id,
        asset_name: d.asset_name.clone(),
        token_id: d.token_id,
        agent_version: d.agent_version.clone(),
        enrolled_at: format_ms(d.enrolled_at),
        last_seen_at: d.last_seen_at.map(format_ms),
        revoked_at: d.revoked_at.map(format_ms),
    }
}

pub async fn list(state: &AppState, actor: &Actor) -> AppResult<Vec<AgentDevice>> {
    actor.require("settings.manage")?;
    let mut conn = state.db.pool.acquire().await?;
    Ok(store::list_devices(&mut conn, 1000)
        .await?
        .iter()
        .map(view)
        .collect())
}

pub async fn revoke(state: &AppState, actor: &Actor, id: i64) -> AppResult<AgentDevice> {
    actor.require("settings.manage")?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let before = store::device(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    store::revoke_device(&mut tx, id, now).await?;
    let after = store::device(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let change = Change {
        action: "agent.device_revoke",
        object_kind: "agent_device",
        object_id: Some(id),
        before: to_json(&view(&before)),
        after: to_json(&view(&after)),
    };
    audit::record(&mut tx, now, actor, change).await?;
    tx.commit().await?;
    Ok(view(&after))
}

/// An enrolled, unrevoked device named by its public key (`dev_…`): its row id, asset and
/// asset name. The key is not a secret (admins see it); callers use it only as a claim.
pub async fn active_by_key(
    conn: &mut sqlx::AnyConnection,
    key: &str,
) -> AppResult<Option<(i64, i64, String)>> {
    Ok(store::device_by_key(conn, key)
        .await?
        .filter(|d| d.revoked_at.is_none())
        .map(|d| (d.id, d.asset_id, d.asset_name)))
}

/// The asset of an unrevoked device, by row id.
pub async fn active_asset(conn: &mut sqlx::AnyConnection, id: i64) -> AppResult<Option<i64>> {
    Ok(store::device(conn, id)
        .await?
        .filter(|d| d.revoked_at.is_none())
        .map(|d| d.asset_id))
}
