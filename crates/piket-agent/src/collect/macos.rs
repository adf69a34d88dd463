//! macOS: `ioreg` (maker, model, serial), `sw_vers`, `sysctl`, `pmset` and `system_profiler`
//! (applications). The parsers are compiled and tested on every platform; only [`collect`]
//! (macOS only) spawns processes.
// The parsers are used only on macos but compiled and tested everywhere.
#![cfg_attr(not(target_os = "macos"), allow(dead_code))]

use piket_protocol::{Battery, Hardware, Software};
use serde::Deserialize;

use super::hardware::{clean_firmware_string, mac_kind};

/// The value of `"key" = "value"` or `"key" = <"value">` in `ioreg -l` output.
fn ioreg_value(text: &str, key: &str) -> String {
    let needle = format!("\"{key}\" = ");
    text.lines()
        .find_map(|line| {
            let at = line.find(&needle)?;
            let value = line[at + needle.len()..].trim();
            let value = value.strip_prefix('<').unwrap_or(value);
            let value = value.strip_suffix('>').unwrap_or(value);
            Some(value.trim().trim_matches('"').to_string())
        })
        .unwrap_or_default()
}

/// Maker, model, serial and kind from `ioreg -l -d2 -c IOPlatformExpertDevice`.
pub fn parse_ioreg(text: &str) -> Hardware {
    let model = clean_firmware_string(&ioreg_value(text, "model"));
    Hardware {
        manufacturer: clean_firmware_string(&ioreg_value(text, "manufacturer")),
        serial: clean_firmware_string(&ioreg_value(text, "IOPlatformSerialNumber")),
        chassis: mac_kind(&model).to_string(),
        model,
        ..Default::default()
    }
}

/// `(ProductName, ProductVersion, BuildVersion)` from `sw_vers`.
pub fn parse_sw_vers(text: &str) -> (String, String, String) {
    let get = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .map(|v| v.trim_start_matches(':').trim().to_string())
            .unwrap_or_default()
    };
    (
        get("ProductName"),
        get("ProductVersion"),
        get("BuildVersion"),
    )
}

/// Seconds since boot from `sysctl -n kern.boottime` (`{ sec = 1711111111, usec = 0 } …`).
pub fn parse_boottime(text: &str, now_unix: u64) -> Option<u64> {
    let after = text.split("sec = ").nth(1)?;
    let boot: u64 = after
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()?;
    now_unix.checked_sub(boot)
}

/// `pmset -g batt`: `-InternalBattery-0 (id=…)\t85%; discharging; 3:12 remaining present: true`.
pub fn parse_pmset_battery(text: &str) -> Option<Battery> {
    let line = text.lines().find(|l| l.contains("InternalBattery"))?;
    let after_tab = line.split('\t').nth(1).unwrap_or(line);
    let mut parts = after_tab.split(';').map(str::trim);
    let percent = parts
        .next()
        .and_then(|p| p.trim_end_matches('%').trim().parse::<u8>().ok())
        .map(|p| p.min(100));
    let status = match parts.next().unwrap_or_default() {
        "charging" | "finishing charge" => "charging",
        "discharging" => "discharging",
        "charged" => "full",
        "AC attached" => "not charging",
        _ => "unknown",
    };
    Some(Battery {
        percent,
        status: status.to_string(),
    })
}

#[derive(Debug, Deserialize)]
struct ProfilerApps {
    #[serde(rename = "SPApplicationsDataType", default)]
    apps: Vec<ProfilerApp>,
}

#[derive(Debug, Deserialize)]
struct ProfilerApp {
    #[serde(rename = "_name", default)]
    name: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    obtained_from: String,
    #[serde(default)]
    signed_by: Vec<String>,
}

/// Who made an app: Apple for Apple's own, else the name on its Developer ID certificate.
fn app_vendor(app: &ProfilerApp) -> String {
    if app.obtained_from == "apple" {
        return "Apple".to_string();
    }
    let Some(cert) = app.signed_by.first() else {
        return String::new();
    };
    let name = cert
        .strip_prefix("Developer ID Application: ")
        .or_else(|| cert.strip_prefix("Apple Mac OS Application Signing"))
        .unwrap_or("");
    // "Google LLC (EQHXZ8M8AV)" → "Google LLC"
    match name.rfind(" (") {
        Some(at) if name.ends_with(')') => name[..at].to_string(),
        _ => name.trim().to_string(),
    }
}

/// Applications from `system_profiler SPApplicationsDataType -json`.
pub fn parse_system_profiler_apps(json: &str) -> Result<Vec<Software>, serde_json::Error> {
    let parsed: ProfilerApps = serde_json::from_str(json)?;
    Ok(parsed
        .apps
        .iter()
        .filter(|app| !app.name.is_empty())
        .map(|app| Software {
            name: app.name.clone(),
            version: app.version.clone(),
            vendor: app_vendor(app),
        })
        .collect())
}

#[cfg(target_os = "macos")]
pub use machine::collect;

#[cfg(target_os = "macos")]
mod machine {
    use piket_protocol::{Cpu, Inventory, Os};

    use super::*;
    use crate::collect::run_command;

    fn sysctl(name: &str) -> String {
        run_command("sysctl", &["-n", name])
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    }

    /// Everything macOS-specific; interfaces and file systems are filled in by the caller.
    pub fn collect(inventory: &mut Inventory) {
        inventory.hostname = run_command("hostname", &[])
            .map(|s| s.trim().to_string())
            .unwrap_or_default();
        let (name, version, build) = run_command("sw_vers", &[])
            .map(|s| parse_sw_vers(&s))
            .unwrap_or_default();
        inventory.os = Os {
            name,
            version,
            build,
            kernel: sysctl("kern.osrelease"),
            arch: std::env::consts::ARCH.to_string(),
        };
        inventory.hardware = run_command("ioreg", &["-l", "-d2", "-c", "IOPlatformExpertDevice"])
            .map(|s| parse_ioreg(&s))
            .unwrap_or_default();
        inventory.cpu = Cpu {
            model: sysctl("machdep.cpu.brand_string"),
            cores: sysctl("hw.physicalcpu").parse().unwrap_or(0),
            threads: sysctl("hw.logicalcpu").parse().unwrap_or(0),
        };
        inventory.memory_bytes = sysctl("hw.memsize").parse().ok();
        inventory.uptime_seconds = parse_boottime(&sysctl("kern.boottime"), crate::log::unix_now());
        inventory.battery =
            run_command("pmset", &["-g", "batt"]).and_then(|s| parse_pmset_battery(&s));
        inventory.user = run_command("stat", &["-f", "%Su", "/dev/console"])
            .map(|s| s.trim().to_string())
            .filter(|u| u != "root")
            .unwrap_or_default();
        inventory.software = run_command("system_profiler", &["SPApplicationsDataType", "-json"])
            .and_then(|s| parse_system_profiler_apps(&s).ok())
            .unwrap_or_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IOREG_SAMPLE: &str = r#"+-o Root  <class IORegistryEntry, id 0x100000100, retain 29>
  +-o J314sAP  <class IOPlatformExpertDevice, id 0x100000225, registered, matched, active, busy 0 (1 ms), retain 37>
      {
        "IOPolledInterface" = "AppleARMWatchdogTimerHibernateHandler is not serializable"
        "manufacturer" = <"Apple Inc.">
        "compatible" = <"J314sAP","MacBookPro18,3","AppleARM">
        "IOPlatformUUID" = "0B9C3F4A-1234-5678-9ABC-DEF012345678"
        "model" = <"MacBookPro18,3">
        "IOPlatformSerialNumber" = "C02FX1ABCDEF"
        "target-type" = <"J314s">
      }
"#;

    #[test]
    fn ioreg_gives_maker_model_serial_and_kind() {
        let hw = parse_ioreg(IOREG_SAMPLE);
        assert_eq!(hw.manufacturer, "Apple Inc.");
        assert_eq!(hw.model, "MacBookPro18,3");
        assert_eq!(hw.serial, "C02FX1ABCDEF");
        assert_eq!(hw.chassis, "laptop");
        assert_eq!(parse_ioreg("nothing here"), Hardware::default());
    }

    #[test]
    fn sw_vers_and_boottime() {
        let sw = "ProductName:\t\tmacOS\nProductVersion:\t\t14.4.1\nBuildVersion:\t\t23E224\n";
        assert_eq!(
            parse_sw_vers(sw),
            ("macOS".into(), "14.4.1".into(), "23E224".into())
        );
        let boot = "{ sec = 1711000000, usec = 123456 } Thu Mar 21 06:46:40 2024\n";
        assert_eq!(parse_boottime(boot, 1_711_000_100), Some(100));
        assert_eq!(parse_boottime("garbage", 5), None);
    }

    #[test]
    fn pmset_battery() {
        let out = "Now drawing from 'Battery Power'\n -InternalBattery-0 (id=12345)\t85%; discharging; 3:12 remaining present: true\n";
        assert_eq!(
            parse_pmset_battery(out),
            Some(Battery {
                percent: Some(85),
                status: "discharging".into()
            })
        );
        assert_eq!(parse_pmset_battery("Now drawing from 'AC Power'\n"), None);
    }

    #[test]
    fn system_profiler_applications() {
        let json = r#"{"SPApplicationsDataType":[
          {"_name":"Safari","obtained_from":"apple","version":"17.4.1","path":"/Applications/Safari.app"},
          {"_name":"Google Chrome","obtained_from":"identified_developer","signed_by":["Developer ID Application: Google LLC (EQHXZ8M8AV)","Developer ID Certification Authority","Apple Root CA"],"version":"123.0.6312.87"},
          {"_name":"Homemade","obtained_from":"unknown"}
        ]}"#;
        let apps = parse_system_profiler_apps(json).unwrap();
        assert_eq!(apps.len(), 3);
        assert_eq!(apps[0].vendor, "Apple");
        assert_eq!(apps[1].vendor, "Google LLC");
        assert_eq!(apps[1].version, "123.0.6312.87");
        assert_eq!(apps[2].vendor, "");
        assert!(parse_system_profiler_apps("not json").is_err());
    }
}
