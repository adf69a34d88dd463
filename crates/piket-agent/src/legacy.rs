//! The original collector's fields (`POST /api/update-main-device`) computed from an inventory.
//! Fields the agent cannot know are sent as `null` so the server keeps what an admin entered.

use piket_protocol::{CollectorData, Inventory};

use crate::collect::is_reportable_ip;

/// The server refuses longer fields.
const MAX_FIELD_CHARS: usize = 200;

/// `16.0 GB` for a byte count (binary gigabytes, one decimal).
pub fn gigabytes(bytes: u64) -> String {
    format!("{:.1} GB", bytes as f64 / (1u64 << 30) as f64)
}

fn field(value: impl Into<String>) -> Option<String> {
    let value: String = value.into();
    let value: String = value
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_FIELD_CHARS)
        .collect();
    (!value.is_empty()).then_some(value)
}

/// `Laptop`, `Desktop`, … from the inventory's chassis kind.
fn device_kind(chassis: &str) -> Option<String> {
    let mut chars = chassis.chars();
    let first = chars.next()?;
    Some(first.to_uppercase().chain(chars).collect())
}

/// The first reportable IPv4 address, else the first reportable address.
fn main_ip(inventory: &Inventory) -> Option<String> {
    let ips: Vec<std::net::IpAddr> = inventory
        .interfaces
        .iter()
        .flat_map(|nic| nic.ips.iter())
        .filter_map(|ip| ip.parse().ok())
        .filter(is_reportable_ip)
        .collect();
    ips.iter()
        .find(|ip| ip.is_ipv4())
        .or(ips.first())
        .map(|ip| ip.to_string())
}

/// Map an inventory onto the collector's fields.
pub fn legacy_data(inventory: &Inventory) -> CollectorData {
    let os = format!("{} {}", inventory.os.name, inventory.os.version);
    let disk_total: u64 = inventory.disks.iter().filter_map(|d| d.size_bytes).sum();
    // Without physical disks (macOS), the system volume's size is the next best answer.
    let system_volume = || {
        inventory
            .filesystems
            .iter()
            .find(|fs| fs.mount == "/" || fs.mount.eq_ignore_ascii_case("C:\\"))
            .and_then(|fs| fs.total_bytes)
            .unwrap_or(0)
    };
    let storage = if disk_total > 0 {
        disk_total
    } else {
        system_volume()
    };
    CollectorData {
        manufaktur: field(inventory.hardware.manufacturer.as_str()),
        cpu: field(inventory.cpu.model.as_str()),
        ram: inventory.memory_bytes.filter(|&b| b > 0).map(gigabytes),
        os: field(os),
        ipaddress: main_ip(inventory),
        hostname: field(inventory.hostname.as_str()),
        storage: (storage > 0).then(|| gigabytes(storage)),
        jenis: device_kind(&inventory.hardware.chassis),
        lisensi_windows: None,
        credential: None,
        office: None,
        lisensi_office: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use piket_protocol::{CollectorRequest, Cpu, Disk, Hardware, NetInterface, Os};

    fn laptop() -> Inventory {
        Inventory {
            hostname: "pc-07".into(),
            os: Os {
                name: "Windows 11 Pro".into(),
                version: "23H2".into(),
                ..Default::default()
            },
            hardware: Hardware {
                manufacturer: "LENOVO".into(),
                chassis: "laptop".into(),
                ..Default::default()
            },
            cpu: Cpu {
                model: "Intel(R) Core(TM) i5-1135G7".into(),
                cores: 4,
                threads: 8,
            },
            memory_bytes: Some(16 << 30),
            disks: vec![Disk {
                name: "nvme0n1".into(),
                size_bytes: Some(512 << 30),
                ..Default::default()
            }],
            interfaces: vec![NetInterface {
                name: "eth0".into(),
                mac: "aa:bb:cc:dd:ee:ff".into(),
                ips: vec!["fe80::1".into(), "2001:db8::5".into(), "10.0.0.7".into()],
            }],
            ..Default::default()
        }
    }

    #[test]
    fn inventory_maps_to_collector_fields() {
        let data = legacy_data(&laptop());
        assert_eq!(data.manufaktur.as_deref(), Some("LENOVO"));
        assert_eq!(data.ram.as_deref(), Some("16.0 GB"));
        assert_eq!(data.storage.as_deref(), Some("512.0 GB"));
        assert_eq!(data.os.as_deref(), Some("Windows 11 Pro 23H2"));
        assert_eq!(data.ipaddress.as_deref(), Some("10.0.0.7"));
        assert_eq!(data.jenis.as_deref(), Some("Laptop"));
        assert_eq!(data.hostname.as_deref(), Some("pc-07"));
    }

    #[test]
    fn storage_falls_back_to_the_system_volume() {
        let mut inventory = laptop();
        inventory.disks.clear();
        inventory.filesystems = vec![
            piket_protocol::FileSystem {
                mount: "/Volumes/USB".into(),
                total_bytes: Some(64 << 30),
                ..Default::default()
            },
            piket_protocol::FileSystem {
                mount: "/".into(),
                total_bytes: Some(1 << 40),
                ..Default::default()
            },
        ];
        assert_eq!(
            legacy_data(&inventory).storage.as_deref(),
            Some("1024.0 GB")
        );
        inventory.filesystems.clear();
        assert_eq!(legacy_data(&inventory).storage, None);
    }

    #[test]
    fn unknown_fields_are_sent_as_null() {
        let body = CollectorRequest {
            email: "a@example.com".into(),
            data: legacy_data(&Inventory::default()),
        };
        let json = serde_json::to_value(&body).unwrap();
        let data = json["data"].as_object().unwrap();
        assert_eq!(data.len(), 12);
        for key in [
            "credential",
            "office",
            "lisensi_office",
            "lisensi_windows",
            "ram",
            "jenis",
        ] {
            assert!(data[key].is_null(), "{key}");
        }
        assert_eq!(json["email"], "a@example.com");
    }
}
