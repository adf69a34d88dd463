//! Rules for the software catalog and installations: `inventory.read` to see the catalog,
//! `inventory.write` to change it or a device's installations; a device's software is in reach
//! exactly when the device is (department scope, or one's own). Every change is audited.

use super::store;
use super::{InstallDiff, Installation, Software, SoftwareDetail, SoftwareFilter, SoftwareItem};
use super::{MAX_ITEMS, SHORT};
use crate::api::page::{Page, PageRequest};
use crate::audit::{self, to_json, Change};
use crate::auth::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::inventory::history::Source;
use crate::inventory::service::visible;
use crate::state::AppState;
use crate::validate::Check;

/// A trimmed, checked catalog item; `field` prefixes the error names (`items[3].`).
pub fn item(c: &mut Check, prefix: &str, i: &SoftwareItem) -> SoftwareItem {
    SoftwareItem {
        name: c.text(&format!("{prefix}name"), &i.name, 1, SHORT),
        vendor: c.text(&format!("{prefix}vendor"), &i.vendor, 0, SHORT),
        version: c.text(&format!("{prefix}version"), &i.version, 0, SHORT),
    }
}

pub async fn list(
    state: &AppState,
    actor: &Actor,
    filter: SoftwareFilter,
) -> AppResult<Page<Software>> {
    actor.require("inventory.read")?;
    let page = PageRequest::parse(filter.cursor.as_deref(), filter.limit)?;
    if filter.q.as_deref().is_some_and(|q| q.chars().count() > 200) {
        return Err(AppError::invalid("q", "must be at most 200 characters"));
    }
    let mut conn = state.db.pool.acquire().await?;
    if let Some(d) = filter.device {
        visible(&mut conn, actor, d).await?;
    }
    let items = store::list(&mut conn, &filter, page.cursor, page.limit).await?;
    Ok(page.finish(items, |s| s.id))
}

pub async fn get(state: &AppState, actor: &Actor, id: i64) -> AppResult<SoftwareDetail> {
    actor.require("inventory.read")?;
    let mut conn = state.db.pool.acquire().await?;
    let software = store::get(&mut conn, id).await?.ok_or(AppError::NotFound)?;
    let devices = store::devices_of(&mut conn, id)
        .await?
        .into_iter()
        .filter(|(_, dept, owner)| {
            let departments: Vec<i64> = dept.iter().copied().collect();
            actor.reaches(&departments, *owner)
        })
        .map(|(d, _, _)| d)
        .collect();
    Ok(SoftwareDetail { software, devices })
}

/// Create (`id` = None) or replace a catalog entry.
pub async fn save(
    state: &AppState,
    actor: &Actor,
    id: Option<i64>,
    input: SoftwareItem,
) -> AppResult<Software> {
    actor.require("inventory.write")?;
    let now = state.now();
    let mut c = Check::new();
    let record = item(&mut c, "", &input);
    c.finish()?;
    let mut tx = state.db.begin().await?;
    let before = match id {
        Some(id) => Some(store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?),
        None => None,
    };
    if store::find(&mut tx, &record, id.unwrap_or(0))
        .await?
        .is_some()
    {
        return Err(AppError::Conflict(
            "this name, vendor and version are already in the catalog".into(),
        ));
    }
    let id = match id {
        Some(id) => {
            store::update(&mut tx, id, &record, now).await?;
            id
        }
        None => store::insert(&mut tx, &record, now).await?,
    };
    let after = store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let change = Change {
        action: if before.is_some() {
            "software.update"
        } else {
            "software.create"
        },
        object_kind: "software",
        object_id: Some(id),
        before: before.as_ref().and_then(to_json),
        after: to_json(&after),
    };
    audit::record(&mut tx, now, actor, change).await?;
    tx.commit().await?;
    Ok(after)
}

/// Change only the fields present in `patch` (a JSON object of name, vendor, version).
pub async fn patch(
    state: &AppState,
    actor: &Actor,
    id: i64,
    patch: serde_json::Value,
) -> AppResult<Software> {
    actor.require("inventory.write")?;
    let current = {
        let mut conn = state.db.pool.acquire().await?;
        store::get(&mut conn, id).await?.ok_or(AppError::NotFound)?
    };
    let serde_json::Value::Object(fields) = patch else {
        return Err(AppError::BadRequest(
            "the body must be a JSON object".into(),
        ));
    };
    let mut merged = serde_json::json!({
        "name": current.name, "vendor": current.vendor, "version": current.version,
    });
    if let serde_json::Value::Object(m) = &mut merged {
        m.extend(fields);
    }
    let input: SoftwareItem = serde_json::from_value(merged)
        .map_err(|e| AppError::BadRequest(format!("invalid body: {e}")))?;
    save(state, actor, Some(id), input).await
}

pub async fn delete(state: &AppState, actor: &Actor, id: i64) -> AppResult<()> {
    actor.require("inventory.write")?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let before = store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    store::delete(&mut tx, id).await?;
    let change = Change {
        action: "software.delete",
        object_kind: "software",
        object_id: Some(id),
        before: to_json(&before),
        after: None,
    };
    audit::record(&mut tx, now, actor, change).await?;
    tx.commit().await?;
    Ok(())
}

/// The software installed on a device the actor reaches.
pub async fn installed(
    state: &AppState,
    actor: &Actor,
    device: i64,
) -> AppResult<Vec<Installation>> {
    let mut conn = state.db.pool.acquire().await?;
    visible(&mut conn, actor, device).await?;
    store::installations(&mut conn, device).await
}

/// Make a device's installations exactly `items`; audited with what was added and removed.
pub async fn replace(
    state: &AppState,
    actor: &Actor,
    device: i64,
    items: Vec<SoftwareItem>,
) -> AppResult<InstallDiff> {
    actor.require("inventory.write")?;
    if items.len() > MAX_ITEMS {
        return Err(AppError::invalid(
            "items",
            format!("at most {MAX_ITEMS} items"),
        ));
    }
    let mut c = Check::new();
    let items: Vec<SoftwareItem> = items
        .iter()
        .enumerate()
        .map(|(n, i)| item(&mut c, &format!("items[{n}]."), i))
        .collect();
    c.finish()?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    visible(&mut tx, actor, device).await?;
    let source = Source {
        kind: "user",
        actor_id: (actor.user_id != 0).then_some(actor.user_id),
        label: actor.email.clone(),
    };
    let diff = store::replace_installations(&mut tx, device, &items, now, &source).await?;
    if !diff.added.is_empty() || !diff.removed.is_empty() {
        let change = Change {
            action: "hardware.software_replace",
            object_kind: "hardware",
            object_id: Some(device),
            before: None,
            after: to_json(&diff),
        };
        audit::record(&mut tx, now, actor, change).await?;
    }
    tx.commit().await?;
    Ok(diff)
}
