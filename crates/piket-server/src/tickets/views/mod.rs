//! Saved views: a user's own named ticket-list queries, listed beside the built-in views. The
//! query is the list's query string, validated with [`ListQuery`] and stored in its canonical
//! form (no page position). Another user's view answers 404, as if it did not exist.

pub mod api;
pub mod pages;
pub(super) mod store;

use serde::{Deserialize, Serialize};

use super::filter::ListQuery;
use crate::audit::{self, to_json, Change};
use crate::auth::actor::Actor;
use crate::error::{AppError, AppResult, FieldError};
use crate::state::AppState;
use crate::validate::Check;

/// More than enough for a sidebar; keeps one account from filling the table.
pub const MAX_VIEWS: i64 = 50;
const MAX_NAME: usize = 100;
const MAX_QUERY: usize = 2000;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SavedView {
    pub id: i64,
    pub name: String,
    /// The list's query string, e.g. `status=open&priority=high`: open
    /// `/tickets?{query}` or call `GET /api/v1/tickets?{query}`.
    pub query: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSavedView {
    pub name: String,
    /// The ticket list's query string (a leading `?` is ignored); the same names and values as
    /// `GET /api/v1/tickets`. `cursor` and `limit` are dropped.
    #[serde(default)]
    pub query: String,
}

/// Validate a list query string and give its canonical form; problems are errors of `query`.
pub fn canonical(query: &str, me: i64, now: i64) -> AppResult<String> {
    let raw = query.trim();
    let raw = raw.strip_prefix('?').unwrap_or(raw);
    if raw.chars().count() > MAX_QUERY {
        return Err(AppError::invalid(
            "query",
            format!("must be at most {MAX_QUERY} characters"),
        ));
    }
    let q: ListQuery = serde_urlencoded::from_str(raw)
        .map_err(|e| AppError::invalid("query", format!("is not a ticket list query: {e}")))?;
    q.parse(me, now).map_err(|e| match e {
        AppError::Invalid(errors) => AppError::Invalid(
            errors
                .into_iter()
                .map(|f| FieldError::new("query", f.message))
                .collect(),
        ),
        other => other,
    })?;
    Ok(q.link())
}

pub async fn list(state: &AppState, actor: &Actor) -> AppResult<Vec<SavedView>> {
    actor.require("tickets.read")?;
    let mut conn = state.db.pool.acquire().await?;
    store::for_user(&mut conn, actor.user_id).await
}

pub async fn create(state: &AppState, actor: &Actor, input: NewSavedView) -> AppResult<SavedView> {
    actor.require("tickets.read")?;
    if actor.user_id <= 0 {
        return Err(AppError::Forbidden);
    }
    let now = state.now();
    let mut c = Check::new();
    let name = c.text("name", &input.name, 1, MAX_NAME);
    let query = match canonical(&input.query, actor.user_id, now) {
        Ok(q) => q,
        Err(AppError::Invalid(errors)) => {
            for e in errors {
                c.fail(&e.field, e.message);
            }
            String::new()
        }
        Err(other) => return Err(other),
    };
    c.finish()?;
    let mut tx = state.db.begin().await?;
    let mine = store::for_user(&mut tx, actor.user_id).await?;
    if mine
        .iter()
        .any(|v| v.name.to_lowercase() == name.to_lowercase())
    {
        return Err(AppError::Conflict(format!("you have a view named {name}")));
    }
    if mine.len() as i64 >= MAX_VIEWS {
        return Err(AppError::Conflict(format!(
            "at most {MAX_VIEWS} saved views; delete one first"
        )));
    }
    let id = store::insert(&mut tx, actor.user_id, &name, &query, now).await?;
    let view = store::get(&mut tx, actor.user_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let change = Change {
        action: "ticket_view.create",
        object_kind: "ticket_view",
        object_id: Some(id),
        before: None,
        after: to_json(&view),
    };
    audit::record(&mut tx, now, actor, change).await?;
    tx.commit().await?;
    Ok(view)
}

pub async fn delete(state: &AppState, actor: &Actor, id: i64) -> AppResult<()> {
    actor.require("tickets.read")?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let before = store::get(&mut tx, actor.user_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    store::delete(&mut tx, actor.user_id, id).await?;
    let change = Change {
        action: "ticket_view.delete",
        object_kind: "ticket_view",
        object_id: Some(id),
        before: to_json(&before),
        after: None,
    };
    audit::record(&mut tx, now, actor, change).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_validated_and_stored_without_the_page_position() {
        assert_eq!(
            canonical(
                "?status=open&priority=&cursor=5.9&limit=10&assigned_to=me",
                1,
                0
            )
            .unwrap(),
            "status=open&assigned_to=me"
        );
        assert_eq!(canonical("", 1, 0).unwrap(), "");
        for bad in [
            "status=bogus",
            "color=red",
            "limit=x",
            "status=new&status=open",
            "%%%",
        ] {
            match canonical(bad, 1, 0) {
                Err(AppError::Invalid(errors)) => assert_eq!(errors[0].field, "query", "{bad}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }
}
