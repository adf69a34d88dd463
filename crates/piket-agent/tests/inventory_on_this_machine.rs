//! Runs the built binary's `inventory` on this machine and checks it against what Linux itself says.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

#[cfg(target_os = "linux")]
use piket_protocol::Inventory;

fn agent() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_piket-agent"));
    command.env_remove("PIKET_AGENT_CONFIG");
    command
}

#[cfg(target_os = "linux")]
#[test]
fn inventory_json_matches_proc_and_dpkg() {
    let output = agent().args(["inventory", "--json"]).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let inventory: Inventory = serde_json::from_slice(&output.stdout).unwrap();

    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_eq!(inventory.hostname, hostname.trim());

    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap();
    let mem_total_kib: u64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    assert!(inventory.memory_bytes.unwrap() > 0);
    assert_eq!(inventory.memory_bytes, Some(mem_total_kib * 1024));

    let threads = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("processor"))
        .count();
    assert_eq!(inventory.cpu.threads as usize, threads);

    if let Ok(status) = std::fs::read_to_string("/var/lib/dpkg/status") {
        let installed = status
            .lines()
            .filter(|l| *l == "Status: install ok installed")
            .count();
        assert!(installed > 0);
        assert_eq!(inventory.software.len(), installed);
    }

    // Nothing reported is loopback or link-local.
    for nic in &inventory.interfaces {
        assert_ne!(nic.name, "lo");
        for ip in &nic.ips {
            assert!(
                ip != "127.0.0.1"
                    && ip != "::1"
                    && !ip.starts_with("fe80:")
                    && !ip.starts_with("169.254."),
                "{ip}"
            );
        }
    }
}

#[test]
fn inventory_summary_is_human_readable() {
    let output = agent().arg("inventory").output().unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.starts_with("Hostname"), "{text}");
    assert!(text.contains("\nSoftware "), "{text}");
    assert!(!text.trim_start().starts_with('{'));
}
