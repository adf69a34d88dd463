//! Rules for hardware assets: `inventory.read` to see those in reach (department scope, or one's
//! own devices), `inventory.write` to change them, `inventory.credentials.reveal` to read a
//! credential. Everyone sees the devices they own, read-only. Every change is audited and leaves
//! field-level history.

use std::borrow::Cow;

use sqlx::AnyConnection;

use super::history::{self, Source};
use super::store::{self, Record};
use super::{
    validate, Hardware, HardwareFilter, HardwareHistoryEntry, HardwareInput, STATUSES, TYPES,
};
use crate::api::page::{Page, PageRequest};
use crate::audit::{self, to_json, Change};
use crate::auth::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::secrets::{SecretBox, HARDWARE_CREDENTIAL};
use crate::state::AppState;
use crate::validate::Check;

/// The actor as a reader: without `inventory.read`, only their own devices are in reach.
fn reader(actor: &Actor) -> Cow<'_, Actor> {
    if actor.can("inventory.read") {
        Cow::Borrowed(actor)
    } else {
        let mut own = actor.clone();
        own.scope = crate::auth::permissions::Scope::Own;
        Cow::Owned(own)
    }
}

pub(crate) fn reaches(actor: &Actor, h: &Hardware) -> bool {
    let departments: Vec<i64> = h.department_id.into_iter().collect();
    reader(actor).reaches(&departments, h.owner_id)
}

/// The asset if the actor may read it; out of reach is "not found".
pub(crate) async fn visible(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
) -> AppResult<Hardware> {
    let h = store::get(conn, id).await?.ok_or(AppError::NotFound)?;
    if !reaches(actor, &h) {
        return Err(AppError::NotFound);
    }
    Ok(h)
}

pub async fn list(
    state: &AppState,
    actor: &Actor,
    filter: HardwareFilter,
) -> AppResult<Page<Hardware>> {
    let page = PageRequest::parse(filter.cursor.as_deref(), filter.limit)?;
    if let Some(k) = filter.kind.as_deref().filter(|k| !TYPES.contains(k)) {
        return Err(AppError::invalid("type", format!("unknown type {k}")));
    }
    if let Some(s) = filter.status.as_deref().filter(|s| !STATUSES.contains(s)) {
        return Err(AppError::invalid("status", format!("unknown status {s}")));
    }
    if filter.q.as_deref().is_some_and(|q| q.chars().count() > 200) {
        return Err(AppError::invalid("q", "must be at most 200 characters"));
    }
    let mut conn = state.db.pool.acquire().await?;
    let items = store::list(&mut conn, &reader(actor), &filter, page.cursor, page.limit).await?;
    Ok(page.finish(items, |h| h.id))
}

/// The assets among `ids` the actor may read (the others are left out), by name: to name the
/// devices a record points at (a licence's devices) without a statement each.
pub async fn visible_among(
    state: &AppState,
    actor: &Actor,
    ids: &[i64],
) -> AppResult<Vec<Hardware>> {
    let mut conn = state.db.pool.acquire().await?;
    let reader = reader(actor);
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        out.extend(store::by_ids(&mut conn, &reader, chunk).await?);
    }
    Ok(out)
}

pub async fn get(state: &AppState, actor: &Actor, id: i64) -> AppResult<Hardware> {
    let mut conn = state.db.pool.acquire().await?;
    visible(&mut conn, actor, id).await
}

pub async fn history(
    state: &AppState,
    actor: &Actor,
    id: i64,
) -> AppResult<Vec<HardwareHistoryEntry>> {
    let mut conn = state.db.pool.acquire().await?;
    visible(&mut conn, actor, id).await?;
    history::list(&mut conn, id).await
}

/// The asset's history with each author named (never by email address), for its page.
pub async fn history_named(
    state: &AppState,
    actor: &Actor,
    id: i64,
) -> AppResult<Vec<super::asset_view::HistoryLine>> {
    let mut conn = state.db.pool.acquire().await?;
    visible(&mut conn, actor, id).await?;
    history::list_named(&mut conn, id).await
}

/// The state of the asset's warranty today.
pub fn warranty(state: &AppState, h: &Hardware) -> super::asset_view::Warranty {
    super::asset_view::warranty(h.warranty_end.as_deref(), state.now())
}

/// The source (`piket`, `fusioninventory`, `glpi`) and time of an asset's last agent report.
pub async fn last_report(
    state: &AppState,
    actor: &Actor,
    id: i64,
) -> AppResult<Option<(String, String)>> {
    let mut conn = state.db.pool.acquire().await?;
    visible(&mut conn, actor, id).await?;
    let report = super::ingest::store::report_of(&mut conn, id).await?;
    Ok(report.map(|(source, at, _)| (source, crate::clock::format_ms(at))))
}

/// Store `record` as asset `id` (or a new one), keep one main device per owner, and write the
/// history and the audit entry. Shared by people and the collector. `record.credential` is
/// the stored (sealed) one passed on, or empty to clear it; a new credential comes only
/// through [`write_with`].
pub async fn write(
    conn: &mut AnyConnection,
    now: i64,
    actor: &Actor,
    source: &Source<'_>,
    before: Option<&Hardware>,
    record: &Record,
) -> AppResult<Hardware> {
    write_with(conn, now, actor, source, before, record, None).await
}

/// A credential a person typed, to be sealed for the asset's row.
pub(crate) struct NewCredential<'a> {
    pub secrets: &'a SecretBox,
    pub plain: &'a str,
}

/// [`write`], storing `fresh` as the credential when given. It is sealed here because a new
/// asset's id, which the seal is bound to, exists only after the insert.
pub(crate) async fn write_with(
    conn: &mut AnyConnection,
    now: i64,
    actor: &Actor,
    source: &Source<'_>,
    before: Option<&Hardware>,
    record: &Record,
    fresh: Option<NewCredential<'_>>,
) -> AppResult<Hardware> {
    let old_credential = match before {
        Some(b) => store::credential(conn, b.id).await?,
        None => String::new(),
    };
    let mut record = Cow::Borrowed(record);
    if !record.credential.is_empty() && record.credential != old_credential {
        // Anything else would be a secret in the clear (a report that carries one): the
        // column keeps what it had.
        tracing::warn!(
            asset = before.map(|b| b.id),
            "an unsealed credential was not stored"
        );
        record.to_mut().credential = old_credential.clone();
    }
    if let (Some(n), Some(b)) = (&fresh, before) {
        record.to_mut().credential = n.secrets.seal(HARDWARE_CREDENTIAL.at(b.id), n.plain)?;
    }
    if let (true, Some(owner)) = (record.is_main, record.owner_id) {
        let others = store::clear_other_main(conn, owner, before.map_or(0, |b| b.id)).await?;
        let change = [(
            "main_device".to_string(),
            "true".to_string(),
            "false".to_string(),
        )];
        for other in others {
            history::record(conn, other, now, source, &change).await?;
            let cleared = Change {
                action: "hardware.main_cleared",
                object_kind: "hardware",
                object_id: Some(other),
                before: Some(serde_json::json!({"is_main": true})),
                after: Some(serde_json::json!({"is_main": false})),
            };
            audit::record(conn, now, actor, cleared).await?;
        }
    }
    let id = match before {
        Some(b) => {
            store::update(conn, b.id, &record, now).await?;
            b.id
        }
        None => {
            let id = store::insert(conn, &record, now).await?;
            if let Some(n) = &fresh {
                let sealed = n.secrets.seal(HARDWARE_CREDENTIAL.at(id), n.plain)?;
                store::set_credential(conn, id, &sealed).await?;
            }
            id
        }
    };
    let after = store::get(conn, id).await?.ok_or(AppError::NotFound)?;
    let changes = match before {
        Some(b) => history::diff(b, &after, old_credential != record.credential),
        None => vec![("created".to_string(), String::new(), after.name.clone())],
    };
    history::record(conn, id, now, source, &changes).await?;
    let change = Change {
        action: if before.is_some() {
            "hardware.update"
        } else {
            "hardware.create"
        },
        object_kind: "hardware",
        object_id: Some(id),
        before: before.and_then(to_json),
        after: to_json(&after),
    };
    audit::record(conn, now, actor, change).await?;
    Ok(after)
}

/// Create (`id` = None) or replace an asset.
pub async fn save(
    state: &AppState,
    actor: &Actor,
    id: Option<i64>,
    input: HardwareInput,
) -> AppResult<Hardware> {
    actor.require("inventory.write")?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let before = match id {
        Some(id) => Some(visible(&mut tx, actor, id).await?),
        None => None,
    };
    let stored = match &before {
        Some(b) => store::credential(&mut tx, b.id).await?,
        None => String::new(),
    };
    let mut input = input;
    let mut c = Check::new();
    let typed = input
        .credential
        .take()
        .map(|v| c.text("credential", &v, 0, validate::SHORT));
    let mut record = validate::record(&mut c, &input, &stored);
    if let Some(d) = record.department_id {
        if !crate::departments::service::exists(&mut tx, d).await? {
            c.fail("department_id", "no such department");
        } else if actor
            .assignable_departments()
            .is_some_and(|mine| !mine.contains(&d))
        {
            c.fail("department_id", "must be among your own departments");
        }
    } else if actor.assignable_departments().is_some() && record.owner_id != Some(actor.user_id) {
        c.fail("department_id", "is required");
    }
    if let Some(o) = record.owner_id {
        if !store::user_exists(&mut tx, o).await? {
            c.fail("owner_id", "no such user");
        }
    } else if record.is_main {
        c.fail("is_main", "a main device needs an owner");
    }
    if !record.asset_tag.is_empty()
        && store::tag_taken(&mut tx, &record.asset_tag, id.unwrap_or(0)).await?
    {
        c.fail("asset_tag", "is already used by another asset");
    }
    c.finish()?;
    let source = Source {
        kind: "user",
        actor_id: (actor.user_id != 0).then_some(actor.user_id),
        label: actor.email.clone(),
    };
    let fresh = match typed.as_deref() {
        None => None,
        Some("") => {
            record.credential.clear();
            None
        }
        // The same secret typed again is no change (no new history line).
        Some(plain) => match &before {
            Some(b)
                if state
                    .secrets
                    .open(HARDWARE_CREDENTIAL.at(b.id), &stored)
                    .ok()
                    .as_deref()
                    == Some(plain) =>
            {
                None
            }
            _ => Some(NewCredential {
                secrets: &state.secrets,
                plain,
            }),
        },
    };
    let after = write_with(
        &mut tx,
        now,
        actor,
        &source,
        before.as_ref(),
        &record,
        fresh,
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Change only the fields present in `patch` (a JSON object of `HardwareInput` fields).
pub async fn patch(
    state: &AppState,
    actor: &Actor,
    id: i64,
    patch: serde_json::Value,
) -> AppResult<Hardware> {
    let current = get(state, actor, id).await?;
    let input = crate::api::merge::merge(&HardwareInput::from(&current), patch)?;
    save(state, actor, Some(id), input).await
}

pub async fn delete(state: &AppState, actor: &Actor, id: i64) -> AppResult<()> {
    actor.require("inventory.write")?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let before = visible(&mut tx, actor, id).await?;
    store::delete(&mut tx, id).await?;
    let change = Change {
        action: "hardware.delete",
        object_kind: "hardware",
        object_id: Some(id),
        before: to_json(&before),
        after: None,
    };
    audit::record(&mut tx, now, actor, change).await?;
    tx.commit().await?;
    Ok(())
}

/// The stored credential, for those allowed; every reveal is audited (without the secret).
/// One that does not open (altered, or copied from another row) is a `409`, not audited.
pub async fn reveal(state: &AppState, actor: &Actor, id: i64) -> AppResult<String> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    visible(&mut tx, actor, id).await?;
    actor.require("inventory.credentials.reveal")?;
    let stored = store::credential(&mut tx, id).await?;
    let secret = state.secrets.open(HARDWARE_CREDENTIAL.at(id), &stored)?;
    let change = Change {
        action: "hardware.credential_reveal",
        object_kind: "hardware",
        object_id: Some(id),
        before: None,
        after: None,
    };
    audit::record(&mut tx, now, actor, change).await?;
    tx.commit().await?;
    Ok(secret)
}

/// Active users to pick an owner from, for those who may write.
pub async fn owner_choices(
    state: &AppState,
    actor: &Actor,
) -> AppResult<Vec<(i64, String, String)>> {
    actor.require("inventory.write")?;
    let mut conn = state.db.pool.acquire().await?;
    store::owner_choices(&mut conn).await
}

/// Make `owner` the asset's owner (a personal token), through the history like any change.
pub async fn give_to(
    conn: &mut AnyConnection,
    now: i64,
    actor: &Actor,
    source: &Source<'_>,
    asset_id: i64,
    owner: i64,
) -> AppResult<()> {
    let before = store::get(conn, asset_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if before.owner_id == Some(owner) {
        return Ok(());
    }
    let credential = store::credential(conn, asset_id).await?;
    let record = Record {
        owner_id: Some(owner),
        ..Record::of(&before, credential)
    };
    write(conn, now, actor, source, Some(&before), &record).await?;
    Ok(())
}

/// What an actor may do with assets, so pages offer only the forms and buttons that will work
/// (each action checks again).
pub struct Rights {
    /// Read every asset in reach and the licences (`inventory.read`); without it, one's own.
    pub read: bool,
    /// Add, edit, merge and delete assets and licences (`inventory.write`).
    pub write: bool,
    /// Reveal a stored credential or licence key (`inventory.credentials.reveal`).
    pub reveal: bool,
    /// See the tickets about an asset (`tickets.read`; which ones is the ticket scope's).
    pub tickets: bool,
}

pub fn rights(actor: &Actor) -> Rights {
    Rights {
        read: actor.can("inventory.read"),
        write: actor.can("inventory.write"),
        reveal: actor.can("inventory.credentials.reveal"),
        tickets: actor.can("tickets.read"),
    }
}

/// The new-asset form is for those who may write.
pub fn may_create(actor: &Actor) -> AppResult<()> {
    actor.require("inventory.write")
}

/// The actor's own main device, if they have one (everyone reads their own devices).
pub async fn main_asset_of(state: &AppState, actor: &Actor) -> AppResult<Option<Hardware>> {
    let mut conn = state.db.pool.acquire().await?;
    store::main_of(&mut conn, actor.user_id).await
}
