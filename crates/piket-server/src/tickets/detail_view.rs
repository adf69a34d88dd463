//! The ticket page as a typed askama template (extends `base.html`): the most viewed page.

use std::collections::BTreeMap;

use askama::Template;

use super::policy::Allowed;
use super::service::{Detail, RequesterContext};
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
    /// The requester beside the conversation (staff only).
    pub context: Option<&'a RequesterContext>,
    /// The reader.
    pub me: i64,
    /// When the draft in the reply box was kept on the server (unix ms; 0 for none), so the
    /// page's script keeps whichever of it and the browser's copy is newer.
    pub draft_at: i64,
    /// The machine a desktop report came from (staff only).
    pub machine: Option<&'a super::machine::Machine>,
    /// The mails that reached this ticket (`mail::service::of_opened_ticket`).
    pub mails: &'a [crate::mail::Received],
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
            context: None,
            me: 0,
            draft_at: 0,
            machine: d.machine.as_ref(),
            mails: &[],
        }
    }

    /// With the mails that reached the ticket.
    pub fn with_mails(mut self, mails: &'a [crate::mail::Received]) -> Self {
        self.mails = mails;
        self
    }

    /// The mail a reply came in, if it came by email.
    fn mail_of(&self, comment: &i64) -> Option<&crate::mail::Received> {
        self.mails.iter().find(|m| m.comment_id == Some(*comment))
    }

    /// The mail that opened the ticket, if one did.
    fn opening_mail(&self) -> Option<&crate::mail::Received> {
        self.mails
            .iter()
            .find(|m| m.outcome == "ticket" && m.comment_id.is_none())
    }

    /// With the requester's context, the reader's id and the time of the draft shown.
    pub fn with_context(
        mut self,
        context: Option<&'a RequesterContext>,
        me: i64,
        draft_at: i64,
    ) -> Self {
        self.context = context;
        self.me = me;
        self.draft_at = draft_at;
        self
    }

    /// "Assign to me" is offered to staff who may assign, when the ticket is not theirs yet.
    fn may_assign_me(&self) -> bool {
        self.allowed.staff
            && self.allowed.may_assign
            && self.ticket.summary.assignee_id != Some(self.me)
            && self.choices.assignees.iter().any(|p| p.id == self.me)
    }

    /// Whether a reply was written by the ticket's requester (shown apart from staff's).
    fn by_requester(&self, author: &Option<i64>) -> bool {
        *author == Some(self.ticket.summary.requester_id)
    }

    /// The names of departments by id (unknown ids left out).
    fn department_names(&self, ids: &[i64]) -> String {
        department_names(&self.choices.departments, ids)
    }

    /// A history entry's value in words: statuses and priorities by their names in the reader's
    /// language, times to the minute, anything else (names, tags) as recorded.
    fn history_value(&self, field: &str, value: &Option<String>) -> String {
        match value.as_deref() {
            None | Some("") => "—".into(),
            Some(v) => match field {
                "status" => self.t2("status_", v),
                "priority" => self.t2("priority_", v),
                "due_at" => self.shell.minute(v),
                _ => v.to_string(),
            },
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

/// The requester's context alone (`GET /tickets/{id}/context`), which the ticket page's script
/// fetches after the page so the page itself costs no more reads (issue #19).
#[derive(Template)]
#[template(path = "tickets/context.html", escape = "html")]
pub struct ContextFragment<'a> {
    pub shell: Shell<'a>,
    pub ctx: &'a RequesterContext,
    pub requester_name: &'a str,
    pub can_read_inventory: bool,
    pub departments: &'a [crate::departments::Department],
}

impl ContextFragment<'_> {
    fn t<'k>(&'k self, key: &'k str) -> &'k str {
        self.shell.t(key)
    }

    fn t2(&self, prefix: &str, name: &str) -> String {
        self.shell.tx(prefix, name)
    }

    fn department_names(&self, ids: &[i64]) -> String {
        department_names(self.departments, ids)
    }
}

/// The names of departments by id (unknown ids left out), or "—".
fn department_names(all: &[crate::departments::Department], ids: &[i64]) -> String {
    let names: Vec<&str> = ids
        .iter()
        .filter_map(|id| all.iter().find(|d| d.id == *id))
        .map(|d| d.name.as_str())
        .collect();
    if names.is_empty() {
        "—".into()
    } else {
        names.join(", ")
    }
}

/// Whether an optional reference is this id (a `<select>`'s selected option).
pub fn is_id(reference: &Option<i64>, id: &i64) -> bool {
    *reference == Some(*id)
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
