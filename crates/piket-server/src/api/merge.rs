//! JSON merge for PATCH: the fields a client sent laid over the current values, then parsed as
//! the full input type, so PATCH and PUT share one validation path.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{AppError, AppResult};

/// `current` with every field of the JSON object `patch` replacing its own. Anything but an
/// object, and fields the input type does not know (with `deny_unknown_fields`), is a 400.
pub fn merge<T: Serialize + DeserializeOwned>(
    current: &T,
    patch: serde_json::Value,
) -> AppResult<T> {
    let serde_json::Value::Object(fields) = patch else {
        return Err(AppError::BadRequest(
            "the body must be a JSON object".into(),
        ));
    };
    let mut merged =
        serde_json::to_value(current).map_err(|e| AppError::Internal(e.to_string()))?;
    if let serde_json::Value::Object(m) = &mut merged {
        m.extend(fields);
    }
    serde_json::from_value(merged).map_err(|e| AppError::BadRequest(format!("invalid body: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, serde::Deserialize, Debug, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Input {
        name: String,
        seats: Option<i64>,
    }

    #[test]
    fn sent_fields_replace_and_the_rest_stay() {
        let current = Input {
            name: "Office".into(),
            seats: Some(5),
        };
        let out = merge(&current, serde_json::json!({"seats": null})).unwrap();
        assert_eq!(
            out,
            Input {
                name: "Office".into(),
                seats: None
            }
        );
        assert!(matches!(
            merge(&current, serde_json::json!([1])),
            Err(AppError::BadRequest(_))
        ));
        assert!(matches!(
            merge(&current, serde_json::json!({"role": "admin"})),
            Err(AppError::BadRequest(_))
        ));
    }
}
