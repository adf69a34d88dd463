//! Times as a reader sees them (issue #19): in their time zone, in one format, relative where a
//! list is scanned, exact on hover. Stored times and the JSON API stay UTC (RFC 3339).
//!
//! Zones are IANA names (`Asia/Jakarta`, `Europe/Athens`) from the time-zone database compiled
//! into the binary (jiff's bundled copy), so a server without `/usr/share/zoneinfo` shows the same
//! times; or a fixed offset (`UTC+07:00`), which is what the SLA calendar keeps.

use jiff::tz::{Offset, TimeZone};
use jiff::Timestamp;

/// The longest zone name accepted (the longest IANA name is 32 characters).
const MAX_NAME: usize = 64;

/// A time zone and the name it was chosen by.
#[derive(Clone, Debug)]
pub struct Zone {
    name: String,
    tz: TimeZone,
}

impl Default for Zone {
    fn default() -> Self {
        Zone::utc()
    }
}

impl PartialEq for Zone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Zone {
    pub fn utc() -> Zone {
        Zone {
            name: "UTC".into(),
            tz: TimeZone::UTC,
        }
    }

    /// A fixed offset east of UTC in minutes (the SLA calendar's), named `UTC+07:00`.
    pub fn fixed(offset_minutes: i64) -> Zone {
        let minutes = offset_minutes.clamp(-18 * 60, 18 * 60);
        if minutes == 0 {
            return Zone::utc();
        }
        let offset = Offset::from_seconds((minutes * 60) as i32).unwrap_or(Offset::UTC);
        let sign = if minutes < 0 { '-' } else { '+' };
        Zone {
            name: format!(
                "UTC{sign}{:02}:{:02}",
                minutes.abs() / 60,
                minutes.abs() % 60
            ),
            tz: TimeZone::fixed(offset),
        }
    }

    /// A zone by an IANA name or a `UTC±HH:MM` offset; `None` for anything else.
    pub fn parse(name: &str) -> Option<Zone> {
        let name = name.trim();
        if name.is_empty() || name.len() > MAX_NAME {
            return None;
        }
        if name == "UTC" {
            return Some(Zone::utc());
        }
        if let Some(offset) = name.strip_prefix("UTC") {
            return parse_offset(offset).map(Zone::fixed);
        }
        // Only names the database lists: a path-like name never reaches a file lookup.
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+'))
        {
            return None;
        }
        let tz = jiff::tz::db().get(name).ok()?;
        let canonical = tz.iana_name().unwrap_or(name).to_string();
        Some(Zone {
            name: canonical,
            tz,
        })
    }

    /// The name to store and show (`Asia/Jakarta`, `UTC+07:00`, `UTC`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Every IANA zone a reader can pick, sorted.
    pub fn names() -> Vec<String> {
        let mut names: Vec<String> = jiff::tz::db()
            .available()
            .map(|n| n.as_str().to_string())
            .filter(|n| n.contains('/') && !n.starts_with("Etc/") && !n.starts_with("posix"))
            .collect();
        names.sort();
        names.dedup();
        names
    }

    fn at(&self, ms: i64) -> jiff::Zoned {
        let ts = Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH);
        ts.to_zoned(self.tz.clone())
    }

    /// The one format of every page: `2026-12-07 14:38`.
    pub fn minute(&self, ms: i64) -> String {
        self.at(ms).strftime("%Y-%m-%d %H:%M").to_string()
    }

    /// The exact time for hover text: `2026-12-07 14:38:25 WIB` (or `+07` where the zone has no
    /// abbreviation).
    pub fn exact(&self, ms: i64) -> String {
        self.at(ms).strftime("%Y-%m-%d %H:%M:%S %Z").to_string()
    }

    /// The local date, for date inputs: `2026-12-07`.
    pub fn date(&self, ms: i64) -> String {
        self.at(ms).strftime("%Y-%m-%d").to_string()
    }

    /// RFC 3339 with the local offset, for exports: `2026-12-07T14:38:25+07:00`.
    pub fn rfc3339(&self, ms: i64) -> String {
        self.at(ms).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
    }

    /// The instant a local date (`2026-12-07`) starts in this zone, in unix milliseconds.
    pub fn start_of_day(&self, date: &str) -> Option<i64> {
        let date: jiff::civil::Date = date.trim().parse().ok()?;
        let zoned = date.to_zoned(self.tz.clone()).ok()?;
        Some(zoned.timestamp().as_millisecond())
    }

    /// A typed date or time as RFC 3339 UTC: a plain date is the start of that day here; a full
    /// RFC 3339 time passes through. `None` for text that is neither (left for the service to
    /// reject as it always has).
    pub fn typed_to_utc(&self, text: &str) -> Option<String> {
        let text = text.trim();
        if text.len() == 10 {
            return self.start_of_day(text).map(crate::clock::format_ms);
        }
        None
    }
}

/// `+07:00`, `-03:30`, `+7` → minutes east of UTC, within ±18 h.
fn parse_offset(text: &str) -> Option<i64> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    if h.is_empty() || h.len() > 2 || m.len() > 2 {
        return None;
    }
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    if h > 18 || m > 59 {
        return None;
    }
    Some(sign * (h * 60 + m))
}

/// How long ago (or until) `ms`, as a catalog key and a count: `("time_h_ago", 3)`. Past a week
/// the caller shows the date instead (`None`).
pub fn relative(ms: i64, now_ms: i64) -> Option<(&'static str, i64)> {
    const MIN: i64 = 60_000;
    let diff = now_ms - ms;
    let (past, span) = (diff >= 0, diff.abs());
    let (unit, n) = if span < MIN {
        return Some(("time_just_now", 0));
    } else if span < 60 * MIN {
        ("min", span / MIN)
    } else if span < 24 * 60 * MIN {
        ("h", span / (60 * MIN))
    } else if span < 7 * 24 * 60 * MIN {
        ("d", span / (24 * 60 * MIN))
    } else {
        return None;
    };
    let key = match (unit, past) {
        ("min", true) => "time_min_ago",
        ("h", true) => "time_h_ago",
        (_, true) => "time_d_ago",
        ("min", false) => "time_in_min",
        ("h", false) => "time_in_h",
        (_, false) => "time_in_d",
    };
    Some((key, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-12-07T01:38:25.002Z
    const AT: i64 = 1_796_607_505_002;

    #[test]
    fn a_named_zone_shows_local_wall_time() {
        let jakarta = Zone::parse("Asia/Jakarta").unwrap();
        assert_eq!(jakarta.minute(AT), "2026-12-07 08:38");
        assert_eq!(jakarta.exact(AT), "2026-12-07 08:38:25 WIB");
        assert_eq!(jakarta.rfc3339(AT), "2026-12-07T08:38:25+07:00");
        assert_eq!(Zone::utc().minute(AT), "2026-12-07 01:38");
    }

    #[test]
    fn daylight_saving_moves_the_offset() {
        let athens = Zone::parse("Europe/Athens").unwrap();
        // Winter: UTC+2; summer (2026-07-01T12:00Z): UTC+3.
        assert_eq!(athens.minute(AT), "2026-12-07 03:38");
        assert_eq!(athens.minute(1_782_907_200_000), "2026-07-01 15:00");
    }

    #[test]
    fn fixed_offsets_round_trip_by_name() {
        let z = Zone::fixed(420);
        assert_eq!(z.name(), "UTC+07:00");
        assert_eq!(
            Zone::parse("UTC+07:00").unwrap().minute(AT),
            "2026-12-07 08:38"
        );
        assert_eq!(Zone::parse("UTC-03:30").unwrap().name(), "UTC-03:30");
        assert_eq!(Zone::fixed(0).name(), "UTC");
    }

    #[test]
    fn hostile_names_are_refused() {
        for bad in [
            "",
            "../../etc/passwd",
            "Asia/Nowhere",
            "UTC+99:00",
            "UTC+",
            "Asia/Jak\narta",
            &"A/".repeat(40),
        ] {
            assert!(Zone::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn a_local_date_starts_at_local_midnight() {
        let jakarta = Zone::parse("Asia/Jakarta").unwrap();
        let start = jakarta.start_of_day("2026-12-07").unwrap();
        assert_eq!(crate::clock::format_ms(start), "2026-12-06T17:00:00Z");
        assert_eq!(jakarta.date(start), "2026-12-07");
        assert!(jakarta.start_of_day("2026-13-07").is_none());
    }

    #[test]
    fn relative_times_pick_a_unit_and_stop_after_a_week() {
        let now = AT;
        assert_eq!(relative(now - 10_000, now), Some(("time_just_now", 0)));
        assert_eq!(relative(now - 5 * 60_000, now), Some(("time_min_ago", 5)));
        assert_eq!(relative(now - 3 * 3_600_000, now), Some(("time_h_ago", 3)));
        assert_eq!(relative(now - 2 * 86_400_000, now), Some(("time_d_ago", 2)));
        assert_eq!(relative(now + 90 * 60_000, now), Some(("time_in_h", 1)));
        assert_eq!(relative(now - 8 * 86_400_000, now), None);
    }

    #[test]
    fn the_picker_lists_real_zones() {
        let names = Zone::names();
        assert!(names.iter().any(|n| n == "Asia/Jakarta"));
        assert!(names.iter().any(|n| n == "Europe/Athens"));
        assert!(names.len() > 300, "{}", names.len());
        assert!(names.iter().all(|n| Zone::parse(n).is_some()));
    }
}
