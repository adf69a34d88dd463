//! Which asset a report may write to. A report is vouched for by an enrolled device, by an
//! enrollment token, or by nobody (anonymous legacy agents, when an admin allows them). A serial
//! or hostname that matches an asset is only a hint: a token adopts the asset only when it lies
//! within the token's reach and no other device identity owns it, and an anonymous report never
//! adopts one. Otherwise the report makes a new asset, and an admin gets a merge suggestion.

use piket_protocol::Inventory;
use sqlx::AnyConnection;

use super::{map, store, Origin};
use crate::error::{AppError, AppResult};
use crate::inventory::store as asset_store;

/// What an enrollment token allows, as far as placing reports goes.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenScope {
    pub id: i64,
    /// Assets it may adopt and creates are in this department (none: only department-less ones).
    pub department_id: Option<i64>,
    /// A personal token: it never adopts an asset somebody else owns.
    pub owner_id: Option<i64>,
    /// Not expired and not used up: only an active token brings in a new identity.
    pub active: bool,
}

/// Who vouches for a report.
#[derive(Debug, Clone, PartialEq)]
pub enum Trust {
    /// An enrolled piket-agent: its asset is the device row's (`Origin::asset`).
    Device,
    /// An enrollment token: a legacy agent's HTTP Basic password, or piket-agent enrolling.
    Token(TokenScope),
    /// No credentials at all.
    Anonymous,
}

/// Where a report goes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Placement {
    /// The asset it writes to; `None`: it creates one.
    pub asset: Option<i64>,
    /// For a new asset: the existing one it looks like, and why (`serial`, `hostname`, `agent`).
    pub resembles: Option<(i64, &'static str)>,
    /// The report's identity is not yet bound to the token it came with: binding it is a use.
    pub binds_token: bool,
}

impl Placement {
    fn existing(id: i64, binds_token: bool) -> Self {
        Placement {
            asset: Some(id),
            resembles: None,
            binds_token,
        }
    }
    fn new(resembles: Option<(i64, &'static str)>, binds_token: bool) -> Self {
        Placement {
            asset: None,
            resembles,
            binds_token,
        }
    }
}

/// Decide where `inv` goes; `Unauthorized` when the credentials do not cover this identity.
pub async fn place(
    conn: &mut AnyConnection,
    origin: &Origin,
    inv: &Inventory,
) -> AppResult<Placement> {
    if let Some(id) = origin.asset {
        return Ok(Placement::existing(id, false));
    }
    let known = match &origin.identity {
        Some(value) => store::identity(conn, origin.kind, value).await?,
        None => None,
    };
    let token = match &origin.trust {
        Trust::Token(t) => Some(t),
        _ => None,
    };
    let binds_token = token.is_some_and(|t| known.is_none_or(|(_, bound)| bound != Some(t.id)));
    if let Some((asset, bound)) = known {
        match &origin.trust {
            Trust::Device => return Ok(Placement::existing(asset, false)),
            // An identity that reported with a token keeps needing it.
            Trust::Anonymous if bound.is_some() => return Err(AppError::Unauthorized),
            Trust::Anonymous => return Ok(Placement::existing(asset, false)),
            Trust::Token(t) if bound == Some(t.id) => return Ok(Placement::existing(asset, false)),
            Trust::Token(t) if !t.active => return Err(AppError::Unauthorized),
            Trust::Token(t) => {
                if within_reach(conn, t, asset).await? {
                    return Ok(Placement::existing(asset, true));
                }
                // Another token vouched for this identity: a token out of that asset's reach
                // must not move or rebind it (its holder would lock the real agent out and
                // take its identity, review finding).
                if bound.is_some() {
                    return Err(AppError::Unauthorized);
                }
                return Ok(Placement::new(Some((asset, "agent")), true));
            }
        }
    }
    if token.is_some_and(|t| !t.active) {
        return Err(AppError::Unauthorized);
    }
    let Some((candidate, reason)) = same_machine(conn, inv).await? else {
        return Ok(Placement::new(None, binds_token));
    };
    let adopt = match &origin.trust {
        Trust::Device => true,
        Trust::Anonymous => false,
        Trust::Token(t) => {
            within_reach(conn, t, candidate).await?
                && !owned_by_other(conn, origin, candidate).await?
        }
    };
    Ok(match adopt {
        true => Placement::existing(candidate, binds_token),
        false => Placement::new(Some((candidate, reason)), binds_token),
    })
}

/// An asset that looks like the reported machine: same serial (with manufacturer), else same
/// hostname without a different serial.
async fn same_machine(
    conn: &mut AnyConnection,
    inv: &Inventory,
) -> AppResult<Option<(i64, &'static str)>> {
    let serial = map::clean(&inv.hardware.serial);
    if !serial.is_empty() {
        let manufacturer = map::clean(&inv.hardware.manufacturer);
        if let Some(id) = store::by_serial(conn, &serial, &manufacturer).await? {
            return Ok(Some((id, "serial")));
        }
    }
    let hostname = map::clean(&inv.hostname);
    if hostname.is_empty() {
        return Ok(None);
    }
    Ok(store::by_hostname(conn, &hostname, &serial)
        .await?
        .map(|id| (id, "hostname")))
}

/// The asset is in the token's department (both without one counts), and a personal token's
/// owner already owns it. Any signed-in user can make a personal token, so one that took an
/// unowned asset would hand its maker a shared machine of their department (review finding):
/// an admin registers a PC *for* someone (its owner) for their agent to adopt it.
async fn within_reach(conn: &mut AnyConnection, t: &TokenScope, asset: i64) -> AppResult<bool> {
    let Some(h) = asset_store::get(conn, asset).await? else {
        return Ok(false);
    };
    let owner_ok = match t.owner_id {
        Some(o) => h.owner_id == Some(o),
        None => true,
    };
    Ok(h.department_id == t.department_id && owner_ok)
}

async fn owned_by_other(conn: &mut AnyConnection, origin: &Origin, asset: i64) -> AppResult<bool> {
    let value = origin.identity.as_deref().unwrap_or_default();
    store::owned_by_other(conn, asset, origin.kind, value).await
}
