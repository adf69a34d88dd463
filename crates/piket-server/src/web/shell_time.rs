//! Times on pages (issue #19), as the shell's methods: every time in the reader's zone, in one
//! format (`2026-12-07 14:38`), relative ("3 h ago") where a list is scanned, the exact time with
//! its zone on hover. Templates write `{{ shell.at(x)|safe }}` or `{{ shell.ago(x)|safe }}`: the
//! markup holds only what these functions format, never the stored text itself.

use super::layout::Shell;
use crate::clock::{format_ms, parse_ms};
use crate::local_time::relative;

impl Shell<'_> {
    /// A time in full (HTML): local minute, exact with zone on hover.
    pub fn at(&self, ts: &str) -> String {
        match parse_ms(ts) {
            Some(ms) => self.time_tag(ms, &self.zone.minute(ms)),
            None => "—".into(),
        }
    }

    /// An optional time in full, or "—".
    pub fn at_opt(&self, ts: &Option<String>) -> String {
        ts.as_deref().map_or_else(|| "—".into(), |t| self.at(t))
    }

    /// A time in unix milliseconds, in full.
    pub fn at_ms(&self, ms: &i64) -> String {
        self.time_tag(*ms, &self.zone.minute(*ms))
    }

    /// A time in a list (HTML): how long ago or until, the local minute past a week; the exact
    /// time with zone on hover.
    pub fn ago(&self, ts: &str) -> String {
        match parse_ms(ts) {
            Some(ms) => self.time_tag(ms, &self.relative_text(ms)),
            None => "—".into(),
        }
    }

    /// A time in unix milliseconds in a list (see [`Self::ago`]).
    pub fn ago_ms(&self, ms: &i64) -> String {
        self.time_tag(*ms, &self.relative_text(*ms))
    }

    /// An optional time in a list, or "—".
    pub fn ago_opt(&self, ts: &Option<String>) -> String {
        ts.as_deref().map_or_else(|| "—".into(), |t| self.ago(t))
    }

    /// A time as plain text in the one format (for history values and notices).
    pub fn minute(&self, ts: &str) -> String {
        parse_ms(ts).map_or_else(|| ts.to_string(), |ms| self.zone.minute(ms))
    }

    /// The local date of an optional time, for a date input ("" when none).
    pub fn date_of(&self, ts: &Option<String>) -> String {
        ts.as_deref()
            .and_then(parse_ms)
            .map(|ms| self.zone.date(ms))
            .unwrap_or_default()
    }

    /// The reader's zone by name (`Asia/Jakarta`).
    pub fn zone_name(&self) -> &str {
        self.zone.name()
    }

    fn relative_text(&self, ms: i64) -> String {
        match relative(ms, self.now_ms) {
            Some((key, n)) => self.t(key).replace("{n}", &n.to_string()),
            None => self.zone.minute(ms),
        }
    }

    fn time_tag(&self, ms: i64, text: &str) -> String {
        format!(
            "<time datetime=\"{}\" title=\"{}\">{}</time>",
            format_ms(ms),
            escape(&self.zone.exact(ms)),
            escape(text)
        )
    }
}

/// Text safe inside an attribute or element (the catalog's words and zone abbreviations are
/// ours, but a translator's quote must not end the attribute).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
