//! Business time: a pure calculator over a working-hours calendar with holidays and a fixed UTC
//! offset (no time-zone database). All loops are bounded, so hostile input cannot hang a node.

use std::collections::BTreeSet;

pub const MINUTE_MS: i64 = 60_000;
pub const DAY_MS: i64 = 86_400_000;
/// How many days the calculator walks before it gives up (about 30 years).
const MAX_DAYS: i64 = 11_000;

/// A working-hours calendar, ready to compute with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkCalendar {
    /// Local time = UTC + this many minutes (WIB is +420).
    pub utc_offset_minutes: i64,
    /// Working hours per weekday, Monday first, as milliseconds since local midnight
    /// (`start < end <= DAY_MS`); `None` is a day off.
    pub week: [Option<(i64, i64)>; 7],
    /// Days off, as days since 1970-01-01 in local time.
    pub holidays: BTreeSet<i64>,
}

impl Default for WorkCalendar {
    /// Monday to Friday, 08:00 to 17:00 WIB, no holidays.
    fn default() -> Self {
        let day = Some((8 * 60 * MINUTE_MS, 17 * 60 * MINUTE_MS));
        WorkCalendar {
            utc_offset_minutes: 420,
            week: [day, day, day, day, day, None, None],
            holidays: BTreeSet::new(),
        }
    }
}

/// Monday = 0: 1970-01-01 (day 0) was a Thursday.
pub fn weekday(day: i64) -> usize {
    (day + 3).rem_euclid(7) as usize
}

impl WorkCalendar {
    fn offset_ms(&self) -> i64 {
        self.utc_offset_minutes * MINUTE_MS
    }

    /// Business milliseconds in a week without holidays.
    pub fn week_ms(&self) -> i64 {
        self.week.iter().flatten().map(|(s, e)| e - s).sum()
    }

    /// Working hours of a local day, as local-millisecond bounds; `None` when off.
    fn hours_on(&self, day: i64) -> Option<(i64, i64)> {
        if self.holidays.contains(&day) {
            return None;
        }
        let (s, e) = self.week[weekday(day)]?;
        let base = day.checked_mul(DAY_MS)?;
        Some((base.checked_add(s)?, base.checked_add(e)?))
    }

    fn holiday_within(&self, from_day: i64, days: i64) -> bool {
        self.holidays
            .range(from_day..from_day + days)
            .next()
            .is_some()
    }
}

/// The instant `duration` business milliseconds after `start`. A zero or negative duration is
/// `start` itself. `None` when the calendar has no working time, or the answer lies beyond about
/// thirty years of calendar.
pub fn add_business_ms(start: i64, duration: i64, cal: &WorkCalendar) -> Option<i64> {
    if duration <= 0 {
        return Some(start);
    }
    let week = cal.week_ms();
    if week <= 0 {
        return None;
    }
    let off = cal.offset_ms();
    let mut local = start.checked_add(off)?;
    let mut left = duration;
    let mut day = local.div_euclid(DAY_MS);
    let last_day = day.checked_add(MAX_DAYS)?;
    while day <= last_day {
        let day_start = day.checked_mul(DAY_MS)?;
        // A whole week without holidays is worth exactly `week`: skip it in one step.
        if local == day_start && left > week && !cal.holiday_within(day, 7) {
            left -= week;
            day += 7;
            local = day.checked_mul(DAY_MS)?;
            continue;
        }
        if let Some((open, close)) = cal.hours_on(day) {
            let from = local.max(open);
            if from < close {
                let available = close - from;
                if left <= available {
                    return (from + left).checked_sub(off);
                }
                left -= available;
            }
        }
        day += 1;
        local = day.checked_mul(DAY_MS)?;
    }
    None
}

/// Business milliseconds from `a` to `b` (zero when `b` is not after `a`). Spans longer than
/// about thirty years count only their first thirty years.
pub fn business_ms_between(a: i64, b: i64, cal: &WorkCalendar) -> i64 {
    if b <= a {
        return 0;
    }
    let off = cal.offset_ms();
    let (Some(mut local), Some(end)) = (a.checked_add(off), b.checked_add(off)) else {
        return 0;
    };
    let week = cal.week_ms();
    let mut total: i64 = 0;
    let mut day = local.div_euclid(DAY_MS);
    let last_day = day.saturating_add(MAX_DAYS);
    while day <= last_day && local < end {
        let Some(day_start) = day.checked_mul(DAY_MS) else {
            break;
        };
        let week_end = day_start.saturating_add(7 * DAY_MS);
        if local == day_start && week_end <= end && !cal.holiday_within(day, 7) {
            total = total.saturating_add(week);
            day += 7;
            local = week_end;
            continue;
        }
        if let Some((open, close)) = cal.hours_on(day) {
            let from = local.max(open);
            let to = end.min(close);
            if from < to {
                total = total.saturating_add(to - from);
            }
        }
        day += 1;
        local = day.saturating_mul(DAY_MS);
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 60 * MINUTE_MS;

    /// Unix ms of a WIB (UTC+7) wall-clock time.
    fn wib(y: i32, m: u8, d: u8, h: u8, min: u8) -> i64 {
        let date = time::Date::from_calendar_date(y, time::Month::try_from(m).unwrap(), d).unwrap();
        let t = time::Time::from_hms(h, min, 0).unwrap();
        let utc = time::PrimitiveDateTime::new(date, t).assume_utc();
        utc.unix_timestamp() * 1000 - 7 * HOUR
    }

    fn day_number(y: i32, m: u8, d: u8) -> i64 {
        let date = time::Date::from_calendar_date(y, time::Month::try_from(m).unwrap(), d).unwrap();
        i64::from(date.to_julian_day() - 2_440_588)
    }

    fn cal() -> WorkCalendar {
        WorkCalendar::default()
    }

    // 2026-11-27 is a Friday; 2026-11-30 a Monday.
    #[test]
    fn weekdays_are_counted_from_monday() {
        assert_eq!(weekday(day_number(2026, 11, 30)), 0);
        assert_eq!(weekday(day_number(2026, 11, 27)), 4);
        assert_eq!(weekday(0), 3);
    }

    #[test]
    fn friday_afternoon_rolls_over_the_weekend() {
        let start = wib(2026, 11, 27, 16, 0);
        assert_eq!(
            add_business_ms(start, 2 * HOUR, &cal()),
            Some(wib(2026, 11, 30, 9, 0))
        );
        assert_eq!(
            business_ms_between(start, wib(2026, 11, 30, 9, 0), &cal()),
            2 * HOUR
        );
    }

    #[test]
    fn exact_boundaries_stay_on_the_same_day() {
        let c = cal();
        // Ending exactly at closing time is that day, not the next morning.
        assert_eq!(
            add_business_ms(wib(2026, 11, 27, 16, 0), HOUR, &c),
            Some(wib(2026, 11, 27, 17, 0))
        );
        // Starting exactly at opening time.
        assert_eq!(
            add_business_ms(wib(2026, 11, 30, 8, 0), 9 * HOUR, &c),
            Some(wib(2026, 11, 30, 17, 0))
        );
        assert_eq!(
            add_business_ms(wib(2026, 11, 30, 8, 0), 9 * HOUR + 1, &c),
            Some(wib(2026, 12, 1, 8, 0) + 1)
        );
        assert_eq!(
            add_business_ms(wib(2026, 11, 30, 8, 0), 0, &c),
            Some(wib(2026, 11, 30, 8, 0))
        );
    }

    #[test]
    fn times_outside_hours_start_at_the_next_opening() {
        let c = cal();
        // Before opening.
        assert_eq!(
            add_business_ms(wib(2026, 11, 30, 5, 30), HOUR, &c),
            Some(wib(2026, 11, 30, 9, 0))
        );
        // After closing.
        assert_eq!(
            add_business_ms(wib(2026, 11, 30, 20, 0), HOUR, &c),
            Some(wib(2026, 12, 1, 9, 0))
        );
        // On a Saturday.
        assert_eq!(
            add_business_ms(wib(2026, 11, 28, 12, 0), 30 * MINUTE_MS, &c),
            Some(wib(2026, 11, 30, 8, 30))
        );
        assert_eq!(
            business_ms_between(wib(2026, 11, 28, 0, 0), wib(2026, 11, 29, 23, 0), &c),
            0
        );
        assert_eq!(
            business_ms_between(wib(2026, 11, 30, 6, 0), wib(2026, 11, 30, 20, 0), &c),
            9 * HOUR
        );
    }

    #[test]
    fn holidays_are_skipped() {
        let mut c = cal();
        c.holidays.insert(day_number(2026, 11, 30));
        assert_eq!(
            add_business_ms(wib(2026, 11, 27, 16, 0), 2 * HOUR, &c),
            Some(wib(2026, 12, 1, 9, 0))
        );
        assert_eq!(
            business_ms_between(wib(2026, 11, 27, 16, 0), wib(2026, 12, 1, 9, 0), &c),
            2 * HOUR
        );
    }

    #[test]
    fn multi_week_spans_match_day_by_day_counting() {
        let mut c = cal();
        c.holidays.insert(day_number(2026, 12, 25));
        c.holidays.insert(day_number(2027, 1, 1));
        let start = wib(2026, 11, 27, 10, 15);
        // 30 business days of 9 hours, across two holidays.
        let due = add_business_ms(start, 30 * 9 * HOUR, &c).unwrap();
        assert_eq!(business_ms_between(start, due, &c), 30 * 9 * HOUR);
        // 2026-11-27 + 30 working days (Friday 10:15 keeps its time): 6 weeks = 30 days
        // without holidays would be Friday 2027-01-08; two holidays push it to Tuesday.
        assert_eq!(due, wib(2027, 1, 12, 10, 15));
        // Round trip over many starting points.
        for i in 0..200 {
            let s = start + i * 37 * MINUTE_MS * 11;
            for d in [1, 59 * MINUTE_MS, 9 * HOUR, 45 * HOUR + 7, 200 * HOUR] {
                let end = add_business_ms(s, d, &c).unwrap();
                assert_eq!(business_ms_between(s, end, &c), d, "start {s} duration {d}");
            }
        }
    }

    #[test]
    fn a_pause_moves_the_due_time_by_the_business_time_paused() {
        let c = cal();
        let created = wib(2026, 11, 30, 9, 0);
        let due = add_business_ms(created, 4 * HOUR, &c).unwrap();
        assert_eq!(due, wib(2026, 11, 30, 13, 0));
        // Pending from 10:00 to the next day 10:00: 9 business hours paused.
        let paused = business_ms_between(wib(2026, 11, 30, 10, 0), wib(2026, 12, 1, 10, 0), &c);
        assert_eq!(paused, 9 * HOUR);
        assert_eq!(
            add_business_ms(due, paused, &c),
            Some(wib(2026, 12, 1, 13, 0))
        );
        // Paused over a weekend only: nothing moves.
        let weekend = business_ms_between(wib(2026, 11, 27, 18, 0), wib(2026, 11, 30, 7, 0), &c);
        assert_eq!(weekend, 0);
    }

    #[test]
    fn other_offsets_and_overnight_days() {
        let c = WorkCalendar {
            utc_offset_minutes: 0,
            week: [Some((0, DAY_MS)); 7],
            holidays: BTreeSet::new(),
        };
        // Round the clock: business time is wall time.
        assert_eq!(
            add_business_ms(1_000, 5 * DAY_MS, &c),
            Some(1_000 + 5 * DAY_MS)
        );
        assert_eq!(
            business_ms_between(1_000, 1_000 + 40 * DAY_MS, &c),
            40 * DAY_MS
        );
    }

    #[test]
    fn hostile_input_ends_quickly() {
        let none = WorkCalendar {
            week: [None; 7],
            ..cal()
        };
        assert_eq!(add_business_ms(0, HOUR, &none), None);
        assert_eq!(business_ms_between(0, i64::MAX, &none), 0);
        // Every day a holiday for decades: gives up instead of walking forever.
        let mut all_off = cal();
        for d in 0..12_000 {
            all_off.holidays.insert(d);
        }
        assert_eq!(add_business_ms(0, HOUR, &all_off), None);
        assert_eq!(add_business_ms(i64::MAX - 1, HOUR, &cal()), None);
        assert_eq!(add_business_ms(i64::MIN, HOUR, &cal()), None);
        assert!(business_ms_between(i64::MIN, i64::MAX, &cal()) >= 0);
        // A duration far beyond the horizon.
        assert_eq!(add_business_ms(0, i64::MAX, &cal()), None);
    }
}
