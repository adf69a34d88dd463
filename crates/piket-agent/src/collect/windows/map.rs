//! The pure half of the Windows collector: [`WindowsFacts`] (what WMI and the registry said)
//! into the inventory's fields. No Windows API here, so it is tested on every platform.

use std::net::IpAddr;

use piket_protocol::{
    Battery, Cpu, Disk, FileSystem, Hardware, Inventory, NetInterface, Os, Software,
};

use super::cim_time;
use super::facts::{LogicalDiskFacts, NetworkAdapterFacts, UninstallEntry, WindowsFacts};
use crate::collect::hardware::{chassis_kind, clean_firmware_string};
use crate::collect::is_reportable_ip;

/// `Win32_LogicalDisk.DriveType` of a local disk.
const LOCAL_DISK: u64 = 3;

/// First Windows 11 build: Windows 11 still says "Windows 10" in the registry's `ProductName`.
pub const FIRST_WINDOWS_11_BUILD: u32 = 22000;

/// The OS name with Windows 11 recognised by its build number. The registry's `ProductName` is
/// preferred over WMI's `Caption` because it is English on every display language; both may
/// start with "Microsoft " (Wine's `ProductName` does), which says nothing.
pub fn windows_os_name(product_name: &str, caption: &str, build: &str) -> String {
    let strip = |s: &str| s.trim().trim_start_matches("Microsoft ").trim().to_string();
    let base = match strip(product_name) {
        name if name.is_empty() => strip(caption),
        name => name,
    };
    let build: u32 = build.trim().parse().unwrap_or(0);
    if build >= FIRST_WINDOWS_11_BUILD && base.contains("Windows 10") {
        base.replacen("Windows 10", "Windows 11", 1)
    } else {
        base
    }
}

/// WMI battery status codes to the protocol's words.
pub fn battery_status(code: u64) -> &'static str {
    match code {
        1 | 4 | 5 => "discharging",
        2 | 6 | 7 | 8 | 9 => "charging",
        3 => "full",
        _ => "unknown",
    }
}

/// Programs as "Apps & features" lists them: entries with a name, leaving out system
/// components and updates; sorted, each (name, version, vendor) once although the 64-bit and
/// 32-bit registry views can both list it.
pub fn software(entries: &[UninstallEntry]) -> Vec<Software> {
    let mut list: Vec<Software> = entries
        .iter()
        .filter(|e| !e.system_component && !e.has_parent)
        .filter_map(|e| {
            let name = text(&e.display_name);
            (!name.is_empty()).then(|| Software {
                name,
                version: text(&e.display_version),
                vendor: text(&e.publisher),
            })
        })
        .collect();
    list.sort();
    list.dedup();
    list
}

/// Local drives as file systems (`C:\`, like sysinfo names them).
pub fn filesystems(disks: &[LogicalDiskFacts]) -> Vec<FileSystem> {
    let mut list: Vec<FileSystem> = disks
        .iter()
        .filter(|d| d.drive_type == Some(LOCAL_DISK) && d.size.is_some_and(|s| s > 0))
        .filter_map(|d| {
            let letter = text(&d.device_id);
            (!letter.is_empty()).then(|| FileSystem {
                mount: format!("{}\\", letter.trim_end_matches('\\')),
                fs_type: text(&d.file_system),
                total_bytes: d.size,
                free_bytes: d.free_space,
            })
        })
        .collect();
    list.sort_by(|a, b| a.mount.cmp(&b.mount));
    list
}

/// Adapters as interfaces, by the rules of the sysinfo path: MACs in lower case, no loopback,
/// link-local or unspecified addresses, and no adapter with neither a MAC nor an address.
pub fn interfaces(adapters: &[NetworkAdapterFacts]) -> Vec<NetInterface> {
    let mut list: Vec<NetInterface> = adapters
        .iter()
        .filter_map(|a| {
            let mac = text(&a.mac_address).to_ascii_lowercase();
            let mut ips: Vec<String> = a
                .ip_addresses
                .iter()
                // The zone (`%4`) of a scoped address is not part of the address.
                .filter_map(|ip| ip.split('%').next()?.trim().parse::<IpAddr>().ok())
                .filter(is_reportable_ip)
                .map(|ip| ip.to_string())
                .collect();
            ips.sort();
            ips.dedup();
            (!mac.is_empty() || !ips.is_empty()).then(|| NetInterface {
                name: text(&a.description),
                mac,
                ips,
            })
        })
        .collect();
    list.sort_by(|a, b| a.name.cmp(&b.name));
    list
}

fn text(value: &Option<String>) -> String {
    value.as_deref().unwrap_or_default().trim().to_string()
}

fn firmware(value: &Option<String>) -> String {
    clean_firmware_string(value.as_deref().unwrap_or_default())
}

/// Fill in everything Windows-specific. Interfaces and file systems come from WMI here; the
/// caller replaces them with sysinfo's lists when those are not empty (they are under Wine).
/// `now_unix` is passed in so the uptime can be tested.
pub fn fill(inventory: &mut Inventory, facts: &WindowsFacts, now_unix: i64) {
    let os = facts.os.clone().unwrap_or_default();
    let cs = facts.computer_system.clone().unwrap_or_default();
    let cv = facts.current_version.clone().unwrap_or_default();
    let bios = facts.bios.clone().unwrap_or_default();

    inventory.hostname = match text(&facts.computer_name) {
        name if name.is_empty() => text(&cs.name),
        name => name,
    };
    inventory.os = windows_os(&os, &cv);
    inventory.hardware = Hardware {
        manufacturer: firmware(&cs.manufacturer),
        model: firmware(&cs.model),
        serial: firmware(&bios.serial_number),
        chassis: facts
            .chassis_types
            .iter()
            .map(|&t| chassis_kind(u32::try_from(t).unwrap_or(0)))
            .find(|k| !k.is_empty())
            .unwrap_or_default()
            .to_string(),
        bios_vendor: firmware(&bios.manufacturer),
        bios_version: firmware(&bios.smbios_bios_version),
        bios_date: cim_time::date(bios.release_date.as_deref().unwrap_or_default()),
    };
    // One row per socket: the model of the first, cores and threads of all.
    let sum = |count: fn(&super::facts::ProcessorFacts) -> Option<u64>| {
        let total: u64 = facts.processors.iter().filter_map(count).sum();
        u32::try_from(total).unwrap_or(0)
    };
    inventory.cpu = Cpu {
        model: facts
            .processors
            .first()
            .map(|p| text(&p.name))
            .unwrap_or_default(),
        cores: sum(|p| p.number_of_cores),
        threads: sum(|p| p.number_of_logical_processors),
    };
    inventory.memory_bytes = cs.total_physical_memory.filter(|&m| m > 0);
    inventory.disks = facts
        .disks
        .iter()
        .map(|d| Disk {
            name: text(&d.device_id),
            model: firmware(&d.model),
            serial: firmware(&d.serial_number),
            size_bytes: d.size.filter(|&s| s > 0),
        })
        .collect();
    inventory.user = text(&cs.user_name);
    inventory.uptime_seconds = os
        .last_boot_up_time
        .as_deref()
        .and_then(cim_time::unix_seconds)
        .and_then(|boot| u64::try_from(now_unix - boot).ok());
    inventory.battery = facts.batteries.first().and_then(|b| {
        Some(Battery {
            percent: b
                .estimated_charge_remaining
                .map(|p| u8::try_from(p.min(100)).unwrap_or(100)),
            status: battery_status(b.battery_status?).to_string(),
        })
    });
    inventory.filesystems = filesystems(&facts.logical_disks);
    inventory.interfaces = interfaces(&facts.network_adapters);
    inventory.software = software(&facts.uninstall);
}

/// Name, version and build from the registry (English, with the display version), WMI filling
/// the gaps; the kernel is WMI's `Version` plus the patch level (`UBR`) when the registry has it.
fn windows_os(os: &super::facts::OsFacts, cv: &super::facts::CurrentVersionFacts) -> Os {
    let build = match text(&cv.current_build) {
        b if b.is_empty() => text(&os.build_number),
        b => b,
    };
    let version = [&cv.display_version, &cv.release_id, &os.csd_version]
        .into_iter()
        .map(text)
        .find(|v| !v.is_empty())
        .unwrap_or_default();
    let mut kernel = text(&os.version);
    if let Some(ubr) = cv.ubr {
        if !build.is_empty() && kernel.ends_with(&format!(".{build}")) {
            kernel = format!("{kernel}.{ubr}");
        }
    }
    Os {
        name: windows_os_name(
            cv.product_name.as_deref().unwrap_or_default(),
            os.caption.as_deref().unwrap_or_default(),
            &build,
        ),
        version,
        build,
        kernel,
        arch: text(&os.os_architecture),
    }
}

#[cfg(test)]
#[path = "map_tests.rs"]
mod tests;
