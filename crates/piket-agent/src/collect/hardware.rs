//! Firmware strings that mean nothing ("To be filled by O.E.M.") and SMBIOS chassis types: shared
//! by the Linux (DMI), Windows (WMI) and macOS readers.

/// A firmware string, trimmed, or empty when it is a placeholder vendors leave in.
pub fn clean_firmware_string(raw: &str) -> String {
    let value = raw.trim().trim_matches('\0').trim();
    let lower = value.to_ascii_lowercase();
    const JUNK: &[&str] = &[
        "to be filled by o.e.m.",
        "to be filled by oem",
        "default string",
        "system serial number",
        "system manufacturer",
        "system product name",
        "system version",
        "chassis serial number",
        "base board serial number",
        "not specified",
        "not applicable",
        "not available",
        "none",
        "n/a",
        "na",
        "unknown",
        "oem",
        "o.e.m.",
        "invalid",
        "123456789",
        "0123456789",
        "1234567890",
        "xxxxxxxxxx",
        "00000000",
        "0",
        "-",
        ".",
    ];
    // "######", "----", "00000000", "FFFFFFFFFFFF": fillers, never a real serial or name.
    let filler = value.len() >= 4 && value.chars().all(|c| !c.is_alphanumeric());
    let zeros_or_fs = value.len() >= 6 && value.chars().all(|c| matches!(c, '0' | 'F' | 'f'));
    if value.is_empty() || JUNK.contains(&lower.as_str()) || filler || zeros_or_fs {
        String::new()
    } else {
        value.to_string()
    }
}

/// The kind of machine for an SMBIOS chassis type number (DMI `chassis_type`,
/// WMI `Win32_SystemEnclosure.ChassisTypes`); empty when the number says nothing useful.
pub fn chassis_kind(chassis_type: u32) -> &'static str {
    match chassis_type {
        3 | 4 | 5 | 6 | 7 | 13 | 15 | 16 | 24 | 35 | 36 => "desktop",
        8 | 9 | 10 | 14 | 31 | 32 => "laptop",
        11 => "handheld",
        30 => "tablet",
        17 | 23 | 25 | 28 | 29 => "server",
        _ => "",
    }
}

/// The kind of a Mac from its model identifier (`MacBookPro18,3` → laptop).
#[cfg_attr(not(target_os = "macos"), allow(dead_code))]
pub fn mac_kind(model: &str) -> &'static str {
    if model.starts_with("MacBook") {
        "laptop"
    } else if model.starts_with("Xserve") {
        "server"
    } else if model.starts_with("iMac") || model.starts_with("Mac") {
        "desktop"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_strings_become_empty() {
        for junk in [
            "To be filled by O.E.M.",
            "Default string",
            "System Serial Number",
            "0123456789",
            "  ",
            "Not Specified",
            "00000000000",
            "FFFFFFFF",
            "######",
        ] {
            assert_eq!(clean_firmware_string(junk), "", "{junk:?}");
        }
        assert_eq!(clean_firmware_string(" LENOVO \n"), "LENOVO");
        assert_eq!(clean_firmware_string("PF2ABCDE"), "PF2ABCDE");
        assert_eq!(clean_firmware_string("Dell Inc."), "Dell Inc.");
    }

    #[test]
    fn chassis_numbers_map_to_kinds() {
        assert_eq!(chassis_kind(3), "desktop");
        assert_eq!(chassis_kind(35), "desktop");
        assert_eq!(chassis_kind(10), "laptop");
        assert_eq!(chassis_kind(9), "laptop");
        assert_eq!(chassis_kind(31), "laptop");
        assert_eq!(chassis_kind(17), "server");
        assert_eq!(chassis_kind(23), "server");
        assert_eq!(chassis_kind(1), "");
        assert_eq!(chassis_kind(2), "");
    }

    #[test]
    fn mac_models_map_to_kinds() {
        assert_eq!(mac_kind("MacBookPro18,3"), "laptop");
        assert_eq!(mac_kind("MacBookAir10,1"), "laptop");
        assert_eq!(mac_kind("Macmini9,1"), "desktop");
        assert_eq!(mac_kind("Mac14,13"), "desktop");
        assert_eq!(mac_kind("VirtualMac2,1"), "");
    }
}
