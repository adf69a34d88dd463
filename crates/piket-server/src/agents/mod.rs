//! Piket's own endpoint agent, server side: enrollment tokens admins (or requesters, for their own
//! PC) create, the devices that enrolled with them, and the two agent endpoints (`enroll`,
//! `inventory`) that answer in the agent's JSON error shape, never problem+json.

pub mod api;
pub mod body;
pub mod devices;
pub mod enroll;
pub mod pages;
pub mod portal;
pub mod reply;
pub mod report;
mod store;
pub mod tokens;

use serde::{Deserialize, Serialize};

/// An enrollment token as listed; the secret itself is never stored, only its hash.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EnrollmentToken {
    pub id: i64,
    pub name: String,
    /// Department of the assets it enrolls.
    pub department_id: Option<i64>,
    /// For a personal token: the user who becomes the enrolled asset's owner.
    pub owner_id: Option<i64>,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub uses: i64,
    pub max_uses: Option<i64>,
    /// `active`, `expired`, `revoked` or `used_up`.
    pub status: String,
}

/// The answer to a create: the only time the token and its ready command are shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CreatedEnrollmentToken {
    #[serde(flatten)]
    pub token: EnrollmentToken,
    pub secret: String,
    /// `piket-agent enroll --server … --token …`
    pub command: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEnrollmentToken {
    pub name: String,
    pub department_id: Option<i64>,
    /// Days until it expires: 1 to 365, default 7.
    pub expires_in_days: Option<i64>,
    /// How many devices may enroll with it; absent means no limit.
    pub max_uses: Option<i64>,
}

/// An enrolled piket-agent.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AgentDevice {
    pub id: i64,
    /// `dev_…`
    pub device_id: String,
    pub asset_id: i64,
    pub asset_name: String,
    pub token_id: Option<i64>,
    pub agent_version: String,
    pub enrolled_at: String,
    pub last_seen_at: Option<String>,
    pub revoked_at: Option<String>,
}
