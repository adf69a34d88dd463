//! What the Windows collector reads from WMI and the registry, as plain values: the readers fill
//! these on Windows, the pure mapping in `map` turns them into inventory fields, and tests build
//! them by hand from values recorded on real machines and under Wine.
//!
//! Every field is optional because any WMI property or registry value can be missing (old
//! Windows, Wine, a locked-down machine): a gap becomes an empty inventory field, never an error.

/// `Win32_OperatingSystem`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OsFacts {
    /// `Microsoft Windows 11 Pro` (localised on non-English Windows).
    pub caption: Option<String>,
    pub build_number: Option<String>,
    /// `10.0.22631`.
    pub version: Option<String>,
    /// `Service Pack 1` on Windows 7, absent on 10 and 11.
    pub csd_version: Option<String>,
    /// `64-bit`.
    pub os_architecture: Option<String>,
    /// CIM datetime, `20261207083000.500000+060` (local time and its offset in minutes).
    pub last_boot_up_time: Option<String>,
}

/// `Win32_ComputerSystem`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ComputerSystemFacts {
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    /// The computer name, used when `COMPUTERNAME` is not set.
    pub name: Option<String>,
    pub total_physical_memory: Option<u64>,
    /// `DOMAIN\user` of the console session; absent when nobody is signed in.
    pub user_name: Option<String>,
}

/// One `Win32_Processor` row (one per socket).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProcessorFacts {
    pub name: Option<String>,
    pub number_of_cores: Option<u64>,
    pub number_of_logical_processors: Option<u64>,
}

/// `Win32_BIOS`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BiosFacts {
    pub manufacturer: Option<String>,
    /// The machine's serial number (SMBIOS system serial).
    pub serial_number: Option<String>,
    pub smbios_bios_version: Option<String>,
    /// CIM datetime; only the date part means anything.
    pub release_date: Option<String>,
}

/// One `Win32_DiskDrive` row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DiskFacts {
    /// `\\.\PHYSICALDRIVE0`.
    pub device_id: Option<String>,
    pub model: Option<String>,
    pub serial_number: Option<String>,
    pub size: Option<u64>,
}

/// One `Win32_Battery` row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatteryFacts {
    pub estimated_charge_remaining: Option<u64>,
    /// WMI's code: 1 discharging, 2 on AC, 3 full, …
    pub battery_status: Option<u64>,
}

/// One `Win32_LogicalDisk` row: a drive letter, for when sysinfo lists no file systems.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogicalDiskFacts {
    /// `C:`.
    pub device_id: Option<String>,
    /// 3 is a local disk; 2 removable, 4 network, 5 optical.
    pub drive_type: Option<u64>,
    pub file_system: Option<String>,
    pub size: Option<u64>,
    pub free_space: Option<u64>,
}

/// One `Win32_NetworkAdapterConfiguration` row with IP enabled, for when sysinfo lists no
/// interfaces.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NetworkAdapterFacts {
    pub description: Option<String>,
    /// `00:1A:2B:3C:4D:5E`.
    pub mac_address: Option<String>,
    /// IPv4 and IPv6, link-local ones with a zone (`fe80::1%4`).
    pub ip_addresses: Vec<String>,
}

/// `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CurrentVersionFacts {
    /// `Windows 10 Pro`, in English whatever the display language (still "10" on Windows 11).
    pub product_name: Option<String>,
    /// `23H2` (Windows 10 20H2 and later).
    pub display_version: Option<String>,
    /// `2009`, the older name of the same thing.
    pub release_id: Option<String>,
    pub current_build: Option<String>,
    /// Update build revision: the monthly patch level, `3880` in 22631.3880.
    pub ubr: Option<u32>,
}

/// One subkey of an `Uninstall` key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UninstallEntry {
    pub display_name: Option<String>,
    pub display_version: Option<String>,
    pub publisher: Option<String>,
    /// `SystemComponent = 1`: hidden from "Apps & features" (runtimes' parts, drivers).
    pub system_component: bool,
    /// `ParentKeyName` is set: an update or add-on of another entry.
    pub has_parent: bool,
}

/// Everything read from one Windows machine. A class that could not be read is `None` or
/// empty; the other classes are unaffected.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WindowsFacts {
    /// `%COMPUTERNAME%`.
    pub computer_name: Option<String>,
    pub os: Option<OsFacts>,
    pub computer_system: Option<ComputerSystemFacts>,
    pub processors: Vec<ProcessorFacts>,
    pub bios: Option<BiosFacts>,
    /// `Win32_SystemEnclosure.ChassisTypes` of every enclosure, in order.
    pub chassis_types: Vec<u64>,
    pub disks: Vec<DiskFacts>,
    pub batteries: Vec<BatteryFacts>,
    pub logical_disks: Vec<LogicalDiskFacts>,
    pub network_adapters: Vec<NetworkAdapterFacts>,
    pub current_version: Option<CurrentVersionFacts>,
    /// From the 64-bit and 32-bit views of HKLM and from HKCU, duplicates included.
    pub uninstall: Vec<UninstallEntry>,
}
