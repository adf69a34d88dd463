//! The string catalog: English and Bahasa Indonesia, flat `key = "text"` files embedded at build.

pub mod fields;

use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    En,
    Id,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::En, Locale::Id];

    pub fn code(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Id => "id",
        }
    }

    pub fn parse(code: &str) -> Option<Locale> {
        match code.trim().to_ascii_lowercase().as_str() {
            "en" => Some(Locale::En),
            "id" => Some(Locale::Id),
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
    /// Field-error messages, translated by pattern.
    pub fields: fields::FieldMessages,
}

impl Catalog {
    pub fn load() -> Result<Catalog, String> {
        let en: BTreeMap<String, String> =
            toml::from_str(include_str!("en.toml")).map_err(|e| format!("en.toml: {e}"))?;
        let id: BTreeMap<String, String> =
            toml::from_str(include_str!("id.toml")).map_err(|e| format!("id.toml: {e}"))?;
        Ok(Catalog {
            en,
            id,
            fields: fields::FieldMessages::load()?,
        })
    }

    pub fn get<'a>(&'a self, locale: Locale, key: &'a str) -> &'a str {
        let map = match locale {
            Locale::En => &self.en,
            Locale::Id => &self.id,
        };
        map.get(key)
            .or_else(|| self.en.get(key))
            .map(String::as_str)
            .unwrap_or(key)
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
        let map = match locale {
            Locale::En => &self.en,
            Locale::Id => &self.id,
        };
        map.keys().map(String::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogs_have_exactly_the_same_keys_and_no_empty_text() {
        let c = Catalog::load().unwrap();
        assert_eq!(c.keys(Locale::En), c.keys(Locale::Id));
        for l in Locale::ALL {
            for k in c.keys(l) {
                assert!(
                    !c.get(l, k).trim().is_empty(),
                    "{k} is empty in {}",
                    l.code()
                );
            }
        }
        assert_ne!(
            c.get(Locale::En, "nav_logout"),
            c.get(Locale::Id, "nav_logout")
        );
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
    }
}
