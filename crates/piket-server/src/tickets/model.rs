//! What a ticket's fields may hold: its status and priority as types, and the checks on what a
//! person sends (title, text, tags, due date) that every write path shares.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::filter::instant;
use crate::validate::Check;

pub const MAX_TITLE: usize = 200;
pub const MAX_TEXT: usize = 20_000;
const MAX_TAGS: usize = 20;
const MAX_TAG_CHARS: usize = 40;

/// A stored value that names no status or priority (the column was changed by hand).
#[derive(Debug)]
pub struct UnknownValue(String);

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown ticket value `{}`", self.0)
    }
}

impl std::error::Error for UnknownValue {}

/// Where a ticket is in its life; `resolved` and `closed` may be reopened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    New,
    Open,
    Pending,
    Resolved,
    Closed,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::New,
        Status::Open,
        Status::Pending,
        Status::Resolved,
        Status::Closed,
    ];
    /// As stored and sent over the API, in lifecycle order.
    pub const NAMES: &'static [&'static str] = &["new", "open", "pending", "resolved", "closed"];

    pub fn as_str(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    pub fn parse(name: &str) -> Option<Status> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Finished work: no longer due, not in "open" views.
    pub fn is_done(self) -> bool {
        matches!(self, Status::Resolved | Status::Closed)
    }

    /// What a requester may do on their own: confirm a resolution, or reopen.
    pub fn requester_may_become(self, next: Status) -> bool {
        matches!(
            (self, next),
            (Status::Resolved, Status::Closed)
                | (Status::Resolved, Status::Open)
                | (Status::Closed, Status::Open)
        )
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for Status {
    type Error = UnknownValue;
    fn try_from(v: String) -> Result<Self, Self::Error> {
        Status::parse(&v).ok_or(UnknownValue(v))
    }
}

/// How urgent a ticket is; stored as its rank (0 = low).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(try_from = "i64")]
pub enum Priority {
    Low,
    Normal,
    High,
    Urgent,
}

impl Priority {
    pub const ALL: [Priority; 4] = [
        Priority::Low,
        Priority::Normal,
        Priority::High,
        Priority::Urgent,
    ];
    /// By rank, as sent over the API.
    pub const NAMES: &'static [&'static str] = &["low", "normal", "high", "urgent"];

    pub fn as_str(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// The stored value.
    pub fn rank(self) -> i64 {
        self as i64
    }

    pub fn parse(name: &str) -> Option<Priority> {
        Self::ALL.into_iter().find(|p| p.as_str() == name)
    }

    pub fn from_rank(rank: i64) -> Option<Priority> {
        usize::try_from(rank)
            .ok()
            .and_then(|i| Self::ALL.get(i).copied())
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<i64> for Priority {
    type Error = UnknownValue;
    fn try_from(v: i64) -> Result<Self, Self::Error> {
        Priority::from_rank(v).ok_or(UnknownValue(v.to_string()))
    }
}

/// A status sent by a client, or the field error.
pub fn status(c: &mut Check, value: &str, default: Status) -> Status {
    Status::parse(value).unwrap_or_else(|| {
        c.fail(
            "status",
            format!("must be one of {}", Status::NAMES.join(", ")),
        );
        default
    })
}

/// A priority sent by a client (absent: `default`), or the field error.
pub fn priority(c: &mut Check, value: Option<&str>, default: Priority) -> Priority {
    match value {
        None => default,
        Some(p) => Priority::parse(p).unwrap_or_else(|| {
            c.fail("priority", "must be low, normal, high or urgent");
            default
        }),
    }
}

pub fn title(c: &mut Check, value: &str) -> String {
    c.text("title", value, 1, MAX_TITLE)
}

pub fn description(c: &mut Check, value: &str) -> String {
    c.text("description", value, 0, MAX_TEXT)
}

/// Tags lower-cased, trimmed, deduplicated and sorted; each up to 40 letters, digits, `-`, `_`
/// or `.`, at most 20.
pub fn tags(c: &mut Check, tags: &[String]) -> Vec<String> {
    let mut out = BTreeSet::new();
    for tag in tags {
        let t = tag.trim().to_lowercase();
        if t.is_empty() {
            continue;
        }
        if t.chars().count() > MAX_TAG_CHARS
            || !t
                .chars()
                .all(|ch| ch.is_alphanumeric() || matches!(ch, '-' | '_' | '.'))
        {
            c.fail("tags", "a tag is up to 40 letters, digits, `-`, `_` or `.`");
            continue;
        }
        out.insert(t);
    }
    if out.len() > MAX_TAGS {
        c.fail("tags", format!("at most {MAX_TAGS} tags"));
    }
    out.into_iter().collect()
}

/// A due date (`YYYY-MM-DD` or RFC 3339) as unix milliseconds; blank is none.
pub fn due(c: &mut Check, value: Option<&str>) -> Option<i64> {
    let v = value.map(str::trim).filter(|v| !v.is_empty())?;
    match instant("due_at", v) {
        Ok(ms) => Some(ms),
        Err(_) => {
            c.fail("due_at", "must be a date (YYYY-MM-DD) or an RFC 3339 time");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_priorities_round_trip_their_stored_form() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
            assert_eq!(Status::try_from(s.to_string()).ok(), Some(s));
        }
        for p in Priority::ALL {
            assert_eq!(Priority::from_rank(p.rank()), Some(p));
            assert_eq!(Priority::parse(p.as_str()), Some(p));
        }
        assert!(Status::parse("Open").is_none());
        assert!(Priority::from_rank(4).is_none() && Priority::from_rank(-1).is_none());
        assert!(Status::Resolved.is_done() && !Status::Pending.is_done());
        assert!(Status::Resolved.requester_may_become(Status::Closed));
        assert!(!Status::Open.requester_may_become(Status::Closed));
    }

    #[test]
    fn tags_are_folded_deduplicated_and_bounded() {
        let mut c = Check::new();
        let got = tags(
            &mut c,
            &[" VPN ".into(), "vpn".into(), "".into(), "a.b".into()],
        );
        assert_eq!(got, vec!["a.b", "vpn"]);
        assert!(c.finish().is_ok());
        let mut c = Check::new();
        tags(&mut c, &["no spaces".into()]);
        assert!(c.finish().is_err());
        let many: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
        let mut c = Check::new();
        tags(&mut c, &many);
        assert!(c.finish().is_err());
    }
}
