//! Rules for accounts: who may see and change whom, role grants, the last superadmin, and what
//! happens to sessions when an account changes.

use sqlx::AnyConnection;

use super::store::{self, UserFields};
use super::{NewUser, ProfilePatch, User, UserFilter, UserPatch};
use crate::api::page::{Page, PageRequest};
use crate::audit::{self, to_json, Change};
use crate::auth::actor::Actor;
use crate::auth::permissions::{Scope, SUPERADMIN};
use crate::auth::{password, service as auth};
use crate::error::{AppError, AppResult};
use crate::i18n::Locale;
use crate::roles::{service as roles, Role};
use crate::state::AppState;
use crate::validate::Check;

fn may_read(actor: &Actor) -> AppResult<()> {
    if actor.can("users.read") || actor.can("users.manage") {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

pub async fn list(state: &AppState, actor: &Actor, filter: UserFilter) -> AppResult<Page<User>> {
    may_read(actor)?;
    let page = PageRequest::parse(filter.cursor.as_deref(), filter.limit)?;
    let mut conn = state.db.pool.acquire().await?;
    let rows = store::list(
        &mut conn,
        &filter,
        (actor.scope, &actor.departments, actor.user_id),
        page.cursor.unwrap_or(0),
        page.limit + 1,
    )
    .await?;
    Ok(page.finish(rows, |u| u.id))
}

/// The users among `ids` the actor may see (the others are left out), by name: to name the
/// people a record points at (a licence's users) without a statement each.
pub async fn visible_among(state: &AppState, actor: &Actor, ids: &[i64]) -> AppResult<Vec<User>> {
    let mut conn = state.db.pool.acquire().await?;
    let mut out = Vec::new();
    if may_read(actor).is_ok() {
        for chunk in ids.chunks(500) {
            let scope = (actor.scope, actor.departments.as_slice(), actor.user_id);
            out.extend(store::by_ids(&mut conn, chunk, scope).await?);
        }
    } else if ids.contains(&actor.user_id) {
        out.extend(store::get(&mut conn, actor.user_id).await?);
    }
    Ok(out)
}

/// Whether the actor may look people up (`users.read` or `users.manage`), e.g. to pick one.
pub fn may_search(actor: &Actor) -> bool {
    may_read(actor).is_ok()
}

/// A user the actor may see; anything else is "not found".
async fn visible(conn: &mut AnyConnection, actor: &Actor, id: i64) -> AppResult<User> {
    let user = store::get(conn, id).await?.ok_or(AppError::NotFound)?;
    if id == actor.user_id
        || ((actor.can("users.read") || actor.can("users.manage"))
            && actor.reaches(&user.departments, Some(user.id)))
    {
        Ok(user)
    } else {
        Err(AppError::NotFound)
    }
}

/// A user the actor may manage: visible to them (else "not found"), and holding no more than
/// the actor could grant, within the actor's departments (else "forbidden"). Every change to
/// another account (its fields, password, email, state, deletion, API keys) asks this first.
pub(crate) async fn manageable(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
) -> AppResult<User> {
    let user = visible(conn, actor, id).await?;
    let role = roles::get_in(conn, user.role_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let permissions = role.permissions.iter().cloned().collect();
    if actor.may_manage(&role.name, &permissions, role.scope, &user.departments) {
        Ok(user)
    } else {
        Err(AppError::Forbidden)
    }
}

pub async fn get(state: &AppState, actor: &Actor, id: i64) -> AppResult<User> {
    let mut conn = state.db.pool.acquire().await?;
    visible(&mut conn, actor, id).await
}

async fn resolve_role(
    conn: &mut AnyConnection,
    c: &mut Check,
    name: Option<&str>,
    id: Option<i64>,
) -> AppResult<Option<Role>> {
    let role = match (name, id) {
        (_, Some(id)) => roles::get_in(conn, id).await?,
        (Some(name), None) => roles::by_name_in(conn, name.trim()).await?,
        (None, None) => return Ok(None),
    };
    if role.is_none() {
        c.fail("role", "no such role");
    }
    Ok(role)
}

/// A phone number as typed: at most 32 characters of digits, spaces and `+ - ( ) .`, with at
/// least three digits; empty is none.
fn check_phone(c: &mut Check, typed: Option<&str>) -> Option<String> {
    let phone = typed.map(str::trim).filter(|p| !p.is_empty())?;
    let allowed = phone
        .chars()
        .all(|ch| ch.is_ascii_digit() || matches!(ch, ' ' | '+' | '-' | '(' | ')' | '.'));
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    if phone.chars().count() > 32 || !allowed || digits < 3 {
        c.fail("phone", "must be a phone number");
        return None;
    }
    Some(phone.to_string())
}

/// A zone name as stored: canonical IANA or `UTC±HH:MM`, or "" for the organisation's.
fn check_time_zone(c: &mut Check, typed: &str) -> String {
    if typed.trim().is_empty() {
        return String::new();
    }
    match crate::local_time::Zone::parse(typed) {
        Some(zone) => zone.name().to_string(),
        None => {
            c.fail("time_zone", "is not a known time zone");
            String::new()
        }
    }
}

fn check_locale(c: &mut Check, locale: Option<&str>) -> Option<String> {
    match locale.map(str::trim) {
        None | Some("") => None,
        Some(code) => match Locale::parse(code) {
            Some(l) => Some(l.code().to_string()),
            None => {
                c.fail("locale", "must be en, id or el");
                None
            }
        },
    }
}

async fn check_departments(
    conn: &mut AnyConnection,
    c: &mut Check,
    actor: &Actor,
    ids: &[i64],
) -> AppResult<Vec<i64>> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if crate::departments::service::count_existing(conn, &ids).await? != ids.len() as i64 {
        c.fail("departments", "contains an unknown department");
    } else if let Some(allowed) = actor.assignable_departments() {
        if ids.is_empty() || !ids.iter().all(|d| allowed.contains(d)) {
            c.fail("departments", "must be among your own departments");
        }
    }
    Ok(ids)
}

fn check_grant(c: &mut Check, actor: &Actor, role: &Role) {
    if !actor.may_grant(
        &role.name,
        &role.permissions.iter().cloned().collect(),
        role.scope,
    ) {
        c.fail(
            "role",
            "you cannot give a role with more rights than your own",
        );
    }
}

pub async fn create(state: &AppState, actor: &Actor, input: NewUser) -> AppResult<User> {
    actor.require("users.manage")?;
    let mut conn = state.db.pool.acquire().await?;
    let mut c = Check::new();
    let email = c.email("email", &input.email);
    let name = c.text("name", &input.name, 1, 100);
    let locale = check_locale(&mut c, input.locale.as_deref());
    let phone = check_phone(&mut c, input.phone.as_deref());
    let role = resolve_role(&mut conn, &mut c, input.role.as_deref(), input.role_id).await?;
    if input.role.is_none() && input.role_id.is_none() {
        c.fail("role", "is required");
    }
    if let Some(role) = &role {
        check_grant(&mut c, actor, role);
    }
    let departments = check_departments(&mut conn, &mut c, actor, &input.departments).await?;
    let hash = match &input.password {
        Some(p) => match password::check_policy(p, &state.config.password_policy(), &email) {
            Ok(()) => Some(password::hash(&state.password_permits, p).await?),
            Err(AppError::Invalid(errs)) => {
                errs.into_iter().for_each(|e| c.fail(&e.field, e.message));
                None
            }
            Err(e) => return Err(e),
        },
        None => None,
    };
    c.finish()?;
    drop(conn);
    let role = role.ok_or_else(|| AppError::invalid("role", "is required"))?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    if store::id_by_email(&mut tx, &email).await?.is_some() {
        return Err(AppError::invalid(
            "email",
            "is already used by another account",
        ));
    }
    let fields = UserFields {
        email: &email,
        name: &name,
        role_id: role.id,
        locale: locale.as_deref(),
        phone: phone.as_deref(),
        disabled: false,
    };
    let id = store::insert(&mut tx, &fields, hash.as_deref(), now).await?;
    store::set_departments(&mut tx, id, &departments).await?;
    let user = store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    audit::record(
        &mut tx,
        now,
        actor,
        Change {
            action: "user.create",
            object_kind: "user",
            object_id: Some(id),
            before: None,
            after: to_json(&user),
        },
    )
    .await?;
    tx.commit().await?;
    state
        .parts
        .get::<crate::tickets::AssigneeCache>()
        .invalidate();
    Ok(user)
}

pub async fn update(state: &AppState, actor: &Actor, id: i64, patch: UserPatch) -> AppResult<User> {
    actor.require("users.manage")?;
    let mut conn = state.db.pool.acquire().await?;
    let before = manageable(&mut conn, actor, id).await?;
    let mut c = Check::new();
    let email = c.email("email", patch.email.as_deref().unwrap_or(&before.email));
    let name = c.text(
        "name",
        patch.name.as_deref().unwrap_or(&before.name),
        1,
        100,
    );
    let locale = match &patch.locale {
        Some(l) => check_locale(&mut c, Some(l)),
        None => before.locale.clone(),
    };
    let phone = match &patch.phone {
        Some(p) => check_phone(&mut c, Some(p)),
        None => before.phone.clone(),
    };
    let role = match resolve_role(&mut conn, &mut c, patch.role.as_deref(), patch.role_id).await? {
        Some(role) if role.id != before.role_id => {
            check_grant(&mut c, actor, &role);
            Some(role)
        }
        _ => None,
    };
    let departments = match &patch.departments {
        Some(ids) => check_departments(&mut conn, &mut c, actor, ids).await?,
        None => before.departments.clone(),
    };
    let disabled = patch.disabled.unwrap_or(before.disabled);
    if id == actor.user_id && (disabled || role.is_some()) {
        c.fail(
            if disabled { "disabled" } else { "role" },
            "you cannot disable yourself or change your own role",
        );
    }
    let hash = match &patch.password {
        Some(p) => {
            password::check_policy(p, &state.config.password_policy(), &email)?;
            Some(password::hash(&state.password_permits, p).await?)
        }
        None => None,
    };
    c.finish()?;
    drop(conn);
    let now = state.now();
    let mut tx = state.db.begin().await?;
    if email != before.email && store::id_by_email(&mut tx, &email).await?.is_some() {
        return Err(AppError::invalid(
            "email",
            "is already used by another account",
        ));
    }
    let role_id = role.as_ref().map_or(before.role_id, |r| r.id);
    let fields = UserFields {
        email: &email,
        name: &name,
        role_id,
        locale: locale.as_deref(),
        phone: phone.as_deref(),
        disabled,
    };
    store::update(&mut tx, id, &fields, now).await?;
    store::set_departments(&mut tx, id, &departments).await?;
    if let Some(hash) = &hash {
        store::set_password_hash(&mut tx, id, hash, now).await?;
        crate::auth::service::revoke_after_password_set(&mut tx, actor, id, now).await?;
    }
    if before.role_name == SUPERADMIN && store::count_active_superadmins(&mut tx).await? == 0 {
        return Err(AppError::Conflict(
            "This is the last active superadmin; keep at least one.".into(),
        ));
    }
    if disabled || hash.is_some() || role.is_some() {
        auth::end_sessions_in(&mut tx, id).await?;
    }
    let after = store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    audit::record(
        &mut tx,
        now,
        actor,
        Change {
            action: "user.update",
            object_kind: "user",
            object_id: Some(id),
            before: to_json(&before),
            after: to_json(&after),
        },
    )
    .await?;
    tx.commit().await?;
    state.actor_cache.invalidate();
    state
        .parts
        .get::<crate::tickets::AssigneeCache>()
        .invalidate();
    Ok(after)
}

pub async fn delete(state: &AppState, actor: &Actor, id: i64) -> AppResult<()> {
    actor.require("users.manage")?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let before = manageable(&mut tx, actor, id).await?;
    if id == actor.user_id {
        return Err(AppError::Conflict(
            "You cannot delete your own account.".into(),
        ));
    }
    store::delete(&mut tx, id).await?;
    if before.role_name == SUPERADMIN && store::count_active_superadmins(&mut tx).await? == 0 {
        return Err(AppError::Conflict(
            "This is the last active superadmin; keep at least one.".into(),
        ));
    }
    audit::record(
        &mut tx,
        now,
        actor,
        Change {
            action: "user.delete",
            object_kind: "user",
            object_id: Some(id),
            before: to_json(&before),
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    state.actor_cache.invalidate();
    state
        .parts
        .get::<crate::tickets::AssigneeCache>()
        .invalidate();
    Ok(())
}

/// Users change their own name and language; nothing else.
pub async fn update_profile(
    state: &AppState,
    actor: &Actor,
    patch: ProfilePatch,
) -> AppResult<User> {
    let mut c = Check::new();
    let mut conn = state.db.pool.acquire().await?;
    let before = store::get(&mut conn, actor.user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    drop(conn);
    let name = c.text(
        "name",
        patch.name.as_deref().unwrap_or(&before.name),
        1,
        100,
    );
    let locale = match &patch.locale {
        Some(l) => check_locale(&mut c, Some(l)),
        None => before.locale.clone(),
    };
    let time_zone = patch
        .time_zone
        .as_deref()
        .map(|typed| check_time_zone(&mut c, typed));
    let phone = match &patch.phone {
        Some(p) => check_phone(&mut c, Some(p)),
        None => before.phone.clone(),
    };
    c.finish()?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    if let Some(zone) = &time_zone {
        store::set_time_zone(&mut tx, actor.user_id, zone, now).await?;
    }
    let fields = UserFields {
        email: &before.email,
        name: &name,
        role_id: before.role_id,
        locale: locale.as_deref(),
        phone: phone.as_deref(),
        disabled: before.disabled,
    };
    store::update(&mut tx, actor.user_id, &fields, now).await?;
    let after = store::get(&mut tx, actor.user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    audit::record(
        &mut tx,
        now,
        actor,
        Change {
            action: "user.profile",
            object_kind: "user",
            object_id: Some(actor.user_id),
            before: to_json(&before),
            after: to_json(&after),
        },
    )
    .await?;
    tx.commit().await?;
    state.actor_cache.invalidate();
    state
        .parts
        .get::<crate::tickets::AssigneeCache>()
        .invalidate();
    Ok(after)
}

/// What the user form offers: the roles the actor may hand out and the departments they may
/// put people in (`create` and `update` refuse the rest anyway).
pub struct FormChoices {
    pub roles: Vec<Role>,
    pub departments: Vec<crate::departments::Department>,
}

impl FormChoices {
    /// The role a new account starts on: the narrowest scope, then the fewest permissions, so
    /// that forgetting to choose never hands out more than the least.
    pub fn least_privileged(&self) -> Option<i64> {
        let rank = |s: Scope| match s {
            Scope::Own => 0,
            Scope::Department => 1,
            Scope::All => 2,
        };
        self.roles
            .iter()
            .min_by_key(|r| (rank(r.scope), r.permissions.len(), r.id))
            .map(|r| r.id)
    }
}

/// The user form's choices; the form is for `users.manage`.
pub async fn form_choices(state: &AppState, actor: &Actor) -> AppResult<FormChoices> {
    actor.require("users.manage")?;
    let roles = crate::roles::service::grantable(state, actor).await?;
    let mut departments = crate::departments::service::all(state).await?;
    if let Some(own) = actor.assignable_departments() {
        departments.retain(|d| own.contains(&d.id));
    }
    Ok(FormChoices { roles, departments })
}
