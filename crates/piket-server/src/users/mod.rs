//! User accounts: who they are, their role and departments, and their language.

pub mod accounts;
pub mod api;
pub mod pages;
pub mod service;
mod store;

use serde::{Deserialize, Serialize};

/// Which user rows (`users u`) each scope reaches: people sharing one of the viewer's
/// departments, and the viewer; own scope, the viewer alone.
pub const SCOPE_RULE: crate::db::scope::ScopeRule = crate::db::scope::ScopeRule {
    in_departments: (
        "EXISTS (SELECT 1 FROM user_departments v WHERE v.user_id = u.id AND v.department_id IN ",
        ")",
    ),
    department_ties: &[crate::db::scope::Tie::column("u.id = ")],
    own_ties: &[crate::db::scope::Tie::column("u.id = ")],
};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role_id: i64,
    pub role_name: String,
    pub departments: Vec<i64>,
    /// `en`, `id` or `el`; absent means "from the browser".
    pub locale: Option<String>,
    /// An IANA zone name or `UTC±HH:MM`; absent means "the organisation's".
    pub time_zone: Option<String>,
    /// As typed (digits, spaces, `+ - ( ) .`); absent when not known.
    pub phone: Option<String>,
    pub disabled: bool,
    /// False until a password is set (by the user through a reset link, or by an admin).
    pub has_password: bool,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    /// Role name, case-insensitive (`technician`); or give `role_id`.
    pub role: Option<String>,
    pub role_id: Option<i64>,
    #[serde(default)]
    pub departments: Vec<i64>,
    pub locale: Option<String>,
    pub password: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub email: Option<String>,
    pub name: Option<String>,
    pub role: Option<String>,
    pub role_id: Option<i64>,
    pub departments: Option<Vec<i64>>,
    pub locale: Option<String>,
    pub disabled: Option<bool>,
    pub password: Option<String>,
    /// Empty removes it.
    pub phone: Option<String>,
}

/// What users may change about themselves; nothing else (no role, no departments).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    pub name: Option<String>,
    /// `en`, `id`, `el`, or empty for "from the browser".
    pub locale: Option<String>,
    /// An IANA zone name (`Asia/Jakarta`) or `UTC±HH:MM`, or empty for the organisation's.
    pub time_zone: Option<String>,
    /// Empty removes it.
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UserFilter {
    /// Matches name or email.
    pub q: Option<String>,
    pub role_id: Option<i64>,
    pub department_id: Option<i64>,
    pub disabled: Option<bool>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}
