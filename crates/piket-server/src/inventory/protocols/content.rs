//! The inventory both legacy formats share: sections (HARDWARE, BIOS, CPUS, SOFTWARES, …, named
//! in lowercase) of entries of text fields, and its mapping onto a `piket_protocol::Inventory`.
//! Pure functions, no database.

use std::collections::BTreeMap;

use piket_protocol::{Cpu, Disk, FileSystem, Hardware, Inventory, NetInterface, Os, Software};

use super::MAX_ENTRIES;

/// One entry of a section: lowercase field name to text (first value wins).
pub type Entry = BTreeMap<String, String>;

/// Sections by lowercase name, each a list of entries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Content {
    pub sections: BTreeMap<String, Vec<Entry>>,
}

impl Content {
    /// Start a new entry in `section`; `None` when the section is full (the rest are ignored).
    pub fn push(&mut self, section: &str) -> Option<&mut Entry> {
        let list = self.sections.entry(section.to_lowercase()).or_default();
        if list.len() >= MAX_ENTRIES {
            return None;
        }
        list.push(Entry::new());
        list.last_mut()
    }

    pub fn all(&self, section: &str) -> &[Entry] {
        self.sections.get(section).map(Vec::as_slice).unwrap_or(&[])
    }

    /// A field of the first entry of a section, "" when absent.
    pub fn first(&self, section: &str, field: &str) -> &str {
        self.all(section)
            .first()
            .map(|e| get(e, field))
            .unwrap_or("")
    }
}

/// Set a field unless it is set already.
pub fn set(entry: &mut Entry, field: &str, value: String) {
    entry.entry(field.to_lowercase()).or_insert(value);
}

pub fn get<'a>(e: &'a Entry, field: &str) -> &'a str {
    e.get(field).map(|s| s.trim()).unwrap_or("")
}

/// The first value that is something once cleaned (DMI junk such as "To be filled by O.E.M."
/// does not hide a better value behind it).
fn pick(values: &[&str]) -> String {
    values
        .iter()
        .map(|v| crate::inventory::ingest::map::clean(v))
        .find(|v| !v.is_empty())
        .unwrap_or_default()
}

fn number(v: &str) -> Option<u64> {
    let v = v.trim();
    v.parse::<u64>().ok().or_else(|| {
        v.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite() && *f >= 0.0)
            .map(|f| f as u64)
    })
}

const MIB: u64 = 1024 * 1024;

/// The OCS/GLPI inventory as Piket's normalized one.
pub fn to_inventory(c: &Content) -> Inventory {
    let os = if c.all("operatingsystem").is_empty() {
        Os {
            name: c.first("hardware", "osname").into(),
            version: c.first("hardware", "osversion").into(),
            ..Os::default()
        }
    } else {
        Os {
            name: pick(&[
                c.first("operatingsystem", "full_name"),
                c.first("operatingsystem", "name"),
                c.first("hardware", "osname"),
            ]),
            version: c.first("operatingsystem", "version").into(),
            build: String::new(),
            kernel: c.first("operatingsystem", "kernel_version").into(),
            arch: c.first("operatingsystem", "arch").into(),
        }
    };
    let hardware = Hardware {
        manufacturer: pick(&[
            c.first("bios", "smanufacturer"),
            c.first("bios", "mmanufacturer"),
        ]),
        model: pick(&[c.first("bios", "smodel"), c.first("bios", "mmodel")]),
        serial: pick(&[c.first("bios", "ssn"), c.first("bios", "msn")]),
        chassis: pick(&[c.first("hardware", "chassis_type"), c.first("bios", "type")]),
        bios_vendor: c.first("bios", "bmanufacturer").into(),
        bios_version: c.first("bios", "bversion").into(),
        bios_date: c.first("bios", "bdate").into(),
    };
    let cpus = c.all("cpus");
    let sum = |field: &str| -> u32 {
        let total: u64 = cpus.iter().filter_map(|e| number(get(e, field))).sum();
        u32::try_from(total).unwrap_or(u32::MAX)
    };
    let cpu = Cpu {
        model: pick(&[c.first("cpus", "name"), c.first("hardware", "processort")]),
        cores: sum("core"),
        threads: sum("thread"),
    };
    let memory_mb = number(c.first("hardware", "memory"))
        .filter(|m| *m > 0)
        .or_else(|| {
            let total: u64 = c
                .all("memories")
                .iter()
                .filter_map(|e| number(get(e, "capacity")))
                .sum();
            (total > 0).then_some(total)
        });
    let disks = c
        .all("storages")
        .iter()
        .filter(|e| !matches!(get(e, "type").to_lowercase().as_str(), "cdrom" | "rom"))
        .map(|e| Disk {
            name: get(e, "name").into(),
            model: get(e, "model").into(),
            serial: get(e, "serialnumber").into(),
            size_bytes: number(get(e, "disksize"))
                .filter(|s| *s > 0)
                .map(|mb| mb.saturating_mul(1_000_000)),
        })
        .collect();
    let filesystems = c
        .all("drives")
        .iter()
        .filter_map(|e| {
            let mount = pick(&[get(e, "letter"), get(e, "type"), get(e, "volumn")]);
            (!mount.is_empty()).then(|| FileSystem {
                mount,
                fs_type: get(e, "filesystem").into(),
                total_bytes: number(get(e, "total")).map(|mb| mb.saturating_mul(MIB)),
                free_bytes: number(get(e, "free")).map(|mb| mb.saturating_mul(MIB)),
            })
        })
        .collect();
    let mut interfaces: Vec<NetInterface> = Vec::new();
    for e in c.all("networks") {
        let name = get(e, "description").to_string();
        let mac = get(e, "macaddr").to_string();
        let ips: Vec<String> = [get(e, "ipaddress"), get(e, "ipaddress6")]
            .iter()
            .filter(|ip| !ip.is_empty())
            .map(|ip| ip.to_string())
            .collect();
        match interfaces
            .iter_mut()
            .find(|n| n.name == name && n.mac == mac)
        {
            Some(nic) => {
                for ip in ips {
                    if !nic.ips.contains(&ip) {
                        nic.ips.push(ip);
                    }
                }
            }
            None if !name.is_empty() || !mac.is_empty() => {
                interfaces.push(NetInterface { name, mac, ips })
            }
            None => {}
        }
    }
    let software = c
        .all("softwares")
        .iter()
        .filter(|e| !get(e, "name").is_empty())
        .map(|e| Software {
            name: get(e, "name").into(),
            version: get(e, "version").into(),
            vendor: get(e, "publisher").into(),
        })
        .collect();
    Inventory {
        hostname: c.first("hardware", "name").into(),
        os,
        hardware,
        cpu,
        memory_bytes: memory_mb.map(|mb| mb.saturating_mul(MIB)),
        disks,
        filesystems,
        interfaces,
        user: pick(&[c.first("hardware", "userid"), c.first("users", "login")]),
        uptime_seconds: None,
        battery: None,
        software,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(pairs: &[(&str, &str)]) -> Entry {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn sample() -> Content {
        let mut c = Content::default();
        let mut add = |s: &str, e: Entry| c.sections.entry(s.into()).or_default().push(e);
        add(
            "hardware",
            entry(&[("name", "pc-01"), ("memory", "16000"), ("userid", "budi")]),
        );
        add(
            "bios",
            entry(&[
                ("smanufacturer", "To be filled by O.E.M."),
                ("mmanufacturer", "ASUSTeK"),
                ("ssn", "SN-1"),
                ("bversion", "1.2"),
            ]),
        );
        add(
            "cpus",
            entry(&[("name", "Intel i5"), ("core", "4"), ("thread", "8")]),
        );
        add(
            "operatingsystem",
            entry(&[
                ("full_name", "Debian GNU/Linux 12"),
                ("kernel_version", "6.1"),
            ]),
        );
        add(
            "networks",
            entry(&[
                ("description", "eth0"),
                ("macaddr", "aa:bb:cc:dd:ee:ff"),
                ("ipaddress", "10.0.0.2"),
            ]),
        );
        add(
            "networks",
            entry(&[
                ("description", "eth0"),
                ("macaddr", "aa:bb:cc:dd:ee:ff"),
                ("ipaddress6", "fe80::1"),
            ]),
        );
        add(
            "storages",
            entry(&[("name", "sda"), ("model", "SSD"), ("disksize", "512000")]),
        );
        add("storages", entry(&[("name", "sr0"), ("type", "cdrom")]));
        add(
            "drives",
            entry(&[
                ("type", "/"),
                ("filesystem", "ext4"),
                ("total", "1000"),
                ("free", "10"),
            ]),
        );
        add(
            "softwares",
            entry(&[
                ("name", "bash"),
                ("version", "5.2"),
                ("publisher", "Debian"),
            ]),
        );
        add("softwares", entry(&[("version", "nameless")]));
        c
    }

    #[test]
    fn sections_map_onto_the_inventory() {
        let inv = to_inventory(&sample());
        assert_eq!(inv.hostname, "pc-01");
        assert_eq!(inv.memory_bytes, Some(16000 * MIB));
        assert_eq!(
            inv.hardware.manufacturer, "ASUSTeK",
            "junk falls back to the board maker"
        );
        assert_eq!(inv.hardware.serial, "SN-1");
        assert_eq!(inv.hardware.bios_version, "1.2");
        assert_eq!(
            (inv.cpu.model.as_str(), inv.cpu.cores, inv.cpu.threads),
            ("Intel i5", 4, 8)
        );
        assert_eq!(inv.os.name, "Debian GNU/Linux 12");
        assert_eq!(inv.os.kernel, "6.1");
        assert_eq!(inv.interfaces.len(), 1, "one NIC per address is merged");
        assert_eq!(inv.interfaces[0].ips, vec!["10.0.0.2", "fe80::1"]);
        assert_eq!(inv.disks.len(), 1, "optical drives are not disks");
        assert_eq!(inv.disks[0].size_bytes, Some(512_000_000_000));
        assert_eq!(inv.filesystems[0].mount, "/");
        assert_eq!(inv.software.len(), 1);
        assert_eq!(inv.software[0].vendor, "Debian");
        assert_eq!(inv.user, "budi");
    }

    #[test]
    fn old_agents_without_operatingsystem_use_hardware() {
        let mut c = Content::default();
        c.sections
            .entry("hardware".into())
            .or_default()
            .push(entry(&[
                ("osname", "Microsoft Windows 7"),
                ("osversion", "6.1.7601"),
            ]));
        let inv = to_inventory(&c);
        assert_eq!(inv.os.name, "Microsoft Windows 7");
        assert_eq!(inv.os.version, "6.1.7601");
        assert_eq!(inv.memory_bytes, None);
    }

    #[test]
    fn sections_are_capped() {
        let mut c = Content::default();
        for _ in 0..MAX_ENTRIES {
            assert!(c.push("SOFTWARES").is_some());
        }
        assert!(c.push("softwares").is_none());
        assert_eq!(c.all("softwares").len(), MAX_ENTRIES);
    }
}
