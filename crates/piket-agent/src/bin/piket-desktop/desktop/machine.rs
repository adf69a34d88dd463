//! The machine's state when the key was pressed, as the seed's helper lists it: the inventory
//! collector's answer (OS, addresses, disks, battery) plus what only a moment tells (CPU and
//! memory use now).

use piket_protocol::desktop::{DiskUse, MachineState};
use piket_protocol::Inventory;

/// How long CPU use is measured over.
#[cfg(not(windows))]
const CPU_SAMPLE: std::time::Duration = std::time::Duration::from_millis(250);

/// Use right now, measured here.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sample {
    pub cpu_percent: Option<f32>,
    pub ram_percent: Option<f32>,
    pub ram_total_bytes: Option<u64>,
    pub logical_processors: Option<u32>,
    pub uptime_seconds: Option<u64>,
}

/// The OS as people name it: `Windows 11 Pro 23H2 (build 22631)`, `Debian GNU/Linux 12`.
pub fn os_label(inventory: &Inventory) -> String {
    let os = &inventory.os;
    let mut label = os.name.trim().to_string();
    if !os.version.is_empty() && !label.contains(os.version.as_str()) {
        label = format!("{label} {}", os.version).trim().to_string();
    }
    if !os.build.is_empty() && !label.contains(os.build.as_str()) {
        label = format!("{label} (build {})", os.build);
    }
    label
}

/// The block sent with a report, from the inventory and the moment's sample.
pub fn from_inventory(
    inventory: &Inventory,
    sample: Sample,
    active_window: &str,
    os_user: &str,
) -> MachineState {
    let mut local_ips = Vec::new();
    let mut macs = Vec::new();
    for nic in &inventory.interfaces {
        local_ips.extend(nic.ips.iter().cloned());
        if !nic.mac.is_empty() && !macs.contains(&nic.mac) {
            macs.push(nic.mac.clone());
        }
    }
    let disks = inventory
        .filesystems
        .iter()
        .filter_map(|fs| {
            let total = fs.total_bytes?;
            let free = fs.free_bytes.unwrap_or(0).min(total);
            Some(DiskUse {
                mount: fs.mount.clone(),
                total_bytes: total,
                used_bytes: total - free,
            })
        })
        .take(16)
        .collect();
    let battery = inventory.battery.as_ref();
    // What the server accepts: at most 300 characters, no control characters (a window title
    // may hold a tab or a newline; the report must not be refused for it).
    let first = |s: &str| {
        s.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(300)
            .collect::<String>()
    };
    MachineState {
        hostname: first(&inventory.hostname),
        local_ips: local_ips.into_iter().take(16).collect(),
        macs: macs.into_iter().take(16).collect(),
        cpu_percent: sample.cpu_percent,
        ram_percent: sample.ram_percent,
        ram_total_bytes: sample.ram_total_bytes.or(inventory.memory_bytes),
        disks,
        logical_processors: sample
            .logical_processors
            .or((inventory.cpu.threads > 0).then_some(inventory.cpu.threads)),
        uptime_seconds: sample.uptime_seconds.or(inventory.uptime_seconds),
        battery_percent: battery.and_then(|b| b.percent),
        battery_charging: battery.and_then(|b| match b.status.as_str() {
            "charging" | "full" => Some(true),
            "discharging" => Some(false),
            _ => None,
        }),
        os: first(&os_label(inventory)),
        active_window: first(active_window),
        os_user: first(os_user),
        agent_version: env!("CARGO_PKG_VERSION").to_string(),
    }
}

/// Measure the moment: CPU over a quarter second (on Windows, WMI's load figure), memory,
/// uptime.
pub fn sample() -> Sample {
    use sysinfo::{MemoryRefreshKind, RefreshKind, System};
    let mut sys = System::new_with_specifics(
        RefreshKind::nothing().with_memory(MemoryRefreshKind::nothing().with_ram()),
    );
    sys.refresh_memory_specifics(MemoryRefreshKind::nothing().with_ram());
    let total = sys.total_memory();
    #[allow(clippy::cast_precision_loss)]
    let ram_percent = (total > 0).then(|| sys.used_memory() as f32 * 100.0 / total as f32);
    let cpus = std::thread::available_parallelism()
        .ok()
        .and_then(|n| u32::try_from(n.get()).ok());
    Sample {
        cpu_percent: cpu_percent(),
        ram_percent: ram_percent.map(|p| p.clamp(0.0, 100.0)),
        ram_total_bytes: (total > 0).then_some(total),
        logical_processors: cpus,
        uptime_seconds: Some(System::uptime()),
    }
}

/// CPU use over a quarter second (sysinfo).
#[cfg(not(windows))]
fn cpu_percent() -> Option<f32> {
    use sysinfo::{CpuRefreshKind, RefreshKind, System};
    let mut sys = System::new_with_specifics(
        RefreshKind::nothing().with_cpu(CpuRefreshKind::nothing().with_cpu_usage()),
    );
    std::thread::sleep(CPU_SAMPLE.max(sysinfo::MINIMUM_CPU_UPDATE_INTERVAL));
    sys.refresh_cpu_usage();
    Some(sys.global_cpu_usage().clamp(0.0, 100.0))
}

/// CPU use from WMI: sysinfo's goes through PDH, which Wine lacks (the helper died on it there).
#[cfg(windows)]
fn cpu_percent() -> Option<f32> {
    piket_agent::collect::windows::cpu_load_percent()
}

/// The OS account the helper runs as: from the environment, else (a service manager that
/// sets none) the password file's name for our uid.
pub fn os_user() -> String {
    ["USERNAME", "USER", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
        .or_else(|| {
            let status = std::fs::read_to_string("/proc/self/status").ok()?;
            let uid = piket_agent::config::uid_from_proc_status(&status)?;
            let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
            user_of_uid(&passwd, uid)
        })
        .unwrap_or_else(|| "unknown".into())
}

/// The name `/etc/passwd` gives a uid.
pub fn user_of_uid(passwd: &str, uid: u32) -> Option<String> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let id: u32 = fields.nth(1)?.parse().ok()?;
        (id == uid).then(|| name.to_string())
    })
}

/// Everything, now (takes the sample's quarter second plus the collector's time).
pub fn collect(active_window: &str) -> MachineState {
    let inventory = piket_agent::collect::collect_inventory();
    from_inventory(&inventory, sample(), active_window, &os_user())
}

#[cfg(test)]
mod tests {
    use super::*;
    use piket_protocol::{Battery, FileSystem, NetInterface, Os};

    #[test]
    fn a_uid_is_named_by_the_password_file() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\nbudi:x:1000:1000:Budi:/home/budi:/bin/sh\n";
        assert_eq!(user_of_uid(passwd, 1000).as_deref(), Some("budi"));
        assert_eq!(user_of_uid(passwd, 0).as_deref(), Some("root"));
        assert_eq!(user_of_uid(passwd, 5), None);
    }

    #[test]
    fn the_block_takes_addresses_disks_battery_and_a_windows_name() {
        let inventory = Inventory {
            hostname: "PC-07".into(),
            os: Os {
                name: "Windows 11 Pro".into(),
                version: "23H2".into(),
                build: "22631".into(),
                ..Os::default()
            },
            interfaces: vec![
                NetInterface {
                    name: "eth0".into(),
                    mac: "3c:52:82:aa:bb:cc".into(),
                    ips: vec!["192.168.1.5".into()],
                },
                NetInterface {
                    name: "wifi".into(),
                    mac: "3c:52:82:aa:bb:cc".into(),
                    ips: vec!["10.0.0.9".into()],
                },
            ],
            filesystems: vec![FileSystem {
                mount: "C:\\".into(),
                fs_type: "NTFS".into(),
                total_bytes: Some(100),
                free_bytes: Some(30),
            }],
            battery: Some(Battery {
                percent: Some(64),
                status: "discharging".into(),
            }),
            memory_bytes: Some(8),
            ..Inventory::default()
        };
        let sample = Sample {
            cpu_percent: Some(12.5),
            ram_total_bytes: Some(16),
            ..Sample::default()
        };
        let m = from_inventory(&inventory, sample, "Budget.xlsx - Excel", "budi");
        assert_eq!(m.os, "Windows 11 Pro 23H2 (build 22631)");
        assert_eq!(m.local_ips, ["192.168.1.5", "10.0.0.9"]);
        assert_eq!(m.macs, ["3c:52:82:aa:bb:cc"]);
        assert_eq!(m.disks[0].used_bytes, 70);
        assert_eq!(
            (m.battery_percent, m.battery_charging),
            (Some(64), Some(false))
        );
        assert_eq!(m.ram_total_bytes, Some(16));
        assert_eq!(m.active_window, "Budget.xlsx - Excel");
        let long = from_inventory(&inventory, sample, &"w".repeat(1000), "budi");
        assert_eq!(long.active_window.chars().count(), 300);
        let tabbed = from_inventory(&inventory, sample, "Inbox\t(3)\n", "budi");
        assert_eq!(tabbed.active_window, "Inbox (3) ");
    }
}
