//! GLPI agents may send only the sections that changed (`"partial": true`): the sections left out
//! are taken from the last report stored for the same agent, so a partial report never wipes the
//! software list or the CPU it did not mention.

use piket_protocol::Inventory;

use super::content::Content;
use crate::error::AppResult;
use crate::inventory::ingest::{place, store, Origin};
use crate::state::AppState;

/// Fill what `content` left out from the last report of the agent's identity, if any, and
/// only when the report may write to that identity's asset (`place`): otherwise a token holder
/// naming another agent's device id would get that agent's last report copied into an asset of
/// their own (review finding). A report that may not use the identity is refused here.
pub async fn complete(
    state: &AppState,
    origin: &Origin,
    content: &Content,
    inv: &mut Inventory,
) -> AppResult<()> {
    let identity = origin.identity.clone().unwrap_or_default();
    let mut conn = state.db.pool.acquire().await?;
    let Some(asset) = store::by_identity(&mut conn, origin.kind, &identity).await? else {
        return Ok(());
    };
    if place::place(&mut conn, origin, inv).await?.asset != Some(asset) {
        return Ok(());
    }
    let Some((_, _, json)) = store::report_of(&mut conn, asset).await? else {
        return Ok(());
    };
    drop(conn);
    if let Ok(previous) = serde_json::from_str::<Inventory>(&json) {
        merge(content, inv, previous);
    }
    Ok(())
}

/// Take from `previous` every part whose section `content` does not carry.
pub fn merge(content: &Content, inv: &mut Inventory, previous: Inventory) {
    let has = |s: &str| content.sections.contains_key(s);
    if !has("hardware") {
        inv.hostname = previous.hostname;
        inv.user = previous.user;
    }
    if inv.memory_bytes.is_none() {
        inv.memory_bytes = previous.memory_bytes;
    }
    if !has("bios") {
        inv.hardware = previous.hardware;
    }
    if !has("cpus") {
        inv.cpu = previous.cpu;
    }
    if !has("operatingsystem") {
        inv.os = previous.os;
    }
    if !has("storages") {
        inv.disks = previous.disks;
    }
    if !has("drives") {
        inv.filesystems = previous.filesystems;
    }
    if !has("networks") {
        inv.interfaces = previous.interfaces;
    }
    if !has("softwares") {
        inv.software = previous.software;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::protocols::content::to_inventory;
    use piket_protocol::{Cpu, Software};

    #[test]
    fn left_out_sections_come_from_the_previous_report() {
        let previous = Inventory {
            hostname: "pc-1".into(),
            cpu: Cpu {
                model: "i5".into(),
                ..Cpu::default()
            },
            software: vec![Software {
                name: "bash".into(),
                ..Software::default()
            }],
            ..Inventory::default()
        };
        let mut c = Content::default();
        if let Some(e) = c.push("hardware") {
            e.insert("name".into(), "pc-1".into());
            e.insert("memory".into(), "4096".into());
        }
        let mut inv = to_inventory(&c);
        merge(&c, &mut inv, previous.clone());
        assert_eq!(inv.cpu.model, "i5");
        assert_eq!(inv.software.len(), 1);
        assert_eq!(inv.memory_bytes, Some(4096 << 20));

        // An empty software list that was sent means none is installed any more.
        c.sections.entry("softwares".into()).or_default();
        let mut inv = to_inventory(&c);
        merge(&c, &mut inv, previous);
        assert!(inv.software.is_empty());
    }
}
