//! Merging a duplicate asset into another by hand: one transaction moves the duplicate's
//! software, licence seats, ticket links, identities, agents, history and newer last report to
//! the survivor, fills the survivor's empty fields from it (never overwriting), hands over the
//! main-device flag when the owner agrees, deletes the duplicate and audits `hardware.merge`.

use super::history::{self, Source};
use super::service::NewCredential;
use super::store::{self, Record};
use super::{merge_store, service, Hardware};
use crate::audit::{self, to_json, Change};
use crate::auth::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::secrets::HARDWARE_CREDENTIAL;
use crate::state::AppState;

/// The survivor's record with its empty fields taken from the duplicate's.
pub fn fill(survivor: &Record, other: &Record) -> Record {
    let text = |mine: &String, theirs: &String| {
        if mine.trim().is_empty() {
            theirs.clone()
        } else {
            mine.clone()
        }
    };
    let owner_id = survivor.owner_id.or(other.owner_id);
    // The duplicate was its owner's main device and the survivor is that owner's too.
    let takes_main = other.is_main && other.owner_id.is_some() && owner_id == other.owner_id;
    Record {
        asset_tag: text(&survivor.asset_tag, &other.asset_tag),
        name: text(&survivor.name, &other.name),
        kind: text(&survivor.kind, &other.kind),
        manufacturer: text(&survivor.manufacturer, &other.manufacturer),
        model: text(&survivor.model, &other.model),
        serial: text(&survivor.serial, &other.serial),
        cpu: text(&survivor.cpu, &other.cpu),
        ram_mb: survivor.ram_mb.or(other.ram_mb),
        storage: text(&survivor.storage, &other.storage),
        os: text(&survivor.os, &other.os),
        hostname: text(&survivor.hostname, &other.hostname),
        ip_addresses: text(&survivor.ip_addresses, &other.ip_addresses),
        mac_addresses: text(&survivor.mac_addresses, &other.mac_addresses),
        owner_id,
        department_id: survivor.department_id.or(other.department_id),
        location: text(&survivor.location, &other.location),
        status: text(&survivor.status, &other.status),
        purchase_date: survivor
            .purchase_date
            .clone()
            .or(other.purchase_date.clone()),
        warranty_end: survivor.warranty_end.clone().or(other.warranty_end.clone()),
        notes: text(&survivor.notes, &other.notes),
        jenis: text(&survivor.jenis, &other.jenis),
        lisensi_windows: text(&survivor.lisensi_windows, &other.lisensi_windows),
        credential: text(&survivor.credential, &other.credential),
        office: text(&survivor.office, &other.office),
        lisensi_office: text(&survivor.lisensi_office, &other.lisensi_office),
        is_main: (survivor.is_main && survivor.owner_id.is_some()) || takes_main,
    }
}

/// Merge asset `from` into asset `id`; the survivor as it now is.
pub async fn merge(state: &AppState, actor: &Actor, id: i64, from: i64) -> AppResult<Hardware> {
    actor.require("inventory.write")?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let survivor = service::visible(&mut tx, actor, id).await?;
    if from == id {
        return Err(AppError::invalid("from", "must be another asset"));
    }
    let other = match service::visible(&mut tx, actor, from).await {
        Ok(o) => o,
        Err(AppError::NotFound) => return Err(AppError::invalid("from", "no such asset")),
        Err(e) => return Err(e),
    };
    let survivor_record = Record::of(&survivor, store::credential(&mut tx, id).await?);
    let other_record = Record::of(&other, store::credential(&mut tx, from).await?);
    let mut merged = fill(&survivor_record, &other_record);
    // The duplicate's credential is sealed for its own row: opened here and sealed again for
    // the survivor's (one that does not open is left behind with the duplicate).
    let taken = if merged.credential != survivor_record.credential {
        merged.credential = survivor_record.credential.clone();
        state
            .secrets
            .open(HARDWARE_CREDENTIAL.at(from), &other_record.credential)
            .ok()
    } else {
        None
    };
    merge_store::move_rows(&mut tx, id, from).await?;
    // The duplicate goes first: its asset tag and main-device flag are unique.
    store::delete(&mut tx, from).await?;
    let source = Source {
        kind: "user",
        actor_id: (actor.user_id != 0).then_some(actor.user_id),
        label: actor.email.clone(),
    };
    let note = [(
        "merged".to_string(),
        String::new(),
        format!("#{} ({})", other.id, other.name),
    )];
    history::record(&mut tx, id, now, &source, &note).await?;
    let after = if merged != survivor_record || taken.is_some() {
        let fresh = taken.as_deref().map(|plain| NewCredential {
            secrets: &state.secrets,
            plain,
        });
        service::write_with(
            &mut tx,
            now,
            actor,
            &source,
            Some(&survivor),
            &merged,
            fresh,
        )
        .await?
    } else {
        store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?
    };
    let change = Change {
        action: "hardware.merge",
        object_kind: "hardware",
        object_id: Some(id),
        before: Some(serde_json::json!({ "into": to_json(&survivor), "from": to_json(&other) })),
        after: to_json(&after),
    };
    audit::record(&mut tx, now, actor, change).await?;
    tx.commit().await?;
    Ok(after)
}

/// The merge form: the duplicate named by number or asset tag.
pub async fn merge_by_ref(
    state: &AppState,
    actor: &Actor,
    id: i64,
    reference: &str,
) -> AppResult<Hardware> {
    actor.require("inventory.write")?;
    match resolve(state, reference).await? {
        Some(from) => merge(state, actor, id, from).await,
        None => Err(AppError::invalid("from", "no such asset")),
    }
}

/// An asset's id by its number (`42` or `#42`) or its asset tag; whether the caller may see it
/// is for the caller's service to decide.
pub async fn resolve(state: &AppState, reference: &str) -> AppResult<Option<i64>> {
    let mut conn = state.db.pool.acquire().await?;
    merge_store::find_by_ref(&mut conn, reference).await
}
