//! How a reported inventory fills an asset's fields: pure functions, no database. A report only
//! ever fills what it knows; an empty value never wipes what an admin typed.

use piket_protocol::{Inventory, Software};

use super::super::software::SoftwareItem;
use super::super::software::MAX_ITEMS;
use super::super::store::Record;
use super::super::validate::SHORT;

/// DMI placeholders vendors ship instead of a real value.
const JUNK: &[&str] = &[
    "to be filled by o.e.m.",
    "to be filled by oem",
    "default string",
    "system serial number",
    "system product name",
    "system manufacturer",
    "not specified",
    "not applicable",
    "none",
    "n/a",
    "0",
    "00000000",
    "0123456789",
    "123456789",
    "invalid",
    "oem",
];

/// `v` trimmed, cut to `SHORT` characters, control characters dropped; empty for DMI junk.
pub fn clean(v: &str) -> String {
    let v: String = v.chars().filter(|c| !c.is_control()).take(SHORT).collect();
    let v = v.trim();
    if JUNK.contains(&v.to_lowercase().as_str()) {
        String::new()
    } else {
        v.to_string()
    }
}

/// An asset type from the reported chassis; `None` when it says nothing we know.
pub fn kind(chassis: &str) -> Option<&'static str> {
    match chassis.trim().to_lowercase().as_str() {
        "desktop" | "tower" | "mini tower" | "all in one" | "mini pc" | "workstation" => {
            Some("desktop")
        }
        "laptop" | "notebook" | "portable" | "convertible" | "detachable" | "tablet" => {
            Some("laptop")
        }
        "server" | "rack mount chassis" | "blade" | "virtual" | "vm" => Some("server"),
        "printer" => Some("printer"),
        "phone" | "smartphone" => Some("phone"),
        "network" | "router" | "switch" => Some("network"),
        _ => None,
    }
}

fn gb(bytes: u64) -> String {
    let gb = bytes as f64 / 1_000_000_000.0;
    if gb >= 1000.0 {
        format!("{:.1} TB", gb / 1000.0)
    } else {
        format!("{gb:.0} GB")
    }
}

/// "Samsung SSD 980 500 GB, WDC WD10 1.0 TB": the disks in one line.
pub fn storage(inv: &Inventory) -> String {
    let parts: Vec<String> = inv
        .disks
        .iter()
        .filter_map(|d| {
            let name = clean(if d.model.is_empty() {
                &d.name
            } else {
                &d.model
            });
            match (name.is_empty(), d.size_bytes) {
                (true, None) => None,
                (true, Some(s)) => Some(gb(s)),
                (false, None) => Some(name),
                (false, Some(s)) => Some(format!("{name} {}", gb(s))),
            }
        })
        .collect();
    clean(&parts.join(", "))
}

/// "Windows 11 Pro 23H2 (22631)": name, version and build as one line.
pub fn os(inv: &Inventory) -> String {
    let o = &inv.os;
    let mut line = clean(&o.name);
    let version = clean(&o.version);
    if !version.is_empty() && !line.contains(&version) {
        line = format!("{line} {version}").trim().to_string();
    }
    let build = clean(&o.build);
    if !build.is_empty() {
        line = format!("{line} ({build})").trim().to_string();
    }
    clean(&line)
}

fn cpu(inv: &Inventory) -> String {
    let model = clean(&inv.cpu.model);
    match (model.is_empty(), inv.cpu.cores, inv.cpu.threads) {
        (true, _, _) => String::new(),
        (false, 0, _) => model,
        (false, c, 0) => clean(&format!("{model} ({c} cores)")),
        (false, c, t) => clean(&format!("{model} ({c} cores, {t} threads)")),
    }
}

/// Valid, non-loopback addresses, at most 16, comma-separated.
fn ips(inv: &Inventory) -> String {
    let mut out: Vec<String> = Vec::new();
    for ip in inv.interfaces.iter().flat_map(|n| n.ips.iter()) {
        let Ok(addr) = ip.trim().parse::<std::net::IpAddr>() else {
            continue;
        };
        let text = addr.to_string();
        if !addr.is_loopback() && !addr.is_unspecified() && !out.contains(&text) && out.len() < 16 {
            out.push(text);
        }
    }
    clean(&out.join(", "))
}

fn macs(inv: &Inventory) -> String {
    let mut out: Vec<String> = Vec::new();
    for nic in &inv.interfaces {
        let mac = nic.mac.trim().to_lowercase();
        if super::super::validate::is_mac(&mac)
            && mac != "00:00:00:00:00:00"
            && !out.contains(&mac)
            && out.len() < 16
        {
            out.push(mac);
        }
    }
    clean(&out.join(", "))
}

/// Fill `r` from the report: each non-empty reported value replaces the stored one.
pub fn apply(r: &mut Record, inv: &Inventory) {
    let set = |slot: &mut String, v: String| {
        if !v.is_empty() {
            *slot = v;
        }
    };
    set(&mut r.hostname, clean(&inv.hostname));
    set(&mut r.manufacturer, clean(&inv.hardware.manufacturer));
    set(&mut r.model, clean(&inv.hardware.model));
    set(&mut r.serial, clean(&inv.hardware.serial));
    set(&mut r.cpu, cpu(inv));
    set(&mut r.os, os(inv));
    set(&mut r.storage, storage(inv));
    set(&mut r.ip_addresses, ips(inv));
    set(&mut r.mac_addresses, macs(inv));
    if let Some(bytes) = inv.memory_bytes.filter(|b| *b > 0) {
        let mb = i64::try_from(bytes / (1024 * 1024)).unwrap_or(i64::MAX);
        r.ram_mb = Some(mb.min(super::super::validate::MAX_RAM_MB));
    }
}

/// A new asset's starting record: named after the host, typed from the chassis.
pub fn new_record(inv: &Inventory, department_id: Option<i64>) -> Record {
    let hostname = clean(&inv.hostname);
    let mut r = Record {
        name: if hostname.is_empty() {
            "Unnamed device".into()
        } else {
            hostname
        },
        kind: kind(&inv.hardware.chassis).unwrap_or("desktop").into(),
        status: "in_use".into(),
        department_id,
        ..Record::default()
    };
    apply(&mut r, inv);
    r
}

/// The installed software as catalog items: cleaned, without empty names, at most `MAX_ITEMS`.
pub fn software(list: &[Software]) -> Vec<SoftwareItem> {
    list.iter()
        .filter_map(|s| {
            let name = clean(&s.name);
            (!name.is_empty()).then(|| SoftwareItem {
                name,
                vendor: clean(&s.vendor),
                version: clean(&s.version),
            })
        })
        .take(MAX_ITEMS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use piket_protocol::{Cpu, Disk, Hardware, NetInterface, Os};

    fn sample() -> Inventory {
        Inventory {
            hostname: " pc-01 ".into(),
            os: Os {
                name: "Windows 11 Pro".into(),
                version: "23H2".into(),
                build: "22631".into(),
                ..Default::default()
            },
            hardware: Hardware {
                manufacturer: "LENOVO".into(),
                model: "ThinkPad T14".into(),
                serial: "To be filled by O.E.M.".into(),
                chassis: "laptop".into(),
                ..Default::default()
            },
            cpu: Cpu {
                model: "Intel Core i5".into(),
                cores: 4,
                threads: 8,
            },
            memory_bytes: Some(16 * 1024 * 1024 * 1024),
            disks: vec![Disk {
                model: "Samsung SSD".into(),
                size_bytes: Some(512_000_000_000),
                ..Default::default()
            }],
            interfaces: vec![
                NetInterface {
                    name: "lo".into(),
                    mac: "00:00:00:00:00:00".into(),
                    ips: vec!["127.0.0.1".into()],
                },
                NetInterface {
                    name: "eth0".into(),
                    mac: "AA:BB:CC:DD:EE:FF".into(),
                    ips: vec!["10.0.0.5".into(), "not an ip".into()],
                },
            ],
            ..Default::default()
        }
    }

    #[test]
    fn a_new_record_takes_what_the_report_knows() {
        let r = new_record(&sample(), Some(3));
        assert_eq!(r.name, "pc-01");
        assert_eq!(r.kind, "laptop");
        assert_eq!(r.serial, "", "DMI junk is not a serial");
        assert_eq!(r.os, "Windows 11 Pro 23H2 (22631)");
        assert_eq!(r.cpu, "Intel Core i5 (4 cores, 8 threads)");
        assert_eq!(r.ram_mb, Some(16 * 1024));
        assert_eq!(r.storage, "Samsung SSD 512 GB");
        assert_eq!(r.ip_addresses, "10.0.0.5");
        assert_eq!(r.mac_addresses, "aa:bb:cc:dd:ee:ff");
        assert_eq!(r.department_id, Some(3));
    }

    #[test]
    fn empty_reported_values_keep_what_is_stored() {
        let mut r = Record {
            serial: "ADMIN-SERIAL".into(),
            location: "Floor 2".into(),
            model: "old".into(),
            ..Record::default()
        };
        apply(&mut r, &sample());
        assert_eq!(r.serial, "ADMIN-SERIAL");
        assert_eq!(r.location, "Floor 2");
        assert_eq!(r.model, "ThinkPad T14");
    }

    #[test]
    fn software_is_cleaned_and_capped() {
        let many: Vec<Software> = (0..MAX_ITEMS + 10)
            .map(|i| Software {
                name: format!("pkg{i}\u{7}"),
                ..Default::default()
            })
            .chain(std::iter::once(Software::default()))
            .collect();
        let items = software(&many);
        assert_eq!(items.len(), MAX_ITEMS);
        assert_eq!(items[0].name, "pkg0");
    }

    #[test]
    fn long_values_are_cut() {
        assert_eq!(clean(&"x".repeat(SHORT * 2)).chars().count(), SHORT);
    }
}
