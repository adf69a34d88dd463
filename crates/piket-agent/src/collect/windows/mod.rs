//! Windows: WMI (in-process, through COM) and the registry, read into plain [`facts`] and mapped
//! into the inventory by the pure [`map`]. No program is spawned: PowerShell and `reg` are not
//! needed (and do not exist under Wine). The mapping is compiled and tested on every platform;
//! only the readers (`wmi_reader`, `registry`) are Windows-only.
// The mapping is used only on Windows but compiled and tested everywhere.
#![cfg_attr(not(target_os = "windows"), allow(dead_code))]

pub mod cim_time;
pub mod facts;
pub mod map;
#[cfg(target_os = "windows")]
mod registry;
#[cfg(target_os = "windows")]
mod wmi_reader;

/// Everything Windows-specific; interfaces and file systems are filled in by the caller.
#[cfg(target_os = "windows")]
pub fn collect(inventory: &mut piket_protocol::Inventory) {
    let mut facts = facts::WindowsFacts {
        computer_name: std::env::var("COMPUTERNAME").ok(),
        ..facts::WindowsFacts::default()
    };
    wmi_reader::read(&mut facts);
    registry::read(&mut facts);
    let now_unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    map::fill(inventory, &facts, now_unix);
}

/// The processors' load now (`Win32_Processor.LoadPercentage`, averaged over processors), for
/// the desktop helper: sysinfo's CPU usage goes through PDH, which Wine does not implement
/// (the helper died there), and WMI answers on both.
#[cfg(target_os = "windows")]
pub fn cpu_load_percent() -> Option<f32> {
    wmi_reader::cpu_load_percent()
}
