//! API keys: `pk_<prefix>_<secret>`, stored hashed, acting with their owner's permissions.

pub mod api;
pub mod pages;
pub mod service;
mod store;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApiKey {
    pub id: i64,
    pub user_id: i64,
    pub user_email: String,
    pub name: String,
    /// The public part, shown so people can tell keys apart.
    pub prefix: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// The answer to a create: the only time the full key is shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub key: ApiKey,
    pub secret: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    pub name: String,
    /// Owner; defaults to the caller. Another user's key needs `apikeys.manage`.
    pub user_id: Option<i64>,
}
