//! Session and password rules: sessions, first-run setup, password change and reset (signing in
//! itself is `auth::login`). Every answer is the same whether an account exists or not.

use super::actor::{Actor, Via};
use super::cache::TTL_MS as CACHE_TTL_MS;
use super::{password, store, token};
use crate::apikeys::service as apikeys;
use crate::audit::{self, Change};
use crate::error::{AppError, AppResult};
use crate::i18n::Locale;
use crate::notify::outbox;
use crate::roles::service as roles;
use crate::state::AppState;
use crate::users::accounts::{self, UserFields};
use crate::validate::Check;

const RESET_TTL_MS: i64 = 60 * 60 * 1000;
const SETUP_TTL_MS: i64 = 7 * 24 * 60 * 60 * 1000;
const TOUCH_EVERY_MS: i64 = 5 * 60 * 1000;
/// Reset mails one address receives per [`RESET_WINDOW_MS`], whatever the client addresses
/// asking (the per-IP limit alone let many clients flood one inbox).
const RESETS_PER_ADDRESS: i64 = 3;
const RESET_WINDOW_MS: i64 = 60 * 60 * 1000;

/// A freshly issued session: the cookie value (shown once) and its owner.
pub struct NewSession {
    pub token: String,
    pub user_id: i64,
}

pub(super) async fn issue_session(
    conn: &mut sqlx::AnyConnection,
    state: &AppState,
    user_id: i64,
    ip: &str,
) -> AppResult<NewSession> {
    let token = token::random_token(32);
    let now = state.now();
    let expires = now + (state.config.session_hours as i64) * 3_600_000;
    store::insert_session(conn, &token::hash_token(&token), user_id, now, expires, ip).await?;
    Ok(NewSession { token, user_id })
}

fn session_actor_for_audit(user_id: i64, email: &str, ip: &str) -> Actor {
    Actor {
        user_id,
        email: email.to_string(),
        name: email.to_string(),
        via: Via::Session,
        ip: ip.to_string(),
        ..Actor::system()
    }
}

pub async fn logout(state: &AppState, session_token: &str) -> AppResult<()> {
    let mut conn = state.db.pool.acquire().await?;
    store::delete_session(&mut conn, &token::hash_token(session_token)).await?;
    state.actor_cache.invalidate();
    Ok(())
}

/// The actor behind a session cookie, if the session is live and the user enabled.
pub async fn session_actor(
    state: &AppState,
    session_token: &str,
    ip: &str,
) -> AppResult<Option<Actor>> {
    let hash = token::hash_token(session_token);
    let now = state.now();
    // Every page asks this: a live session is kept in the actor cache for a moment (2 s), and
    // anything that ends sessions or changes users, roles or departments on this node empties it.
    let cache_key = format!("session:{hash}");
    if let Some(actor) = state.actor_cache.get(&cache_key, now) {
        return Ok(Some(Actor {
            ip: ip.to_string(),
            ..actor
        }));
    }
    let mut conn = state.db.pool.acquire().await?;
    let Some(row) = store::session(&mut conn, &hash).await? else {
        return Ok(None);
    };
    if row.expires_at <= now {
        store::delete_session(&mut conn, &hash).await?;
        return Ok(None);
    }
    if now - row.last_seen_at > TOUCH_EVERY_MS {
        store::touch_session(&mut conn, &hash, now).await?;
    }
    let actor = accounts::load_actor(&mut conn, row.user_id, Via::Session, ip).await?;
    if let Some(a) = actor
        .as_ref()
        .filter(|_| row.expires_at > now + CACHE_TTL_MS)
    {
        state.actor_cache.put(cache_key, a.clone(), now);
    }
    Ok(actor)
}

/// On a server with no users, issue a one-time setup token (replacing older unused ones).
pub async fn ensure_setup_token(state: &AppState) -> AppResult<Option<String>> {
    let mut tx = state.db.begin().await?;
    if accounts::count(&mut tx).await? > 0 {
        return Ok(None);
    }
    store::delete_unused_tokens(&mut tx, "setup", None).await?;
    let setup = token::random_token(24);
    let now = state.now();
    store::insert_token(
        &mut tx,
        &token::hash_token(&setup),
        "setup",
        None,
        now,
        now + SETUP_TTL_MS,
    )
    .await?;
    tx.commit().await?;
    Ok(Some(setup))
}

pub async fn setup_token_valid(state: &AppState, setup: &str) -> AppResult<bool> {
    let mut conn = state.db.pool.acquire().await?;
    Ok(accounts::count(&mut conn).await? == 0
        && store::token_valid(&mut conn, &token::hash_token(setup), "setup", state.now()).await?)
}

pub struct SetupForm<'a> {
    pub token: &'a str,
    pub name: &'a str,
    pub email: &'a str,
    pub password: &'a str,
    pub password_confirm: &'a str,
    pub locale: Option<Locale>,
}

/// Create the first superadmin with a single-use token, and sign them in (this browser is
/// trusted for the account from the start, see `auth::login`).
pub async fn complete_setup(
    state: &AppState,
    form: SetupForm<'_>,
    ip: &str,
) -> AppResult<super::login::SignedIn> {
    state
        .reset_limiter
        .hit(ip, state.now())
        .map_err(|s| AppError::RateLimited {
            retry_after_secs: s,
        })?;
    let mut c = Check::new();
    let email = c.email("email", form.email);
    let name = c.text("name", form.name, 1, 100);
    check_new_password(&mut c, state, form.password, form.password_confirm, &email);
    c.finish()?;
    let hash = password::hash(&state.password_permits, form.password).await?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    if accounts::count(&mut tx).await? > 0
        || store::consume_token(&mut tx, &token::hash_token(form.token), "setup", now)
            .await?
            .is_none()
    {
        return Err(AppError::NotFound);
    }
    let role = roles::by_name_in(&mut tx, super::permissions::SUPERADMIN)
        .await?
        .ok_or(AppError::Internal("built-in roles missing".into()))?;
    let locale = form.locale.map(|l| l.code());
    let fields = UserFields {
        email: &email,
        name: &name,
        role_id: role.id,
        locale,
        phone: None,
        disabled: false,
    };
    let user_id = accounts::insert_first(&mut tx, &fields, &hash, now).await?;
    let actor = session_actor_for_audit(user_id, &email, ip);
    audit::record(
        &mut tx,
        now,
        &actor,
        Change {
            action: "setup.complete",
            object_kind: "user",
            object_id: Some(user_id),
            before: None,
            after: serde_json::to_value(
                serde_json::json!({"email": email, "name": name, "role": role.name}),
            )
            .ok(),
        },
    )
    .await?;
    let session = issue_session(&mut tx, state, user_id, ip).await?;
    let device = super::login::remember_device(&mut tx, user_id, now, None).await?;
    tx.commit().await?;
    Ok(super::login::SignedIn { session, device })
}

fn check_new_password(c: &mut Check, state: &AppState, new: &str, confirm: &str, email: &str) {
    if let Err(AppError::Invalid(errs)) =
        password::check_policy(new, &state.config.password_policy(), email)
    {
        errs.into_iter().for_each(|e| c.fail(&e.field, e.message));
    }
    if new != confirm {
        c.fail("password_confirm", "does not match the password");
    }
}

/// Change one's own password; every other session of the user is revoked and the current one
/// is replaced by a new id. With `revoke_keys` (the form's default) the user's API keys go too.
pub async fn change_password(
    state: &AppState,
    actor: &Actor,
    current: &str,
    new: &str,
    confirm: &str,
    revoke_keys: bool,
) -> AppResult<NewSession> {
    // The current password is a password check like a sign-in: a stolen session must not guess
    // it without limit, so the per-IP sign-in limit counts these too.
    state
        .login_limiter
        .hit(&actor.ip, state.now())
        .map_err(|s| AppError::RateLimited {
            retry_after_secs: s,
        })?;
    let mut conn = state.db.pool.acquire().await?;
    let creds = accounts::credentials_by_id(&mut conn, actor.user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    drop(conn);
    let mut c = Check::new();
    let current_ok = match creds.password_hash.as_deref() {
        Some(h) => password::verify(&state.password_permits, current, h).await,
        None => false,
    };
    if !current_ok {
        c.fail("current_password", "is not your current password");
    }
    check_new_password(&mut c, state, new, confirm, &actor.email);
    c.finish()?;
    let hash = password::hash(&state.password_permits, new).await?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    accounts::set_password_hash(&mut tx, actor.user_id, &hash, now).await?;
    store::delete_sessions_of(&mut tx, actor.user_id, None).await?;
    if revoke_keys {
        apikeys::revoke_all_of(&mut tx, actor, actor.user_id, now).await?;
        crate::desktop::service::revoke_all_of(&mut tx, actor.user_id, now).await?;
    }
    let session = issue_session(&mut tx, state, actor.user_id, &actor.ip).await?;
    audit::record(
        &mut tx,
        now,
        actor,
        Change {
            action: "user.password_change",
            object_kind: "user",
            object_id: Some(actor.user_id),
            before: None,
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    // Sessions ended above: cached session actors must not outlive them.
    state.actor_cache.invalidate();
    Ok(session)
}

/// A password was set without the old one (a reset, an admin, the command line): whoever knew
/// the old one keeps nothing it opened. The user's API keys are revoked and their trusted
/// browsers forgotten (sessions are the caller's: it already revokes them). The caller empties
/// the actor cache after committing.
pub async fn revoke_after_password_set(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    user_id: i64,
    now: i64,
) -> AppResult<()> {
    store::delete_devices_of(conn, user_id).await?;
    apikeys::revoke_all_of(conn, actor, user_id, now).await?;
    crate::desktop::service::revoke_all_of(conn, user_id, now).await?;
    Ok(())
}

/// Send a reset link if the account exists; the caller's answer never says whether it did.
pub async fn request_reset(state: &AppState, email: &str, ip: &str) -> AppResult<()> {
    let now = state.now();
    state
        .reset_limiter
        .hit(ip, now)
        .map_err(|s| AppError::RateLimited {
            retry_after_secs: s,
        })?;
    let email = email.trim().to_lowercase();
    let mut tx = state.db.begin().await?;
    let Some(creds) = accounts::credentials(&mut tx, &email)
        .await?
        .filter(|c| c.disabled == 0)
    else {
        return Ok(());
    };
    let user = accounts::get(&mut tx, creds.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let sent = store::count_hit(
        &mut tx,
        &format!("reset:{}", user.email),
        now,
        now - RESET_WINDOW_MS,
    )
    .await?;
    if sent.failures > RESETS_PER_ADDRESS {
        // Same answer as any other request; the last link sent stays the valid one.
        tx.commit().await?;
        tracing::warn!(%ip, "password reset mail held back: too many for one address");
        return Ok(());
    }
    store::delete_unused_tokens(&mut tx, "reset", Some(user.id)).await?;
    let reset = token::random_token(32);
    store::insert_token(
        &mut tx,
        &token::hash_token(&reset),
        "reset",
        Some(user.id),
        now,
        now + RESET_TTL_MS,
    )
    .await?;
    let locale = user
        .locale
        .as_deref()
        .and_then(Locale::parse)
        .unwrap_or(Locale::En);
    let link = format!("{}/password/reset?token={reset}", state.config.base_url);
    let subject = state.catalog.get(locale, "email_reset_subject").to_string();
    let body = state
        .catalog
        .get(locale, "email_reset_body")
        .replace("{name}", &user.name)
        .replace("{link}", &link);
    outbox::enqueue_email(&mut tx, &user.email, &subject, &body, now).await?;
    let actor = session_actor_for_audit(user.id, &user.email, ip);
    audit::record(
        &mut tx,
        now,
        &actor,
        Change {
            action: "user.password_reset_requested",
            object_kind: "user",
            object_id: Some(user.id),
            before: None,
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn reset_token_valid(state: &AppState, reset: &str) -> AppResult<bool> {
    let mut conn = state.db.pool.acquire().await?;
    store::token_valid(&mut conn, &token::hash_token(reset), "reset", state.now()).await
}

/// Set a new password with a reset token; the token works once, and every session, API key and
/// trusted browser of the user is revoked.
pub async fn complete_reset(
    state: &AppState,
    reset: &str,
    new: &str,
    confirm: &str,
    ip: &str,
) -> AppResult<()> {
    let now = state.now();
    let token_hash = token::hash_token(reset);
    // The new password is checked and hashed before the transaction: a write transaction that
    // waited for a hashing permit would hold SQLite's write lock meanwhile.
    let user = {
        let mut conn = state.db.pool.acquire().await?;
        let Some(user_id) = store::token_user(&mut conn, &token_hash, "reset", now).await? else {
            return Err(AppError::NotFound);
        };
        accounts::get(&mut conn, user_id)
            .await?
            .ok_or(AppError::NotFound)?
    };
    let mut c = Check::new();
    check_new_password(&mut c, state, new, confirm, &user.email);
    c.finish()?;
    let hash = password::hash(&state.password_permits, new).await?;
    let mut tx = state.db.begin().await?;
    // Used here, once: a second reset with the same token gets nothing.
    let user_id = match store::consume_token(&mut tx, &token_hash, "reset", now).await? {
        Some(id) if id == user.id => id,
        _ => return Err(AppError::NotFound),
    };
    accounts::set_password_hash(&mut tx, user_id, &hash, now).await?;
    store::delete_sessions_of(&mut tx, user_id, None).await?;
    store::clear_throttle(&mut tx, &format!("login:{}", user.email)).await?;
    let actor = session_actor_for_audit(user_id, &user.email, ip);
    revoke_after_password_set(&mut tx, &actor, user_id, now).await?;
    audit::record(
        &mut tx,
        now,
        &actor,
        Change {
            action: "user.password_reset",
            object_kind: "user",
            object_id: Some(user_id),
            before: None,
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    // Sessions ended above: cached session actors must not outlive them.
    state.actor_cache.invalidate();
    Ok(())
}

/// Used by the command line: create or update a user's password without the old one. Like an
/// admin setting it, this revokes the user's sessions, API keys and trusted browsers.
pub async fn set_password_by_email(state: &AppState, email: &str, new: &str) -> AppResult<()> {
    let email = email.trim().to_lowercase();
    password::check_policy(new, &state.config.password_policy(), &email)?;
    let hash = password::hash(&state.password_permits, new).await?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let id = accounts::id_by_email(&mut tx, &email)
        .await?
        .ok_or(AppError::NotFound)?;
    accounts::set_password_hash(&mut tx, id, &hash, now).await?;
    store::delete_sessions_of(&mut tx, id, None).await?;
    store::clear_throttle(&mut tx, &format!("login:{email}")).await?;
    revoke_after_password_set(&mut tx, &Actor::system(), id, now).await?;
    audit::record(
        &mut tx,
        now,
        &Actor::system(),
        Change {
            action: "user.password_set",
            object_kind: "user",
            object_id: Some(id),
            before: None,
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    // Sessions ended above: cached session actors must not outlive them.
    state.actor_cache.invalidate();
    Ok(())
}

/// The periodic clean-up: expired sessions, and sign-in throttling state older than its window.
pub async fn sweep(state: &AppState, now: i64) -> AppResult<()> {
    let mut conn = state.db.pool.acquire().await?;
    store::delete_expired_sessions(&mut conn, now).await?;
    let cutoff = now - super::throttle::FAILURE_WINDOW_MS;
    store::delete_stale_sign_in_state(&mut conn, now, cutoff).await?;
    Ok(())
}

/// Signs a user out everywhere, inside the caller's transaction (an admin disabled the account
/// or changed its role).
pub async fn end_sessions_in(conn: &mut sqlx::AnyConnection, user_id: i64) -> AppResult<()> {
    store::delete_sessions_of(conn, user_id, None).await
}
