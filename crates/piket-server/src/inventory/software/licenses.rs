//! Licences: a product (matched to the catalog by name, and vendor when given), a secret key
//! (masked; revealed with `inventory.credentials.reveal`, audited), seats, expiry, assigned devices
//! and users, and the compliance figures computed against `now`.

use serde::{Deserialize, Serialize};

use super::license_store as store;
use super::SHORT;
use crate::audit::{self, to_json, Change};
use crate::auth::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::inventory::validate::is_date;
use crate::secrets::LICENSE_KEY;
use crate::state::AppState;
use crate::validate::Check;

/// Most seats a licence may have.
pub const MAX_SEATS: i64 = 1_000_000;
/// Most assigned devices or users.
pub const MAX_ASSIGNED: usize = 5000;
/// "Expiring soon" means within this many days.
pub const SOON_DAYS: i64 = 30;

/// A licence. The key is never part of it: see `key_set` and the reveal call.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct License {
    pub id: i64,
    pub product: String,
    pub vendor: String,
    pub key_set: bool,
    pub seats: i64,
    /// YYYY-MM-DD.
    pub expires_on: Option<String>,
    pub notes: String,
    /// Devices with a matching installation.
    pub installed: i64,
    pub device_ids: Vec<i64>,
    pub user_ids: Vec<i64>,
    pub created_at: String,
    pub updated_at: String,
}

/// Create or replace a licence. For PATCH, send any subset of these fields.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LicenseInput {
    /// A catalog name (case-insensitive).
    pub product: String,
    /// Empty matches any vendor.
    #[serde(default)]
    pub vendor: String,
    /// Absent or null keeps the stored key; an empty string clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub seats: i64,
    /// YYYY-MM-DD.
    pub expires_on: Option<String>,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub device_ids: Vec<i64>,
    #[serde(default)]
    pub user_ids: Vec<i64>,
}

/// One line of the compliance view.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Compliance {
    pub license_id: i64,
    pub product: String,
    pub vendor: String,
    pub seats: i64,
    pub installed: i64,
    /// Assigned devices plus assigned users.
    pub assigned: i64,
    /// More installations than seats.
    pub over: bool,
    pub expires_on: Option<String>,
    /// Expires within 30 days (and has not yet).
    pub expiring_soon: bool,
    pub expired: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RevealedKey {
    pub key: String,
}

/// A checked licence as stored (the key sealed, see `secrets`, or empty).
#[derive(Debug, Clone)]
pub struct Record {
    pub product: String,
    pub vendor: String,
    pub key: String,
    pub seats: i64,
    pub expires_on: Option<String>,
    pub notes: String,
    pub device_ids: Vec<i64>,
    pub user_ids: Vec<i64>,
}

fn date_of(v: &str) -> Option<time::Date> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(v, &fmt).ok()
}

/// The compliance line of `l` on the day of `now` (unix ms, UTC).
pub fn compliance(l: &License, now: i64) -> Compliance {
    let today = time::OffsetDateTime::from_unix_timestamp(now.div_euclid(1000))
        .map(|t| t.date())
        .unwrap_or(time::Date::MIN);
    let ends = l.expires_on.as_deref().and_then(date_of);
    let expired = ends.is_some_and(|e| e < today);
    let expiring_soon = !expired && ends.is_some_and(|e| (e - today).whole_days() <= SOON_DAYS);
    Compliance {
        license_id: l.id,
        product: l.product.clone(),
        vendor: l.vendor.clone(),
        seats: l.seats,
        installed: l.installed,
        assigned: (l.device_ids.len() + l.user_ids.len()) as i64,
        over: l.installed > l.seats,
        expires_on: l.expires_on.clone(),
        expiring_soon,
        expired,
    }
}

pub(super) async fn found(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    id: i64,
) -> AppResult<License> {
    actor.require("inventory.read")?;
    store::get(conn, id).await?.ok_or(AppError::NotFound)
}

pub async fn list(state: &AppState, actor: &Actor) -> AppResult<Vec<License>> {
    actor.require("inventory.read")?;
    let mut conn = state.db.pool.acquire().await?;
    store::all(&mut conn).await
}

pub async fn compliance_all(state: &AppState, actor: &Actor) -> AppResult<Vec<Compliance>> {
    let now = state.now();
    Ok(list(state, actor)
        .await?
        .iter()
        .map(|l| compliance(l, now))
        .collect())
}

/// The licences assigned to a device the actor reaches, each with its compliance line (the
/// device's page). Without `inventory.read` (an owner reading their own device) there are none
/// to show.
pub async fn of_device(state: &AppState, actor: &Actor, device: i64) -> AppResult<Vec<Compliance>> {
    if !actor.can("inventory.read") {
        return Ok(Vec::new());
    }
    let mut conn = state.db.pool.acquire().await?;
    crate::inventory::service::visible(&mut conn, actor, device).await?;
    let now = state.now();
    Ok(store::for_device(&mut conn, device)
        .await?
        .iter()
        .map(|l| compliance(l, now))
        .collect())
}

pub async fn get(state: &AppState, actor: &Actor, id: i64) -> AppResult<License> {
    let mut conn = state.db.pool.acquire().await?;
    found(&mut conn, actor, id).await
}

/// Create (`id` = None) or replace a licence.
pub async fn save(
    state: &AppState,
    actor: &Actor,
    id: Option<i64>,
    input: LicenseInput,
) -> AppResult<License> {
    save_with(state, actor, id, input, false).await
}

/// Create or change a licence's own fields from the page's form, keeping its assignments as
/// they are (`input`'s lists are ignored): the page assigns devices and users one at a time
/// through the picker (`license_picker`), and one may keep what one cannot see.
pub async fn save_details(
    state: &AppState,
    actor: &Actor,
    id: Option<i64>,
    input: LicenseInput,
) -> AppResult<License> {
    save_with(state, actor, id, input, true).await
}

async fn save_with(
    state: &AppState,
    actor: &Actor,
    id: Option<i64>,
    mut input: LicenseInput,
    keep_assignments: bool,
) -> AppResult<License> {
    actor.require("inventory.write")?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let before = match id {
        Some(id) => Some(found(&mut tx, actor, id).await?),
        None => None,
    };
    let kept = keep_assignments.then(|| {
        before
            .as_ref()
            .map(|b| (b.device_ids.clone(), b.user_ids.clone()))
            .unwrap_or_default()
    });
    if let Some((devices, users)) = &kept {
        input.device_ids = devices.clone();
        input.user_ids = users.clone();
    }
    let mut c = Check::new();
    let stored = match id {
        Some(id) => store::key(&mut tx, id).await?,
        None => String::new(),
    };
    let typed = input.key.as_deref().map(|k| c.text("key", k, 0, 500));
    // A key typed now is sealed once the row (and so its id) exists; the same key typed
    // again keeps the stored one.
    let (key, fresh) = match (typed, id) {
        (None, _) => (stored, None),
        (Some(k), _) if k.is_empty() => (String::new(), None),
        (Some(k), Some(id))
            if state.secrets.open(LICENSE_KEY.at(id), &stored).ok() == Some(k.clone()) =>
        {
            (stored, None)
        }
        (Some(k), _) => (stored, Some(k)),
    };
    if !(1..=MAX_SEATS).contains(&input.seats) {
        c.fail("seats", format!("must be between 1 and {MAX_SEATS}"));
    }
    let expires_on = input
        .expires_on
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    if expires_on.as_deref().is_some_and(|v| !is_date(v)) {
        c.fail("expires_on", "must be a date (YYYY-MM-DD)");
    }
    let mut device_ids = input.device_ids.clone();
    device_ids.sort_unstable();
    device_ids.dedup();
    let mut user_ids = input.user_ids.clone();
    user_ids.sort_unstable();
    user_ids.dedup();
    if kept.is_some() {
        // Unchanged: nothing to check (the reader may not see them all).
    } else if device_ids.len() > MAX_ASSIGNED {
        c.fail("device_ids", format!("at most {MAX_ASSIGNED} items"));
    } else {
        let found = store::existing(&mut tx, "hardware_assets", &device_ids).await?;
        let reachable = found.iter().filter(|(_, d, o)| {
            let departments: Vec<i64> = d.iter().copied().collect();
            actor.reaches(&departments, *o)
        });
        if reachable.count() != device_ids.len() {
            c.fail("device_ids", "contains an unknown device");
        }
    }
    if kept.is_some() {
        // Unchanged, as above.
    } else if user_ids.len() > MAX_ASSIGNED {
        c.fail("user_ids", format!("at most {MAX_ASSIGNED} items"));
    } else if store::existing(&mut tx, "users", &user_ids).await?.len() != user_ids.len() {
        c.fail("user_ids", "contains an unknown user");
    }
    let record = Record {
        product: c.text("product", &input.product, 1, SHORT),
        vendor: c.text("vendor", &input.vendor, 0, SHORT),
        key,
        seats: input.seats,
        expires_on,
        notes: c.text("notes", &input.notes, 0, 5000),
        device_ids,
        user_ids,
    };
    c.finish()?;
    let id = store::save(&mut tx, id, &record, now).await?;
    if let Some(plain) = fresh {
        let sealed = state.secrets.seal(LICENSE_KEY.at(id), &plain)?;
        store::set_key(&mut tx, id, &sealed).await?;
    }
    let after = store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let change = Change {
        action: if before.is_some() {
            "license.update"
        } else {
            "license.create"
        },
        object_kind: "license",
        object_id: Some(id),
        before: before.as_ref().and_then(to_json),
        after: to_json(&after),
    };
    audit::record(&mut tx, now, actor, change).await?;
    tx.commit().await?;
    Ok(after)
}

/// Change only the fields present in `patch` (a JSON object of `LicenseInput` fields).
pub async fn patch(
    state: &AppState,
    actor: &Actor,
    id: i64,
    patch: serde_json::Value,
) -> AppResult<License> {
    actor.require("inventory.write")?;
    let current = get(state, actor, id).await?;
    let base = LicenseInput {
        product: current.product,
        vendor: current.vendor,
        key: None,
        seats: current.seats,
        expires_on: current.expires_on,
        notes: current.notes,
        device_ids: current.device_ids,
        user_ids: current.user_ids,
    };
    let input = crate::api::merge::merge(&base, patch)?;
    save(state, actor, Some(id), input).await
}

pub async fn delete(state: &AppState, actor: &Actor, id: i64) -> AppResult<()> {
    actor.require("inventory.write")?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let before = found(&mut tx, actor, id).await?;
    store::delete(&mut tx, id).await?;
    let change = Change {
        action: "license.delete",
        object_kind: "license",
        object_id: Some(id),
        before: to_json(&before),
        after: None,
    };
    audit::record(&mut tx, now, actor, change).await?;
    tx.commit().await?;
    Ok(())
}

/// The key in the clear, for those allowed; every reveal is audited (without the secret).
/// One that does not open (altered, or copied from another row) is a `409`, not audited.
pub async fn reveal(state: &AppState, actor: &Actor, id: i64) -> AppResult<String> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    found(&mut tx, actor, id).await?;
    actor.require("inventory.credentials.reveal")?;
    let stored = store::key(&mut tx, id).await?;
    let key = state.secrets.open(LICENSE_KEY.at(id), &stored)?;
    let change = Change {
        action: "license.key_reveal",
        object_kind: "license",
        object_id: Some(id),
        before: None,
        after: None,
    };
    audit::record(&mut tx, now, actor, change).await?;
    tx.commit().await?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn licence(expires_on: Option<&str>, seats: i64, installed: i64) -> License {
        License {
            id: 1,
            product: "P".into(),
            vendor: String::new(),
            key_set: false,
            seats,
            expires_on: expires_on.map(str::to_string),
            notes: String::new(),
            installed,
            device_ids: vec![1, 2],
            user_ids: vec![3],
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    #[test]
    fn expiry_is_judged_by_the_utc_day_of_now() {
        // 2026-09-21T14:13:20Z.
        let now = 1_790_000_000_000;
        let c = |d: &str| compliance(&licence(Some(d), 1, 1), now);
        assert!(c("2026-09-20").expired && !c("2026-09-20").expiring_soon);
        assert!(!c("2026-09-21").expired && c("2026-09-21").expiring_soon);
        assert!(c("2026-10-21").expiring_soon);
        assert!(!c("2026-10-22").expiring_soon && !c("2026-10-22").expired);
        let none = compliance(&licence(None, 1, 2), now);
        assert!(none.over && !none.expired && !none.expiring_soon);
        assert_eq!(none.assigned, 3);
        assert!(!compliance(&licence(None, 2, 2), now).over);
    }
}
