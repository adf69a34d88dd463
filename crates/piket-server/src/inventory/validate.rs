//! Checking asset fields: lengths, the fixed type and status lists, dates, IP and MAC lists, and
//! the collector's memory sizes ("16.0 GB").

use super::store::Record;
use super::{HardwareInput, STATUSES, TYPES};
use crate::validate::Check;

/// Longest short text field (names, serials, licences…).
pub const SHORT: usize = 200;
/// Longest notes.
pub const NOTES: usize = 5000;
/// Largest RAM accepted, in MB (16 TiB).
pub const MAX_RAM_MB: i64 = 16 * 1024 * 1024;

/// A `YYYY-MM-DD` date that exists.
pub fn is_date(v: &str) -> bool {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    v.len() == 10 && time::Date::parse(v, &fmt).is_ok()
}

/// Addresses separated by commas or whitespace, each checked by `ok`, joined with ", ".
pub fn address_list(v: &str, ok: impl Fn(&str) -> bool) -> Option<String> {
    let parts: Vec<&str> = v
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .collect();
    parts.iter().all(|p| ok(p)).then(|| parts.join(", "))
}

pub fn is_ip(v: &str) -> bool {
    v.parse::<std::net::IpAddr>().is_ok()
}

pub fn is_mac(v: &str) -> bool {
    let groups: Vec<&str> = v.split([':', '-']).collect();
    groups.len() == 6
        && groups
            .iter()
            .all(|g| g.len() == 2 && g.chars().all(|c| c.is_ascii_hexdigit()))
}

/// A memory size as the collector writes it ("16.0 GB", "512 MB", "8192") in MB.
pub fn ram_mb(v: &str) -> Option<i64> {
    let v = v.trim();
    let split = v
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(v.len());
    let (number, unit) = v.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "mb" | "mib" => 1.0,
        "gb" | "gib" => 1024.0,
        "tb" | "tib" => 1024.0 * 1024.0,
        _ => return None,
    };
    let mb = (number * factor).round();
    (number.is_finite() && (0.0..=MAX_RAM_MB as f64).contains(&mb)).then_some(mb as i64)
}

/// Check every field of `input`; `credential` is the stored one, replaced only if one is sent.
pub fn record(c: &mut Check, input: &HardwareInput, credential: &str) -> Record {
    let short = |c: &mut Check, field: &str, v: &str| c.text(field, v, 0, SHORT);
    let kind = input.kind.trim().to_string();
    if !TYPES.contains(&kind.as_str()) {
        c.fail("type", format!("must be one of {}", TYPES.join(", ")));
    }
    let status = match input.status.trim() {
        "" => "in_use".to_string(),
        s => s.to_string(),
    };
    if !STATUSES.contains(&status.as_str()) {
        c.fail("status", format!("must be one of {}", STATUSES.join(", ")));
    }
    if input.ram_mb.is_some_and(|r| !(0..=MAX_RAM_MB).contains(&r)) {
        c.fail("ram_mb", format!("must be between 0 and {MAX_RAM_MB}"));
    }
    let ips = short(c, "ip_addresses", &input.ip_addresses);
    let ip_addresses = address_list(&ips, is_ip).unwrap_or_else(|| {
        c.fail("ip_addresses", "must be IP addresses separated by commas");
        ips.clone()
    });
    let macs = short(c, "mac_addresses", &input.mac_addresses);
    let mac_addresses = address_list(&macs, is_mac).unwrap_or_else(|| {
        c.fail("mac_addresses", "must be MAC addresses separated by commas");
        macs.clone()
    });
    let mut date = |field: &str, v: &Option<String>| -> Option<String> {
        let v = v.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
        if !is_date(v) {
            c.fail(field, "must be a date (YYYY-MM-DD)");
        }
        Some(v.to_string())
    };
    let purchase_date = date("purchase_date", &input.purchase_date);
    let warranty_end = date("warranty_end", &input.warranty_end);
    let credential = match &input.credential {
        None => credential.to_string(),
        Some(v) => c.text("credential", v, 0, SHORT),
    };
    Record {
        asset_tag: short(c, "asset_tag", &input.asset_tag),
        name: c.text("name", &input.name, 1, SHORT),
        kind,
        manufacturer: short(c, "manufacturer", &input.manufacturer),
        model: short(c, "model", &input.model),
        serial: short(c, "serial", &input.serial),
        cpu: short(c, "cpu", &input.cpu),
        ram_mb: input.ram_mb,
        storage: short(c, "storage", &input.storage),
        os: short(c, "os", &input.os),
        hostname: short(c, "hostname", &input.hostname),
        ip_addresses,
        mac_addresses,
        owner_id: input.owner_id,
        department_id: input.department_id,
        location: short(c, "location", &input.location),
        status,
        purchase_date,
        warranty_end,
        notes: c.text("notes", &input.notes, 0, NOTES),
        jenis: short(c, "jenis", &input.jenis),
        lisensi_windows: short(c, "lisensi_windows", &input.lisensi_windows),
        credential,
        office: short(c, "office", &input.office),
        lisensi_office: short(c, "lisensi_office", &input.lisensi_office),
        is_main: input.is_main,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collector_memory_sizes_become_megabytes() {
        assert_eq!(ram_mb("16.0 GB"), Some(16384));
        assert_eq!(ram_mb("512 MB"), Some(512));
        assert_eq!(ram_mb("8192"), Some(8192));
        assert_eq!(ram_mb("7.9 GB"), Some(8090));
        assert_eq!(ram_mb("lots"), None);
        assert_eq!(ram_mb("1e400 GB"), None);
        assert_eq!(ram_mb("99999999 TB"), None);
    }

    #[test]
    fn addresses_and_dates_are_checked() {
        assert_eq!(
            address_list("10.0.0.1,  fe80::1 10.0.0.2", is_ip).as_deref(),
            Some("10.0.0.1, fe80::1, 10.0.0.2")
        );
        assert!(address_list("10.0.0.300", is_ip).is_none());
        assert!(is_mac("aa:bb:cc:dd:ee:0F") && is_mac("AA-BB-CC-DD-EE-FF"));
        assert!(!is_mac("aa:bb:cc"));
        assert!(is_date("2025-02-28") && !is_date("2025-02-30") && !is_date("28/02/2025"));
    }
}
