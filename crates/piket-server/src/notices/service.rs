//! Rules for notices: which apply to whom, and dismissing one, for oneself only (audited).

use std::sync::Arc;

use super::cache::Dismissed;
use super::{store, NOTICES, SMTP_MISSING};
use crate::audit::{self, Change};
use crate::auth::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::state::App;

/// The notices to show `actor` on a page: those that apply to them and they have not dismissed.
/// Asks the database (or the cache) only when some notice applies; if that fails, the notices
/// show (a warning is better seen twice than missed), and the page is not lost for it.
pub async fn shown(app: &App, actor: &Actor) -> Vec<&'static str> {
    let mut applies = Vec::new();
    if app.config.smtp.is_none() && actor.can("settings.manage") {
        applies.push(SMTP_MISSING);
    }
    if applies.is_empty() {
        return applies;
    }
    match dismissed(app, actor.user_id).await {
        Ok(dismissed) => applies.retain(|n| !dismissed.iter().any(|d| d == n)),
        Err(e) => tracing::warn!(error = %e, "cannot read dismissed notices"),
    }
    applies
}

async fn dismissed(app: &App, user_id: i64) -> AppResult<Arc<Vec<String>>> {
    let now = app.now();
    let cache = app.parts.get::<Dismissed>();
    let generation = match cache.get(user_id, now) {
        Ok(codes) => return Ok(codes),
        Err(generation) => generation,
    };
    let mut conn = app.db.pool.acquire().await?;
    let codes = Arc::new(store::dismissed(&mut conn, user_id).await?);
    cache.put(user_id, codes.clone(), now, generation);
    Ok(codes)
}

/// Dismiss `notice` for the actor on every device. An unknown code is not found.
pub async fn dismiss(app: &App, actor: &Actor, notice: &str) -> AppResult<()> {
    let notice = NOTICES
        .iter()
        .find(|n| **n == notice)
        .ok_or(AppError::NotFound)?;
    if actor.user_id == 0 {
        return Err(AppError::Forbidden);
    }
    let now = app.now();
    let mut tx = app.db.begin().await?;
    if store::dismiss(&mut tx, actor.user_id, notice, now).await? {
        let change = Change {
            action: "notice.dismiss",
            object_kind: "user",
            object_id: Some(actor.user_id),
            before: None,
            after: Some(serde_json::json!({ "notice": notice })),
        };
        audit::record(&mut tx, now, actor, change).await?;
    }
    tx.commit().await?;
    app.parts.get::<Dismissed>().forget(actor.user_id);
    Ok(())
}
