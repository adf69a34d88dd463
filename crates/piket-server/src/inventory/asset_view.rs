//! What the asset's read view shows beyond the record (issue #19): the warranty's state on the
//! day of `now`, and who made each history entry, by name (never an email address).

use super::HardwareHistoryEntry;

/// "Expiring" means the warranty ends within this many days (as licences count it).
pub const SOON_DAYS: i64 = 30;

/// The warranty's state, for the flag beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Warranty {
    /// Ended before today.
    Expired,
    /// Ends today or within [`SOON_DAYS`].
    Expiring,
    /// Ends later.
    Valid,
    /// No end date recorded.
    Unknown,
}

impl Warranty {
    /// The code behind the flag's text (`inv_warranty_<code>`) and its `data-warranty`.
    pub fn code(self) -> &'static str {
        match self {
            Warranty::Expired => "expired",
            Warranty::Expiring => "expiring",
            Warranty::Valid => "ok",
            Warranty::Unknown => "unknown",
        }
    }
}

/// The state of a warranty ending on `end` (YYYY-MM-DD) on the UTC day of `now` (unix ms).
pub fn warranty(end: Option<&str>, now: i64) -> Warranty {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let Some(end) = end.and_then(|e| time::Date::parse(e.trim(), &fmt).ok()) else {
        return Warranty::Unknown;
    };
    let today = time::OffsetDateTime::from_unix_timestamp(now.div_euclid(1000))
        .map(|t| t.date())
        .unwrap_or(time::Date::MIN);
    match (end - today).whole_days() {
        d if d < 0 => Warranty::Expired,
        d if d <= SOON_DAYS => Warranty::Expiring,
        _ => Warranty::Valid,
    }
}

/// Who made a history entry, as the page names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who {
    /// A person, by their current name.
    Person(String),
    /// A person whose account is gone (the entry kept only their email address).
    FormerUser,
    /// A collector script reporting for a person (by name, when the account still exists).
    Collector(Option<String>),
    /// An agent or another program, by the label it reported under.
    Program(String),
}

/// One history entry with its author named.
#[derive(Debug, Clone)]
pub struct HistoryLine {
    pub entry: HardwareHistoryEntry,
    pub who: Who,
}

/// The email address in a collector entry's label (`collector (budi@example.com)`).
pub fn collector_email(label: &str) -> Option<&str> {
    label
        .strip_prefix("collector (")
        .and_then(|rest| rest.strip_suffix(')'))
        .filter(|e| e.contains('@'))
}

/// Name the author of `entry`: `person` is the name of the account that made it (joined on its
/// id), `collector` the name of the account a collector entry's address belongs to.
pub fn who(entry: &HardwareHistoryEntry, person: Option<String>, collector: Option<String>) -> Who {
    match entry.source.as_str() {
        "user" => person.map(Who::Person).unwrap_or(Who::FormerUser),
        "collector" => Who::Collector(collector),
        _ if entry.actor_label.contains('@') => person.map(Who::Person).unwrap_or(Who::FormerUser),
        _ => Who::Program(entry.actor_label.clone()),
    }
}

/// An owner as the history stored it (`Name <email>`), by name only.
pub fn without_email(value: &str) -> &str {
    match value.rfind(" <") {
        Some(at) if value.ends_with('>') && value[at..].contains('@') => &value[..at],
        _ => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warranty_is_judged_by_the_utc_day_of_now() {
        // 2026-09-21T14:13:20Z.
        let now = 1_790_000_000_000;
        assert_eq!(warranty(Some("2026-09-20"), now), Warranty::Expired);
        assert_eq!(warranty(Some("2026-09-21"), now), Warranty::Expiring);
        assert_eq!(warranty(Some("2026-10-21"), now), Warranty::Expiring);
        assert_eq!(warranty(Some("2026-10-22"), now), Warranty::Valid);
        assert_eq!(warranty(None, now), Warranty::Unknown);
        assert_eq!(warranty(Some("soon"), now), Warranty::Unknown);
    }

    #[test]
    fn people_are_named_without_their_address() {
        assert_eq!(
            without_email("Budi Santoso <budi@example.com>"),
            "Budi Santoso"
        );
        assert_eq!(without_email("Laptop <x>"), "Laptop <x>");
        assert_eq!(without_email(""), "");
        assert_eq!(
            collector_email("collector (budi@example.com)"),
            Some("budi@example.com")
        );
        assert_eq!(collector_email("piket-agent enr_1"), None);
        let entry = |source: &str, label: &str| HardwareHistoryEntry {
            id: 1,
            at: String::new(),
            source: source.into(),
            actor_id: None,
            actor_label: label.into(),
            field: "name".into(),
            old_value: String::new(),
            new_value: String::new(),
        };
        let e = entry("user", "root@example.com");
        assert_eq!(
            who(&e, Some("Root".into()), None),
            Who::Person("Root".into())
        );
        assert_eq!(who(&e, None, None), Who::FormerUser);
        let c = entry("collector", "collector (budi@example.com)");
        assert_eq!(
            who(&c, None, Some("Budi".into())),
            Who::Collector(Some("Budi".into()))
        );
        let a = entry("agent", "GLPI agent pc-1");
        assert_eq!(who(&a, None, None), Who::Program("GLPI agent pc-1".into()));
    }
}
