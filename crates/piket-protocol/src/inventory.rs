//! What an agent reports about its machine. Every field a platform cannot give stays empty
//! (`None`, `""` or `[]`) and is left out of the JSON, so reports stay small and nothing is guessed.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// One machine's inventory.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inventory {
    pub hostname: String,
    #[serde(default)]
    pub os: Os,
    #[serde(default)]
    pub hardware: Hardware,
    #[serde(default)]
    pub cpu: Cpu,
    /// Installed memory in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disks: Vec<Disk>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filesystems: Vec<FileSystem>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interfaces: Vec<NetInterface>,
    /// The user logged in at the console, if any.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub user: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uptime_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub battery: Option<Battery>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub software: Vec<Software>,
}

/// Operating system.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Os {
    /// e.g. `Windows 11 Pro`, `Debian GNU/Linux`, `macOS`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// e.g. `12 (bookworm)`, `23H2`, `14.4.1`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// Windows build number, e.g. `22631`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub build: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kernel: String,
    /// e.g. `x86_64`, `aarch64`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub arch: String,
}

/// The machine itself (DMI / WMI / ioreg).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hardware {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub manufacturer: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub model: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub serial: String,
    /// desktop, laptop, server, … when the chassis type says so.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub chassis: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub bios_vendor: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub bios_version: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub bios_date: String,
}

/// Processor.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cpu {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub model: String,
    /// Physical cores, 0 when unknown.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cores: u32,
    /// Logical processors, 0 when unknown.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub threads: u32,
}

/// A physical disk.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Disk {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub model: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub serial: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
}

/// A mounted file system.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSystem {
    pub mount: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub fs_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_bytes: Option<u64>,
    /// Volatile: not part of the fingerprint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_bytes: Option<u64>,
}

/// A network interface.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetInterface {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub mac: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ips: Vec<String>,
}

/// Battery state (volatile: not part of the fingerprint).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Battery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<u8>,
    /// charging, discharging, full, unknown.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub status: String,
}

/// An installed program or package.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Software {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub vendor: String,
}

impl Inventory {
    /// A hash of everything that is not volatile (uptime, free space, battery), with lists in a
    /// fixed order: two reports with the same fingerprint describe the same machine state. The
    /// agent uses it to skip sending an unchanged report; the server to skip writing one.
    pub fn fingerprint(&self) -> String {
        let mut stable = self.clone();
        stable.uptime_seconds = None;
        stable.battery = None;
        for fs in &mut stable.filesystems {
            fs.free_bytes = None;
        }
        stable.software.sort();
        stable
            .disks
            .sort_by(|a, b| a.name.cmp(&b.name).then(a.model.cmp(&b.model)));
        stable.filesystems.sort_by(|a, b| a.mount.cmp(&b.mount));
        stable.interfaces.sort_by(|a, b| a.name.cmp(&b.name));
        for nic in &mut stable.interfaces {
            nic.ips.sort();
        }
        let json = serde_json::to_vec(&stable).unwrap_or_default();
        hex::encode(&Sha256::digest(&json)[..16])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Inventory {
        Inventory {
            hostname: "pc-01".into(),
            memory_bytes: Some(8 << 30),
            uptime_seconds: Some(10),
            filesystems: vec![FileSystem {
                mount: "/".into(),
                free_bytes: Some(5),
                ..Default::default()
            }],
            software: vec![
                Software {
                    name: "zsh".into(),
                    ..Default::default()
                },
                Software {
                    name: "bash".into(),
                    ..Default::default()
                },
            ],
            ..Default::default()
        }
    }

    #[test]
    fn fingerprint_ignores_volatile_fields_and_order() {
        let a = sample();
        let mut b = sample();
        b.uptime_seconds = Some(99_999);
        b.filesystems[0].free_bytes = Some(1);
        b.software.reverse();
        assert_eq!(a.fingerprint(), b.fingerprint());
    }

    #[test]
    fn fingerprint_sees_real_changes() {
        let a = sample();
        let mut b = sample();
        b.memory_bytes = Some(16 << 30);
        assert_ne!(a.fingerprint(), b.fingerprint());
        let mut c = sample();
        c.software.push(Software {
            name: "vim".into(),
            ..Default::default()
        });
        assert_ne!(a.fingerprint(), c.fingerprint());
    }

    #[test]
    fn empty_fields_are_left_out_of_the_json() {
        let json = serde_json::to_string(&Inventory {
            hostname: "h".into(),
            ..Default::default()
        })
        .unwrap_or_default();
        assert_eq!(json, r#"{"hostname":"h","os":{},"hardware":{},"cpu":{}}"#);
    }
}
