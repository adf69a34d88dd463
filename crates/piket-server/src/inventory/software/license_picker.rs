//! The licence page's picker (issue #19): devices and users to assign, searched within the
//! reader's reach through the inventory and users services, the assigned ones named the same
//! way, and assigning or unassigning one at a time (each audited like any licence change).
//! Typing ids by hand is no longer the page's way; the JSON API still takes whole lists.

use serde::Serialize;

use super::license_store::{self as store, Assignment};
use super::licenses::{found, License, MAX_ASSIGNED};
use crate::audit::{self, to_json, Change};
use crate::auth::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::inventory::HardwareFilter;
use crate::state::AppState;
use crate::users::UserFilter;

/// Most candidates one search shows.
pub const LIMIT: i64 = 20;
/// Longest search text.
const MAX_QUERY: usize = 200;

/// A device or a person as the picker lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    pub id: i64,
    pub name: String,
    /// What tells it apart: asset tag and host name, or the email address.
    pub detail: String,
    /// Already assigned to the licence.
    pub assigned: bool,
}

/// A licence's assignments as the reader may see them.
pub struct Assigned {
    pub devices: Vec<Candidate>,
    pub users: Vec<Candidate>,
    /// Assigned, but out of the reader's reach (counted, never named).
    pub hidden_devices: usize,
    pub hidden_users: usize,
}

/// What the reader may do with the picker, so the page offers only what works.
pub struct PickerRights {
    /// Assign and unassign (`inventory.write`).
    pub assign: bool,
    /// Look people up to assign them (`users.read` or `users.manage` as well).
    pub search_users: bool,
}

pub fn rights(actor: &Actor) -> PickerRights {
    let assign = actor.can("inventory.write");
    PickerRights {
        assign,
        search_users: assign && crate::users::service::may_search(actor),
    }
}

fn device(h: crate::inventory::Hardware, assigned: &[i64]) -> Candidate {
    let detail = [h.asset_tag.as_str(), h.hostname.as_str()]
        .into_iter()
        .filter(|v| !v.is_empty())
        .collect::<Vec<_>>()
        .join(" · ");
    Candidate {
        assigned: assigned.contains(&h.id),
        id: h.id,
        name: h.name,
        detail,
    }
}

fn person(u: crate::users::User, assigned: &[i64]) -> Candidate {
    Candidate {
        assigned: assigned.contains(&u.id),
        id: u.id,
        name: u.name,
        detail: u.email,
    }
}

/// The licence's devices and users the reader reaches, by name, and how many more there are.
pub async fn assigned(state: &AppState, actor: &Actor, license: &License) -> AppResult<Assigned> {
    let mut devices: Vec<Candidate> =
        crate::inventory::service::visible_among(state, actor, &license.device_ids)
            .await?
            .into_iter()
            .map(|h| device(h, &license.device_ids))
            .collect();
    let mut users: Vec<Candidate> =
        crate::users::service::visible_among(state, actor, &license.user_ids)
            .await?
            .into_iter()
            .map(|u| person(u, &license.user_ids))
            .collect();
    let by_name = |a: &Candidate, b: &Candidate| {
        (a.name.to_lowercase(), a.id).cmp(&(b.name.to_lowercase(), b.id))
    };
    devices.sort_by(by_name);
    users.sort_by(by_name);
    Ok(Assigned {
        hidden_devices: license.device_ids.len().saturating_sub(devices.len()),
        hidden_users: license.user_ids.len().saturating_sub(users.len()),
        devices,
        users,
    })
}

/// Up to [`LIMIT`] devices or active users within the reader's reach matching `q` (name, tag,
/// host name, serial, owner; name or email for people), for assigning to `license`.
pub async fn search(
    state: &AppState,
    actor: &Actor,
    license: &License,
    kind: Assignment,
    q: &str,
) -> AppResult<Vec<Candidate>> {
    let may = rights(actor);
    let allowed = match kind {
        Assignment::Device => may.assign,
        Assignment::User => may.search_users,
    };
    if !allowed {
        return Err(AppError::Forbidden);
    }
    let q: String = q.trim().chars().take(MAX_QUERY).collect();
    if q.is_empty() {
        return Ok(Vec::new());
    }
    Ok(match kind {
        Assignment::Device => {
            let filter = HardwareFilter {
                q: Some(q),
                limit: Some(LIMIT),
                ..Default::default()
            };
            crate::inventory::service::list(state, actor, filter)
                .await?
                .items
                .into_iter()
                .map(|h| device(h, &license.device_ids))
                .collect()
        }
        Assignment::User => {
            let filter = UserFilter {
                q: Some(q),
                disabled: Some(false),
                limit: Some(LIMIT),
                ..Default::default()
            };
            crate::users::service::list(state, actor, filter)
                .await?
                .items
                .into_iter()
                .map(|u| person(u, &license.user_ids))
                .collect()
        }
    })
}

/// The target must be one the reader reaches; anything else is "not found".
async fn reachable(
    state: &AppState,
    actor: &Actor,
    kind: Assignment,
    target: i64,
) -> AppResult<()> {
    match kind {
        Assignment::Device => crate::inventory::service::get(state, actor, target)
            .await
            .map(drop),
        Assignment::User => crate::users::service::get(state, actor, target)
            .await
            .map(drop),
    }
}

/// Assign (`add`) or unassign a device or user the reader reaches; a repeat changes nothing.
pub async fn set(
    state: &AppState,
    actor: &Actor,
    id: i64,
    kind: Assignment,
    target: i64,
    add: bool,
) -> AppResult<License> {
    actor.require("inventory.write")?;
    reachable(state, actor, kind, target).await?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let before = found(&mut tx, actor, id).await?;
    let count = match kind {
        Assignment::Device => before.device_ids.len(),
        Assignment::User => before.user_ids.len(),
    };
    if add && count >= MAX_ASSIGNED {
        let field = match kind {
            Assignment::Device => "device_ids",
            Assignment::User => "user_ids",
        };
        return Err(AppError::invalid(
            field,
            format!("at most {MAX_ASSIGNED} items"),
        ));
    }
    let changed = if add {
        store::add(&mut tx, kind, id, target).await?
    } else {
        store::remove(&mut tx, kind, id, target).await?
    };
    if !changed {
        return Ok(before);
    }
    store::touch(&mut tx, id, now).await?;
    let after = store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let change = Change {
        action: "license.update",
        object_kind: "license",
        object_id: Some(id),
        before: to_json(&before),
        after: to_json(&after),
    };
    audit::record(&mut tx, now, actor, change).await?;
    tx.commit().await?;
    Ok(after)
}
