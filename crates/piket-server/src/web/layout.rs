//! The shell around every page (head, navigation, user menu, notices): `templates/base.html`, an
//! askama template every page `{% extends %}`. A page struct carries a `Shell` as its `shell`
//! field; the base reads it, and pages take their texts from it (`shell.t("key")`).

use super::context::WebCtx;
use crate::auth::actor::Actor;
use crate::i18n::{Catalog, Locale};
use crate::state::App;

/// What the base template needs, and the reader's language for the page's own texts.
pub struct Shell<'a> {
    pub catalog: &'a Catalog,
    pub locale: Locale,
    pub lang: &'a str,
    /// The signed-in user, if any.
    pub actor: Option<&'a Actor>,
    pub csrf: &'a str,
    /// Which navigation entry is the current page.
    pub nav: &'a str,
    /// A catalog key of a one-time notice ("flash_saved", …).
    pub flash: Option<String>,
    pub unread_notifications: i64,
    /// Admins are told when email goes nowhere but the log (until they dismiss it).
    pub smtp_missing: bool,
    /// The zone the reader sees times in, and now, for relative times (`web::shell_time`).
    pub zone: &'a crate::local_time::Zone,
    pub now_ms: i64,
    /// The reader has never chosen a time zone: the page offers the browser's once.
    pub offer_zone: bool,
    /// The page's own path and query (a dismiss button comes back to it).
    pub path: &'a str,
}

impl<'a> Shell<'a> {
    /// The shell of a page whose navigation entry is `nav` ("" for none).
    pub fn new(app: &'a App, ctx: &'a WebCtx, nav: &'a str) -> Shell<'a> {
        let actor = ctx.actor.as_ref();
        Shell {
            catalog: &app.catalog,
            locale: ctx.locale,
            lang: ctx.locale.code(),
            actor,
            csrf: &ctx.csrf,
            nav,
            flash: None,
            unread_notifications: ctx.unread_notifications,
            smtp_missing: ctx.notices.contains(&crate::notices::SMTP_MISSING),
            zone: &ctx.zone,
            now_ms: app.now(),
            offer_zone: actor.is_some_and(|a| a.time_zone.is_none()),
            path: &ctx.path,
        }
    }

    /// The same shell with a one-time notice (a key `web::render::flash` accepted).
    pub fn with_flash(mut self, flash: Option<String>) -> Shell<'a> {
        self.flash = flash;
        self
    }

    /// The catalog text for `key` in the reader's language.
    pub fn t<'k>(&'k self, key: &'k str) -> &'k str {
        self.catalog.get(self.locale, key)
    }

    /// The catalog text for `prefix` + `name` (`status_open`, `scope_all`).
    pub fn tx(&self, prefix: &str, name: impl std::fmt::Display) -> String {
        let key = format!("{prefix}{name}");
        self.catalog.get(self.locale, &key).to_string()
    }

    /// Why a mail landed where it did (`mail::intake`'s `code: detail`): the code in the
    /// reader's language, the detail (addresses, ticket numbers, header values) as recorded.
    /// Further parts follow ` | ` (`automatic: …`, `left_out: …`).
    pub fn mail_reason(&self, reason: &str) -> String {
        reason
            .split(" | ")
            .map(|part| {
                let (code, detail) = part.split_once(": ").unwrap_or((part, ""));
                let label = self.tx("mail_reason_", code);
                if detail.is_empty() {
                    label
                } else {
                    format!("{label} ({detail})")
                }
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// A role's name as the reader sees it (built-in roles translated, custom ones as named).
    pub fn role<'k>(&'k self, name: &'k str) -> &'k str {
        self.catalog.role_name(self.locale, name)
    }

    /// A permission in plain words (`tickets.assign` → "Assign tickets").
    pub fn permission<'k>(&'k self, permission: &'k str) -> &'k str {
        self.catalog.permission_name(self.locale, permission)
    }

    /// The one line explaining a permission on the role editor.
    pub fn permission_help(&self, permission: &str) -> String {
        let key = crate::i18n::names::permission_help_key(permission);
        self.catalog.get(self.locale, &key).to_string()
    }

    /// The heading of an area of permissions (`tickets` → "Tickets").
    pub fn permission_area(&self, area: &str) -> String {
        let key = crate::i18n::names::permission_area_key(area);
        self.catalog.get(self.locale, &key).to_string()
    }

    /// An audit action in words (`user.create` → "Created a user").
    pub fn audit_action<'k>(&'k self, action: &'k str) -> &'k str {
        self.catalog.audit_action_name(self.locale, action)
    }

    /// The kind of object an audit entry is about, in words (`hardware` → "Device").
    pub fn audit_object<'k>(&'k self, kind: &'k str) -> &'k str {
        self.catalog.audit_object_name(self.locale, kind)
    }

    /// Whether the reader holds `permission`.
    pub fn can(&self, permission: &str) -> bool {
        self.actor.is_some_and(|a| a.can(permission))
    }

    /// Whether the user menu offers "API keys": to staff and key managers; a requester (own
    /// scope) has no use for them, though `/apikeys` still works for one who does.
    pub fn offers_api_keys(&self) -> bool {
        self.actor.is_some_and(|a| {
            a.scope != crate::auth::permissions::Scope::Own || a.can("apikeys.manage")
        })
    }

    /// The signed-in user's name ("" when nobody is signed in).
    pub fn me_name(&self) -> &str {
        self.actor.map(|a| a.name.as_str()).unwrap_or("")
    }
}

/// The field error of `name` among `errors`, for the field macro.
pub fn error_of(
    errors: &std::collections::BTreeMap<String, String>,
    name: impl AsRef<str>,
) -> Option<&String> {
    errors.get(name.as_ref())
}

/// Whether `list` holds `item` (a checkbox's checked state).
pub fn contains(list: &[impl AsRef<str>], item: impl AsRef<str>) -> bool {
    list.iter().any(|l| l.as_ref() == item.as_ref())
}

/// Whether `ids` holds `id` (a checkbox's checked state).
pub fn has_id(ids: &[i64], id: &i64) -> bool {
    ids.contains(id)
}

/// Whether an optional reference is this id (a `<select>`'s selected option).
pub fn is_id(reference: &Option<i64>, id: &i64) -> bool {
    *reference == Some(*id)
}

/// The first `n` characters of `text`.
pub fn first_chars(text: &str, n: usize) -> String {
    text.chars().take(n).collect()
}

/// Whether an optional text is `b` (a filter's current choice).
pub fn opt_is(a: &Option<String>, b: impl AsRef<str>) -> bool {
    a.as_deref() == Some(b.as_ref())
}

/// An optional text, or "".
pub fn opt_text(a: &Option<String>) -> &str {
    a.as_deref().unwrap_or("")
}

/// Whether two texts are the same (a `<select>`'s selected option).
pub fn is(a: impl AsRef<str>, b: impl AsRef<str>) -> bool {
    a.as_ref() == b.as_ref()
}

#[cfg(test)]
mod tests {
    /// Every key a template names (`shell.t("…")`, `self.t("…")`) is in every catalog, so no
    /// page shows a bare key (askama cannot check them when it compiles).
    #[test]
    fn every_text_every_template_names_is_in_both_catalogs() {
        let catalog = crate::i18n::Catalog::load().unwrap();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut dirs = vec![root];
        let mut checked = 0;
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                let source = std::fs::read_to_string(&path).unwrap();
                let missing = catalog.missing_template_keys(&source);
                assert_eq!(missing, Vec::<String>::new(), "{}", path.display());
                checked += source.matches(".t(\"").count();
            }
        }
        assert!(checked > 500, "only {checked} texts found");
    }
}
