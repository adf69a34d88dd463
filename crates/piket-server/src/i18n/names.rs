//! Catalog keys of names that come from data or codes: built-in roles, permissions, audit
//! actions (statuses and priorities use `status_` / `priority_` + their code). The codes stay as
//! they are in the API and the database; only pages show these names.

use crate::auth::permissions::BUILTIN_ROLES;

/// `role_technician` for the built-in role "Technician"; `None` for a custom role.
pub fn role_key(name: &str) -> Option<String> {
    BUILTIN_ROLES
        .iter()
        .find(|r| r.name == name)
        .map(|r| format!("role_{}", r.name.to_ascii_lowercase()))
}

/// `perm_tickets_assign` for `tickets.assign`.
pub fn permission_key(permission: &str) -> String {
    format!("perm_{}", permission.replace('.', "_"))
}

/// `perm_help_tickets_assign`: the one line the role editor explains `tickets.assign` with.
pub fn permission_help_key(permission: &str) -> String {
    format!("perm_help_{}", permission.replace('.', "_"))
}

/// `perm_area_tickets`: the heading of an area of permissions (`auth::permissions::AREAS`).
pub fn permission_area_key(area: &str) -> String {
    format!("perm_area_{area}")
}

/// `audit_user_create` for `user.create`.
pub fn audit_action_key(action: &str) -> String {
    format!("audit_{}", action.replace('.', "_"))
}

/// `audit_object_hardware` for the object kind `hardware`.
pub fn audit_object_key(kind: &str) -> String {
    format!("audit_object_{kind}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Catalog, Locale};

    /// Every catalog key a name from data needs, with where the name comes from.
    fn data_keys() -> Vec<(String, String)> {
        let mut keys = Vec::new();
        for s in crate::tickets::STATUSES {
            keys.push((format!("status_{s}"), format!("ticket status `{s}`")));
        }
        for p in crate::tickets::PRIORITIES {
            keys.push((format!("priority_{p}"), format!("ticket priority `{p}`")));
        }
        for r in BUILTIN_ROLES {
            keys.push((
                role_key(r.name).unwrap_or_default(),
                format!("built-in role `{}`", r.name),
            ));
        }
        for p in crate::auth::permissions::CATALOG {
            keys.push((permission_key(p), format!("permission `{p}`")));
            if crate::auth::permissions::is_offered(p) {
                keys.push((permission_help_key(p), format!("the explanation of `{p}`")));
            }
        }
        for (area, _) in crate::auth::permissions::AREAS {
            keys.push((
                permission_area_key(area),
                format!("permission area `{area}`"),
            ));
        }
        for a in crate::audit::ACTIONS {
            keys.push((audit_action_key(a), format!("audit action `{a}`")));
        }
        for k in crate::audit::OBJECT_KINDS {
            keys.push((audit_object_key(k), format!("audit object kind `{k}`")));
        }
        keys
    }

    /// Names that come from data have a text in every language, so no page shows a code.
    #[test]
    fn every_status_priority_role_permission_and_audit_action_is_translated() {
        let catalog = Catalog::load().unwrap();
        let mut missing = Vec::new();
        for locale in Locale::ALL {
            let known = catalog.keys(locale);
            for (key, what) in data_keys() {
                if !known.contains(&key.as_str()) {
                    missing.push(format!("{key} ({}.toml) for {what}", locale.code()));
                }
            }
        }
        assert!(missing.is_empty(), "missing keys:\n{}", missing.join("\n"));
        assert_eq!(catalog.role_name(Locale::Id, "Technician"), "Teknisi");
        assert_eq!(catalog.role_name(Locale::El, "My own role"), "My own role");
        assert_eq!(catalog.permission_name(Locale::En, "no.such"), "no.such");
    }

    /// `audit::ACTIONS` and `audit::OBJECT_KINDS` list every action and object kind the code
    /// records, so the test above sees them all.
    #[test]
    fn the_audit_lists_hold_every_action_and_object_kind_in_the_source() {
        let mut actions = Vec::new();
        for marker in ["action: ", "fields, "] {
            for window in source_texts(marker) {
                let window = window.split("object_kind").next().unwrap_or(&window);
                actions.extend(
                    window
                        .split('"')
                        .skip(1)
                        .step_by(2)
                        .filter(|l| {
                            l.contains('.')
                                && l.chars()
                                    .all(|c| c.is_ascii_lowercase() || "._".contains(c))
                        })
                        .map(str::to_string),
                );
            }
        }
        assert!(actions.len() > 40, "found only {} actions", actions.len());
        let unlisted: Vec<&String> = actions
            .iter()
            .filter(|a| !crate::audit::ACTIONS.contains(&a.as_str()))
            .collect();
        assert!(unlisted.is_empty(), "add to audit::ACTIONS: {unlisted:?}");

        let kinds: Vec<String> = source_texts("object_kind: \"")
            .into_iter()
            .filter_map(|rest| rest.split('"').next().map(str::to_string))
            .collect();
        assert!(kinds.len() > 20, "found only {} object kinds", kinds.len());
        let unlisted: Vec<&String> = kinds
            .iter()
            .filter(|k| !crate::audit::OBJECT_KINDS.contains(&k.as_str()))
            .collect();
        assert!(
            unlisted.is_empty(),
            "add to audit::OBJECT_KINDS: {unlisted:?}"
        );
    }

    /// The 160 characters after each `marker` in the server's source.
    fn source_texts(marker: &str) -> Vec<String> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut out = Vec::new();
        let mut dirs = vec![root];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                if path.extension().is_none_or(|e| e != "rs") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for (at, _) in text.match_indices(marker) {
                    let rest = &text[at + marker.len()..];
                    out.push(rest.chars().take(160).collect());
                }
            }
        }
        out
    }
}
