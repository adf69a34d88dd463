//! `piket-agent inventory [--json]`: show what would be sent, contacting no server.

use piket_protocol::Inventory;

use crate::collect::collect_inventory;
use crate::failure::Failure;
use crate::legacy::gigabytes;

pub fn run(json: bool) -> Result<(), Failure> {
    let inventory = collect_inventory();
    let text = if json {
        let mut text = serde_json::to_string_pretty(&inventory)
            .map_err(|e| Failure::general(format!("cannot encode the inventory: {e}")))?;
        text.push('\n');
        text
    } else {
        summary(&inventory)
    };
    write_stdout(&text)
}

/// Write to stdout; a closed pipe (`| head`) is not an error worth a message.
fn write_stdout(text: &str) -> Result<(), Failure> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::general(format!("cannot write to stdout: {e}"))),
    }
}

fn or_unknown(value: &str) -> &str {
    if value.is_empty() {
        "(unknown)"
    } else {
        value
    }
}

/// A human-readable summary of an inventory.
pub fn summary(inv: &Inventory) -> String {
    let mut out = String::new();
    let mut line = |label: &str, value: &str| {
        out.push_str(&format!("{label:<14}{}\n", or_unknown(value)));
    };
    line("Hostname", &inv.hostname);
    let os = format!("{} {}", inv.os.name, inv.os.version);
    line("OS", os.trim());
    if !inv.os.build.is_empty() {
        line("Build", &inv.os.build);
    }
    line("Kernel", &inv.os.kernel);
    line("Architecture", &inv.os.arch);
    line("Manufacturer", &inv.hardware.manufacturer);
    line("Model", &inv.hardware.model);
    line("Serial", &inv.hardware.serial);
    line("Kind", &inv.hardware.chassis);
    let bios = format!(
        "{} {} {}",
        inv.hardware.bios_vendor, inv.hardware.bios_version, inv.hardware.bios_date
    );
    line("BIOS", bios.trim());
    let cpu = match (inv.cpu.cores, inv.cpu.threads) {
        (0, 0) => inv.cpu.model.clone(),
        (0, t) => format!("{} ({t} threads)", inv.cpu.model),
        (c, t) => format!("{} ({c} cores, {t} threads)", inv.cpu.model),
    };
    line("CPU", cpu.trim());
    line(
        "Memory",
        &inv.memory_bytes.map(gigabytes).unwrap_or_default(),
    );
    line("User", &inv.user);
    let uptime = inv
        .uptime_seconds
        .map(|s| format!("{}d {}h {}m", s / 86_400, s % 86_400 / 3600, s % 3600 / 60))
        .unwrap_or_default();
    line("Uptime", &uptime);
    if let Some(battery) = &inv.battery {
        let percent = battery
            .percent
            .map(|p| format!("{p}% "))
            .unwrap_or_default();
        line("Battery", &format!("{percent}{}", battery.status));
    }
    for disk in &inv.disks {
        let size = disk.size_bytes.map(gigabytes).unwrap_or_default();
        line(
            "Disk",
            &format!("{} {} {size}", disk.name, or_unknown(&disk.model)),
        );
    }
    for fs in &inv.filesystems {
        let total = fs.total_bytes.map(gigabytes).unwrap_or_default();
        let free = fs.free_bytes.map(gigabytes).unwrap_or_default();
        line(
            "File system",
            &format!("{} ({}) {total}, {free} free", fs.mount, fs.fs_type),
        );
    }
    for nic in &inv.interfaces {
        let ips = nic.ips.join(", ");
        line(
            "Interface",
            &format!("{} {} {ips}", nic.name, or_unknown(&nic.mac)),
        );
    }
    line("Software", &format!("{} packages", inv.software.len()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_marks_unknown_values() {
        let inv = Inventory {
            hostname: "box".into(),
            memory_bytes: Some(8 << 30),
            ..Default::default()
        };
        let text = summary(&inv);
        assert!(text.contains("Hostname      box\n"), "{text}");
        assert!(text.contains("Serial        (unknown)\n"), "{text}");
        assert!(text.contains("Memory        8.0 GB\n"), "{text}");
        assert!(text.contains("Software      0 packages\n"), "{text}");
    }
}
