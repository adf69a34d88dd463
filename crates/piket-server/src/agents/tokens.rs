//! Rules for enrollment tokens: admins (`settings.manage`) create, list and revoke shared ones;
//! any signed-in user may make a personal single-use one for their own PC. Only hashes are kept.

use sqlx::AnyConnection;

use super::store::{self, NewToken, TokenRow};
use super::{CreatedEnrollmentToken, EnrollmentToken, NewEnrollmentToken};
use crate::audit::{self, to_json, Change};
use crate::auth::actor::Actor;
use crate::auth::token;
use crate::clock::format_ms;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::validate::Check;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// Every enrollment token starts with this, so people (and log scanners) can tell what it is.
pub const TOKEN_PREFIX: &str = "enr_";

/// Where a token stands at `now`.
pub fn status(t: &TokenRow, now: i64) -> &'static str {
    if t.revoked_at.is_some() {
        "revoked"
    } else if t.expires_at.is_some_and(|e| e <= now) {
        "expired"
    } else if t.max_uses.is_some_and(|m| t.uses >= m) {
        "used_up"
    } else {
        "active"
    }
}

pub fn view(t: &TokenRow, now: i64) -> EnrollmentToken {
    EnrollmentToken {
        id: t.id,
        name: t.name.clone(),
        department_id: t.department_id,
        owner_id: t.owner_id,
        expires_at: t.expires_at.map(format_ms),
        revoked_at: t.revoked_at.map(format_ms),
        created_at: format_ms(t.created_at),
        last_used_at: t.last_used_at.map(format_ms),
        uses: t.uses,
        max_uses: t.max_uses,
        status: status(t, now).to_string(),
    }
}

/// The command an agent runs to enroll, for the page that shows a fresh token.
pub fn command(base_url: &str, secret: &str) -> String {
    format!(
        "piket-agent enroll --server {} --token {secret}",
        base_url.trim_end_matches('/')
    )
}

/// The active token a presented secret names, if any.
pub async fn active(
    conn: &mut AnyConnection,
    secret: &str,
    now: i64,
) -> AppResult<Option<TokenRow>> {
    let secret = secret.trim();
    if !secret.starts_with(TOKEN_PREFIX) || secret.len() > 128 {
        return Ok(None);
    }
    let found = store::token_by_hash(conn, &token::hash_token(secret)).await?;
    Ok(found.filter(|t| status(t, now) == "active"))
}

/// The unrevoked token a presented secret names, as a scope for placing reports: a legacy
/// agent's password. An expired or used-up one still vouches for identities bound to it before.
pub async fn scope(
    conn: &mut AnyConnection,
    secret: &str,
    now: i64,
) -> AppResult<Option<crate::inventory::ingest::TokenScope>> {
    let secret = secret.trim();
    if !secret.starts_with(TOKEN_PREFIX) || secret.len() > 128 {
        return Ok(None);
    }
    let found = store::token_by_hash(conn, &token::hash_token(secret)).await?;
    Ok(found
        .filter(|t| t.revoked_at.is_none())
        .map(|t| crate::inventory::ingest::TokenScope {
            id: t.id,
            department_id: t.department_id,
            owner_id: t.owner_id,
            active: status(&t, now) == "active",
        }))
}

pub async fn list(state: &AppState, actor: &Actor) -> AppResult<Vec<EnrollmentToken>> {
    actor.require("settings.manage")?;
    let now = state.now();
    let mut conn = state.db.pool.acquire().await?;
    let rows = store::list_tokens(&mut conn, 500).await?;
    Ok(rows.iter().map(|t| view(t, now)).collect())
}

pub async fn get(state: &AppState, actor: &Actor, id: i64) -> AppResult<EnrollmentToken> {
    actor.require("settings.manage")?;
    let mut conn = state.db.pool.acquire().await?;
    let row = store::get_token(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(view(&row, state.now()))
}

/// Create a shared token (`settings.manage`).
pub async fn create(
    state: &AppState,
    actor: &Actor,
    input: NewEnrollmentToken,
) -> AppResult<CreatedEnrollmentToken> {
    actor.require("settings.manage")?;
    let mut c = Check::new();
    let name = c.text("name", &input.name, 1, 100);
    let days = input.expires_in_days.unwrap_or(7);
    if !(1..=365).contains(&days) {
        c.fail("expires_in_days", "must be between 1 and 365 days");
    }
    if input.max_uses.is_some_and(|m| !(1..=100_000).contains(&m)) {
        c.fail("max_uses", "must be between 1 and 100000");
    }
    c.finish()?;
    if let Some(d) = input.department_id {
        let all = crate::departments::service::all(state).await?;
        if !all.iter().any(|x| x.id == d) {
            return Err(AppError::invalid("department_id", "no such department"));
        }
    }
    // A token reaches its department's assets (and makes new ones there): an admin short of
    // `all` scope names one of their own departments, never another or none (review finding).
    if let Some(own) = actor.assignable_departments() {
        if !input.department_id.is_some_and(|d| own.contains(&d)) {
            return Err(AppError::invalid(
                "department_id",
                "must be among your own departments",
            ));
        }
    }
    let now = state.now();
    let fields = Fields {
        name: &name,
        department_id: input.department_id,
        owner_id: None,
        expires_at: now + days * DAY_MS,
        max_uses: input.max_uses,
    };
    insert(state, actor, fields, "agent.token_create").await
}

/// A personal single-use token for the caller's own PC: their first department, 24 hours.
pub async fn personal(state: &AppState, actor: &Actor) -> AppResult<CreatedEnrollmentToken> {
    let now = state.now();
    let name = format!("Personal: {}", actor.name);
    let fields = Fields {
        name: &name,
        department_id: actor.departments.first().copied(),
        owner_id: Some(actor.user_id),
        expires_at: now + DAY_MS,
        max_uses: Some(1),
    };
    insert(state, actor, fields, "agent.token_personal").await
}

struct Fields<'a> {
    name: &'a str,
    department_id: Option<i64>,
    owner_id: Option<i64>,
    expires_at: i64,
    max_uses: Option<i64>,
}

async fn insert(
    state: &AppState,
    actor: &Actor,
    f: Fields<'_>,
    action: &'static str,
) -> AppResult<CreatedEnrollmentToken> {
    let now = state.now();
    let secret = format!("{TOKEN_PREFIX}{}", token::random_alnum(40));
    let hash = token::hash_token(&secret);
    let new = NewToken {
        name: f.name,
        hash: &hash,
        department_id: f.department_id,
        owner_id: f.owner_id,
        expires_at: f.expires_at,
        max_uses: f.max_uses,
        created_by: (actor.user_id > 0).then_some(actor.user_id),
    };
    let mut tx = state.db.begin().await?;
    let id = store::insert_token(&mut tx, &new, now).await?;
    let row = store::get_token(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let token = view(&row, now);
    let change = Change {
        action,
        object_kind: "enrollment_token",
        object_id: Some(id),
        before: None,
        after: to_json(&token),
    };
    audit::record(&mut tx, now, actor, change).await?;
    tx.commit().await?;
    Ok(CreatedEnrollmentToken {
        command: command(&state.config.base_url, &secret),
        token,
        secret,
    })
}

pub async fn revoke(state: &AppState, actor: &Actor, id: i64) -> AppResult<EnrollmentToken> {
    actor.require("settings.manage")?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let before = store::get_token(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    store::revoke_token(&mut tx, id, now).await?;
    let after = store::get_token(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let change = Change {
        action: "agent.token_revoke",
        object_kind: "enrollment_token",
        object_id: Some(id),
        before: to_json(&view(&before, now)),
        after: to_json(&view(&after, now)),
    };
    audit::record(&mut tx, now, actor, change).await?;
    tx.commit().await?;
    Ok(view(&after, now))
}

/// Counts one use of token `id`, inside the caller's transaction; false when it is used up.
pub async fn use_once(conn: &mut AnyConnection, id: i64, now: i64) -> AppResult<bool> {
    store::use_token(conn, id, now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> TokenRow {
        TokenRow {
            id: 1,
            name: "t".into(),
            department_id: None,
            owner_id: None,
            expires_at: Some(100),
            revoked_at: None,
            created_at: 0,
            last_used_at: None,
            uses: 0,
            max_uses: Some(2),
        }
    }

    #[test]
    fn status_names_revoked_then_expired_then_used_up() {
        assert_eq!(status(&row(), 99), "active");
        assert_eq!(status(&row(), 100), "expired");
        assert_eq!(status(&TokenRow { uses: 2, ..row() }, 0), "used_up");
        let revoked = TokenRow {
            revoked_at: Some(1),
            uses: 2,
            ..row()
        };
        assert_eq!(status(&revoked, 200), "revoked");
        assert_eq!(
            status(
                &TokenRow {
                    expires_at: None,
                    max_uses: None,
                    uses: 9,
                    ..row()
                },
                1 << 50
            ),
            "active"
        );
    }

    #[test]
    fn command_has_no_double_slash() {
        assert_eq!(
            command("https://desk.example/", "enr_x"),
            "piket-agent enroll --server https://desk.example --token enr_x"
        );
    }
}
