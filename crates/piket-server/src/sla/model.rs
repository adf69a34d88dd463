//! Validation and conversion: the calendar as clients write it <-> the calculator's
//! [`WorkCalendar`], and the due/at-risk instants a target gives a ticket.

use std::collections::{BTreeMap, BTreeSet};

use super::calendar::{add_business_ms, WorkCalendar, DAY_MS, MINUTE_MS};
use super::{Calendar, Holiday, PolicyInput, WorkingHours};
use crate::tickets::PRIORITIES;
use crate::validate::Check;

pub const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
/// A target of at most a year of business minutes.
pub const MAX_TARGET_MINUTES: i64 = 525_600;
pub const MAX_HOLIDAYS: usize = 1000;
/// At risk when less than this share (in percent) of the target is left.
pub const AT_RISK_PERCENT: i64 = 20;

/// `HH:MM` from 00:00 to 24:00, as milliseconds since midnight.
pub fn parse_clock(text: &str) -> Option<i64> {
    let (h, m) = text.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let h: i64 = h.parse().ok()?;
    let m: i64 = m.parse().ok()?;
    if !(0..=24).contains(&h) || !(0..60).contains(&m) || (h == 24 && m != 0) {
        return None;
    }
    Some((h * 60 + m) * MINUTE_MS)
}

pub fn format_clock(ms: i64) -> String {
    let minutes = ms / MINUTE_MS;
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// An instant as local wall-clock time with its offset, e.g. `2026-11-30 09:00 UTC+07:00`.
pub fn format_local(ms: i64, utc_offset_minutes: i64) -> String {
    let local = ms.saturating_add(utc_offset_minutes * MINUTE_MS);
    let (day, time) = (local.div_euclid(DAY_MS), local.rem_euclid(DAY_MS));
    let sign = if utc_offset_minutes < 0 { '-' } else { '+' };
    let off = utc_offset_minutes.abs();
    format!(
        "{} {} UTC{sign}{:02}:{:02}",
        format_date(day),
        format_clock(time),
        off / 60,
        off % 60
    )
}

/// `YYYY-MM-DD` as a day number (days since 1970-01-01).
pub fn parse_date(text: &str) -> Option<i64> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(text.trim(), &fmt).ok()?;
    Some(i64::from(date.to_julian_day()) - 2_440_588)
}

pub fn format_date(day: i64) -> String {
    i32::try_from(day + 2_440_588)
        .ok()
        .and_then(|j| time::Date::from_julian_day(j).ok())
        .map(|d| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()))
        .unwrap_or_default()
}

/// Check a calendar; every problem is reported at once. Returns the calculator's form and the
/// normalised document (days in week order, holidays by date) to store.
pub fn validate(c: &mut Check, input: &Calendar) -> (WorkCalendar, Calendar) {
    if !(-720..=840).contains(&input.utc_offset_minutes) {
        c.fail("utc_offset_minutes", "must be between -720 and 840");
    }
    let mut week: [Option<(i64, i64)>; 7] = [None; 7];
    for h in &input.hours {
        let Some(i) = DAYS.iter().position(|d| *d == h.day.trim().to_lowercase()) else {
            c.fail("hours", "a day must be mon, tue, wed, thu, fri, sat or sun");
            continue;
        };
        let field = format!("hours.{}", DAYS[i]);
        if week[i].is_some() {
            c.fail(&field, "is given twice");
            continue;
        }
        match (parse_clock(&h.start), parse_clock(&h.end)) {
            (Some(s), Some(e)) if s < e && e <= DAY_MS => week[i] = Some((s, e)),
            (Some(_), Some(_)) => c.fail(&field, "must end after it starts"),
            _ => c.fail(&field, "must be times from 00:00 to 24:00"),
        }
    }
    if input.hours.is_empty() {
        c.fail("hours", "needs at least one working day");
    }
    if input.holidays.len() > MAX_HOLIDAYS {
        c.fail("holidays", format!("at most {MAX_HOLIDAYS} holidays"));
    }
    let mut holidays = BTreeSet::new();
    let mut listed = Vec::new();
    for h in input.holidays.iter().take(MAX_HOLIDAYS) {
        match parse_date(&h.date) {
            None => c.fail(
                "holidays",
                format!("{} is not a date (YYYY-MM-DD)", h.date.trim()),
            ),
            Some(day) if !holidays.insert(day) => {
                c.fail("holidays", format!("{} is listed twice", h.date.trim()))
            }
            Some(day) => {
                let name = c.text("holidays", &h.name, 0, 100);
                listed.push((day, name));
            }
        }
    }
    listed.sort();
    let hours = DAYS
        .iter()
        .zip(week.iter())
        .filter_map(|(d, w)| {
            w.map(|(s, e)| WorkingHours {
                day: (*d).to_string(),
                start: format_clock(s),
                end: format_clock(e),
            })
        })
        .collect();
    let doc = Calendar {
        utc_offset_minutes: input.utc_offset_minutes,
        hours,
        holidays: listed
            .into_iter()
            .map(|(day, name)| Holiday {
                date: format_date(day),
                name,
            })
            .collect(),
    };
    let work = WorkCalendar {
        utc_offset_minutes: input.utc_offset_minutes,
        week,
        holidays,
    };
    (work, doc)
}

/// The document form of the default calendar.
pub fn default_calendar() -> Calendar {
    let work = WorkCalendar::default();
    Calendar {
        utc_offset_minutes: work.utc_offset_minutes,
        hours: DAYS
            .iter()
            .zip(work.week.iter())
            .filter_map(|(d, w)| {
                w.map(|(s, e)| WorkingHours {
                    day: (*d).to_string(),
                    start: format_clock(s),
                    end: format_clock(e),
                })
            })
            .collect(),
        holidays: Vec::new(),
    }
}

/// Check a target in business minutes.
pub fn target(c: &mut Check, field: &str, minutes: Option<i64>) -> Option<i64> {
    let m = minutes?;
    if !(1..=MAX_TARGET_MINUTES).contains(&m) {
        c.fail(field, format!("must be between 1 and {MAX_TARGET_MINUTES}"));
        return None;
    }
    Some(m)
}

/// Due and at-risk instants of a target counted from `start`, after `paused_ms` of business
/// time spent paused. `(None, None)` without a target (or when the calendar cannot reach it).
pub fn due_times(
    start: i64,
    minutes: Option<i64>,
    paused_ms: i64,
    cal: &WorkCalendar,
) -> (Option<i64>, Option<i64>) {
    let Some(minutes) = minutes else {
        return (None, None);
    };
    let target = minutes * MINUTE_MS;
    let risk = target - target * AT_RISK_PERCENT / 100;
    (
        add_business_ms(start, target + paused_ms, cal),
        add_business_ms(start, risk + paused_ms, cal),
    )
}

/// The admin page's two forms as typed, by input name: `first_response_minutes.<priority>` and
/// `resolution_minutes.<priority>`; `utc_offset_minutes`, `start.<day>`, `end.<day>` and
/// `holidays` (a line each: the date, then a name). Field errors are named the same way.
pub type FormText = BTreeMap<String, String>;

/// Whole minutes as typed: blank is none; anything else but a whole number is a field error.
fn typed_minutes(c: &mut Check, typed: &FormText, field: &str) -> Option<i64> {
    let text = typed.get(field).map(|t| t.trim()).unwrap_or("");
    if text.is_empty() {
        return None;
    }
    match text.parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            c.fail(field, "must be a whole number of minutes");
            None
        }
    }
}

/// The targets of every priority (by rank) as typed; `target` checks their range.
pub fn typed_policies(c: &mut Check, typed: &FormText) -> Vec<(i64, PolicyInput)> {
    PRIORITIES
        .iter()
        .zip(0_i64..)
        .map(|(p, rank)| {
            let input = PolicyInput {
                first_response_minutes: typed_minutes(
                    c,
                    typed,
                    &format!("first_response_minutes.{p}"),
                ),
                resolution_minutes: typed_minutes(c, typed, &format!("resolution_minutes.{p}")),
            };
            (rank, input)
        })
        .collect()
}

/// The calendar as typed: a day with neither time is a day off; the offset is required;
/// `validate` checks the rest.
pub fn typed_calendar(c: &mut Check, typed: &FormText) -> Calendar {
    let text = |k: &str| {
        typed
            .get(k)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let offset = typed_minutes(c, typed, "utc_offset_minutes");
    if text("utc_offset_minutes").is_empty() {
        c.fail("utc_offset_minutes", "is required");
    }
    let hours = DAYS
        .iter()
        .filter_map(|d| {
            let (start, end) = (text(&format!("start.{d}")), text(&format!("end.{d}")));
            (!start.is_empty() || !end.is_empty()).then(|| WorkingHours {
                day: (*d).to_string(),
                start,
                end,
            })
        })
        .collect();
    let holidays = text("holidays")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (date, name) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            Holiday {
                date: date.to_string(),
                name: name.trim().to_string(),
            }
        })
        .collect();
    Calendar {
        utc_offset_minutes: offset.unwrap_or(420),
        hours,
        holidays,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cal(hours: &[(&str, &str, &str)], holidays: &[&str]) -> Calendar {
        Calendar {
            utc_offset_minutes: 420,
            hours: hours
                .iter()
                .map(|(d, s, e)| WorkingHours {
                    day: d.to_string(),
                    start: s.to_string(),
                    end: e.to_string(),
                })
                .collect(),
            holidays: holidays
                .iter()
                .map(|d| Holiday {
                    date: d.to_string(),
                    name: String::new(),
                })
                .collect(),
        }
    }

    fn errors(input: &Calendar) -> Vec<String> {
        let mut c = Check::new();
        validate(&mut c, input);
        match c.finish() {
            Ok(()) => Vec::new(),
            Err(crate::error::AppError::Invalid(e)) => e.into_iter().map(|e| e.field).collect(),
            Err(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn clock_times_parse_within_a_day() {
        assert_eq!(parse_clock("08:00"), Some(8 * 60 * MINUTE_MS));
        assert_eq!(parse_clock("24:00"), Some(DAY_MS));
        assert_eq!(parse_clock("24:01"), None);
        assert_eq!(parse_clock("25:00"), None);
        assert_eq!(parse_clock("8:60"), None);
        assert_eq!(parse_clock("-1:00"), None);
        assert_eq!(parse_clock("0800"), None);
        assert_eq!(format_clock(DAY_MS), "24:00");
        assert_eq!(
            parse_date("2026-12-25").map(format_date).as_deref(),
            Some("2026-12-25")
        );
        assert_eq!(parse_date("2026-02-30"), None);
        // 2026-11-30 02:00 UTC is 09:00 WIB.
        let ms = 1_796_004_000_000;
        assert_eq!(format_local(ms, 420), "2026-11-30 09:00 UTC+07:00");
        assert_eq!(format_local(ms, -90), "2026-11-30 00:30 UTC-01:30");
    }

    #[test]
    fn bad_calendars_name_their_fields() {
        assert!(errors(&cal(&[("mon", "08:00", "17:00")], &["2026-12-25"])).is_empty());
        assert_eq!(
            errors(&cal(&[("mon", "17:00", "08:00")], &[])),
            ["hours.mon"]
        );
        assert_eq!(
            errors(&cal(&[("mon", "08:00", "25:00")], &[])),
            ["hours.mon"]
        );
        assert_eq!(
            errors(&cal(
                &[("mon", "08:00", "17:00"), ("mon", "09:00", "10:00")],
                &[]
            )),
            ["hours.mon"]
        );
        assert_eq!(errors(&cal(&[("xyz", "08:00", "17:00")], &[])), ["hours"]);
        assert_eq!(errors(&cal(&[], &[])), ["hours"]);
        assert_eq!(
            errors(&cal(
                &[("fri", "08:00", "17:00")],
                &["2026-13-01", "2026-01-01", "2026-01-01"]
            )),
            ["holidays", "holidays"]
        );
    }

    #[test]
    fn at_risk_comes_at_eighty_percent() {
        let work = WorkCalendar {
            utc_offset_minutes: 0,
            week: [Some((0, DAY_MS)); 7],
            holidays: BTreeSet::new(),
        };
        assert_eq!(
            due_times(0, Some(100), 0, &work),
            (Some(100 * MINUTE_MS), Some(80 * MINUTE_MS))
        );
        assert_eq!(due_times(0, None, 0, &work), (None, None));
        assert_eq!(
            due_times(0, Some(100), 5 * MINUTE_MS, &work),
            (Some(105 * MINUTE_MS), Some(85 * MINUTE_MS))
        );
    }

    fn typed(pairs: &[(&str, &str)]) -> FormText {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn fields(c: Check) -> Vec<String> {
        match c.finish() {
            Ok(()) => Vec::new(),
            Err(crate::error::AppError::Invalid(e)) => e.into_iter().map(|e| e.field).collect(),
            Err(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn typed_targets_are_whole_minutes_or_blank() {
        let mut c = Check::new();
        let form = typed(&[
            ("first_response_minutes.high", " 60 "),
            ("resolution_minutes.high", ""),
            ("first_response_minutes.low", "1h"),
        ]);
        let inputs = typed_policies(&mut c, &form);
        assert_eq!(inputs.len(), PRIORITIES.len());
        let high = PRIORITIES.iter().position(|p| *p == "high").unwrap();
        assert_eq!(inputs[high].0, high as i64);
        assert_eq!(inputs[high].1.first_response_minutes, Some(60));
        assert_eq!(inputs[high].1.resolution_minutes, None);
        assert_eq!(fields(c), ["first_response_minutes.low"]);
    }

    #[test]
    fn a_typed_calendar_skips_days_off_and_needs_an_offset() {
        let mut c = Check::new();
        let form = typed(&[
            ("utc_offset_minutes", "420"),
            ("start.mon", "08:00"),
            ("end.mon", "17:00"),
            ("start.tue", ""),
            ("end.tue", ""),
            ("holidays", "2026-12-25 Natal\n\n 2027-01-01\n"),
        ]);
        let cal = typed_calendar(&mut c, &form);
        assert!(fields(c).is_empty());
        assert_eq!(cal.utc_offset_minutes, 420);
        assert_eq!(cal.hours.len(), 1);
        assert_eq!(cal.hours[0].day, "mon");
        let holidays: Vec<_> = cal.holidays.iter().map(|h| (&*h.date, &*h.name)).collect();
        assert_eq!(holidays, [("2026-12-25", "Natal"), ("2027-01-01", "")]);
        let mut c = Check::new();
        typed_calendar(&mut c, &typed(&[("utc_offset_minutes", " ")]));
        assert_eq!(fields(c), ["utc_offset_minutes"]);
        let mut c = Check::new();
        typed_calendar(&mut c, &typed(&[("utc_offset_minutes", "+7h")]));
        assert_eq!(fields(c), ["utc_offset_minutes"]);
    }
}
