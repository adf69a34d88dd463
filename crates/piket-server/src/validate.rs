//! Field validation that collects every problem at once, so a form shows them all.

use crate::error::{AppError, FieldError};

#[derive(Default)]
pub struct Check {
    errors: Vec<FieldError>,
}

impl Check {
    pub fn new() -> Self {
        Self::default()
    }

    /// Trimmed text with a length between `min` and `max` characters.
    pub fn text(&mut self, field: &str, value: &str, min: usize, max: usize) -> String {
        let v = value.trim().to_string();
        let n = v.chars().count();
        if n < min {
            self.fail(
                field,
                if min == 1 {
                    "is required".to_string()
                } else {
                    format!("must be at least {min} characters")
                },
            );
        } else if n > max {
            self.fail(field, format!("must be at most {max} characters"));
        } else if v
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            self.fail(field, "must not contain control characters");
        }
        v
    }

    /// A plausible email address, lowercased.
    pub fn email(&mut self, field: &str, value: &str) -> String {
        let v = value.trim().to_lowercase();
        let ok = v.len() <= 254
            && v.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            })
            && !v
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>' || c == '"')
            && v.matches('@').count() == 1;
        if !ok {
            self.fail(field, "must be a valid email address");
        }
        v
    }

    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    pub fn finish(self) -> Result<(), AppError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(self.errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_all_field_errors() {
        let mut c = Check::new();
        assert_eq!(c.text("name", "  Budi  ", 1, 10), "Budi");
        c.text("title", "", 1, 10);
        c.text("note", "abcdefghijk", 0, 10);
        assert_eq!(c.email("email", " Budi@Example.COM "), "budi@example.com");
        c.email("email2", "not-an-email");
        c.email("email3", "a@b@c.com");
        match c.finish() {
            Err(AppError::Invalid(errs)) => {
                let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
                assert_eq!(fields, ["title", "note", "email2", "email3"]);
            }
            other => panic!("expected Invalid, got {other:?}"),
        }
    }
}
