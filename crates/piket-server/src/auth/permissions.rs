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

/// The areas the role editor groups permissions under, in the order it shows them: a catalog
/// key `perm_area_<area>` names each; every catalog permission is in exactly one.
pub const AREAS: &[(&str, &[&str])] = &[
    (
        "tickets",
        &[
            "tickets.read",
            "tickets.create",
            "tickets.write",
            "tickets.assign",
            "tickets.delete",
        ],
    ),
    (
        "inventory",
        &[
            "inventory.read",
            "inventory.write",
            "inventory.credentials.reveal",
            "fleet.read",
            "fleet.act",
            "stock.read",
            "stock.write",
        ],
    ),
    ("knowledge", &["knowledge.read", "knowledge.write"]),
    ("field", &["field.read", "field.write"]),
    (
        "access",
        &[
            "users.read",
            "users.manage",
            "roles.manage",
            "departments.manage",
            "apikeys.manage",
        ],
    ),
    ("settings", &["settings.manage"]),
    ("oversight", &["audit.read", "metrics.read", "reports.read"]),
];

/// Permissions of modules that are not built yet: no code checks them. They stay in the
/// catalog and in the roles that hold them (built-in ones included), so nothing is lost when the
/// module comes, but the role editor does not offer them (a test fails when code starts to check
/// one, or stops checking an offered one).
pub const NOT_BUILT: &[&str] = &[
    "knowledge.read",
    "knowledge.write",
    "fleet.read",
    "fleet.act",
    "field.read",
    "field.write",
    "stock.read",
    "stock.write",
    "reports.read",
];

/// Whether the role editor offers `permission`: in the catalog and of a module that is built.
pub fn is_offered(permission: &str) -> bool {
    is_known(permission) && !NOT_BUILT.contains(&permission)
}

/// The areas with the permissions of `pick` that are offered, in catalog order; areas left
/// empty are dropped. `offered_groups(|_| true)` is the editor's list, `|p| held.contains(p)`
/// a role's.
pub fn offered_groups(pick: impl Fn(&str) -> bool) -> Vec<(&'static str, Vec<&'static str>)> {
    AREAS
        .iter()
        .map(|(area, list)| {
            let shown = list
                .iter()
                .copied()
                .filter(|p| is_offered(p) && pick(p))
                .collect::<Vec<_>>();
            (*area, shown)
        })
        .filter(|(_, list)| !list.is_empty())
        .collect()
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
    fn every_permission_is_in_exactly_one_area() {
        for p in CATALOG {
            let n = AREAS.iter().filter(|(_, list)| list.contains(p)).count();
            assert_eq!(n, 1, "{p} is in {n} areas");
        }
        for (area, list) in AREAS {
            for p in *list {
                assert!(is_known(p), "area {area} names unknown {p}");
            }
        }
        for p in NOT_BUILT {
            assert!(is_known(p), "{p}");
        }
        let shown: Vec<&str> = offered_groups(|_| true)
            .into_iter()
            .flat_map(|(_, l)| l)
            .collect();
        assert_eq!(shown.len(), CATALOG.len() - NOT_BUILT.len());
        assert!(!shown.contains(&"fleet.read") && shown.contains(&"tickets.assign"));
        let areas: Vec<&str> = offered_groups(|_| true)
            .into_iter()
            .map(|(a, _)| a)
            .collect();
        assert!(!areas.contains(&"knowledge") && !areas.contains(&"field"));
        assert_eq!(
            offered_groups(|p| p == "roles.manage"),
            vec![("access", vec!["roles.manage"])]
        );
    }

    /// Hidden means "no code checks it": every offered permission is asked for somewhere
    /// (`can("…")` / `require("…")` in the source or the templates), and no hidden one is. When
    /// a module is built, its permissions leave `NOT_BUILT` here.
    #[test]
    fn offered_permissions_are_exactly_those_the_code_checks() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut text = String::new();
        let mut dirs = vec![root.join("src"), root.join("templates")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if !path.ends_with("auth/permissions.rs") && !path.ends_with("auth/actor.rs")
                {
                    text.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
                }
            }
        }
        for p in CATALOG {
            let checked = text.contains(&format!("can(\"{p}\")"))
                || text.contains(&format!("require(\"{p}\")"));
            if is_offered(p) {
                assert!(
                    checked,
                    "{p} is offered but nothing checks it: add it to NOT_BUILT"
                );
            } else {
                assert!(!checked, "{p} is checked now: take it out of NOT_BUILT");
            }
        }
    }

    #[test]
    fn builtin_roles_use_only_catalog_permissions() {
        for role in BUILTIN_ROLES {
            for p in role.permission_list() {
                assert!(is_known(&p), "{} has unknown permission {p}", role.name);
            }
        }
    }
}
