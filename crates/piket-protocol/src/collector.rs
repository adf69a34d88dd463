//! The legacy collector's request (`POST /api/update-main-device`, [`crate::COLLECTOR_PATH`]):
//! `{email, data}`, every `data` field a string or `null`. Kept byte for byte as the original
//! collector sent it: every field is always written, `None` as `null`, in this order.

use serde::{Deserialize, Serialize};

/// The collector's report: each field a string or null; null or absent keeps the stored value.
/// `jenis`, `lisensi_windows`, `credential`, `office` and `lisensi_office` are accepted and
/// ignored: an admin fills them by hand.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CollectorData {
    pub manufaktur: Option<String>,
    pub cpu: Option<String>,
    /// A size such as "16.0 GB".
    pub ram: Option<String>,
    pub os: Option<String>,
    pub ipaddress: Option<String>,
    pub hostname: Option<String>,
    pub storage: Option<String>,
    pub jenis: Option<String>,
    pub lisensi_windows: Option<String>,
    pub credential: Option<String>,
    pub office: Option<String>,
    pub lisensi_office: Option<String>,
}

// The whole request body (no doc comment: it would become the schema's description, and the
// published OpenAPI document has none here).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CollectorRequest {
    pub email: String,
    pub data: CollectorData,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_is_sent_and_unknown_ones_as_null() {
        let body = CollectorRequest {
            email: "budi@example.com".into(),
            data: CollectorData {
                cpu: Some("Intel Core i5".into()),
                ..Default::default()
            },
        };
        assert_eq!(
            serde_json::to_string(&body).ok().as_deref(),
            Some(
                r#"{"email":"budi@example.com","data":{"manufaktur":null,"cpu":"Intel Core i5","ram":null,"os":null,"ipaddress":null,"hostname":null,"storage":null,"jenis":null,"lisensi_windows":null,"credential":null,"office":null,"lisensi_office":null}}"#
            )
        );
    }
}
