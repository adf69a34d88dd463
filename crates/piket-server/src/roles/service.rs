//! Rules for roles: built-ins are kept in step with the code; custom roles need `roles.manage`
//! and can never hold a permission their creator lacks.

use std::collections::BTreeSet;

use super::store::{self, RoleFields};
use super::{NewRole, Role, RolePatch};
use crate::audit::{self, to_json, Change};
use crate::auth::actor::Actor;
use crate::auth::permissions::{self, Scope, BUILTIN_ROLES};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::validate::Check;

/// Create missing built-in roles and bring their permissions up to date (run at every start).
pub async fn ensure_builtin(db: &crate::db::Db, now: i64) -> AppResult<()> {
    let mut tx = db.begin().await?;
    for builtin in BUILTIN_ROLES {
        let perms = builtin.permission_list();
        let fields = RoleFields {
            name: builtin.name,
            description: "",
            scope: builtin.scope,
            permissions: &perms,
        };
        match store::by_name(&mut tx, builtin.name).await? {
            None => {
                store::insert(&mut tx, &fields, true, now).await?;
            }
            Some(existing)
                if existing.permissions != perms
                    || existing.scope != builtin.scope
                    || !existing.builtin =>
            {
                sqlx::query("UPDATE roles SET builtin = 1 WHERE id = $1")
                    .bind(existing.id)
                    .execute(&mut *tx)
                    .await?;
                store::update(
                    &mut tx,
                    existing.id,
                    &RoleFields {
                        description: &existing.description,
                        ..fields
                    },
                    now,
                )
                .await?;
            }
            Some(_) => {}
        }
    }
    tx.commit().await?;
    Ok(())
}

fn may_list(actor: &Actor) -> AppResult<()> {
    if actor.can("roles.manage") || actor.can("users.read") || actor.can("users.manage") {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

pub async fn list(state: &AppState, actor: &Actor) -> AppResult<Vec<Role>> {
    may_list(actor)?;
    let mut conn = state.db.pool.acquire().await?;
    store::all(&mut conn).await
}

/// The roles the actor may hand out (for the user form's choice list).
pub async fn grantable(state: &AppState, actor: &Actor) -> AppResult<Vec<Role>> {
    let mut all = list(state, actor).await?;
    all.retain(|r| {
        let perms = r.permissions.iter().cloned().collect();
        actor.may_grant(&r.name, &perms, r.scope)
    });
    Ok(all)
}

pub async fn get(state: &AppState, actor: &Actor, id: i64) -> AppResult<Role> {
    may_list(actor)?;
    let mut conn = state.db.pool.acquire().await?;
    store::get(&mut conn, id).await?.ok_or(AppError::NotFound)
}

fn check(
    actor: &Actor,
    name: &str,
    description: &str,
    permissions: &[String],
    scope: Scope,
) -> AppResult<(String, String, Vec<String>)> {
    let mut c = Check::new();
    let name = c.text("name", name, 1, 60);
    let description = c.text("description", description, 0, 500);
    let set: BTreeSet<String> = permissions.iter().map(|p| p.trim().to_string()).collect();
    if let Some(unknown) = set.iter().find(|p| !permissions::is_known(p)) {
        c.fail("permissions", format!("unknown permission {unknown:?}"));
    } else if !actor.may_grant(&name, &set, Scope::Own) {
        c.fail(
            "permissions",
            "you cannot grant permissions you do not hold",
        );
    } else if !actor.may_grant(&name, &set, scope) {
        c.fail("scope", "you cannot grant a wider scope than your own");
    }
    if BUILTIN_ROLES
        .iter()
        .any(|b| b.name.eq_ignore_ascii_case(&name))
    {
        c.fail("name", "is the name of a built-in role");
    }
    c.finish()?;
    Ok((name, description, set.into_iter().collect()))
}

/// Whether the actor may edit or delete an existing role: it must be one they could grant
/// (no wider in permissions or scope than their own), and an actor short of `all` scope must
/// reach every holder of it (a change to a role changes every holder's rights).
async fn may_change(conn: &mut sqlx::AnyConnection, actor: &Actor, role: &Role) -> AppResult<()> {
    let perms: BTreeSet<String> = role.permissions.iter().cloned().collect();
    if !actor.may_grant(&role.name, &perms, role.scope) {
        return Err(AppError::Forbidden);
    }
    if actor.scope != Scope::All && !actor.is_superadmin() {
        let holders = store::holder_departments(conn, role.id).await?;
        let outside = holders
            .iter()
            .any(|(_, d)| d.is_none_or(|d| !actor.departments.contains(&d)));
        if outside {
            return Err(AppError::Forbidden);
        }
    }
    Ok(())
}

pub async fn create(state: &AppState, actor: &Actor, input: NewRole) -> AppResult<Role> {
    actor.require("roles.manage")?;
    let (name, description, perms) = check(
        actor,
        &input.name,
        &input.description,
        &input.permissions,
        input.scope,
    )?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let fields = RoleFields {
        name: &name,
        description: &description,
        scope: input.scope,
        permissions: &perms,
    };
    let id = store::insert(&mut tx, &fields, false, now).await?;
    let role = store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    audit::record(
        &mut tx,
        now,
        actor,
        Change {
            action: "role.create",
            object_kind: "role",
            object_id: Some(id),
            before: None,
            after: to_json(&role),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(role)
}

/// A new role from the role editor: only what the editor offers (`permissions::is_offered`).
pub async fn create_from_editor(
    state: &AppState,
    actor: &Actor,
    mut input: NewRole,
) -> AppResult<Role> {
    input.permissions = keep_hidden(&[], &input.permissions);
    create(state, actor, input).await
}

pub async fn update(state: &AppState, actor: &Actor, id: i64, patch: RolePatch) -> AppResult<Role> {
    update_with(state, actor, id, patch, false).await
}

/// A change from the role editor, which offers only the permissions of built modules
/// (`permissions::is_offered`): its list decides those, and the hidden ones the role holds are
/// kept as they are, so saving the form never drops what it could not show.
pub async fn update_from_editor(
    state: &AppState,
    actor: &Actor,
    id: i64,
    patch: RolePatch,
) -> AppResult<Role> {
    update_with(state, actor, id, patch, true).await
}

/// `chosen` for the offered permissions, and the role's own for the hidden ones.
pub fn keep_hidden(held: &[String], chosen: &[String]) -> Vec<String> {
    let offered = chosen.iter().filter(|p| permissions::is_offered(p.trim()));
    let hidden = held.iter().filter(|p| !permissions::is_offered(p));
    offered.chain(hidden).cloned().collect()
}

/// The permissions a role holds that the editor does not show (modules not built yet).
pub fn hidden_held(role: &Role) -> Vec<String> {
    keep_hidden(&role.permissions, &[])
}

async fn update_with(
    state: &AppState,
    actor: &Actor,
    id: i64,
    mut patch: RolePatch,
    from_editor: bool,
) -> AppResult<Role> {
    actor.require("roles.manage")?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let before = store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    if before.builtin {
        return Err(AppError::Conflict(
            "Built-in roles cannot be changed; create a custom role instead.".into(),
        ));
    }
    may_change(&mut tx, actor, &before).await?;
    if from_editor {
        let chosen = patch
            .permissions
            .take()
            .unwrap_or_else(|| before.permissions.clone());
        patch.permissions = Some(keep_hidden(&before.permissions, &chosen));
    }
    let scope: Scope = patch.scope.unwrap_or(before.scope);
    let (name, description, perms) = check(
        actor,
        patch.name.as_deref().unwrap_or(&before.name),
        patch.description.as_deref().unwrap_or(&before.description),
        patch.permissions.as_deref().unwrap_or(&before.permissions),
        scope,
    )?;
    store::update(
        &mut tx,
        id,
        &RoleFields {
            name: &name,
            description: &description,
            scope,
            permissions: &perms,
        },
        now,
    )
    .await?;
    let after = store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    audit::record(
        &mut tx,
        now,
        actor,
        Change {
            action: "role.update",
            object_kind: "role",
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
    actor.require("roles.manage")?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let before = store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    if before.builtin {
        return Err(AppError::Conflict(
            "Built-in roles cannot be deleted.".into(),
        ));
    }
    may_change(&mut tx, actor, &before).await?;
    if store::user_count(&mut tx, id).await? > 0 {
        return Err(AppError::Conflict(
            "The role is still given to users; move them to another role first.".into(),
        ));
    }
    store::delete(&mut tx, id).await?;
    audit::record(
        &mut tx,
        now,
        actor,
        Change {
            action: "role.delete",
            object_kind: "role",
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

// What other domains ask, inside their own transaction (the store is this domain's own).

/// A role by id.
pub async fn get_in(conn: &mut sqlx::AnyConnection, id: i64) -> AppResult<Option<Role>> {
    store::get(conn, id).await
}

/// A role by name.
pub async fn by_name_in(conn: &mut sqlx::AnyConnection, name: &str) -> AppResult<Option<Role>> {
    store::by_name(conn, name).await
}

/// The admin pages for roles (the list and its forms) are for `roles.manage`; what a role may
/// hold is decided by each change.
pub fn may_manage(actor: &Actor) -> AppResult<()> {
    actor.require("roles.manage")
}

/// Every role, for the admin list.
pub async fn admin_list(state: &AppState, actor: &Actor) -> AppResult<Vec<Role>> {
    may_manage(actor)?;
    list(state, actor).await
}

/// A role for its edit form.
pub async fn for_edit(state: &AppState, actor: &Actor, id: i64) -> AppResult<Role> {
    may_manage(actor)?;
    get(state, actor, id).await
}
