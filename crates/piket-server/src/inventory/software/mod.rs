//! Software inventory: the catalog (name, vendor, version), what is installed on each hardware
//! asset, and licences (a secret key, seats, expiry, assignments) with a compliance view.

pub mod api;
pub mod license_api;
pub mod license_picker;
pub(super) mod license_store;
pub mod licenses;
pub mod pages;
pub mod service;
pub(super) mod store;

use serde::{Deserialize, Serialize};

/// Most installations one device may report in one call.
pub const MAX_ITEMS: usize = 5000;
/// Longest name, vendor or version.
pub const SHORT: usize = 200;

/// A catalog entry, with the number of devices it is installed on.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Software {
    pub id: i64,
    pub name: String,
    pub vendor: String,
    pub version: String,
    pub installations: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// A catalog entry and the devices (within the caller's reach) it is installed on.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SoftwareDetail {
    #[serde(flatten)]
    pub software: Software,
    pub devices: Vec<DeviceRef>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeviceRef {
    pub id: i64,
    pub name: String,
    pub hostname: String,
}

/// One piece of software as a device reports it (and the body of a catalog entry).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SoftwareItem {
    pub name: String,
    #[serde(default)]
    pub vendor: String,
    #[serde(default)]
    pub version: String,
}

impl SoftwareItem {
    /// Identity in the catalog: lowercased name and vendor, exact version.
    pub fn key(&self) -> (String, String, String) {
        (
            self.name.to_lowercase(),
            self.vendor.to_lowercase(),
            self.version.clone(),
        )
    }

    /// "Name 1.2" as the history shows it.
    pub fn label(&self) -> String {
        if self.version.is_empty() {
            self.name.clone()
        } else {
            format!("{} {}", self.name, self.version)
        }
    }
}

/// An installation on a device.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Installation {
    pub software_id: i64,
    pub name: String,
    pub vendor: String,
    pub version: String,
    /// YYYY-MM-DD, when known.
    pub installed_on: Option<String>,
}

/// What a replacement changed.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct InstallDiff {
    pub added: Vec<SoftwareItem>,
    pub removed: Vec<SoftwareItem>,
}

/// List filters (`?q=&device=&cursor=&limit=`).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SoftwareFilter {
    /// Searches name and vendor.
    pub q: Option<String>,
    /// Only what is installed on this hardware asset.
    pub device: Option<i64>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}
