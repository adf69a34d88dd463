//! Who is acting, and the policy questions every service asks about them.
//!
//! Department scoping lives here so every capability asks the same question the same way.

use std::collections::BTreeSet;

use super::permissions::{Scope, SUPERADMIN};
use crate::error::{AppError, AppResult};

/// How the actor reached us; recorded in the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    Session,
    ApiKey(i64),
    /// A linked desktop helper (`desktop_links.id`): files tickets and reads its user's own.
    Desktop(i64),
    /// A mail fetched from mailbox `mailbox`; `automatic` when a machine sent it (RFC 3834),
    /// which nothing may answer automatically.
    Mail {
        mailbox: i64,
        automatic: bool,
    },
    /// The server itself or the command line.
    System,
}

#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub role_id: i64,
    pub role_name: String,
    pub permissions: BTreeSet<String>,
    pub scope: Scope,
    pub departments: Vec<i64>,
    pub locale: Option<String>,
    /// The user's time zone: a name, `""` for the organisation's by choice, `None` never chosen.
    pub time_zone: Option<String>,
    pub via: Via,
    pub ip: String,
}

impl Actor {
    /// The command line acting with full rights (user/apikey subcommands).
    pub fn system() -> Actor {
        Actor {
            user_id: 0,
            name: "system".into(),
            email: String::new(),
            role_id: 0,
            role_name: SUPERADMIN.into(),
            permissions: super::permissions::CATALOG
                .iter()
                .map(|p| p.to_string())
                .collect(),
            scope: Scope::All,
            departments: Vec::new(),
            locale: None,
            time_zone: None,
            via: Via::System,
            ip: String::new(),
        }
    }

    pub fn is_superadmin(&self) -> bool {
        self.role_name == SUPERADMIN || self.via == Via::System
    }

    /// Whether `other` reaches exactly what this actor does: the same scope, permissions and
    /// departments (in any order).
    pub fn same_reach(&self, other: &Actor) -> bool {
        let sorted = |d: &[i64]| {
            let mut d = d.to_vec();
            d.sort_unstable();
            d
        };
        self.scope == other.scope
            && self.permissions == other.permissions
            && sorted(&self.departments) == sorted(&other.departments)
    }

    pub fn can(&self, permission: &str) -> bool {
        self.permissions.contains(permission)
    }

    pub fn require(&self, permission: &str) -> AppResult<()> {
        if self.can(permission) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Whether a record belonging to these departments (and this owner) is within reach.
    pub fn reaches(&self, departments: &[i64], owner: Option<i64>) -> bool {
        match self.scope {
            Scope::All => true,
            Scope::Department => {
                owner == Some(self.user_id)
                    || departments.iter().any(|d| self.departments.contains(d))
            }
            Scope::Own => owner == Some(self.user_id),
        }
    }

    /// Whether the actor may create, edit or hand out a role with these permissions and this
    /// scope: never more permissions than they hold, never a wider scope, and only a superadmin
    /// makes superadmins.
    pub fn may_grant(&self, role_name: &str, permissions: &BTreeSet<String>, scope: Scope) -> bool {
        if role_name == SUPERADMIN {
            return self.is_superadmin();
        }
        self.is_superadmin()
            || (permissions.is_subset(&self.permissions) && self.scope.covers(scope))
    }

    /// Whether the actor may manage (edit, disable, delete, set the password or email of, make
    /// keys for) an account holding this role and these departments: its role must be one the
    /// actor could grant, and an actor short of `all` scope must belong to every department the
    /// account belongs to. Otherwise a department admin could take over a wider account.
    pub fn may_manage(
        &self,
        role_name: &str,
        permissions: &BTreeSet<String>,
        scope: Scope,
        departments: &[i64],
    ) -> bool {
        if self.is_superadmin() {
            return true;
        }
        self.may_grant(role_name, permissions, scope)
            && (self.scope == Scope::All
                || departments.iter().all(|d| self.departments.contains(d)))
    }

    /// Departments the actor may place records in; `None` means any.
    pub fn assignable_departments(&self) -> Option<&[i64]> {
        match self.scope {
            Scope::All => None,
            _ => Some(&self.departments),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(scope: Scope, perms: &[&str], departments: Vec<i64>) -> Actor {
        Actor {
            user_id: 7,
            role_name: "Custom".into(),
            permissions: perms.iter().map(|p| p.to_string()).collect(),
            scope,
            departments,
            via: Via::Session,
            ..Actor::system()
        }
    }

    #[test]
    fn department_scope_reaches_only_shared_departments_or_own_records() {
        let a = actor(Scope::Department, &[], vec![1, 2]);
        assert!(a.reaches(&[2, 9], None));
        assert!(!a.reaches(&[3], None));
        assert!(a.reaches(&[3], Some(7)));
        assert!(!a.reaches(&[], Some(8)));
    }

    #[test]
    fn own_scope_reaches_only_own_records() {
        let a = actor(Scope::Own, &[], vec![1]);
        assert!(!a.reaches(&[1], None));
        assert!(a.reaches(&[], Some(7)));
    }

    #[test]
    fn nobody_grants_more_than_they_hold_and_only_superadmins_make_superadmins() {
        let a = actor(Scope::All, &["users.manage", "tickets.read"], vec![]);
        let small: BTreeSet<String> = ["tickets.read".to_string()].into();
        let big: BTreeSet<String> = ["tickets.read".to_string(), "roles.manage".to_string()].into();
        assert!(a.may_grant("Helper", &small, Scope::All));
        assert!(!a.may_grant("Helper", &big, Scope::Own));
        assert!(!a.may_grant(SUPERADMIN, &small, Scope::All));
        let root = Actor {
            role_name: SUPERADMIN.into(),
            ..a
        };
        assert!(root.may_grant(SUPERADMIN, &big, Scope::All));
    }

    #[test]
    fn nobody_grants_a_wider_scope_than_their_own() {
        let a = actor(
            Scope::Department,
            &["users.manage", "tickets.read"],
            vec![1],
        );
        let small: BTreeSet<String> = ["tickets.read".to_string()].into();
        assert!(a.may_grant("Helper", &small, Scope::Department));
        assert!(a.may_grant("Helper", &small, Scope::Own));
        assert!(!a.may_grant("Helper", &small, Scope::All));
        let own = actor(Scope::Own, &["tickets.read"], vec![]);
        assert!(!own.may_grant("Helper", &small, Scope::Department));
    }

    #[test]
    fn department_admins_manage_only_narrower_accounts_inside_their_departments() {
        let a = actor(
            Scope::Department,
            &["users.manage", "tickets.read"],
            vec![1, 2],
        );
        let small: BTreeSet<String> = ["tickets.read".to_string()].into();
        let all = Actor::system().permissions;
        assert!(a.may_manage("Helper", &small, Scope::Own, &[1]));
        assert!(a.may_manage("Helper", &small, Scope::Department, &[1, 2]));
        assert!(!a.may_manage("Helper", &small, Scope::Department, &[1, 3]));
        assert!(!a.may_manage("Admin", &all, Scope::All, &[1]));
        assert!(!a.may_manage("Helper", &small, Scope::All, &[1]));
        assert!(!a.may_manage(SUPERADMIN, &small, Scope::Own, &[1]));
        let global = actor(Scope::All, &["users.manage", "tickets.read"], vec![]);
        assert!(global.may_manage("Helper", &small, Scope::Department, &[3]));
        assert!(!global.may_manage("Admin", &all, Scope::All, &[]));
    }

    #[test]
    fn require_maps_missing_permission_to_forbidden() {
        let a = actor(Scope::All, &["users.read"], vec![]);
        assert!(a.require("users.read").is_ok());
        assert!(matches!(
            a.require("users.manage"),
            Err(AppError::Forbidden)
        ));
    }
}
