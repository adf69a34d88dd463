//! The collector endpoint's run-time settings (on/off, enrollment token hash) and the switches of
//! the FusionInventory/OCS/GLPI agent endpoints (on/off, anonymous reports), kept in the
//! `settings` table so admins change them without a restart and every node sees the change.

use serde::Serialize;
use sqlx::AnyConnection;

use crate::audit::{self, Change};
use crate::auth::actor::Actor;
use crate::auth::token;
use crate::error::AppResult;
use crate::state::AppState;

const ENABLED: &str = "collector.enabled";
const TOKEN_HASH: &str = "collector.token_hash";
const LEGACY_AGENTS: &str = "agents.legacy_protocols";
const ANONYMOUS_AGENTS: &str = "agents.anonymous";

#[derive(Debug, Clone, Serialize)]
pub struct CollectorSettings {
    /// On by default, so existing collector scripts keep working after an upgrade.
    pub enabled: bool,
    /// SHA-256 (hex) of the enrollment token the endpoint demands, if any.
    #[serde(skip)]
    pub token_hash: Option<String>,
    pub token_required: bool,
    /// The FusionInventory/OCS/GLPI agent endpoints (`/ocsinventory`, …); on by default.
    pub legacy_agents: bool,
    /// Those endpoints also take reports without a user and password; off by default, because
    /// anyone who can reach the server could then report (see `ingest` for what they may change).
    pub anonymous_agents: bool,
}

async fn value(conn: &mut AnyConnection, key: &str) -> AppResult<Option<String>> {
    crate::db::settings::value(conn, key).await
}

async fn put(conn: &mut AnyConnection, key: &str, v: &str, now: i64) -> AppResult<()> {
    crate::db::settings::put(conn, key, Some(v), now).await
}

pub async fn load(conn: &mut AnyConnection) -> AppResult<CollectorSettings> {
    let enabled = value(conn, ENABLED).await?.is_none_or(|v| v == "1");
    let token_hash = value(conn, TOKEN_HASH).await?.filter(|h| !h.is_empty());
    let legacy_agents = value(conn, LEGACY_AGENTS).await?.is_none_or(|v| v == "1");
    let anonymous_agents = value(conn, ANONYMOUS_AGENTS)
        .await?
        .is_some_and(|v| v == "1");
    Ok(CollectorSettings {
        enabled,
        legacy_agents,
        anonymous_agents,
        token_required: token_hash.is_some(),
        token_hash,
    })
}

pub async fn get(state: &AppState, actor: &Actor) -> AppResult<CollectorSettings> {
    actor.require("settings.manage")?;
    let mut conn = state.db.pool.acquire().await?;
    load(&mut conn).await
}

/// What an admin asks for on the settings page.
pub enum TokenChange {
    Keep,
    /// Make a new token; it is returned once and only its hash is stored.
    Generate,
    Remove,
}

/// The agent endpoints' two switches.
#[derive(Debug, Clone, Copy)]
pub struct AgentSwitches {
    pub legacy_agents: bool,
    pub anonymous_agents: bool,
}

/// Save the switches and the token choice; returns the new settings and a freshly made token.
pub async fn save(
    state: &AppState,
    actor: &Actor,
    enabled: bool,
    agents: AgentSwitches,
    token_change: TokenChange,
) -> AppResult<(CollectorSettings, Option<String>)> {
    actor.require("settings.manage")?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let before = load(&mut tx).await?;
    put(&mut tx, ENABLED, if enabled { "1" } else { "0" }, now).await?;
    let flag = |on: bool| if on { "1" } else { "0" };
    put(&mut tx, LEGACY_AGENTS, flag(agents.legacy_agents), now).await?;
    put(
        &mut tx,
        ANONYMOUS_AGENTS,
        flag(agents.anonymous_agents),
        now,
    )
    .await?;
    let fresh = match token_change {
        TokenChange::Keep => None,
        TokenChange::Remove => {
            put(&mut tx, TOKEN_HASH, "", now).await?;
            None
        }
        TokenChange::Generate => {
            let t = token::random_token(24);
            put(&mut tx, TOKEN_HASH, &token::hash_token(&t), now).await?;
            Some(t)
        }
    };
    let after = load(&mut tx).await?;
    let change = Change {
        action: "inventory.collector_settings",
        object_kind: "settings",
        object_id: None,
        before: audit::to_json(&before),
        after: audit::to_json(&after),
    };
    audit::record(&mut tx, now, actor, change).await?;
    tx.commit().await?;
    Ok((after, fresh))
}
