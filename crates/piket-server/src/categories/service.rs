//! Rules for categories: everyone who files tickets may list them; `settings.manage` changes them.

use super::{store, Category, NewCategory};
use crate::audit::{self, to_json, Change};
use crate::auth::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::validate::Check;

pub async fn all(state: &AppState, actor: &Actor) -> AppResult<Vec<Category>> {
    if !(actor.can("tickets.read") || actor.can("tickets.create")) {
        return Err(AppError::Forbidden);
    }
    let mut conn = state.db.pool.acquire().await?;
    store::all(&mut conn).await
}

pub async fn get(state: &AppState, actor: &Actor, id: i64) -> AppResult<Category> {
    if !(actor.can("tickets.read") || actor.can("tickets.create")) {
        return Err(AppError::Forbidden);
    }
    let mut conn = state.db.pool.acquire().await?;
    store::get(&mut conn, id).await?.ok_or(AppError::NotFound)
}

/// Create (`id` = None) or replace a category.
pub async fn save(
    state: &AppState,
    actor: &Actor,
    id: Option<i64>,
    input: NewCategory,
) -> AppResult<Category> {
    actor.require("settings.manage")?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let before = match id {
        Some(id) => Some(store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?),
        None => None,
    };
    let mut c = Check::new();
    let name = c.text("name", &input.name, 1, 100);
    let description = c.text("description", &input.description, 0, 2000);
    if let Some(d) = input.department_id {
        if !crate::departments::service::exists(&mut tx, d).await? {
            c.fail("department_id", "no such department");
        }
    }
    c.finish()?;
    if store::name_taken(&mut tx, &name, id.unwrap_or(0)).await? {
        return Err(AppError::Conflict(format!(
            "a category named {name} exists"
        )));
    }
    let id = match id {
        Some(id) => {
            store::update(&mut tx, id, &name, &description, input.department_id, now).await?;
            id
        }
        None => store::insert(&mut tx, &name, &description, input.department_id, now).await?,
    };
    let after = store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let change = Change {
        action: if before.is_some() {
            "category.update"
        } else {
            "category.create"
        },
        object_kind: "category",
        object_id: Some(id),
        before: before.as_ref().and_then(to_json),
        after: to_json(&after),
    };
    audit::record(&mut tx, now, actor, change).await?;
    tx.commit().await?;
    state.parts.get::<crate::categories::Cache>().invalidate();
    Ok(after)
}

pub async fn delete(state: &AppState, actor: &Actor, id: i64) -> AppResult<()> {
    actor.require("settings.manage")?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let before = store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    store::delete(&mut tx, id).await?;
    let change = Change {
        action: "category.delete",
        object_kind: "category",
        object_id: Some(id),
        before: to_json(&before),
        after: None,
    };
    audit::record(&mut tx, now, actor, change).await?;
    tx.commit().await?;
    state.parts.get::<crate::categories::Cache>().invalidate();
    Ok(())
}

/// Every category by name, from the reference cache (see `refcache`).
pub async fn all_cached(state: &AppState) -> AppResult<Vec<super::Category>> {
    let all = state
        .parts
        .get::<crate::categories::Cache>()
        .get_or_load(state.now(), || async {
            let mut conn = state.db.pool.acquire().await?;
            super::store::all(&mut conn).await
        })
        .await?;
    Ok(all.as_ref().clone())
}

/// A category by id, inside the caller's transaction.
pub async fn get_in(conn: &mut sqlx::AnyConnection, id: i64) -> AppResult<Option<Category>> {
    store::get(conn, id).await
}

/// The admin page (the list and its form) is for `settings.manage`.
pub async fn admin_list(state: &AppState, actor: &Actor) -> AppResult<Vec<Category>> {
    actor.require("settings.manage")?;
    all(state, actor).await
}
