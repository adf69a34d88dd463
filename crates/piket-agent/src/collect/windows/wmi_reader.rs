//! Reading WMI classes into [`facts`](super::facts), one query per class and one `Get` per
//! property, so that a class or property Windows (or Wine) lacks costs only its own fields.
//!
//! Why not the wmi crate's typed `query::<T>()`: it names every field in the SELECT and fails
//! the whole class when one property is missing. Why not `raw_query` into a map: one property
//! whose value cannot be converted fails the whole row. `SELECT *` plus `get_property` per
//! field has neither problem. Property names are matched case-insensitively by WMI itself
//! (Wine spells `DeviceID` as `DeviceId`).
//!
//! COM: `WMIConnection::new` initialises COM for this thread (`CoIncrementMTAUsage`) when it is
//! not yet initialised, so no `unsafe` is needed here.

use wmi::{IWbemClassWrapper, Variant, WMIConnection};

use super::facts::{
    BatteryFacts, BiosFacts, ComputerSystemFacts, DiskFacts, LogicalDiskFacts, NetworkAdapterFacts,
    OsFacts, ProcessorFacts, WindowsFacts,
};

/// Fill the WMI part of `facts`; a connection that fails leaves it all empty.
pub fn read(facts: &mut WindowsFacts) {
    let Ok(con) = WMIConnection::new() else {
        return;
    };
    facts.os = rows(&con, "Win32_OperatingSystem")
        .first()
        .map(|r| OsFacts {
            caption: text(r, "Caption"),
            build_number: text(r, "BuildNumber"),
            version: text(r, "Version"),
            csd_version: text(r, "CSDVersion"),
            os_architecture: text(r, "OSArchitecture"),
            last_boot_up_time: text(r, "LastBootUpTime"),
        });
    facts.computer_system =
        rows(&con, "Win32_ComputerSystem")
            .first()
            .map(|r| ComputerSystemFacts {
                manufacturer: text(r, "Manufacturer"),
                model: text(r, "Model"),
                name: text(r, "Name"),
                total_physical_memory: number(r, "TotalPhysicalMemory"),
                user_name: text(r, "UserName"),
            });
    facts.processors = rows(&con, "Win32_Processor")
        .iter()
        .map(|r| ProcessorFacts {
            name: text(r, "Name"),
            number_of_cores: number(r, "NumberOfCores"),
            number_of_logical_processors: number(r, "NumberOfLogicalProcessors"),
        })
        .collect();
    facts.bios = rows(&con, "Win32_BIOS").first().map(|r| BiosFacts {
        manufacturer: text(r, "Manufacturer"),
        serial_number: text(r, "SerialNumber"),
        smbios_bios_version: text(r, "SMBIOSBIOSVersion"),
        release_date: text(r, "ReleaseDate"),
    });
    facts.chassis_types = rows(&con, "Win32_SystemEnclosure")
        .iter()
        .flat_map(|r| numbers(r, "ChassisTypes"))
        .collect();
    facts.disks = rows(&con, "Win32_DiskDrive")
        .iter()
        .map(|r| DiskFacts {
            device_id: text(r, "DeviceID"),
            model: text(r, "Model"),
            serial_number: text(r, "SerialNumber"),
            size: number(r, "Size"),
        })
        .collect();
    facts.batteries = rows(&con, "Win32_Battery")
        .iter()
        .map(|r| BatteryFacts {
            estimated_charge_remaining: number(r, "EstimatedChargeRemaining"),
            battery_status: number(r, "BatteryStatus"),
        })
        .collect();
    facts.logical_disks = rows(&con, "Win32_LogicalDisk")
        .iter()
        .map(|r| LogicalDiskFacts {
            device_id: text(r, "DeviceID"),
            drive_type: number(r, "DriveType"),
            file_system: text(r, "FileSystem"),
            size: number(r, "Size"),
            free_space: number(r, "FreeSpace"),
        })
        .collect();
    facts.network_adapters = rows(
        &con,
        "Win32_NetworkAdapterConfiguration WHERE IPEnabled = TRUE",
    )
    .iter()
    .map(|r| NetworkAdapterFacts {
        description: text(r, "Description"),
        mac_address: text(r, "MACAddress"),
        ip_addresses: texts(r, "IPAddress"),
    })
    .collect();
}

/// The average `LoadPercentage` of the processors; `None` when WMI does not tell it.
pub fn cpu_load_percent() -> Option<f32> {
    let con = WMIConnection::new().ok()?;
    let loads: Vec<u64> = rows(&con, "Win32_Processor")
        .iter()
        .filter_map(|r| number(r, "LoadPercentage"))
        .collect();
    let count = u32::try_from(loads.len()).ok().filter(|n| *n > 0)?;
    #[allow(clippy::cast_precision_loss)]
    let sum = loads.iter().sum::<u64>() as f32;
    #[allow(clippy::cast_precision_loss)]
    Some((sum / count as f32).clamp(0.0, 100.0))
}

/// Every instance of a class (optionally followed by a WHERE clause); none when the class
/// cannot be queried. An instance that fails
/// to enumerate is skipped, the others kept.
fn rows(con: &WMIConnection, class: &str) -> Vec<IWbemClassWrapper> {
    con.exec_query(format!("SELECT * FROM {class}"))
        .map(|objects| objects.filter_map(Result::ok).collect())
        .unwrap_or_default()
}

/// A property as text; missing, NULL or not text gives `None`.
fn text(object: &IWbemClassWrapper, property: &str) -> Option<String> {
    match object.get_property(property).ok()? {
        Variant::String(s) => Some(s),
        _ => None,
    }
}

/// A string array property (`IPAddress`); NULL or missing gives an empty list.
fn texts(object: &IWbemClassWrapper, property: &str) -> Vec<String> {
    match object.get_property(property) {
        Ok(Variant::Array(items)) => items
            .into_iter()
            .filter_map(|item| match item {
                Variant::String(s) => Some(s),
                _ => None,
            })
            .collect(),
        Ok(Variant::String(s)) => vec![s],
        _ => Vec::new(),
    }
}

/// A property as a non-negative number. WMI hands uint64 over as a string (COM's VARIANT has
/// no portable 64-bit unsigned), which the wmi crate usually converts by the CIM type; both
/// forms are accepted.
fn number(object: &IWbemClassWrapper, property: &str) -> Option<u64> {
    variant_number(object.get_property(property).ok()?)
}

/// A numeric array property (`ChassisTypes`); a single value counts as a one-element array.
fn numbers(object: &IWbemClassWrapper, property: &str) -> Vec<u64> {
    match object.get_property(property) {
        Ok(Variant::Array(items)) => items.into_iter().filter_map(variant_number).collect(),
        Ok(single) => variant_number(single).into_iter().collect(),
        Err(_) => Vec::new(),
    }
}

fn variant_number(value: Variant) -> Option<u64> {
    match value {
        Variant::UI1(n) => Some(n.into()),
        Variant::UI2(n) => Some(n.into()),
        Variant::UI4(n) => Some(n.into()),
        Variant::UI8(n) => Some(n),
        Variant::I1(n) => u64::try_from(n).ok(),
        Variant::I2(n) => u64::try_from(n).ok(),
        Variant::I4(n) => u64::try_from(n).ok(),
        Variant::I8(n) => u64::try_from(n).ok(),
        Variant::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}
