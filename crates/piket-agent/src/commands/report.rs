//! `piket-agent report`: send one inventory now and remember what the server acknowledged.

use std::path::Path;

use piket_protocol::{
    agent_bearer, Inventory, InventoryReport, InventoryResponse, FINGERPRINT_HEADER,
    INVENTORY_PATH, PROTOCOL_VERSION,
};

use crate::client::{self, Action, Body};
use crate::collect::collect_inventory;
use crate::config::{self, AgentConfig};
use crate::failure::Failure;
use crate::log::unix_now;

/// POST one report (gzip JSON, device bearer) and read the answer.
pub fn send_report(
    config: &AgentConfig,
    inventory: Inventory,
) -> Result<InventoryResponse, Failure> {
    if config.device_id.is_empty() || config.secret.is_empty() || config.server.is_empty() {
        return Err(Failure::general(
            "the config file has no server, device_id or secret: enroll this machine first",
        ));
    }
    let fingerprint = inventory.fingerprint();
    let report = InventoryReport {
        protocol: PROTOCOL_VERSION,
        agent_version: env!("CARGO_PKG_VERSION").to_string(),
        inventory,
    };
    let json = serde_json::to_vec(&report)
        .map_err(|e| Failure::general(format!("cannot encode the report: {e}")))?;
    drop(report);
    let url = client::endpoint(&config.server, INVENTORY_PATH);
    let bearer = agent_bearer(&config.device_id, &config.secret);
    let answer = client::post_json(
        &url,
        Body {
            json: &json,
            gzip: true,
        },
        &[("Authorization", bearer), (FINGERPRINT_HEADER, fingerprint)],
    )?;
    if !(200..300).contains(&answer.status) {
        return Err(client::failure_for(Action::Report, &url, &answer));
    }
    serde_json::from_str(&answer.body).map_err(|e| Failure {
        retryable: true,
        ..Failure::general(format!(
            "the server at {url} answered {} but not with a report receipt: {e}",
            answer.status
        ))
    })
}

/// Remember an acknowledged report in the config: the fingerprint of the inventory we sent
/// (the server's own is normally the same; if it normalised something, ours still tells whether
/// this machine changed since).
pub fn record_acknowledgement(
    config: &mut AgentConfig,
    sent_fingerprint: &str,
    answer: &InventoryResponse,
) {
    config.last_fingerprint = sent_fingerprint.to_string();
    config.last_report_unix = Some(unix_now());
    if answer.report_interval_hours > 0 {
        config.server_interval_hours = Some(answer.report_interval_hours);
    }
}

pub fn run(config_flag: Option<&Path>) -> Result<(), Failure> {
    let path = config::resolve_path(config_flag)?;
    let mut config = config::load(&path)?;
    let inventory = collect_inventory();
    let fingerprint = inventory.fingerprint();
    let answer = send_report(&config, inventory)?;
    println!(
        "Report {}: asset {}, fingerprint {}, next report in {} h.",
        answer.status, answer.asset_id, answer.fingerprint, answer.report_interval_hours
    );
    record_acknowledgement(&mut config, &fingerprint, &answer);
    config::save(&path, &config)
}
