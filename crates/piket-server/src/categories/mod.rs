//! Ticket categories: an admin-managed list, each optionally routing to a department.

pub mod api;
pub mod pages;
pub mod service;
mod store;

use serde::{Deserialize, Serialize};

/// Every category, briefly (see `refcache`).
pub type Cache = crate::refcache::RefCache<Vec<Category>>;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Category {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// New tickets in this category go to this department unless one is given.
    pub department_id: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCategory {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub department_id: Option<i64>,
}
