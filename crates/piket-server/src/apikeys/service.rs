//! Rules for API keys: everyone manages their own; `apikeys.manage` reaches other users' keys.
//! Authentication answers the same 401 for a missing, malformed, unknown or revoked key.

use super::store;
use super::{ApiKey, CreatedApiKey, NewApiKey};
use crate::api::page::{Page, PageRequest};
use crate::audit::{self, to_json, Change};
use crate::auth::actor::{Actor, Via};
use crate::auth::token;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::users::accounts;
use crate::validate::Check;

/// Recording every use would make each API call a write; once a minute is enough to tell.
const MARK_USED_EVERY_MS: i64 = 60_000;

/// Split `pk_<prefix>_<secret>`; anything else is not a key.
fn parse(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix("pk_")?;
    let (prefix, secret) = rest.split_once('_')?;
    let ok = |s: &str, n: usize| s.len() == n && s.chars().all(|c| c.is_ascii_alphanumeric());
    (ok(prefix, 8) && ok(secret, 32)).then_some((prefix, secret))
}

pub async fn authenticate(state: &AppState, key: &str, ip: &str) -> AppResult<Actor> {
    let (prefix, _) = parse(key.trim()).ok_or(AppError::Unauthorized)?;
    let hash = token::hash_token(key.trim());
    let now = state.now();
    if let Some(actor) = state.actor_cache.get(&hash, now) {
        return Ok(Actor {
            ip: ip.to_string(),
            ..actor
        });
    }
    let mut conn = state.db.pool.acquire().await?;
    let found = store::by_prefix(&mut conn, prefix).await?;
    let expected = found
        .as_ref()
        .map(|k| k.secret_hash.clone())
        .unwrap_or_default();
    let matches = token::constant_time_eq(&hash, &expected);
    let Some(k) = found.filter(|k| matches && k.revoked_at.is_none()) else {
        return Err(AppError::Unauthorized);
    };
    if k.last_used_at.is_none_or(|t| now - t > MARK_USED_EVERY_MS) {
        store::mark_used(&mut conn, k.id, now).await?;
    }
    let actor = accounts::load_actor(&mut conn, k.user_id, Via::ApiKey(k.id), ip)
        .await?
        .ok_or(AppError::Unauthorized)?;
    state.actor_cache.put(hash, actor.clone(), now);
    Ok(actor)
}

/// Whether the actor may see (and revoke) the key: their own, any with `apikeys.manage` and
/// `all` scope, and with `apikeys.manage` short of it only the keys of accounts they may
/// manage (a department admin listed every department's keys, review finding).
async fn may_see(conn: &mut sqlx::AnyConnection, actor: &Actor, key: &ApiKey) -> AppResult<bool> {
    if key.user_id == actor.user_id {
        return Ok(true);
    }
    if !actor.can("apikeys.manage") {
        return Ok(false);
    }
    if actor.assignable_departments().is_none() {
        return Ok(true);
    }
    match crate::users::service::manageable(conn, actor, key.user_id).await {
        Ok(_) => Ok(true),
        Err(AppError::NotFound | AppError::Forbidden) => Ok(false),
        Err(e) => Err(e),
    }
}

pub async fn list(
    state: &AppState,
    actor: &Actor,
    all: bool,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> AppResult<Page<ApiKey>> {
    let page = PageRequest::parse(cursor, limit)?;
    // Every user's keys only for those who reach every user; others see their own.
    let owner = if all && actor.can("apikeys.manage") && actor.assignable_departments().is_none() {
        None
    } else {
        Some(actor.user_id)
    };
    let mut conn = state.db.pool.acquire().await?;
    let rows = store::list(&mut conn, owner, page.cursor.unwrap_or(0), page.limit + 1).await?;
    Ok(page.finish(rows, |k| k.id))
}

pub async fn get(state: &AppState, actor: &Actor, id: i64) -> AppResult<ApiKey> {
    let mut conn = state.db.pool.acquire().await?;
    let key = store::get(&mut conn, id).await?.ok_or(AppError::NotFound)?;
    if may_see(&mut conn, actor, &key).await? {
        Ok(key)
    } else {
        Err(AppError::NotFound)
    }
}

pub async fn create(state: &AppState, actor: &Actor, input: NewApiKey) -> AppResult<CreatedApiKey> {
    let mut c = Check::new();
    let name = c.text("name", &input.name, 1, 100);
    c.finish()?;
    let owner = input.user_id.unwrap_or(actor.user_id);
    let now = state.now();
    let mut tx = state.db.begin().await?;
    if owner != actor.user_id {
        actor.require("apikeys.manage")?;
        // A key acts as its owner: making one for a wider account would be a way into it.
        match crate::users::service::manageable(&mut tx, actor, owner).await {
            Err(AppError::NotFound) => return Err(AppError::invalid("user_id", "no such user")),
            other => other?,
        };
    } else if accounts::get(&mut tx, owner).await?.is_none() {
        return Err(AppError::invalid("user_id", "no such user"));
    }
    let prefix = token::random_alnum(8);
    let secret = format!("pk_{prefix}_{}", token::random_alnum(32));
    let id = store::insert(
        &mut tx,
        owner,
        &name,
        &prefix,
        &token::hash_token(&secret),
        now,
    )
    .await?;
    let key = store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    audit::record(
        &mut tx,
        now,
        actor,
        Change {
            action: "apikey.create",
            object_kind: "api_key",
            object_id: Some(id),
            before: None,
            after: to_json(&key),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedApiKey { key, secret })
}

pub async fn revoke(state: &AppState, actor: &Actor, id: i64) -> AppResult<ApiKey> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let before = store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    if !may_see(&mut tx, actor, &before).await? {
        return Err(AppError::NotFound);
    }
    if before.user_id != actor.user_id {
        crate::users::service::manageable(&mut tx, actor, before.user_id).await?;
    }
    store::revoke(&mut tx, id, now).await?;
    let after = store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    audit::record(
        &mut tx,
        now,
        actor,
        Change {
            action: "apikey.revoke",
            object_kind: "api_key",
            object_id: Some(id),
            before: to_json(&before),
            after: to_json(&after),
        },
    )
    .await?;
    tx.commit().await?;
    state.actor_cache.invalidate();
    Ok(after)
}

/// Revoke every live key of `user_id` inside the caller's transaction (a password set by someone
/// else, a reset, or a change with "also revoke my API keys"): a stolen password must not keep
/// API access. Audited when there was anything to revoke. The caller empties the actor cache
/// after committing.
pub async fn revoke_all_of(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    user_id: i64,
    now: i64,
) -> AppResult<u64> {
    let n = store::revoke_all_of(conn, user_id, now).await?;
    if n > 0 {
        audit::record(
            conn,
            now,
            actor,
            Change {
                action: "apikey.revoke_all",
                object_kind: "user",
                object_id: Some(user_id),
                before: None,
                after: Some(serde_json::json!({ "revoked": n })),
            },
        )
        .await?;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn only_well_formed_keys_parse() {
        let good = format!("pk_{}_{}", "a".repeat(8), "B".repeat(32));
        assert!(parse(&good).is_some());
        assert!(parse("pk_short_x").is_none());
        assert!(parse(&good.replace("pk_", "sk_")).is_none());
        assert!(parse(&format!("pk_{}_{}!", "a".repeat(8), "B".repeat(31))).is_none());
    }
}
