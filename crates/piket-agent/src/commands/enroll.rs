//! `piket-agent enroll --server URL --token TOKEN`: trade an enrollment token for a device id and
//! secret, and keep them in the config file (mode 0600); the id alone also goes to the
//! world-readable `device-id` beside it, for the desktop helper.

use std::path::Path;

use piket_protocol::{EnrollRequest, EnrollResponse, ENROLL_PATH};

use crate::client::{self, Action, Body};
use crate::collect::collect_inventory;
use crate::config::{self, AgentConfig};
use crate::failure::Failure;

/// Refuse anything that is not an http(s) URL before sending a token anywhere.
pub fn check_server_url(server: &str) -> Result<String, Failure> {
    let server = server.trim().trim_end_matches('/');
    let rest = server
        .strip_prefix("https://")
        .or_else(|| server.strip_prefix("http://"))
        .ok_or_else(|| {
            Failure::general(format!(
                "the server URL must start with https:// or http://, got {server:?}"
            ))
        })?;
    if rest.is_empty() {
        return Err(Failure::general(format!(
            "the server URL {server:?} has no host"
        )));
    }
    Ok(server.to_string())
}

pub fn run(config_flag: Option<&Path>, server: &str, token: &str) -> Result<(), Failure> {
    let server = check_server_url(server)?;
    let token = token.trim();
    if token.is_empty() {
        return Err(Failure::general("the enrollment token is empty"));
    }
    let path = config::resolve_path(config_flag)?;
    if server.starts_with("http://") {
        eprintln!(
            "piket-agent: warning: {server} is plain HTTP: the device secret will cross the \
             network unencrypted"
        );
    }
    let inventory = collect_inventory();
    let request = EnrollRequest {
        token: token.to_string(),
        hostname: inventory.hostname.clone(),
        serial: inventory.hardware.serial.clone(),
        manufacturer: inventory.hardware.manufacturer.clone(),
        agent_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    drop(inventory);
    let json = serde_json::to_vec(&request)
        .map_err(|e| Failure::general(format!("cannot encode the request: {e}")))?;
    let url = client::endpoint(&server, ENROLL_PATH);
    let answer = client::post_json(
        &url,
        Body {
            json: &json,
            gzip: false,
        },
        &[],
    )?;
    if !(200..300).contains(&answer.status) {
        return Err(client::failure_for(Action::Enroll, &url, &answer));
    }
    let enrolled: EnrollResponse = serde_json::from_str(&answer.body).map_err(|e| {
        Failure::general(format!(
            "the server at {url} answered {} but not with an enrollment: {e}",
            answer.status
        ))
    })?;
    // Keep a locally chosen interval across re-enrollment; everything else is new.
    let interval_hours = config::load(&path).ok().and_then(|old| old.interval_hours);
    let config = AgentConfig {
        server,
        device_id: enrolled.device_id.clone(),
        secret: enrolled.secret,
        interval_hours,
        server_interval_hours: Some(enrolled.report_interval_hours),
        last_fingerprint: String::new(),
        last_report_unix: None,
    };
    config::save(&path, &config)?;
    // The enrollment itself has succeeded: a device-id file that cannot be written is a warning
    // (only the desktop helper needs it), not a reason to enroll again.
    if let Err(failure) = config::save_device_id(&path, &enrolled.device_id) {
        eprintln!("piket-agent: warning: {}", failure.message);
    }
    println!(
        "Enrolled as {} (asset {}); credentials saved to {}. Reports every {} h.",
        enrolled.device_id,
        enrolled.asset_id,
        path.display(),
        enrolled.report_interval_hours
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_url_must_be_http() {
        assert_eq!(
            check_server_url("https://piket.example.com/").unwrap(),
            "https://piket.example.com"
        );
        assert!(check_server_url("piket.example.com").is_err());
        assert!(check_server_url("ftp://x").is_err());
        assert!(check_server_url("https://").is_err());
    }
}
