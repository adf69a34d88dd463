//! The fixed catalog of permissions, the scopes, and the built-in roles made from them.

use serde::{Deserialize, Serialize};

/// Every permission a role can hold, with a description for the admin UI (a catalog key).
pub const CATALOG: &[&str] = &[
    "users.read",
    "users.manage",
    "roles.manage",
    "departments.manage",
    "apikeys.manage",
    "audit.read",
    "settings.manage",
    "metrics.read",
    "tickets.read",
    "tickets.create",
    "tickets.write",
    "tickets.assign",
    "tickets.delete",
    "knowledge.read",
    "knowledge.write",
    "inventory.read",
    "inventory.write",
    "inventory.credentials.reveal",
    "fleet.read",
    "fleet.act",
    "field.read",
    "field.write",
    "stock.read",
    "stock.write",
    "reports.read",
];

pub fn is_known(permission: &str) -> bool {
    CATALOG.contains(&permission)
}

/// Which records a role's holder reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Everything.
    All,
    /// Records of the departments the user belongs to.
    Department,
    /// Only the user's own records (requesters).
    Own,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::All => "all",
            Scope::Department => "department",
            Scope::Own => "own",
        }
    }
    /// Whether a holder of this scope reaches at least what a holder of `other` does:
    /// `all` covers everything, `department` covers `department` and `own`.
    pub fn covers(self, other: Scope) -> bool {
        match self {
            Scope::All => true,
            Scope::Department => other != Scope::All,
            Scope::Own => other == Scope::Own,
        }
    }

    pub fn parse(text: &str) -> Option<Scope> {
        match text {
            "all" => Some(Scope::All),
            "department" => Some(Scope::Department),
            "own" => Some(Scope::Own),
            _ => None,
        }
    }
}

pub const SUPERADMIN: &str = "Superadmin";

pub struct BuiltinRole {
    pub name: &'static str,
    pub scope: Scope,
    /// `None` means every permission in the catalog.
    pub permissions: Option<&'static [&'static str]>,
}

pub const BUILTIN_ROLES: &[BuiltinRole] = &[
    BuiltinRole {
        name: SUPERADMIN,
        scope: Scope::All,
        permissions: None,
    },
    BuiltinRole {
        name: "Admin",
        scope: Scope::All,
        permissions: None,
    },
    BuiltinRole {
        name: "Manager",
        scope: Scope::Department,
        permissions: Some(&[
            "users.read",
            "tickets.read",
            "tickets.create",
            "tickets.write",
            "tickets.assign",
            "knowledge.read",
            "knowledge.write",
            "inventory.read",
            "fleet.read",
            "field.read",
            "stock.read",
            "reports.read",
            "audit.read",
        ]),
    },
    BuiltinRole {
        name: "Technician",
        scope: Scope::Department,
        permissions: Some(&[
            "users.read",
            "tickets.read",
            "tickets.create",
            "tickets.write",
            "tickets.assign",
            "knowledge.read",
            "knowledge.write",
            "inventory.read",
            "inventory.write",
            "fleet.read",
            "fleet.act",
            "field.read",
            "field.write",
            "stock.read",
        ]),
    },
    BuiltinRole {
        name: "CS",
        scope: Scope::Department,
        permissions: Some(&[
            "users.read",
            "tickets.read",
            "tickets.create",
            "tickets.write",
            "knowledge.read",
            "field.read",
            "field.write",
        ]),
    },
    BuiltinRole {
        name: "Warehouse",
        scope: Scope::Department,
        permissions: Some(&[
            "inventory.read",
            "stock.read",
            "stock.write",
            "knowledge.read",
        ]),
    },
    BuiltinRole {
        name: "Requester",
        scope: Scope::Own,
        permissions: Some(&["tickets.read", "tickets.create", "knowledge.read"]),
    },
];

impl BuiltinRole {
    pub fn permission_list(&self) -> Vec<String> {
        match self.permissions {
            None => CATALOG.iter().map(|p| p.to_string()).collect(),
            Some(list) => list.iter().map(|p| p.to_string()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_roles_use_only_catalog_permissions() {
        for role in BUILTIN_ROLES {
            for p in role.permission_list() {
                assert!(is_known(&p), "{} has unknown permission {p}", role.name);
            }
        }
    }
}
