//! Field-error messages in the reader's language. Services write field errors in English (the API
//! serves them as they are, next to the field name); pages translate them here, by pattern, from
//! `fields.id.toml` (Indonesian) and `fields.el.toml` (Greek).

use std::borrow::Cow;

use super::Locale;

/// One English pattern, split at its `{}` holes, and its translation (with as many holes).
struct Entry {
    parts: Vec<String>,
    translation: String,
}

impl Entry {
    /// The values in the holes, if `message` fits the pattern.
    fn holes<'m>(&self, message: &'m str) -> Option<Vec<&'m str>> {
        let (first, rest) = self.parts.split_first()?;
        let mut tail = message.strip_prefix(first.as_str())?;
        let mut values = Vec::new();
        for (i, part) in rest.iter().enumerate() {
            if i + 1 == rest.len() {
                values.push(tail.strip_suffix(part.as_str())?);
                tail = "";
            } else {
                let at = tail.find(part.as_str()).filter(|_| !part.is_empty())?;
                values.push(&tail[..at]);
                tail = &tail[at + part.len()..];
            }
        }
        tail.is_empty().then_some(values)
    }
}

pub struct FieldMessages {
    id: Vec<Entry>,
    el: Vec<Entry>,
}

/// One language's table (`fields.<code>.toml`), most literal patterns first.
fn table(name: &str, text: &str) -> Result<Vec<Entry>, String> {
    let table: std::collections::BTreeMap<String, String> =
        toml::from_str(text).map_err(|e| format!("{name}: {e}"))?;
    let mut entries: Vec<Entry> = table
        .into_iter()
        .map(|(english, translation)| Entry {
            parts: english.split("{}").map(str::to_string).collect(),
            translation,
        })
        .collect();
    // Most literal text first, so "unknown status {}" wins over a looser pattern.
    entries.sort_by_key(|e| std::cmp::Reverse(e.parts.iter().map(String::len).sum::<usize>()));
    Ok(entries)
}

impl FieldMessages {
    pub fn load() -> Result<FieldMessages, String> {
        Ok(FieldMessages {
            id: table("fields.id.toml", include_str!("fields.id.toml"))?,
            el: table("fields.el.toml", include_str!("fields.el.toml"))?,
        })
    }

    /// The message in `locale`; English, or a message without a translation, comes back as is.
    pub fn translate<'a>(&self, locale: Locale, message: &'a str) -> Cow<'a, str> {
        let entries = match locale {
            Locale::En => return Cow::Borrowed(message),
            Locale::Id => &self.id,
            Locale::El => &self.el,
        };
        for e in entries {
            if let Some(values) = e.holes(message) {
                let mut out = e.translation.clone();
                for v in values {
                    out = out.replacen("{}", v, 1);
                }
                return Cow::Owned(out);
            }
        }
        Cow::Borrowed(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_translate_with_their_values() {
        let m = FieldMessages::load().unwrap();
        assert_eq!(m.translate(Locale::Id, "is required"), "wajib diisi");
        assert_eq!(
            m.translate(Locale::Id, "must be at most 100 characters"),
            "maksimal 100 karakter"
        );
        assert_eq!(
            m.translate(Locale::Id, "unknown status `nope`"),
            "status tidak dikenal `nope`"
        );
        assert_eq!(
            m.translate(Locale::Id, "unknown placeholder {{x}}; use {{a}}, {{b}}"),
            "penanda isian tidak dikenal {{x}}; gunakan {{a}}, {{b}}"
        );
        assert_eq!(m.translate(Locale::En, "is required"), "is required");
        assert_eq!(m.translate(Locale::Id, "something new"), "something new");
        assert_eq!(m.translate(Locale::El, "is required"), "είναι υποχρεωτικό");
        assert_eq!(
            m.translate(Locale::El, "must be at most 100 characters"),
            "έως 100 χαρακτήρες"
        );
    }

    /// Every field-error message written in the source must have an Indonesian and a Greek entry.
    #[test]
    fn every_message_in_the_source_is_translated() {
        let m = FieldMessages::load().unwrap();
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut missing = Vec::new();
        let mut seen = 0;
        for message in source_messages(std::path::Path::new(root)) {
            seen += 1;
            // `format!` holes become a sample value.
            let sample = fill_holes(&message);
            for locale in [Locale::Id, Locale::El] {
                if m.translate(locale, &sample) == sample {
                    missing.push(format!("{message} (fields.{}.toml)", locale.code()));
                }
            }
        }
        assert!(seen > 30, "found only {seen} messages: is the scan broken?");
        assert!(missing.is_empty(), "no translation for: {missing:#?}");
    }

    fn fill_holes(s: &str) -> String {
        let mut out = String::new();
        let mut depth = 0;
        for c in s.chars() {
            match c {
                '{' => {
                    depth += 1;
                    if depth == 1 {
                        out.push('X');
                    }
                }
                '}' => depth -= 1,
                _ if depth == 0 => out.push(c),
                _ => {}
            }
        }
        out
    }

    /// The string literals among a call's arguments (`args` starts after the opening parenthesis).
    fn call_literals(args: &str) -> Vec<String> {
        let (mut depth, mut in_string, mut current, mut out) =
            (1, false, String::new(), Vec::new());
        for c in args.chars() {
            match (in_string, c) {
                (true, '"') => {
                    in_string = false;
                    out.push(std::mem::take(&mut current));
                }
                (true, c) => current.push(c),
                (false, '"') => in_string = true,
                (false, '(') => depth += 1,
                (false, ')') => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// The message literals of each `.fail(`, `AppError::invalid(` and `FieldError::new(`.
    fn source_messages(dir: &std::path::Path) -> Vec<String> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.extend(source_messages(&path));
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") || path.ends_with("fields.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for call in [".fail(", "AppError::invalid(", "FieldError::new("] {
                for (at, _) in text.match_indices(call) {
                    out.extend(
                        call_literals(&text[at + call.len()..])
                            .into_iter()
                            .filter(|l| {
                                l.contains(' ') && fill_holes(l).chars().any(char::is_alphabetic)
                            }),
                    );
                }
            }
        }
        out
    }
}
