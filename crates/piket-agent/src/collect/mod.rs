//! Collecting a machine's [`Inventory`]: the platform module fills in what only it knows, then
//! network interfaces and file systems come from `sysinfo` on every platform (on Windows, WMI's
//! lists stay when sysinfo finds none).

pub mod hardware;
pub mod linux;
pub mod macos;
pub mod software;
pub mod windows;

use std::net::IpAddr;
use std::process::{Command, Stdio};

use piket_protocol::{FileSystem, Inventory, NetInterface};

/// Collect this machine's inventory. Whatever the platform cannot give stays empty.
pub fn collect_inventory() -> Inventory {
    let mut inventory = Inventory::default();
    #[cfg(target_os = "linux")]
    linux::collect(&mut inventory);
    #[cfg(target_os = "windows")]
    windows::collect(&mut inventory);
    #[cfg(target_os = "macos")]
    macos::collect(&mut inventory);
    // sysinfo's lists win; a platform module may have filled its own for when sysinfo finds
    // nothing (Windows under Wine, where WMI still lists drives and adapters).
    let interfaces = interfaces();
    if !interfaces.is_empty() {
        inventory.interfaces = interfaces;
    }
    let filesystems = filesystems();
    if !filesystems.is_empty() {
        inventory.filesystems = filesystems;
    }
    inventory
}

/// Run a program and return its standard output, or `None` if it is missing or fails.
// Windows reads everything in-process (WMI, registry) and spawns nothing.
#[cfg_attr(target_os = "windows", allow(dead_code))]
pub fn run_command(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Whether an address is worth reporting: not loopback, link-local or unspecified.
pub fn is_reportable_ip(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !(v4.is_loopback() || v4.is_link_local() || v4.is_unspecified()),
        IpAddr::V6(v6) => {
            let link_local = (v6.segments()[0] & 0xffc0) == 0xfe80;
            !(v6.is_loopback() || v6.is_unspecified() || link_local)
        }
    }
}

fn interfaces() -> Vec<NetInterface> {
    let networks = sysinfo::Networks::new_with_refreshed_list();
    let mut list: Vec<NetInterface> = networks
        .iter()
        .filter_map(|(name, data)| {
            let mac = data.mac_address();
            let mac = if mac.is_unspecified() {
                String::new()
            } else {
                mac.to_string()
            };
            let mut ips: Vec<String> = data
                .ip_networks()
                .iter()
                .map(|net| net.addr)
                .filter(is_reportable_ip)
                .map(|ip| ip.to_string())
                .collect();
            ips.sort();
            ips.dedup();
            let is_loopback = name == "lo" || name.starts_with("Loopback");
            (!is_loopback && (!mac.is_empty() || !ips.is_empty())).then(|| NetInterface {
                name: name.clone(),
                mac,
                ips,
            })
        })
        .collect();
    list.sort_by(|a, b| a.name.cmp(&b.name));
    list
}

/// File system types that are not storage.
const PSEUDO_FILESYSTEMS: &[&str] = &["overlay", "squashfs", "tmpfs", "devtmpfs", "autofs", "nsfs"];

fn filesystems() -> Vec<FileSystem> {
    let disks = sysinfo::Disks::new_with_refreshed_list_specifics(
        sysinfo::DiskRefreshKind::nothing().with_storage(),
    );
    let mut list: Vec<FileSystem> = disks
        .list()
        .iter()
        .filter(|disk| disk.total_space() > 0)
        .filter_map(|disk| {
            let fs_type = disk.file_system().to_string_lossy().into_owned();
            if PSEUDO_FILESYSTEMS.contains(&fs_type.as_str()) {
                return None;
            }
            Some(FileSystem {
                mount: disk.mount_point().to_string_lossy().into_owned(),
                fs_type,
                total_bytes: Some(disk.total_space()),
                free_bytes: Some(disk.available_space()),
            })
        })
        .collect();
    list.sort_by(|a, b| a.mount.cmp(&b.mount));
    list.dedup_by(|a, b| a.mount == b.mount);
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_and_link_local_addresses_are_skipped() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(is_reportable_ip(&ip("192.168.1.20")));
        assert!(is_reportable_ip(&ip("2001:db8::1")));
        assert!(!is_reportable_ip(&ip("127.0.0.1")));
        assert!(!is_reportable_ip(&ip("169.254.10.1")));
        assert!(!is_reportable_ip(&ip("::1")));
        assert!(!is_reportable_ip(&ip("fe80::1c2:3ff:fe4:5")));
    }

    #[test]
    fn missing_programs_give_none() {
        assert_eq!(run_command("piket-no-such-program-xyz", &[]), None);
    }
}
