//! The audit log: every change, who made it, from where, and what it was before and after.

pub mod api;
pub mod pages;
mod store;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::AnyConnection;

use crate::auth::actor::{Actor, Via};
use crate::auth::permissions::Scope;
use crate::error::AppResult;
use crate::state::AppState;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    /// RFC 3339 time of the change.
    pub at: String,
    /// `user`, `api_key` or `system`.
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    pub actor_label: String,
    pub action: String,
    pub object_kind: String,
    pub object_id: Option<i64>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub ip: String,
}

/// Filters for browsing the log.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub object_kind: Option<String>,
    pub object_id: Option<i64>,
    pub actor_id: Option<i64>,
    /// RFC 3339 or YYYY-MM-DD, inclusive.
    pub since: Option<String>,
    /// RFC 3339 or YYYY-MM-DD, exclusive.
    pub until: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// Every action the log records (its codes stay as they are; pages show them in words, through
/// the catalog keys `i18n::names::audit_action_key` makes). A test finds unlisted ones in the code.
pub const ACTIONS: &[&str] = &[
    "user.create",
    "user.update",
    "user.delete",
    "user.profile",
    "user.password_change",
    "user.password_reset_requested",
    "user.password_reset",
    "user.password_set",
    "session.login",
    "auth.login_failed",
    "auth.locked",
    "setup.complete",
    "role.create",
    "role.update",
    "role.delete",
    "department.create",
    "department.update",
    "department.delete",
    "apikey.create",
    "apikey.revoke",
    "apikey.revoke_all",
    "category.create",
    "category.update",
    "category.delete",
    "canned_response.create",
    "canned_response.update",
    "canned_response.delete",
    "notifications.settings",
    "notice.dismiss",
    "ticket.delete",
    "ticket.assets",
    "ticket_view.create",
    "ticket_view.delete",
    "attachment.create",
    "attachment.delete",
    "hardware.create",
    "hardware.update",
    "hardware.delete",
    "hardware.credential_reveal",
    "hardware.main_cleared",
    "hardware.software_replace",
    "hardware.merge",
    "hardware.merge_suggested",
    "hardware.merge_dismissed",
    "inventory.collector_settings",
    "software.create",
    "software.update",
    "software.delete",
    "license.create",
    "license.update",
    "license.delete",
    "license.key_reveal",
    "agent.enroll",
    "agent.device_revoke",
    "agent.token_create",
    "agent.token_personal",
    "agent.token_revoke",
    "sla.policy.update",
    "sla.calendar.update",
    "org.time_zone",
    "desktop.link",
    "desktop.unlink",
    "mailbox.create",
    "mailbox.update",
    "mailbox.delete",
    "mailbox.first_fetch",
    "mail.discard",
];

/// Every kind of object the log records changes to (shown in words, like the actions).
pub const OBJECT_KINDS: &[&str] = &[
    "agent_device",
    "api_key",
    "attachment",
    "canned_response",
    "category",
    "department",
    "desktop_link",
    "enrollment_token",
    "hardware",
    "license",
    "mail",
    "mailbox",
    "role",
    "settings",
    "sla_calendar",
    "sla_policy",
    "software",
    "ticket",
    "ticket_view",
    "user",
];

/// What a change was: written in the same transaction as the change itself.
pub struct Change<'a> {
    pub action: &'a str,
    pub object_kind: &'a str,
    pub object_id: Option<i64>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

pub async fn record(
    conn: &mut AnyConnection,
    now: i64,
    actor: &Actor,
    change: Change<'_>,
) -> AppResult<()> {
    let (kind, label) = match actor.via {
        Via::Session => ("user", actor.email.clone()),
        Via::ApiKey(id) => ("api_key", format!("{} (key {id})", actor.email)),
        Via::Desktop(id) => ("desktop", format!("{} (desktop {id})", actor.email)),
        Via::Mail { mailbox, .. } => ("mail", format!("{} (mailbox {mailbox})", actor.email)),
        Via::System => ("system", "system".to_string()),
    };
    let actor_id = (actor.user_id != 0).then_some(actor.user_id);
    store::insert(conn, now, kind, actor_id, &label, &change, &actor.ip).await
}

/// Browse the log. Without the all-records scope one sees only one's own actions.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    mut filter: AuditFilter,
) -> AppResult<crate::api::page::Page<AuditEntry>> {
    actor.require("audit.read")?;
    if actor.scope != Scope::All {
        filter.actor_id = Some(actor.user_id);
    }
    let mut conn = state.db.pool.acquire().await?;
    store::list(&mut conn, &filter).await
}

pub fn to_json<T: Serialize>(value: &T) -> Option<Value> {
    serde_json::to_value(value).ok()
}
