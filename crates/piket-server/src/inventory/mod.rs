//! Hardware inventory: assets with owners and departments, their field history, the run-time
//! settings of the legacy collector endpoint, and that endpoint itself (`collector`); the
//! FusionInventory/OCS/GLPI agent endpoints (`protocols`); merge suggestions reports leave
//! (`suggestions`).

pub mod admin;
pub mod api;
pub mod asset_view;
pub mod collector;
pub mod history;
pub mod ingest;
pub mod merge;
mod merge_store;
pub mod pages;
pub mod protocols;
pub mod read_page;
pub mod service;
pub mod settings;
pub mod software;
mod store;
pub mod suggestions;
pub mod validate;

/// An asset's fields as written (see `service::write`).
pub use store::Record;

use serde::{Deserialize, Serialize};

/// Which asset rows (`hardware_assets h`) each scope reaches: a department's assets and one's
/// own; own scope, one's own.
pub const SCOPE_RULE: crate::db::scope::ScopeRule = crate::db::scope::ScopeRule {
    in_departments: ("h.department_id IN ", ""),
    department_ties: &[crate::db::scope::Tie::column("h.owner_id = ")],
    own_ties: &[crate::db::scope::Tie::column("h.owner_id = ")],
};

/// Asset types, as stored and as sent over the API.
pub const TYPES: &[&str] = &[
    "desktop", "laptop", "server", "printer", "network", "phone", "other",
];

/// Asset statuses, as stored and as sent over the API.
pub const STATUSES: &[&str] = &["in_use", "in_stock", "in_repair", "retired"];

/// A hardware asset. The credential is never part of it: see `credential_set` and the reveal call.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Hardware {
    pub id: i64,
    pub asset_tag: String,
    pub name: String,
    /// One of desktop, laptop, server, printer, network, phone, other.
    #[serde(rename = "type")]
    pub kind: String,
    pub manufacturer: String,
    pub model: String,
    pub serial: String,
    pub cpu: String,
    pub ram_mb: Option<i64>,
    pub storage: String,
    pub os: String,
    pub hostname: String,
    /// Comma-separated.
    pub ip_addresses: String,
    /// Comma-separated.
    pub mac_addresses: String,
    pub owner_id: Option<i64>,
    pub owner_name: Option<String>,
    pub owner_email: Option<String>,
    pub department_id: Option<i64>,
    pub department_name: Option<String>,
    pub location: String,
    /// One of in_use, in_stock, in_repair, retired.
    pub status: String,
    /// YYYY-MM-DD.
    pub purchase_date: Option<String>,
    /// YYYY-MM-DD.
    pub warranty_end: Option<String>,
    pub notes: String,
    /// Device kind as the collector names it.
    pub jenis: String,
    pub lisensi_windows: String,
    /// Whether a credential is stored; reveal it with `POST …/reveal`.
    pub credential_set: bool,
    pub office: String,
    pub lisensi_office: String,
    /// The owner's main device (at most one per user); the collector updates it.
    pub is_main: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// Create or replace an asset. For PATCH, send any subset of these fields.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HardwareInput {
    #[serde(default)]
    pub asset_tag: String,
    pub name: String,
    /// One of desktop, laptop, server, printer, network, phone, other.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub manufacturer: String,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub serial: String,
    #[serde(default)]
    pub cpu: String,
    pub ram_mb: Option<i64>,
    #[serde(default)]
    pub storage: String,
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub hostname: String,
    /// IP addresses separated by commas or spaces.
    #[serde(default)]
    pub ip_addresses: String,
    /// MAC addresses separated by commas or spaces.
    #[serde(default)]
    pub mac_addresses: String,
    pub owner_id: Option<i64>,
    pub department_id: Option<i64>,
    #[serde(default)]
    pub location: String,
    /// Default in_use.
    #[serde(default)]
    pub status: String,
    pub purchase_date: Option<String>,
    pub warranty_end: Option<String>,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub jenis: String,
    #[serde(default)]
    pub lisensi_windows: String,
    /// Absent or null keeps the stored credential; an empty string clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
    #[serde(default)]
    pub office: String,
    #[serde(default)]
    pub lisensi_office: String,
    #[serde(default)]
    pub is_main: bool,
}

impl From<&Hardware> for HardwareInput {
    fn from(h: &Hardware) -> Self {
        HardwareInput {
            asset_tag: h.asset_tag.clone(),
            name: h.name.clone(),
            kind: h.kind.clone(),
            manufacturer: h.manufacturer.clone(),
            model: h.model.clone(),
            serial: h.serial.clone(),
            cpu: h.cpu.clone(),
            ram_mb: h.ram_mb,
            storage: h.storage.clone(),
            os: h.os.clone(),
            hostname: h.hostname.clone(),
            ip_addresses: h.ip_addresses.clone(),
            mac_addresses: h.mac_addresses.clone(),
            owner_id: h.owner_id,
            department_id: h.department_id,
            location: h.location.clone(),
            status: h.status.clone(),
            purchase_date: h.purchase_date.clone(),
            warranty_end: h.warranty_end.clone(),
            notes: h.notes.clone(),
            jenis: h.jenis.clone(),
            lisensi_windows: h.lisensi_windows.clone(),
            credential: None,
            office: h.office.clone(),
            lisensi_office: h.lisensi_office.clone(),
            // An owner deleted since keeps the flag in the row; it means nothing without one.
            is_main: h.is_main && h.owner_id.is_some(),
        }
    }
}

/// List filters (`?type=&status=&department=&owner=&q=&cursor=&limit=`).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct HardwareFilter {
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: Option<String>,
    pub status: Option<String>,
    /// Department id.
    pub department: Option<i64>,
    /// Owner user id.
    pub owner: Option<i64>,
    /// Searches name, hostname, serial, asset tag, owner name/email and IP addresses.
    pub q: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// One changed field of an asset.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HardwareHistoryEntry {
    pub id: i64,
    pub at: String,
    /// `user` or `collector`.
    pub source: String,
    pub actor_id: Option<i64>,
    pub actor_label: String,
    pub field: String,
    pub old_value: String,
    pub new_value: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Revealed {
    pub credential: String,
}
