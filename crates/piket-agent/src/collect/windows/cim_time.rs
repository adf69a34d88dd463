//! CIM datetimes as WMI gives them (`20261207083000.500000+060`: local time, then the offset
//! from UTC in minutes), read by hand: the wmi crate's own parser needs chrono or time, and two
//! numbers are all the inventory wants (the boot time and the BIOS date).

/// Seconds since the Unix epoch (UTC) of a CIM datetime, or `None` when it is malformed or
/// uses wildcards (`*`), as intervals and partial dates do.
pub fn unix_seconds(cim: &str) -> Option<i64> {
    let cim = cim.trim();
    let digits = |from: usize, to: usize| -> Option<i64> {
        let part = cim.get(from..to)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (year, month, day) = (digits(0, 4)?, digits(4, 6)?, digits(6, 8)?);
    let (hour, minute, second) = (digits(8, 10)?, digits(10, 12)?, digits(12, 14)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    // The offset follows the fraction: `+060`, `-300`. Wine writes `+00` in some fields, so any
    // count of digits is taken; no offset at all means UTC.
    let offset_minutes = match cim.get(14..).and_then(|rest| rest.find(['+', '-'])) {
        Some(at) => {
            let signed = &cim[14 + at..];
            let minutes: i64 = signed[1..].parse().ok()?;
            if signed.starts_with('-') {
                -minutes
            } else {
                minutes
            }
        }
        None => 0,
    };
    let local = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
    Some(local - offset_minutes * 60)
}

/// The date part of a CIM datetime as `YYYY-MM-DD`, or empty.
pub fn date(cim: &str) -> String {
    match cim.trim().get(0..8) {
        Some(d) if d.bytes().all(|b| b.is_ascii_digit()) && !d.starts_with("0000") => {
            format!("{}-{}-{}", &d[0..4], &d[4..6], &d[6..8])
        }
        _ => String::new(),
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cim_datetimes_become_utc_seconds() {
        // Recorded under Wine 8: UTC, offset +000.
        assert_eq!(
            unix_seconds("20261207200927.644000+000"),
            Some(1_796_674_167)
        );
        // The same instant written in UTC+1 (offset in minutes) and UTC-5.
        assert_eq!(
            unix_seconds("20261207210927.000000+060"),
            Some(1_796_674_167)
        );
        assert_eq!(
            unix_seconds("20261207150927.000000-300"),
            Some(1_796_674_167)
        );
        assert_eq!(unix_seconds("19700101000000.000000+000"), Some(0));
        // Wine's two-digit offset and a leap day.
        assert_eq!(
            unix_seconds("20240229120000.000000+00"),
            Some(1_709_208_000)
        );
    }

    #[test]
    fn malformed_cim_datetimes_give_none() {
        assert_eq!(unix_seconds(""), None);
        assert_eq!(unix_seconds("2026"), None);
        assert_eq!(unix_seconds("********083000.000000+060"), None);
        assert_eq!(unix_seconds("20261307083000.000000+060"), None);
        assert_eq!(unix_seconds("20261207083000.000000+abc"), None);
    }

    #[test]
    fn bios_release_dates_keep_the_date_only() {
        assert_eq!(date("20120608000000.000000+000"), "2012-06-08");
        assert_eq!(date("20230914000000.000000-000"), "2023-09-14");
        assert_eq!(date("00000000000000.000000+000"), "");
        assert_eq!(date("n/a"), "");
    }
}
