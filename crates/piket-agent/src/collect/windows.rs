//! Windows: one PowerShell call reading WMI/CIM and the registry (answer as JSON) and
//! `reg query` of the Uninstall keys for software. The parsers are compiled and tested on every
//! platform; only [`collect`] (Windows only) spawns processes.
// The parsers are used only on windows but compiled and tested everywhere.
#![cfg_attr(not(target_os = "windows"), allow(dead_code))]

use piket_protocol::{Battery, Cpu, Disk, Hardware, Os, Software};
use serde::Deserialize;

use super::hardware::{chassis_kind, clean_firmware_string};

/// First Windows 11 build: Windows 11 still says "Windows 10" in the registry's `ProductName`.
pub const FIRST_WINDOWS_11_BUILD: u32 = 22000;

/// The PowerShell script whose JSON output [`parse_wmi_json`] reads.
pub const WMI_SCRIPT: &str = r#"$ErrorActionPreference='SilentlyContinue'
$cs=Get-CimInstance Win32_ComputerSystem
$bios=Get-CimInstance Win32_BIOS
$os=Get-CimInstance Win32_OperatingSystem
$cpu=@(Get-CimInstance Win32_Processor)
$enc=@(Get-CimInstance Win32_SystemEnclosure)
$bat=@(Get-CimInstance Win32_Battery)
$cv=Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
[pscustomobject]@{
Hostname=$env:COMPUTERNAME
Manufacturer=$cs.Manufacturer
Model=$cs.Model
TotalPhysicalMemory=[uint64]$cs.TotalPhysicalMemory
UserName=$cs.UserName
Serial=$bios.SerialNumber
BiosVendor=$bios.Manufacturer
BiosVersion=$bios.SMBIOSBIOSVersion
BiosDate=$(if($bios.ReleaseDate){$bios.ReleaseDate.ToString('yyyy-MM-dd')}else{$null})
Caption=$os.Caption
ProductName=$cv.ProductName
DisplayVersion=$(if($cv.DisplayVersion){$cv.DisplayVersion}else{$cv.ReleaseId})
CurrentBuild=$cv.CurrentBuild
KernelVersion=$os.Version
Arch=$os.OSArchitecture
UptimeSeconds=$(if($os.LastBootUpTime){[uint64]((Get-Date)-$os.LastBootUpTime).TotalSeconds}else{$null})
CpuName=$cpu[0].Name
Cores=[uint32]($cpu|Measure-Object NumberOfCores -Sum).Sum
Threads=[uint32]($cpu|Measure-Object NumberOfLogicalProcessors -Sum).Sum
ChassisTypes=@($enc|ForEach-Object{$_.ChassisTypes})
Disks=@(Get-CimInstance Win32_DiskDrive|ForEach-Object{[pscustomobject]@{Name=$_.DeviceID;Model=$_.Model;Serial=$_.SerialNumber;Size=[uint64]$_.Size}})
BatteryPercent=$(if($bat.Count){$bat[0].EstimatedChargeRemaining}else{$null})
BatteryStatus=$(if($bat.Count){$bat[0].BatteryStatus}else{$null})
}|ConvertTo-Json -Depth 4 -Compress"#;

/// PowerShell writes a one-element array as a bare value in some versions: accept both.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    Many(Vec<T>),
    One(T),
}

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        Self::Many(Vec::new())
    }
}

impl<T> OneOrMany<T> {
    fn into_vec(self) -> Vec<T> {
        match self {
            Self::Many(v) => v,
            Self::One(one) => vec![one],
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct WmiDisk {
    name: Option<String>,
    model: Option<String>,
    serial: Option<String>,
    size: Option<u64>,
}

/// What the WMI script reports.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct WmiAnswer {
    hostname: Option<String>,
    manufacturer: Option<String>,
    model: Option<String>,
    total_physical_memory: Option<u64>,
    user_name: Option<String>,
    serial: Option<String>,
    bios_vendor: Option<String>,
    bios_version: Option<String>,
    bios_date: Option<String>,
    caption: Option<String>,
    product_name: Option<String>,
    display_version: Option<String>,
    current_build: Option<String>,
    kernel_version: Option<String>,
    arch: Option<String>,
    uptime_seconds: Option<u64>,
    cpu_name: Option<String>,
    cores: Option<u32>,
    threads: Option<u32>,
    chassis_types: OneOrMany<u32>,
    disks: OneOrMany<WmiDisk>,
    battery_percent: Option<u8>,
    battery_status: Option<u32>,
}

/// The fields of an inventory that WMI fills.
#[derive(Debug, Default, PartialEq)]
pub struct WmiInventory {
    pub hostname: String,
    pub os: Os,
    pub hardware: Hardware,
    pub cpu: Cpu,
    pub memory_bytes: Option<u64>,
    pub disks: Vec<Disk>,
    pub user: String,
    pub uptime_seconds: Option<u64>,
    pub battery: Option<Battery>,
}

/// The OS name with Windows 11 recognised by its build number: the registry's `ProductName`
/// says "Windows 10 Pro" on Windows 11 too.
pub fn windows_os_name(product_name: &str, caption: &str, build: &str) -> String {
    let base = if product_name.trim().is_empty() {
        caption.trim().trim_start_matches("Microsoft ").trim()
    } else {
        product_name.trim()
    };
    let build: u32 = build.trim().parse().unwrap_or(0);
    if build >= FIRST_WINDOWS_11_BUILD && base.contains("Windows 10") {
        base.replacen("Windows 10", "Windows 11", 1)
    } else {
        base.to_string()
    }
}

/// WMI battery status codes to the protocol's words.
fn battery_status(code: u32) -> &'static str {
    match code {
        1 | 4 | 5 => "discharging",
        2 | 6 | 7 | 8 | 9 => "charging",
        3 => "full",
        _ => "unknown",
    }
}

/// Read the WMI script's JSON output.
pub fn parse_wmi_json(json: &str) -> Result<WmiInventory, serde_json::Error> {
    let a: WmiAnswer = serde_json::from_str(json.trim())?;
    let text = |v: Option<String>| v.unwrap_or_default().trim().to_string();
    let firmware = |v: Option<String>| clean_firmware_string(&v.unwrap_or_default());
    let build = text(a.current_build);
    let chassis = a
        .chassis_types
        .into_vec()
        .into_iter()
        .map(chassis_kind)
        .find(|k| !k.is_empty())
        .unwrap_or_default();
    Ok(WmiInventory {
        hostname: text(a.hostname),
        os: Os {
            name: windows_os_name(
                a.product_name.as_deref().unwrap_or_default(),
                a.caption.as_deref().unwrap_or_default(),
                &build,
            ),
            version: text(a.display_version),
            build,
            kernel: text(a.kernel_version),
            arch: text(a.arch),
        },
        hardware: Hardware {
            manufacturer: firmware(a.manufacturer),
            model: firmware(a.model),
            serial: firmware(a.serial),
            chassis: chassis.to_string(),
            bios_vendor: firmware(a.bios_vendor),
            bios_version: firmware(a.bios_version),
            bios_date: text(a.bios_date),
        },
        cpu: Cpu {
            model: text(a.cpu_name),
            cores: a.cores.unwrap_or(0),
            threads: a.threads.unwrap_or(0),
        },
        memory_bytes: a.total_physical_memory.filter(|&m| m > 0),
        disks: a
            .disks
            .into_vec()
            .into_iter()
            .map(|d| Disk {
                name: text(d.name),
                model: firmware(d.model),
                serial: firmware(d.serial),
                size_bytes: d.size.filter(|&s| s > 0),
            })
            .collect(),
        user: text(a.user_name),
        uptime_seconds: a.uptime_seconds,
        battery: a.battery_status.map(|code| Battery {
            percent: a.battery_percent.map(|p| p.min(100)),
            status: battery_status(code).to_string(),
        }),
    })
}

/// Programs from `reg query <Uninstall key> /s` output: entries with a `DisplayName`, leaving out
/// system components and updates (`SystemComponent = 1`, `ParentKeyName`).
pub fn parse_reg_uninstall(text: &str) -> Vec<Software> {
    let mut programs = Vec::new();
    let mut current: Option<(Software, bool)> = None;
    let flush = |entry: Option<(Software, bool)>, programs: &mut Vec<Software>| {
        if let Some((software, hidden)) = entry {
            if !hidden && !software.name.is_empty() {
                programs.push(software);
            }
        }
    };
    for line in text.lines() {
        if line.starts_with("HKEY_") {
            flush(current.take(), &mut programs);
            current = Some((Software::default(), false));
            continue;
        }
        let Some((software, hidden)) = current.as_mut() else {
            continue;
        };
        let Some(at) = line.find("    REG_") else {
            continue;
        };
        let name = line[..at].trim();
        let rest = &line[at + 4..];
        let (kind, data) = rest.split_once("    ").unwrap_or((rest, ""));
        let data = data.trim();
        match name {
            "DisplayName" => software.name = data.to_string(),
            "DisplayVersion" => software.version = data.to_string(),
            "Publisher" => software.vendor = data.to_string(),
            "SystemComponent" if kind == "REG_DWORD" && data == "0x1" => *hidden = true,
            "ParentKeyName" => *hidden = true,
            _ => {}
        }
    }
    flush(current.take(), &mut programs);
    programs
}

#[cfg(target_os = "windows")]
pub use machine::collect;

#[cfg(target_os = "windows")]
mod machine {
    use piket_protocol::Inventory;

    use super::*;
    use crate::collect::run_command;

    const UNINSTALL_KEYS: &[&str] = &[
        r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall",
        r"HKLM\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall",
        r"HKCU\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall",
    ];

    /// Everything Windows-specific; interfaces and file systems are filled in by the caller.
    pub fn collect(inventory: &mut Inventory) {
        let wmi = run_command(
            "powershell",
            &["-NoProfile", "-NonInteractive", "-Command", WMI_SCRIPT],
        )
        .and_then(|out| parse_wmi_json(&out).ok())
        .unwrap_or_default();
        inventory.hostname = if wmi.hostname.is_empty() {
            std::env::var("COMPUTERNAME").unwrap_or_default()
        } else {
            wmi.hostname
        };
        inventory.os = wmi.os;
        inventory.hardware = wmi.hardware;
        inventory.cpu = wmi.cpu;
        inventory.memory_bytes = wmi.memory_bytes;
        inventory.disks = wmi.disks;
        inventory.user = wmi.user;
        inventory.uptime_seconds = wmi.uptime_seconds;
        inventory.battery = wmi.battery;
        let mut software = Vec::new();
        for key in UNINSTALL_KEYS {
            if let Some(out) = run_command("reg", &["query", key, "/s"]) {
                software.extend(parse_reg_uninstall(&out));
            }
        }
        software.sort();
        software.dedup();
        inventory.software = software;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_11_is_recognised_by_build_number() {
        assert_eq!(
            windows_os_name("Windows 10 Pro", "", "22631"),
            "Windows 11 Pro"
        );
        assert_eq!(
            windows_os_name("Windows 10 Enterprise", "", "22000"),
            "Windows 11 Enterprise"
        );
        assert_eq!(
            windows_os_name("Windows 10 Pro", "", "19045"),
            "Windows 10 Pro"
        );
        assert_eq!(
            windows_os_name("", "Microsoft Windows 11 Home", "26100"),
            "Windows 11 Home"
        );
        assert_eq!(
            windows_os_name("Windows Server 2022 Standard", "", "20348"),
            "Windows Server 2022 Standard"
        );
    }

    const WMI_SAMPLE: &str = r#"{"Hostname":"PC-FINANCE-07","Manufacturer":"LENOVO","Model":"20XW0055GE","TotalPhysicalMemory":17011355648,"UserName":"CORP\\alice","Serial":"PF3ABCDE","BiosVendor":"LENOVO","BiosVersion":"N32ET86W (1.62 )","BiosDate":"2023-09-14","Caption":"Microsoft Windows 11 Pro","ProductName":"Windows 10 Pro","DisplayVersion":"23H2","CurrentBuild":"22631","KernelVersion":"10.0.22631","Arch":"64-bit","UptimeSeconds":86400,"CpuName":"11th Gen Intel(R) Core(TM) i5-1135G7 @ 2.40GHz","Cores":4,"Threads":8,"ChassisTypes":[10],"Disks":{"Name":"\\\\.\\PHYSICALDRIVE0","Model":"SAMSUNG MZVLB512HBJQ-000L7","Serial":"S4ENNX0R123456","Size":512105932800},"BatteryPercent":76,"BatteryStatus":2}"#;

    #[test]
    fn wmi_json_is_read_into_the_inventory() {
        let wmi = parse_wmi_json(WMI_SAMPLE).unwrap();
        assert_eq!(wmi.hostname, "PC-FINANCE-07");
        assert_eq!(wmi.os.name, "Windows 11 Pro");
        assert_eq!(wmi.os.version, "23H2");
        assert_eq!(wmi.os.build, "22631");
        assert_eq!(wmi.hardware.manufacturer, "LENOVO");
        assert_eq!(wmi.hardware.serial, "PF3ABCDE");
        assert_eq!(wmi.hardware.chassis, "laptop");
        assert_eq!(wmi.cpu.cores, 4);
        assert_eq!(wmi.cpu.threads, 8);
        assert_eq!(wmi.memory_bytes, Some(17_011_355_648));
        assert_eq!(wmi.disks.len(), 1, "a single disk comes as a bare object");
        assert_eq!(wmi.disks[0].size_bytes, Some(512_105_932_800));
        assert_eq!(wmi.user, r"CORP\alice");
        assert_eq!(
            wmi.battery,
            Some(Battery {
                percent: Some(76),
                status: "charging".into()
            })
        );
    }

    #[test]
    fn wmi_placeholders_and_missing_battery_stay_empty() {
        let json = r#"{"Manufacturer":"System manufacturer","Serial":"To be filled by O.E.M.","ChassisTypes":[3],"Disks":[],"BatteryPercent":null,"BatteryStatus":null}"#;
        let wmi = parse_wmi_json(json).unwrap();
        assert_eq!(wmi.hardware.manufacturer, "");
        assert_eq!(wmi.hardware.serial, "");
        assert_eq!(wmi.hardware.chassis, "desktop");
        assert_eq!(wmi.battery, None);
        assert!(parse_wmi_json("not json").is_err());
    }

    const REG_SAMPLE: &str = r"
HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\7-Zip
    DisplayName    REG_SZ    7-Zip 23.01 (x64)
    DisplayVersion    REG_SZ    23.01
    Publisher    REG_SZ    Igor Pavlov
    NoModify    REG_DWORD    0x1

HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\{90160000-008C-0000-1000-0000000FF1CE}
    DisplayName    REG_SZ    Office 16 Click-to-Run Extensibility Component
    SystemComponent    REG_DWORD    0x1

HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\KB5034441
    DisplayName    REG_SZ    Security Update for Windows (KB5034441)
    ParentKeyName    REG_SZ    OperatingSystem

HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\NoName
    UninstallString    REG_SZ    C:\x.exe

HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\{AC76BA86-7AD7-1033-7B44-AC0F074E4100}
    DisplayName    REG_SZ    Adobe Acrobat Reader DC
    DisplayVersion    REG_SZ    23.008.20470
    Publisher    REG_SZ    Adobe Systems Incorporated
";

    #[test]
    fn reg_query_output_lists_visible_programs() {
        let programs = parse_reg_uninstall(REG_SAMPLE);
        assert_eq!(programs.len(), 2, "{programs:?}");
        assert_eq!(programs[0].name, "7-Zip 23.01 (x64)");
        assert_eq!(programs[0].version, "23.01");
        assert_eq!(programs[0].vendor, "Igor Pavlov");
        assert_eq!(programs[1].name, "Adobe Acrobat Reader DC");
        assert_eq!(programs[1].vendor, "Adobe Systems Incorporated");
    }
}
