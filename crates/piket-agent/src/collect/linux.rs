//! Linux: `/proc`, `/sys` (DMI, block devices, power supplies), `/etc/os-release`, `/run/utmp`
//! and the package databases. The parsers are plain functions over text so they are tested with
//! samples; only [`collect`] touches the machine.
// The parsers are used only on linux but compiled and tested everywhere.
#![cfg_attr(not(target_os = "linux"), allow(dead_code, unused_imports))]

use piket_protocol::{Battery, Cpu, Disk, Hardware, Os, Software};

use super::hardware::{chassis_kind, clean_firmware_string};

/// `NAME` and `VERSION` (or `VERSION_ID`) from `/etc/os-release`.
pub fn parse_os_release(text: &str) -> (String, String) {
    let mut name = String::new();
    let mut version = String::new();
    let mut version_id = String::new();
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value
            .trim()
            .trim_matches('"')
            .trim_matches('\'')
            .to_string();
        match key.trim() {
            "NAME" => name = value,
            "VERSION" => version = value,
            "VERSION_ID" => version_id = value,
            _ => {}
        }
    }
    if version.is_empty() {
        version = version_id;
    }
    (name, version)
}

/// Model, physical cores and logical processors from `/proc/cpuinfo`.
pub fn parse_cpuinfo(text: &str) -> Cpu {
    let mut model = String::new();
    let mut threads = 0u32;
    let mut cores = std::collections::BTreeSet::new();
    let mut physical_id = String::new();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key.trim() {
            "processor" => threads += 1,
            "model name" | "Model" | "cpu model" if model.is_empty() => model = value.to_string(),
            "physical id" => physical_id = value.to_string(),
            "core id" => {
                cores.insert((physical_id.clone(), value.to_string()));
            }
            _ => {}
        }
    }
    Cpu {
        model: model.split_whitespace().collect::<Vec<_>>().join(" "),
        cores: u32::try_from(cores.len()).unwrap_or(0),
        threads,
    }
}

/// `MemTotal` from `/proc/meminfo`, in bytes.
pub fn parse_meminfo_total(text: &str) -> Option<u64> {
    let line = text.lines().find_map(|l| l.strip_prefix("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().next()?.parse().ok()?;
    Some(kib * 1024)
}

/// Whole seconds from `/proc/uptime`.
pub fn parse_uptime(text: &str) -> Option<u64> {
    let seconds: f64 = text.split_whitespace().next()?.parse().ok()?;
    (seconds >= 0.0).then_some(seconds as u64)
}

/// Reads one DMI attribute by name; `None` when absent or unreadable (serials are root-only).
pub type DmiReader<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Hardware identity from `/sys/class/dmi/id`, placeholders dropped.
pub fn hardware_from_dmi(read: DmiReader<'_>) -> Hardware {
    let get = |name: &str| {
        read(name)
            .map(|v| clean_firmware_string(&v))
            .unwrap_or_default()
    };
    let chassis = read("chassis_type")
        .and_then(|v| v.trim().parse::<u32>().ok())
        .map(chassis_kind)
        .unwrap_or_default();
    let mut model = get("product_name");
    if model.is_empty() {
        model = get("board_name");
    }
    let mut manufacturer = get("sys_vendor");
    if manufacturer.is_empty() {
        manufacturer = get("board_vendor");
    }
    Hardware {
        manufacturer,
        model,
        serial: get("product_serial"),
        chassis: chassis.to_string(),
        bios_vendor: get("bios_vendor"),
        bios_version: get("bios_version"),
        bios_date: get("bios_date"),
    }
}

/// Whether a `/sys/block` entry is a real disk rather than a loop, RAM, mapper or optical device.
pub fn is_physical_block_device(name: &str) -> bool {
    const VIRTUAL: &[&str] = &["loop", "ram", "zram", "dm-", "md", "sr", "fd", "nbd", "zd"];
    !VIRTUAL.iter().any(|prefix| name.starts_with(prefix))
}

/// `ID_SERIAL_SHORT` and `ID_MODEL` from a udev database entry (`/run/udev/data/b8:0`): sysfs
/// has no serial for SATA disks, udev read it from the drive when it appeared.
pub fn parse_udev_disk(text: &str) -> (String, String) {
    let get = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix("E:")?.strip_prefix(key)?.strip_prefix('='))
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    (get("ID_SERIAL_SHORT"), get("ID_MODEL").replace('_', " "))
}

/// A battery from `/sys/class/power_supply/*/{capacity,status}` contents.
pub fn parse_battery(capacity: Option<&str>, status: Option<&str>) -> Battery {
    Battery {
        percent: capacity
            .and_then(|c| c.trim().parse::<u8>().ok())
            .map(|p| p.min(100)),
        status: match status.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
            Some("charging") => "charging",
            Some("discharging") => "discharging",
            Some("full") => "full",
            Some("not charging") => "not charging",
            _ => "unknown",
        }
        .to_string(),
    }
}

/// Size of one utmp record on Linux (glibc, 64- and 32-bit alike).
const UTMP_RECORD: usize = 384;
const USER_PROCESS: u16 = 7;

/// The user logged in at a console (`tty*` or a display `:0`) in `/run/utmp`, else the first
/// logged-in user, else empty.
pub fn parse_utmp_user(bytes: &[u8]) -> String {
    let field = |record: &[u8], start: usize, len: usize| {
        let raw = &record[start..start + len];
        let end = raw.iter().position(|&b| b == 0).unwrap_or(len);
        String::from_utf8_lossy(&raw[..end]).trim().to_string()
    };
    let mut first = String::new();
    for record in bytes.chunks_exact(UTMP_RECORD) {
        let kind = u16::from_ne_bytes([record[0], record[1]]);
        if kind != USER_PROCESS {
            continue;
        }
        let line = field(record, 8, 32);
        let user = field(record, 44, 32);
        if user.is_empty() {
            continue;
        }
        if line.starts_with("tty") || line.starts_with(':') || line == "console" {
            return user;
        }
        if first.is_empty() {
            first = user;
        }
    }
    first
}

#[cfg(target_os = "linux")]
pub use machine::collect;

#[cfg(target_os = "linux")]
mod machine {
    use std::fs;
    use std::path::Path;

    use piket_protocol::Inventory;

    use super::*;

    fn read_trimmed(path: impl AsRef<Path>) -> Option<String> {
        fs::read_to_string(path).ok().map(|s| s.trim().to_string())
    }

    /// Everything Linux-specific; interfaces and file systems are filled in by the caller.
    pub fn collect(inventory: &mut Inventory) {
        inventory.hostname = read_trimmed("/proc/sys/kernel/hostname").unwrap_or_default();
        let (name, version) = fs::read_to_string("/etc/os-release")
            .or_else(|_| fs::read_to_string("/usr/lib/os-release"))
            .map(|t| parse_os_release(&t))
            .unwrap_or_default();
        inventory.os = Os {
            name,
            version,
            build: String::new(),
            kernel: read_trimmed("/proc/sys/kernel/osrelease").unwrap_or_default(),
            arch: std::env::consts::ARCH.to_string(),
        };
        let dmi = |attr: &str| read_trimmed(Path::new("/sys/class/dmi/id").join(attr));
        inventory.hardware = hardware_from_dmi(&dmi);
        inventory.cpu = fs::read_to_string("/proc/cpuinfo")
            .map(|t| parse_cpuinfo(&t))
            .unwrap_or_default();
        inventory.memory_bytes = fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|t| parse_meminfo_total(&t));
        inventory.uptime_seconds = fs::read_to_string("/proc/uptime")
            .ok()
            .and_then(|t| parse_uptime(&t));
        inventory.disks = disks();
        inventory.battery = battery();
        inventory.user = fs::read("/run/utmp")
            .or_else(|_| fs::read("/var/run/utmp"))
            .map(|b| parse_utmp_user(&b))
            .unwrap_or_default();
        inventory.software = software();
    }

    fn disks() -> Vec<Disk> {
        let Ok(entries) = fs::read_dir("/sys/block") else {
            return Vec::new();
        };
        let mut disks: Vec<Disk> = entries
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name().to_string_lossy().to_string();
                if !is_physical_block_device(&name) {
                    return None;
                }
                let dir = entry.path();
                let sectors: u64 = read_trimmed(dir.join("size"))?.parse().ok()?;
                if sectors == 0 {
                    return None;
                }
                let (udev_serial, udev_model) = read_trimmed(dir.join("dev"))
                    .and_then(|dev| fs::read_to_string(format!("/run/udev/data/b{dev}")).ok())
                    .map(|t| parse_udev_disk(&t))
                    .unwrap_or_default();
                let model = read_trimmed(dir.join("device/model"))
                    .filter(|m| !m.is_empty())
                    .unwrap_or(udev_model);
                let serial = read_trimmed(dir.join("device/serial"))
                    .filter(|s| !s.is_empty())
                    .unwrap_or(udev_serial);
                Some(Disk {
                    name,
                    model: clean_firmware_string(&model),
                    serial: clean_firmware_string(&serial),
                    // /sys/block/*/size counts 512-byte sectors whatever the device's sector size.
                    size_bytes: Some(sectors * 512),
                })
            })
            .collect();
        disks.sort_by(|a, b| a.name.cmp(&b.name));
        disks
    }

    fn battery() -> Option<Battery> {
        let entries = fs::read_dir("/sys/class/power_supply").ok()?;
        entries.flatten().find_map(|entry| {
            let dir = entry.path();
            if read_trimmed(dir.join("type")).as_deref() != Some("Battery") {
                return None;
            }
            let capacity = read_trimmed(dir.join("capacity"));
            let status = read_trimmed(dir.join("status"));
            Some(parse_battery(capacity.as_deref(), status.as_deref()))
        })
    }

    fn software() -> Vec<Software> {
        let mut packages = fs::read_to_string("/var/lib/dpkg/status")
            .map(|t| super::super::software::parse_dpkg_status(&t))
            .unwrap_or_default();
        if let Some(out) = super::super::run_command(
            "rpm",
            &["-qa", "--qf", super::super::software::RPM_QUERY_FORMAT],
        ) {
            packages.extend(super::super::software::parse_rpm_output(&out));
        }
        packages
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_release_name_and_version() {
        let text = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n\
                    VERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nID=debian\n";
        assert_eq!(
            parse_os_release(text),
            ("Debian GNU/Linux".to_string(), "12 (bookworm)".to_string())
        );
        let arch = "NAME=\"Arch Linux\"\nID=arch\nBUILD_ID=rolling\n";
        assert_eq!(
            parse_os_release(arch),
            ("Arch Linux".to_string(), String::new())
        );
        let fedora = "NAME=Fedora Linux\nVERSION_ID=40\n";
        assert_eq!(parse_os_release(fedora).1, "40");
    }

    #[test]
    fn cpuinfo_counts_cores_and_threads() {
        let mut text = String::new();
        for (processor, core) in [(0, 0), (1, 1), (2, 0), (3, 1)] {
            text.push_str(&format!(
                "processor\t: {processor}\nvendor_id\t: GenuineIntel\n\
                 model name\t: Intel(R) Core(TM) i5-7200U CPU @ 2.50GHz\n\
                 physical id\t: 0\ncore id\t\t: {core}\ncpu cores\t: 2\n\n"
            ));
        }
        let cpu = parse_cpuinfo(&text);
        assert_eq!(cpu.model, "Intel(R) Core(TM) i5-7200U CPU @ 2.50GHz");
        assert_eq!(cpu.threads, 4);
        assert_eq!(cpu.cores, 2);
    }

    #[test]
    fn cpuinfo_without_core_ids_leaves_cores_unknown() {
        let text = "processor\t: 0\nBogoMIPS\t: 48.00\n\nprocessor\t: 1\n\nModel\t: Raspberry Pi 4 Model B Rev 1.4\n";
        let cpu = parse_cpuinfo(text);
        assert_eq!(cpu.threads, 2);
        assert_eq!(cpu.cores, 0);
        assert_eq!(cpu.model, "Raspberry Pi 4 Model B Rev 1.4");
    }

    #[test]
    fn meminfo_and_uptime() {
        let meminfo = "MemTotal:       16303428 kB\nMemFree:         1234 kB\n";
        assert_eq!(parse_meminfo_total(meminfo), Some(16_303_428 * 1024));
        assert_eq!(parse_meminfo_total("MemFree: 1 kB\n"), None);
        assert_eq!(parse_uptime("350735.47 234388.90\n"), Some(350_735));
        assert_eq!(parse_uptime(""), None);
    }

    #[test]
    fn dmi_placeholders_and_unreadable_serial_are_empty() {
        let dmi = |name: &str| -> Option<String> {
            match name {
                "sys_vendor" => Some("To be filled by O.E.M.\n".into()),
                "board_vendor" => Some("ASUSTeK COMPUTER INC.".into()),
                "product_name" => Some("System Product Name".into()),
                "board_name" => Some("PRIME B450M-A".into()),
                "product_serial" => None, // permission denied as non-root
                "chassis_type" => Some("3\n".into()),
                "bios_vendor" => Some("American Megatrends Inc.".into()),
                "bios_version" => Some("3211".into()),
                "bios_date" => Some("08/10/2021".into()),
                _ => None,
            }
        };
        let hw = hardware_from_dmi(&dmi);
        assert_eq!(hw.manufacturer, "ASUSTeK COMPUTER INC.");
        assert_eq!(hw.model, "PRIME B450M-A");
        assert_eq!(hw.serial, "");
        assert_eq!(hw.chassis, "desktop");
        assert_eq!(hw.bios_version, "3211");

        let laptop = |name: &str| -> Option<String> {
            match name {
                "sys_vendor" => Some("LENOVO".into()),
                "product_name" => Some("20S0002UGE".into()),
                "product_serial" => Some("Default string".into()),
                "chassis_type" => Some("10".into()),
                _ => None,
            }
        };
        let hw = hardware_from_dmi(&laptop);
        assert_eq!(hw.manufacturer, "LENOVO");
        assert_eq!(hw.serial, "");
        assert_eq!(hw.chassis, "laptop");
    }

    #[test]
    fn block_devices_skip_virtual_ones() {
        assert!(is_physical_block_device("sda"));
        assert!(is_physical_block_device("nvme0n1"));
        assert!(is_physical_block_device("vda"));
        assert!(!is_physical_block_device("loop3"));
        assert!(!is_physical_block_device("dm-0"));
        assert!(!is_physical_block_device("zram0"));
        assert!(!is_physical_block_device("sr0"));
    }

    #[test]
    fn udev_database_gives_sata_serial_and_model() {
        let text = "S:disk/by-id/ata-Samsung_SSD_860_EVO_500GB_S3Z2NB0K123456A\n\
                    E:ID_ATA=1\nE:ID_TYPE=disk\nE:ID_MODEL=Samsung_SSD_860_EVO_500GB\n\
                    E:ID_SERIAL=Samsung_SSD_860_EVO_500GB_S3Z2NB0K123456A\n\
                    E:ID_SERIAL_SHORT=S3Z2NB0K123456A\n";
        assert_eq!(
            parse_udev_disk(text),
            (
                "S3Z2NB0K123456A".to_string(),
                "Samsung SSD 860 EVO 500GB".to_string()
            )
        );
        assert_eq!(
            parse_udev_disk("E:ID_TYPE=disk\n"),
            (String::new(), String::new())
        );
    }

    #[test]
    fn battery_status_is_normalised() {
        let b = parse_battery(Some("87\n"), Some("Discharging\n"));
        assert_eq!(b.percent, Some(87));
        assert_eq!(b.status, "discharging");
        let b = parse_battery(None, Some("weird"));
        assert_eq!(b.percent, None);
        assert_eq!(b.status, "unknown");
    }

    fn utmp_record(kind: u16, line: &str, user: &str) -> Vec<u8> {
        let mut record = vec![0u8; UTMP_RECORD];
        record[..2].copy_from_slice(&kind.to_ne_bytes());
        record[8..8 + line.len()].copy_from_slice(line.as_bytes());
        record[44..44 + user.len()].copy_from_slice(user.as_bytes());
        record
    }

    #[test]
    fn utmp_prefers_the_console_user() {
        let mut bytes = utmp_record(2, "~", "reboot");
        bytes.extend(utmp_record(USER_PROCESS, "pts/0", "sshuser"));
        bytes.extend(utmp_record(USER_PROCESS, "tty2", "alice"));
        assert_eq!(parse_utmp_user(&bytes), "alice");
        let only_ssh = utmp_record(USER_PROCESS, "pts/1", "bob");
        assert_eq!(parse_utmp_user(&only_ssh), "bob");
        assert_eq!(parse_utmp_user(&utmp_record(8, "tty1", "gone")), "");
        assert_eq!(parse_utmp_user(&[]), "");
    }
}
