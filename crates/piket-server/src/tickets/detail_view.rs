//! The ticket page as a typed askama template (extends `base.html`): the most viewed page.

use std::collections::BTreeMap;

use askama::Template;

use super::policy::Allowed;
use super::service::Detail;
use crate::attachments::Attachment;
use crate::canned::CannedResponse;
use crate::sla::SlaState;
use crate::web::layout::Shell;

/// The lists a ticket form chooses from.
#[derive(serde::Serialize)]
pub struct Choices {
    pub statuses: &'static [&'static str],
    pub priorities: &'static [&'static str],
    pub departments: Vec<crate::departments::Department>,
    pub categories: Vec<crate::categories::Category>,
    pub assignees: Vec<super::store::Person>,
}

#[derive(Template)]
#[template(path = "tickets/detail.askama.html", escape = "html")]
pub struct DetailView<'a> {
    pub shell: Shell<'a>,
    pub ticket: &'a super::Ticket,
    pub comments: &'a [super::Comment],
    pub history: &'a [super::HistoryEntry],
    pub attachments: &'a [Attachment],
    pub choices: &'a Choices,
    pub canned: &'a [CannedResponse],
    /// The text typed into the reply box (kept when sending failed).
    pub reply: &'a str,
    /// Field errors, already in the reader's language.
    pub errors: &'a BTreeMap<String, String>,
    pub allowed: Allowed,
}

impl<'a> DetailView<'a> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        shell: Shell<'a>,
        d: &'a Detail,
        choices: &'a Choices,
        canned: &'a [CannedResponse],
        reply: &'a str,
        errors: &'a BTreeMap<String, String>,
        allowed: Allowed,
    ) -> Self {
        DetailView {
            shell,
            ticket: &d.ticket,
            comments: &d.comments,
            history: &d.history,
            attachments: &d.attachments,
            choices,
            canned,
            reply,
            errors,
            allowed,
        }
    }

    /// The catalog text for `key` in the reader's language.
    fn t<'k>(&'k self, key: &'k str) -> &'k str {
        self.shell.t(key)
    }

    /// The catalog text for `prefix` + `name` (`status_open`, `history_assignee`).
    fn t2(&self, prefix: &str, name: &str) -> String {
        self.shell.tx(prefix, name)
    }

    /// A history entry's old or new value as the reader reads it: statuses and priorities by
    /// name in the reader's language (the entry stores their codes), other values as stored.
    fn history_value(&self, field: &str, value: &Option<String>) -> String {
        match (field, value.as_deref()) {
            (_, None) => "—".to_string(),
            ("status", Some(code)) => self.t2("status_", code),
            ("priority", Some(code)) => self.t2("priority_", code),
            (_, Some(text)) => text.to_string(),
        }
    }

    /// The SLA badge staff see: its CSS classes and text, when at risk or breached.
    fn sla_badge(&self) -> Option<(&'static str, &str)> {
        match self.ticket.summary.sla_state? {
            SlaState::AtRisk => Some(("warn sla-at_risk", self.t("badge_sla_at_risk"))),
            SlaState::Breached => Some(("danger sla-breached", self.t("badge_sla_breached"))),
            SlaState::Ok => None,
        }
    }

    /// The files on the ticket itself.
    fn ticket_files(&self) -> Vec<&'a Attachment> {
        self.files_of(None)
    }

    /// The files that came with one reply (askama passes arguments by reference).
    fn reply_files(&self, comment_id: &i64) -> Vec<&'a Attachment> {
        self.files_of(Some(*comment_id))
    }

    fn files_of(&self, comment_id: Option<i64>) -> Vec<&'a Attachment> {
        self.attachments
            .iter()
            .filter(|a| a.comment_id == comment_id)
            .collect()
    }
}

/// Whether an optional reference is this id (a `<select>`'s selected option).
pub fn is_id(reference: &Option<i64>, id: &i64) -> bool {
    *reference == Some(*id)
}

/// `2026-11-25T12:34:56Z` as `2026-11-25 12:34`.
pub fn minute(at: &str) -> String {
    at.get(..16).unwrap_or(at).replace('T', " ")
}

/// The date part of an optional timestamp, for a date input.
pub fn day(at: &Option<String>) -> &str {
    at.as_deref()
        .map(|a| a.get(..10).unwrap_or(a))
        .unwrap_or("")
}

/// Whether a history entry shows its old → new values (not for creation, replies, notes, …).
pub fn shows_values(field: &str) -> bool {
    !matches!(
        field,
        "created" | "reply" | "note" | "description" | "sla_escalated"
    )
}

/// A file size as people read it: `512 B`, `1.5 KiB`, `2.0 MiB`.
pub fn file_size(size: &i64) -> String {
    let size = *size;
    let rounded = |v: f64| (v * 10.0).round() / 10.0;
    if size < 1024 {
        format!("{size} B")
    } else if size < 1_048_576 {
        format!("{:.1} KiB", rounded(size as f64 / 1024.0))
    } else {
        format!("{:.1} MiB", rounded(size as f64 / 1_048_576.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Catalog, Locale};

    #[test]
    fn sizes_and_times_read_as_before() {
        assert_eq!(file_size(&512), "512 B");
        assert_eq!(file_size(&1536), "1.5 KiB");
        assert_eq!(file_size(&(2 * 1_048_576)), "2.0 MiB");
        assert_eq!(minute("2026-11-25T12:34:56Z"), "2026-11-25 12:34");
        assert_eq!(minute("short"), "short");
        assert_eq!(day(&Some("2026-11-25T00:00:00Z".into())), "2026-11-25");
        assert_eq!(day(&None), "");
        assert!(shows_values("status") && !shows_values("reply"));
    }

    #[test]
    fn every_text_the_page_names_is_in_both_catalogs() {
        let catalog = Catalog::load().unwrap();
        let source = include_str!("../../templates/tickets/detail.askama.html");
        assert_eq!(catalog.missing_template_keys(source), Vec::<String>::new());
        // And the keys it builds from a prefix and a status or priority.
        for (prefix, names) in [
            ("status_", super::super::STATUSES),
            ("priority_", super::super::PRIORITIES),
        ] {
            for locale in Locale::ALL {
                for name in names {
                    let key = format!("{prefix}{name}");
                    assert!(catalog.keys(locale).contains(&key.as_str()), "{key}");
                }
            }
        }
    }
}
