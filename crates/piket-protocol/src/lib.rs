//! The wire contract between `piket-agent` and the server: enrollment, inventory reports and
//! their answers. Plain serde types, no I/O, so both sides (and other agents) can depend on it.

pub mod collector;
pub mod desktop;
pub mod inventory;

pub use collector::{CollectorData, CollectorRequest};
pub use inventory::{
    Battery, Cpu, Disk, FileSystem, Hardware, Inventory, NetInterface, Os, Software,
};

use serde::{Deserialize, Serialize};

/// Version of this contract, sent by the agent as `protocol` and checked by the server.
pub const PROTOCOL_VERSION: u32 = 1;

/// Where the agent enrolls: `POST {server}{ENROLL_PATH}` with an [`EnrollRequest`].
pub const ENROLL_PATH: &str = "/api/v1/agent/enroll";
/// Where the agent reports: `POST {server}{INVENTORY_PATH}` with an [`InventoryReport`],
/// optionally gzip-compressed (`Content-Encoding: gzip`), authenticated by
/// `Authorization: Bearer {device_id}.{secret}` (see [`agent_bearer`]).
pub const INVENTORY_PATH: &str = "/api/v1/agent/inventory";
/// Header an agent may send with a report: the [`Inventory::fingerprint`] of the body. When it
/// equals the fingerprint of the last report the server applied for this device, the server
/// answers `unchanged` without inflating or parsing the body: a heartbeat costs one indexed update.
pub const FINGERPRINT_HEADER: &str = "x-piket-fingerprint";
/// The legacy collector's endpoint (`piket-agent collect`).
pub const COLLECTOR_PATH: &str = "/api/update-main-device";
/// Prefix of every agent device id; nothing else the server issues starts with it.
pub const DEVICE_ID_PREFIX: &str = "dev_";

/// `POST /api/v1/agent/enroll` body: an enrollment token an admin created, plus what the agent
/// knows about itself so the server can match an existing asset instead of creating a second one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrollRequest {
    pub token: String,
    #[serde(default)]
    pub hostname: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub serial: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub manufacturer: String,
    /// The agent's version, e.g. `0.1.0`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub agent_version: String,
}

/// Answer to a successful enrollment. The secret is shown only here; the server keeps a hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrollResponse {
    /// `dev_…`: the device's identity.
    pub device_id: String,
    /// The device's secret, to send with every report.
    pub secret: String,
    /// The hardware asset this device reports into.
    pub asset_id: i64,
    /// How often the server would like a report, in hours.
    pub report_interval_hours: u32,
}

/// `POST /api/v1/agent/inventory` body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventoryReport {
    /// [`PROTOCOL_VERSION`] of the sender.
    pub protocol: u32,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub agent_version: String,
    pub inventory: Inventory,
}

/// Answer to a report: whether anything was written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InventoryResponse {
    /// `updated` when the asset changed, `unchanged` when the report matched the last one.
    pub status: String,
    pub asset_id: i64,
    /// The fingerprint the server now holds (see [`Inventory::fingerprint`]).
    pub fingerprint: String,
    pub report_interval_hours: u32,
}

/// Errors from the agent endpoints: `{"error": "...", "message": "..."}` with a 4xx/5xx status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentError {
    /// A stable code: `invalid_token`, `invalid_credentials`, `rate_limited`, `bad_request`,
    /// `too_large`, `unsupported_protocol`.
    pub error: String,
    pub message: String,
}

/// The `Authorization` header value an enrolled agent sends.
pub fn agent_bearer(device_id: &str, secret: &str) -> String {
    format!("Bearer {device_id}.{secret}")
}

/// Split a bearer credential `dev_….secret` into its id and secret; `None` for anything else.
pub fn parse_agent_credential(value: &str) -> Option<(&str, &str)> {
    let (id, secret) = value.split_once('.')?;
    let ok = id.starts_with(DEVICE_ID_PREFIX)
        && id.len() <= 64
        && !secret.is_empty()
        && secret.len() <= 128
        && id
            .bytes()
            .chain(secret.bytes())
            .all(|b| b.is_ascii_alphanumeric() || b == b'_');
    ok.then_some((id, secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_round_trip_and_reject_other_shapes() {
        let header = agent_bearer("dev_abc", "s3cret");
        let value = header.strip_prefix("Bearer ").unwrap_or_default();
        assert_eq!(parse_agent_credential(value), Some(("dev_abc", "s3cret")));
        assert_eq!(parse_agent_credential("pk_abcdefgh_secret"), None);
        assert_eq!(parse_agent_credential("dev_abc."), None);
        assert_eq!(parse_agent_credential("dev_a b.x"), None);
    }

    #[test]
    fn enroll_request_refuses_unknown_fields() {
        let err = serde_json::from_str::<EnrollRequest>(r#"{"token":"t","admin":true}"#);
        assert!(err.is_err());
    }
}
