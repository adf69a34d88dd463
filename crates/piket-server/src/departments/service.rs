//! Rules for departments: anyone signed in may list them; changing them needs `departments.manage`.

use super::{store, Department, DepartmentPatch, NewDepartment};
use crate::api::page::{Page, PageRequest};
use crate::audit::{self, to_json, Change};
use crate::auth::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::validate::Check;

pub async fn list(
    state: &AppState,
    _actor: &Actor,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> AppResult<Page<Department>> {
    let page = PageRequest::parse(cursor, limit)?;
    let after = page.cursor.unwrap_or(0);
    // `cached` is in id order, the order of this list's cursor.
    let rows = cached(state)
        .await?
        .iter()
        .filter(|d| d.id > after)
        .take(usize::try_from(page.limit + 1).unwrap_or(usize::MAX))
        .cloned()
        .collect();
    Ok(page.finish(rows, |d| d.id))
}

/// Every department by name, for forms.
pub async fn all(state: &AppState) -> AppResult<Vec<Department>> {
    let mut all = cached(state).await?.as_ref().clone();
    all.sort_by_cached_key(|d| d.name.to_lowercase());
    Ok(all)
}

/// All departments in id order, from the reference cache (see `refcache`).
async fn cached(state: &AppState) -> AppResult<std::sync::Arc<Vec<Department>>> {
    state
        .parts
        .get::<crate::departments::Cache>()
        .get_or_load(state.now(), || async {
            let mut conn = state.db.pool.acquire().await?;
            let mut list = store::all(&mut conn).await?;
            list.sort_by_key(|d| d.id);
            Ok(list)
        })
        .await
}

pub async fn get(state: &AppState, _actor: &Actor, id: i64) -> AppResult<Department> {
    let mut conn = state.db.pool.acquire().await?;
    store::get(&mut conn, id).await?.ok_or(AppError::NotFound)
}

fn check(name: &str, description: &str) -> AppResult<(String, String)> {
    let mut c = Check::new();
    let name = c.text("name", name, 1, 100);
    let description = c.text("description", description, 0, 2000);
    c.finish()?;
    Ok((name, description))
}

/// Making or deleting a department changes who reaches what everywhere: only for actors who
/// reach every department (a department-scoped admin could delete another department and so
/// widen what they manage, review finding). Renaming needs the department within reach.
fn may_change(actor: &Actor, id: Option<i64>) -> AppResult<()> {
    actor.require("departments.manage")?;
    match (actor.assignable_departments(), id) {
        (None, _) => Ok(()),
        (Some(own), Some(id)) if own.contains(&id) => Ok(()),
        _ => Err(AppError::Forbidden),
    }
}

pub async fn create(
    state: &AppState,
    actor: &Actor,
    input: NewDepartment,
) -> AppResult<Department> {
    may_change(actor, None)?;
    let (name, description) = check(&input.name, &input.description)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let id = store::insert(&mut tx, &name, &description, now).await?;
    let created = store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let change = Change {
        action: "department.create",
        object_kind: "department",
        object_id: Some(id),
        before: None,
        after: to_json(&created),
    };
    audit::record(&mut tx, now, actor, change).await?;
    tx.commit().await?;
    state.parts.get::<crate::departments::Cache>().invalidate();
    // Categories and canned responses name departments (set to none when one is deleted).
    state.parts.get::<crate::categories::Cache>().invalidate();
    state.parts.get::<crate::canned::Cache>().invalidate();
    Ok(created)
}

pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: i64,
    patch: DepartmentPatch,
) -> AppResult<Department> {
    may_change(actor, Some(id))?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let before = store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let (name, description) = check(
        patch.name.as_deref().unwrap_or(&before.name),
        patch.description.as_deref().unwrap_or(&before.description),
    )?;
    store::update(&mut tx, id, &name, &description, now).await?;
    let after = store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let change = Change {
        action: "department.update",
        object_kind: "department",
        object_id: Some(id),
        before: to_json(&before),
        after: to_json(&after),
    };
    audit::record(&mut tx, now, actor, change).await?;
    tx.commit().await?;
    state.parts.get::<crate::departments::Cache>().invalidate();
    // Categories and canned responses name departments (set to none when one is deleted).
    state.parts.get::<crate::categories::Cache>().invalidate();
    state.parts.get::<crate::canned::Cache>().invalidate();
    Ok(after)
}

pub async fn delete(state: &AppState, actor: &Actor, id: i64) -> AppResult<()> {
    // Deleting even one's own department drops every membership in it.
    may_change(actor, None)?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let before = store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    store::delete(&mut tx, id).await?;
    let change = Change {
        action: "department.delete",
        object_kind: "department",
        object_id: Some(id),
        before: to_json(&before),
        after: None,
    };
    audit::record(&mut tx, now, actor, change).await?;
    tx.commit().await?;
    state.parts.get::<crate::departments::Cache>().invalidate();
    // Categories and canned responses name departments (set to none when one is deleted).
    state.parts.get::<crate::categories::Cache>().invalidate();
    state.parts.get::<crate::canned::Cache>().invalidate();
    state.actor_cache.invalidate();
    Ok(())
}

// What other domains ask, inside their own transaction (the store is this domain's own).

/// Whether department `id` exists.
pub async fn exists(conn: &mut sqlx::AnyConnection, id: i64) -> AppResult<bool> {
    Ok(store::get(conn, id).await?.is_some())
}

/// How many of the distinct `ids` are departments.
pub async fn count_existing(conn: &mut sqlx::AnyConnection, ids: &[i64]) -> AppResult<i64> {
    store::count_existing(conn, ids).await
}

/// The admin pages (the list and its forms) are for `departments.manage`; which department may
/// be made, renamed or deleted is decided by each change.
pub fn may_manage(actor: &Actor) -> AppResult<()> {
    actor.require("departments.manage")
}

/// Every department by name, for the admin list.
pub async fn admin_list(state: &AppState, actor: &Actor) -> AppResult<Vec<Department>> {
    may_manage(actor)?;
    all(state).await
}

/// A department for its edit form.
pub async fn for_edit(state: &AppState, actor: &Actor, id: i64) -> AppResult<Department> {
    may_manage(actor)?;
    get(state, actor, id).await
}
