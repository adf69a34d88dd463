//! Rules for the organisation's settings: everyone reads the time zone (every page shows times in
//! it); only `settings.manage` changes it, and the change is audited.

use std::sync::Arc;

use super::{store, ZoneCache};
use crate::audit::{self, Change};
use crate::auth::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::local_time::Zone;
use crate::state::AppState;

/// The organisation's time zone as set, and what it falls back to when not set.
pub struct TimeZoneSetting {
    /// The zone an admin chose, if any.
    pub chosen: Option<String>,
    /// The zone in force: the chosen one, else the SLA calendar's offset.
    pub effective: Zone,
}

/// The zone pages use for anyone who has not chosen their own (cached briefly; see `refcache`).
pub async fn time_zone(state: &AppState) -> AppResult<Arc<Zone>> {
    let cache = state.parts.get::<ZoneCache>();
    let now = state.now();
    let generation = match cache.0.get(now) {
        Ok(zone) => return Ok(zone),
        Err(generation) => generation,
    };
    let zone = Arc::new(load(state).await?.effective);
    cache.0.put(zone.clone(), now, generation);
    Ok(zone)
}

/// The zone `actor` reads times in: their own if they chose one, else the organisation's (UTC if
/// even that cannot be read: a page never fails over its clock).
pub async fn reader_zone(state: &AppState, actor: Option<&Actor>) -> Arc<Zone> {
    let own = actor
        .and_then(|a| a.time_zone.as_deref())
        .filter(|name| !name.is_empty())
        .and_then(Zone::parse);
    if let Some(zone) = own {
        return Arc::new(zone);
    }
    time_zone(state).await.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "organisation time zone unreadable; showing UTC");
        Arc::new(Zone::utc())
    })
}

/// Forget the cached zone (after this setting or the SLA calendar changed on this node).
pub fn forget_zone(state: &AppState) {
    state.parts.get::<ZoneCache>().0.invalidate();
}

async fn load(state: &AppState) -> AppResult<TimeZoneSetting> {
    let mut conn = state.db.pool.acquire().await?;
    let chosen = store::value(&mut conn, store::TIME_ZONE)
        .await?
        .filter(|name| Zone::parse(name).is_some());
    let effective = match &chosen {
        Some(name) => Zone::parse(name).unwrap_or_default(),
        None => {
            let calendar = crate::sla::service::work_calendar(&mut conn).await?;
            Zone::fixed(calendar.utc_offset_minutes)
        }
    };
    drop(conn);
    Ok(TimeZoneSetting { chosen, effective })
}

/// The zone the organisation falls back to when none is chosen: the SLA calendar's offset.
pub async fn calendar_zone(state: &AppState) -> AppResult<Zone> {
    let mut conn = state.db.pool.acquire().await?;
    let calendar = crate::sla::service::work_calendar(&mut conn).await?;
    Ok(Zone::fixed(calendar.utc_offset_minutes))
}

/// The setting for the admin page.
pub async fn for_edit(state: &AppState, actor: &Actor) -> AppResult<TimeZoneSetting> {
    actor.require("settings.manage")?;
    load(state).await
}

/// Choose the organisation's zone (an IANA name or `UTC±HH:MM`); empty goes back to the SLA
/// calendar's offset.
pub async fn set_time_zone(state: &AppState, actor: &Actor, name: &str) -> AppResult<()> {
    actor.require("settings.manage")?;
    let chosen = match name.trim() {
        "" => None,
        typed => Some(
            Zone::parse(typed)
                .ok_or_else(|| AppError::invalid("time_zone", "is not a known time zone"))?
                .name()
                .to_string(),
        ),
    };
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let before = store::value(&mut tx, store::TIME_ZONE).await?;
    store::put(&mut tx, store::TIME_ZONE, chosen.as_deref(), now).await?;
    let change = Change {
        action: "org.time_zone",
        object_kind: "settings",
        object_id: None,
        before: Some(serde_json::json!({ "time_zone": before })),
        after: Some(serde_json::json!({ "time_zone": chosen })),
    };
    audit::record(&mut tx, now, actor, change).await?;
    tx.commit().await?;
    forget_zone(state);
    Ok(())
}
