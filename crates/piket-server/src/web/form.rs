//! A posted HTML form as name/value pairs, for forms that repeat a name (checkboxes, multi-select)
//! which `serde_urlencoded` cannot collect into a struct.

use crate::error::{AppError, AppResult};

pub struct FormPairs(Vec<(String, String)>);

impl FormPairs {
    pub fn parse(body: &[u8]) -> AppResult<FormPairs> {
        serde_urlencoded::from_bytes(body)
            .map(FormPairs)
            .map_err(|_| AppError::BadRequest("malformed form".into()))
    }

    /// Pairs read some other way (the text fields of a multipart form).
    pub fn from_pairs(pairs: Vec<(String, String)>) -> FormPairs {
        FormPairs(pairs)
    }

    /// The first value of `name`, if the form sent it.
    pub fn opt(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }

    /// The first value of `name`, or empty.
    pub fn get(&self, name: &str) -> String {
        self.opt(name).unwrap_or_default()
    }

    /// Every value of `name`, in order.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Every value of `name` as ids; anything else is a field error.
    pub fn ids(&self, name: &str) -> AppResult<Vec<i64>> {
        self.all(name)
            .iter()
            .map(|v| {
                v.parse::<i64>()
                    .map_err(|_| AppError::invalid(name, "is not a valid choice"))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_names_are_all_kept() {
        let f = FormPairs::parse(b"a=1&ids=2&ids=3&x=%3Cb%3E").unwrap();
        assert_eq!(f.get("a"), "1");
        assert_eq!(f.ids("ids").unwrap(), vec![2, 3]);
        assert_eq!(f.get("x"), "<b>");
        assert_eq!(f.opt("missing"), None);
        assert!(FormPairs::parse(b"ids=x").unwrap().ids("ids").is_err());
    }
}
