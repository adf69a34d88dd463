//! Roles: the seven built-in ones and custom roles made from the permission catalog.

pub mod api;
pub mod pages;
pub mod service;
mod store;

use serde::{Deserialize, Serialize};

use crate::auth::permissions::Scope;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Role {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub scope: Scope,
    pub permissions: Vec<String>,
    /// Built-in roles cannot be changed or deleted.
    pub builtin: bool,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRole {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub scope: Scope,
    pub permissions: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RolePatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub scope: Option<Scope>,
    pub permissions: Option<Vec<String>>,
}

/// One entry of the permission catalog, as the API lists it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PermissionInfo {
    pub name: String,
}
