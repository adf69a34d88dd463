//! The desktop helper's contract (`piket-agent desktop`): linking an OS account to a Piket user,
//! filing a report (a ticket with the screen and the machine's state) and reading the user's own
//! tickets. The helper's credential (`dsk_….secret`) opens these routes and nothing else.

use serde::{Deserialize, Serialize};

/// `POST` a [`LinkRequest`]: the helper asks to be linked; no credential needed.
pub const LINK_PATH: &str = "/api/v1/desktop/links";
/// `GET` with the helper's credential: [`Me`] (pending until the user confirms in the browser).
pub const ME_PATH: &str = "/api/v1/desktop/me";
/// `POST` multipart: a `report` part holding a [`Report`] as JSON and, optionally, a
/// `screenshot` file part (PNG, JPEG or WebP). Answers a [`Filed`].
pub const REPORTS_PATH: &str = "/api/v1/desktop/reports";
/// `GET`: the linked user's own tickets, newest first ([`MyTickets`]).
pub const TICKETS_PATH: &str = "/api/v1/desktop/tickets";
/// Prefix of every desktop link key; nothing else the server issues starts with it.
pub const LINK_KEY_PREFIX: &str = "dsk_";

/// What the helper knows of itself when it asks to be linked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LinkRequest {
    /// The PC's name, shown to the user who confirms.
    pub hostname: String,
    /// The OS account the helper runs as.
    pub os_user: String,
    /// The enrolled agent device of this PC (`dev_…`), when the helper can read it; tickets
    /// filed through the link are then linked to that device's asset.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub device_id: String,
}

/// The answer to a link request: the credential (shown only here) and where the user confirms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LinkStarted {
    /// `dsk_…`: the link's public key.
    pub link_key: String,
    pub secret: String,
    /// Shown by the helper; the confirmation page shows it too, and the user checks they match.
    pub code: String,
    /// The page to open in the browser (a path on the server the helper talks to), where the
    /// signed-in user confirms.
    pub confirm_path: String,
    /// Unix milliseconds after which an unconfirmed link is void.
    pub expires_at_ms: i64,
}

/// Who the helper files as, and what the form offers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    /// `pending` (not confirmed yet) or `linked`.
    pub status: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    /// The portal's list of the user's tickets, for "My tickets" (a path on the server).
    #[serde(default)]
    pub portal_path: String,
    #[serde(default)]
    pub categories: Vec<Category>,
    /// The priorities a ticket can have, lowest first (`low`, `normal`, `high`, `urgent`).
    #[serde(default)]
    pub priorities: Vec<String>,
}

/// A category the form offers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Category {
    pub id: i64,
    pub name: String,
}

/// The report's JSON part.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// Made by the helper when the report is written (8 to 64 letters, digits or `-`); a report
    /// sent again with the same id answers with the ticket the first one filed.
    pub client_id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Default `normal`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_id: Option<i64>,
    #[serde(default)]
    pub machine: MachineState,
}

/// The machine's state when the key was pressed, as the seed's helper lists it. Every field is
/// optional: what a platform cannot tell stays empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, default)]
pub struct MachineState {
    pub hostname: String,
    pub local_ips: Vec<String>,
    pub macs: Vec<String>,
    pub cpu_percent: Option<f32>,
    pub ram_percent: Option<f32>,
    pub ram_total_bytes: Option<u64>,
    pub disks: Vec<DiskUse>,
    pub logical_processors: Option<u32>,
    pub uptime_seconds: Option<u64>,
    pub battery_percent: Option<u8>,
    pub battery_charging: Option<bool>,
    /// e.g. `Windows 11 Pro 23H2 (build 22631)`.
    pub os: String,
    pub active_window: String,
    pub os_user: String,
    pub agent_version: String,
}

/// One file system's use.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, default)]
pub struct DiskUse {
    pub mount: String,
    pub total_bytes: u64,
    pub used_bytes: u64,
}

/// The answer to a report: the ticket it filed (or, for a repeated `client_id`, filed before).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Filed {
    pub ticket_id: i64,
    /// The ticket's page, a path on the server.
    pub path: String,
    /// `false` when this `client_id` had filed the ticket already.
    pub created: bool,
}

/// The user's own tickets.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MyTickets {
    pub items: Vec<MyTicket>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MyTicket {
    pub id: i64,
    pub title: String,
    pub status: String,
    /// RFC 3339, UTC.
    pub updated_at: String,
    /// The ticket's page, a path on the server.
    pub path: String,
}

/// The `Authorization` header value of a linked helper.
pub fn desktop_bearer(link_key: &str, secret: &str) -> String {
    format!("Bearer {link_key}.{secret}")
}

/// Split `dsk_….secret` into key and secret; `None` for anything else.
pub fn parse_desktop_credential(value: &str) -> Option<(&str, &str)> {
    let (key, secret) = value.split_once('.')?;
    let ok = key.starts_with(LINK_KEY_PREFIX)
        && key.len() <= 64
        && !secret.is_empty()
        && secret.len() <= 128
        && key
            .bytes()
            .chain(secret.bytes())
            .all(|b| b.is_ascii_alphanumeric() || b == b'_');
    ok.then_some((key, secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn desktop_credentials_round_trip_and_are_not_device_credentials() {
        let header = desktop_bearer("dsk_abc", "s3cret");
        let value = header.strip_prefix("Bearer ").unwrap_or_default();
        assert_eq!(parse_desktop_credential(value), Some(("dsk_abc", "s3cret")));
        assert_eq!(parse_desktop_credential("dev_abc.s3cret"), None);
        assert_eq!(parse_desktop_credential("dsk_abc"), None);
        assert_eq!(parse_desktop_credential("dsk_a-b.s"), None);
        assert_eq!(crate::parse_agent_credential(value), None);
    }

    #[test]
    fn a_report_with_an_unknown_field_is_refused() {
        let bad = r#"{"client_id":"abcdefgh","title":"t","surprise":1}"#;
        assert!(serde_json::from_str::<Report>(bad).is_err());
        let ok = r#"{"client_id":"abcdefgh","title":"t","machine":{"hostname":"pc"}}"#;
        let r: Report = serde_json::from_str(ok).unwrap();
        assert_eq!(r.machine.hostname, "pc");
    }
}
