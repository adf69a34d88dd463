//! The string catalog: English, Bahasa Indonesia and Greek, flat `key = "text"` files embedded at
//! build; names that come from data (statuses, built-in roles, permissions, audit actions) too.

pub mod fields;
pub mod names;

use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    En,
    Id,
    El,
}

impl Locale {
    pub const ALL: [Locale; 3] = [Locale::En, Locale::Id, Locale::El];

    pub fn code(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Id => "id",
            Locale::El => "el",
        }
    }

    pub fn parse(code: &str) -> Option<Locale> {
        match code.trim().to_ascii_lowercase().as_str() {
            "en" => Some(Locale::En),
            "id" => Some(Locale::Id),
            "el" => Some(Locale::El),
            _ => None,
        }
    }

    /// The best match from an `Accept-Language` header, honouring q-values.
    pub fn from_accept_language(header: &str) -> Option<Locale> {
        let mut best: Option<(f32, Locale)> = None;
        for part in header.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or("").trim();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            // "in" is the old code for Indonesian, still sent by some systems.
            let locale = match primary.to_ascii_lowercase().as_str() {
                "en" => Locale::En,
                "id" | "in" => Locale::Id,
                "el" => Locale::El,
                _ => continue,
            };
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, locale));
            }
        }
        best.map(|(_, l)| l)
    }
}

pub struct Catalog {
    en: BTreeMap<String, String>,
    id: BTreeMap<String, String>,
    el: BTreeMap<String, String>,
    /// Field-error messages, translated by pattern.
    pub fields: fields::FieldMessages,
}

impl Catalog {
    pub fn load() -> Result<Catalog, String> {
        let parse = |name: &str, text: &str| -> Result<BTreeMap<String, String>, String> {
            toml::from_str(text).map_err(|e| format!("{name}: {e}"))
        };
        Ok(Catalog {
            en: parse("en.toml", include_str!("en.toml"))?,
            id: parse("id.toml", include_str!("id.toml"))?,
            el: parse("el.toml", include_str!("el.toml"))?,
            fields: fields::FieldMessages::load()?,
        })
    }

    fn map(&self, locale: Locale) -> &BTreeMap<String, String> {
        match locale {
            Locale::En => &self.en,
            Locale::Id => &self.id,
            Locale::El => &self.el,
        }
    }

    pub fn get<'a>(&'a self, locale: Locale, key: &'a str) -> &'a str {
        self.map(locale)
            .get(key)
            .or_else(|| self.en.get(key))
            .map(String::as_str)
            .unwrap_or(key)
    }

    /// A role's name as the reader sees it: built-in roles have a translated display name,
    /// custom roles keep their own (built-in names are reserved, so the name says which it is).
    pub fn role_name<'a>(&'a self, locale: Locale, name: &'a str) -> &'a str {
        match names::role_key(name) {
            Some(key) => self.named(locale, &key, name),
            None => name,
        }
    }

    /// The text for `key`, or `code` itself when the language has none (names from data).
    fn named<'a>(&'a self, locale: Locale, key: &str, code: &'a str) -> &'a str {
        self.map(locale)
            .get(key)
            .map(String::as_str)
            .unwrap_or(code)
    }

    /// A permission's plain name (`tickets.assign` → "Assign tickets"); the code if unknown.
    pub fn permission_name<'a>(&'a self, locale: Locale, permission: &'a str) -> &'a str {
        self.named(locale, &names::permission_key(permission), permission)
    }

    /// An audit action in words (`user.create` → "Created a user"); the code if unknown.
    pub fn audit_action_name<'a>(&'a self, locale: Locale, action: &'a str) -> &'a str {
        self.named(locale, &names::audit_action_key(action), action)
    }

    /// The kind of object an audit entry is about, in words (`hardware` → "Device").
    pub fn audit_object_name<'a>(&'a self, locale: Locale, kind: &'a str) -> &'a str {
        self.named(locale, &names::audit_object_key(kind), kind)
    }

    /// The keys a template names (`shell.t("key")`, `self.t("key")`) that a language lacks,
    /// with the language: for the templates' test (askama cannot check them when it compiles).
    #[cfg(test)]
    pub fn missing_template_keys(&self, source: &str) -> Vec<String> {
        let named: Vec<&str> = source
            .split(".t(\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .collect();
        Locale::ALL
            .iter()
            .flat_map(|&l| {
                let known = self.keys(l);
                named
                    .iter()
                    .filter(move |k| !known.contains(k))
                    .map(move |k| format!("{k} ({})", l.code()))
            })
            .collect()
    }

    pub fn keys(&self, locale: Locale) -> Vec<&str> {
        self.map(locale).keys().map(String::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every language has every English key (named when missing, so a key added to en.toml
    /// and id.toml but not yet to el.toml says which), no key English lacks, no empty text, and
    /// the same `{placeholders}` as the English text.
    #[test]
    fn every_catalog_has_exactly_the_english_keys_and_no_empty_text() {
        let c = Catalog::load().unwrap();
        let english = c.keys(Locale::En);
        let mut problems = Vec::new();
        for l in Locale::ALL {
            let known = c.keys(l);
            for k in &english {
                if !known.contains(k) {
                    problems.push(format!("{k}: missing in {}.toml", l.code()));
                }
            }
            for k in &known {
                if !english.contains(k) {
                    problems.push(format!("{k}: in {}.toml but not in en.toml", l.code()));
                } else if c.get(l, k).trim().is_empty() {
                    problems.push(format!("{k}: empty in {}.toml", l.code()));
                } else if placeholders(c.get(l, k)) != placeholders(c.get(Locale::En, k)) {
                    problems.push(format!("{k}: placeholders differ in {}.toml", l.code()));
                }
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
        assert_ne!(
            c.get(Locale::En, "nav_logout"),
            c.get(Locale::Id, "nav_logout")
        );
        assert_eq!(c.get(Locale::El, "nav_logout"), "Αποσύνδεση");
    }

    /// The `{name}` placeholders of a text, sorted.
    fn placeholders(text: &str) -> Vec<&str> {
        let mut found: Vec<&str> = text
            .split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
            .filter(|name| name.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            .collect();
        found.sort_unstable();
        found
    }

    #[test]
    fn accept_language_picks_the_best_supported_language() {
        assert_eq!(
            Locale::from_accept_language("id-ID,id;q=0.9,en;q=0.8"),
            Some(Locale::Id)
        );
        assert_eq!(
            Locale::from_accept_language("fr, en;q=0.5, id;q=0.7"),
            Some(Locale::Id)
        );
        assert_eq!(Locale::from_accept_language("de, fr"), None);
        assert_eq!(Locale::from_accept_language("en-US"), Some(Locale::En));
        assert_eq!(
            Locale::from_accept_language("el-GR,el;q=0.9,en;q=0.8"),
            Some(Locale::El)
        );
        assert_eq!(Locale::parse("EL"), Some(Locale::El));
    }
}
