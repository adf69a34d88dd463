//! Departments: the unit that scopes what managers and technicians see.

pub mod api;
pub mod pages;
pub mod service;
mod store;

use serde::{Deserialize, Serialize};

/// Every department, briefly (see `refcache`); changes to departments empty it.
pub type Cache = crate::refcache::RefCache<Vec<Department>>;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Department {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDepartment {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentPatch {
    pub name: Option<String>,
    pub description: Option<String>,
}
