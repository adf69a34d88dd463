//! The machine a ticket was filed from (the desktop helper's block, `ticket_machines`): what it
//! may hold, how staff read it, and the words search finds in it (staff only, like notes).

use crate::validate::Check;
use piket_protocol::desktop::MachineState;

/// Longest text field, in characters (a window title can be long; more is noise).
pub const MAX_TEXT: usize = 300;
/// Most items in a list (addresses, disks).
pub const MAX_ITEMS: usize = 32;

/// The block as stored: what the helper sent and the address the server saw it from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Machine {
    pub state: MachineState,
    pub public_ip: String,
}

fn text_ok(s: &str) -> bool {
    s.chars().count() <= MAX_TEXT && !s.chars().any(char::is_control)
}

/// Refuse a block a helper could not have sent: long or control-character text, long lists,
/// percentages outside 0–100, a used size above the total.
pub fn check(c: &mut Check, m: &MachineState) {
    let texts = [
        &m.hostname,
        &m.os,
        &m.active_window,
        &m.os_user,
        &m.agent_version,
    ];
    let lists = m.local_ips.iter().chain(&m.macs);
    let disk_texts = m.disks.iter().map(|d| &d.mount);
    if !texts
        .into_iter()
        .chain(lists)
        .chain(disk_texts)
        .all(|s| text_ok(s))
    {
        c.fail(
            "machine",
            format!("text of at most {MAX_TEXT} characters, without control characters"),
        );
    }
    if m.local_ips.len() > MAX_ITEMS || m.macs.len() > MAX_ITEMS || m.disks.len() > MAX_ITEMS {
        c.fail("machine", format!("at most {MAX_ITEMS} items in a list"));
    }
    let percent_ok = |p: Option<f32>| p.is_none_or(|p| (0.0..=100.0).contains(&p));
    if !percent_ok(m.cpu_percent)
        || !percent_ok(m.ram_percent)
        || m.battery_percent.is_some_and(|p| p > 100)
    {
        c.fail("machine", "percentages lie between 0 and 100");
    }
    if m.disks.iter().any(|d| d.used_bytes > d.total_bytes) {
        c.fail("machine", "a disk uses more than it holds");
    }
}

/// The block's values as one text, for the search index.
pub fn search_text(m: &Machine) -> String {
    let s = &m.state;
    let mut words: Vec<&str> = vec![&s.hostname, &s.os, &s.active_window, &s.os_user];
    words.extend(s.local_ips.iter().map(String::as_str));
    words.extend(s.macs.iter().map(String::as_str));
    words.push(&m.public_ip);
    words.retain(|w| !w.is_empty());
    words.join(" ")
}

/// A size in bytes as people read it (`15.5 GiB`).
pub fn bytes(n: &u64) -> String {
    let n = *n;
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    #[allow(clippy::cast_precision_loss)]
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// An uptime as `3 d 4 h 12 min` (units are the same in the catalog's three languages).
pub fn uptime(seconds: &u64) -> String {
    let seconds = *seconds;
    let (d, h, m) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
    );
    match (d, h) {
        (0, 0) => format!("{m} min"),
        (0, _) => format!("{h} h {m} min"),
        _ => format!("{d} d {h} h {m} min"),
    }
}

/// One file system as `C:\ 120.3 GiB of 237.9 GiB (51 %)`.
pub fn disk(d: &piket_protocol::desktop::DiskUse) -> String {
    let percent = d
        .used_bytes
        .saturating_mul(100)
        .checked_div(d.total_bytes)
        .unwrap_or(0);
    format!(
        "{} {} / {} ({percent} %)",
        d.mount,
        bytes(&d.used_bytes),
        bytes(&d.total_bytes)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use piket_protocol::desktop::DiskUse;

    #[test]
    fn a_block_a_helper_could_not_send_is_refused() {
        let mut c = Check::new();
        check(&mut c, &MachineState::default());
        assert!(c.finish().is_ok());
        for bad in [
            MachineState {
                active_window: "x".repeat(MAX_TEXT + 1),
                ..Default::default()
            },
            MachineState {
                hostname: "pc\u{0}".into(),
                ..Default::default()
            },
            MachineState {
                local_ips: vec!["10.0.0.1".into(); MAX_ITEMS + 1],
                ..Default::default()
            },
            MachineState {
                cpu_percent: Some(101.0),
                ..Default::default()
            },
            MachineState {
                cpu_percent: Some(f32::NAN),
                ..Default::default()
            },
            MachineState {
                disks: vec![DiskUse {
                    mount: "/".into(),
                    total_bytes: 1,
                    used_bytes: 2,
                }],
                ..Default::default()
            },
        ] {
            let mut c = Check::new();
            check(&mut c, &bad);
            assert!(c.finish().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sizes_and_uptimes_read_as_people_write_them() {
        assert_eq!(bytes(&512), "512 B");
        assert_eq!(
            bytes(&(16 * 1024 * 1024 * 1024 + 512 * 1024 * 1024)),
            "16.5 GiB"
        );
        assert_eq!(uptime(&59), "0 min");
        assert_eq!(uptime(&(3 * 86_400 + 4 * 3600 + 12 * 60)), "3 d 4 h 12 min");
        assert_eq!(
            disk(&DiskUse {
                mount: "C:\\".into(),
                total_bytes: 200,
                used_bytes: 50
            }),
            "C:\\ 50 B / 200 B (25 %)"
        );
    }
}
