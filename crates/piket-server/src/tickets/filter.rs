//! The ticket list's query: filters, sort and keyset cursor, parsed from query parameters (the API
//! and the UI share the same names) into a typed [`Filter`] the store turns into SQL.

use serde::{Deserialize, Serialize};

use super::{Priority, STATUSES};
use crate::api::page::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::clock::parse_ms;
use crate::error::{AppError, AppResult};

/// `GET /api/v1/tickets` and `/tickets` query parameters. Lists are comma-separated.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// e.g. `new,open`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// e.g. `high,urgent`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    /// A department id, or `none`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// A user id, `me`, or `none` (unassigned).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assigned_to: Option<String>,
    /// A user id or `me`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requester: Option<String>,
    /// A category id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// RFC 3339 or `YYYY-MM-DD`; inclusive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_from: Option<String>,
    /// RFC 3339 or `YYYY-MM-DD`; exclusive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_to: Option<String>,
    /// Full-text search over title, description and replies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// A built-in view: `mine`, `unassigned`, `department`, `overdue`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub view: Option<String>,
    /// SLA state: `ok`, `at_risk` or `breached`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sla: Option<String>,
    /// `updated` (default), `created`, `priority`, `id`; prefix `-` for descending…
    /// which is the default, so `updated` means newest first and `+updated` oldest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort: Option<String>,
    /// From the previous page's `next_cursor`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// 1 to 200, default 50.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Updated,
    Created,
    Priority,
    Id,
}

impl SortKey {
    pub fn column(self) -> &'static str {
        match self {
            SortKey::Updated => "t.updated_at",
            SortKey::Created => "t.created_at",
            SortKey::Priority => "t.priority",
            SortKey::Id => "t.id",
        }
    }
}

/// Who a filter refers to when it names a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    User(i64),
    Nobody,
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub statuses: Vec<String>,
    pub priorities: Vec<i64>,
    pub department: Option<Who>,
    pub assignee: Option<Who>,
    pub requester: Option<i64>,
    pub category: Option<i64>,
    pub tag: Option<String>,
    pub created_from: Option<i64>,
    pub created_to: Option<i64>,
    pub updated_from: Option<i64>,
    pub updated_to: Option<i64>,
    /// Due before this instant and not done.
    pub overdue_at: Option<i64>,
    /// Restrict to the caller's departments (the "My department" view).
    pub my_departments: bool,
    /// Tickets in this SLA state at this instant.
    pub sla: Option<(crate::sla::SlaState, i64)>,
    pub q: Option<String>,
    pub sort: Option<(SortKey, bool)>,
    pub cursor: Option<String>,
    pub limit: i64,
    /// Rows to skip when there is no cursor (a page number on the list page; kept small).
    pub offset: i64,
}

impl Filter {
    /// Whether the filter narrows by status alone (or not at all), so the trigger-kept counters
    /// give its total without reading a ticket.
    pub fn is_status_only(&self) -> bool {
        self.priorities.is_empty()
            && self.department.is_none()
            && self.assignee.is_none()
            && self.requester.is_none()
            && self.category.is_none()
            && self.tag.is_none()
            && self.created_from.is_none()
            && self.created_to.is_none()
            && self.updated_from.is_none()
            && self.updated_to.is_none()
            && self.overdue_at.is_none()
            && !self.my_departments
            && self.sla.is_none()
            && self.q.is_none()
    }

    /// Sort key and whether it is descending; newest-updated first by default.
    pub fn order(&self) -> (SortKey, bool) {
        self.sort.unwrap_or((SortKey::Updated, true))
    }
}

fn list(value: &Option<String>) -> Vec<String> {
    value
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn id(field: &str, value: &str) -> AppResult<i64> {
    value
        .parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| AppError::invalid(field, "must be an id"))
}

/// RFC 3339 instant or a `YYYY-MM-DD` date (midnight UTC), as unix milliseconds.
pub fn instant(field: &str, value: &str) -> AppResult<i64> {
    if let Some(ms) = parse_ms(value) {
        return Ok(ms);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(value, format)
        .map(|d| d.midnight().assume_utc().unix_timestamp() * 1000)
        .map_err(|_| AppError::invalid(field, "must be a date (YYYY-MM-DD) or an RFC 3339 time"))
}

impl ListQuery {
    /// The same query with plain dates (`2026-12-07`, from a page's date inputs) read as the
    /// start of that day in the reader's `zone`; RFC 3339 times and anything else pass as they
    /// are (the API's dates stay UTC).
    pub fn dates_in(&self, zone: &crate::local_time::Zone) -> ListQuery {
        let at = |v: &Option<String>| {
            v.as_ref()
                .map(|t| zone.typed_to_utc(t).unwrap_or_else(|| t.clone()))
        };
        ListQuery {
            created_from: at(&self.created_from),
            created_to: at(&self.created_to),
            updated_from: at(&self.updated_from),
            updated_to: at(&self.updated_to),
            ..self.clone()
        }
    }

    /// The query string of this view: its filters and sort, without the page position (cursor
    /// and limit) or empty values. Used for the next-page and export links and by saved views.
    pub fn link(&self) -> String {
        let blank = |v: &Option<String>| v.clone().filter(|v| !v.is_empty());
        let q = ListQuery {
            status: blank(&self.status),
            priority: blank(&self.priority),
            department: blank(&self.department),
            assigned_to: blank(&self.assigned_to),
            requester: blank(&self.requester),
            category: blank(&self.category),
            tag: blank(&self.tag),
            created_from: blank(&self.created_from),
            created_to: blank(&self.created_to),
            updated_from: blank(&self.updated_from),
            updated_to: blank(&self.updated_to),
            q: blank(&self.q),
            view: blank(&self.view),
            sla: blank(&self.sla),
            sort: blank(&self.sort),
            cursor: None,
            limit: None,
        };
        serde_urlencoded::to_string(&q).unwrap_or_default()
    }

    /// The list page's reading of this query: with no status chosen, closed tickets are left
    /// out (the "mine" and "unassigned" views choose their own statuses). The API lists every
    /// status unless asked.
    pub fn with_page_default(&self) -> ListQuery {
        let unset = self.status.as_deref().is_none_or(|s| s.trim().is_empty());
        let own_statuses = matches!(self.view.as_deref(), Some("mine" | "unassigned"));
        if !unset || own_statuses {
            return self.clone();
        }
        ListQuery {
            status: Some("new,open,pending,resolved".into()),
            ..self.clone()
        }
    }

    /// Validate and resolve `me`; `now` places the overdue view.
    pub fn parse(&self, me: i64, now: i64) -> AppResult<Filter> {
        let mut f = Filter::default();
        for s in list(&self.status) {
            if !STATUSES.contains(&s.as_str()) {
                return Err(AppError::invalid("status", format!("unknown status `{s}`")));
            }
            f.statuses.push(s);
        }
        for p in list(&self.priority) {
            let rank = Priority::parse(&p)
                .map(Priority::rank)
                .ok_or_else(|| AppError::invalid("priority", format!("unknown priority `{p}`")))?;
            f.priorities.push(rank);
        }
        f.department = match non_empty(&self.department) {
            None => None,
            Some("none") => Some(Who::Nobody),
            Some(v) => Some(Who::User(id("department", v)?)),
        };
        f.assignee = match non_empty(&self.assigned_to) {
            None => None,
            Some("none") => Some(Who::Nobody),
            Some("me") => Some(Who::User(me)),
            Some(v) => Some(Who::User(id("assigned_to", v)?)),
        };
        f.requester = match non_empty(&self.requester) {
            None => None,
            Some("me") => Some(me),
            Some(v) => Some(id("requester", v)?),
        };
        f.category = non_empty(&self.category)
            .map(|v| id("category", v))
            .transpose()?;
        f.tag = non_empty(&self.tag).map(|t| t.to_lowercase());
        f.created_from = non_empty(&self.created_from)
            .map(|v| instant("created_from", v))
            .transpose()?;
        f.created_to = non_empty(&self.created_to)
            .map(|v| instant("created_to", v))
            .transpose()?;
        f.updated_from = non_empty(&self.updated_from)
            .map(|v| instant("updated_from", v))
            .transpose()?;
        f.updated_to = non_empty(&self.updated_to)
            .map(|v| instant("updated_to", v))
            .transpose()?;
        f.q = non_empty(&self.q).map(str::to_string);
        if f.q.as_deref().is_some_and(|q| q.chars().count() > 200) {
            return Err(AppError::invalid("q", "must be at most 200 characters"));
        }
        match non_empty(&self.view) {
            None => {}
            Some("mine") => {
                f.assignee = Some(Who::User(me));
                if f.statuses.is_empty() {
                    f.statuses = vec!["new".into(), "open".into(), "pending".into()];
                }
            }
            Some("unassigned") => {
                f.assignee = Some(Who::Nobody);
                if f.statuses.is_empty() {
                    f.statuses = vec!["new".into(), "open".into(), "pending".into()];
                }
            }
            Some("department") => f.my_departments = true,
            Some("overdue") => f.overdue_at = Some(now),
            Some(v) => return Err(AppError::invalid("view", format!("unknown view `{v}`"))),
        }
        f.sla = match non_empty(&self.sla) {
            None => None,
            Some("ok") => Some((crate::sla::SlaState::Ok, now)),
            Some("at_risk") => Some((crate::sla::SlaState::AtRisk, now)),
            Some("breached") => Some((crate::sla::SlaState::Breached, now)),
            Some(_) => return Err(AppError::invalid("sla", "must be ok, at_risk or breached")),
        };
        f.sort = match non_empty(&self.sort) {
            None => None,
            Some(s) => {
                let (asc, name) = match s.strip_prefix('+') {
                    Some(rest) => (true, rest),
                    None => (false, s.strip_prefix('-').unwrap_or(s)),
                };
                let key = match name {
                    "updated" => SortKey::Updated,
                    "created" => SortKey::Created,
                    "priority" => SortKey::Priority,
                    "id" => SortKey::Id,
                    _ => return Err(AppError::invalid("sort", format!("unknown sort `{s}`"))),
                };
                Some((key, !asc))
            }
        };
        f.cursor = non_empty(&self.cursor).map(str::to_string);
        f.limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&f.limit) {
            return Err(AppError::invalid(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            ));
        }
        Ok(f)
    }
}

/// A keyset position: the rows after this one (`next_cursor`), or before it (`b…`, the list
/// page's "previous").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    After(i64, i64),
    Before(i64, i64),
}

/// Read a cursor: `value.id` for the rows after it, `bvalue.id` for the rows before it.
pub fn parse_any_cursor(cursor: &str) -> AppResult<Cursor> {
    match cursor.strip_prefix('b') {
        Some(rest) => parse_cursor(rest).map(|(v, id)| Cursor::Before(v, id)),
        None => parse_cursor(cursor).map(|(v, id)| Cursor::After(v, id)),
    }
}

/// The cursor for the rows before this one.
pub fn make_back_cursor(value: i64, id: i64) -> String {
    format!("b{value}.{id}")
}

/// A keyset position: the sort value and the id of the last row shown.
pub fn parse_cursor(cursor: &str) -> AppResult<(i64, i64)> {
    cursor
        .split_once('.')
        .and_then(|(v, id)| Some((v.parse().ok()?, id.parse().ok()?)))
        .ok_or_else(|| AppError::invalid("cursor", "is not a cursor this server issued"))
}

pub fn make_cursor(value: i64, id: i64) -> String {
    format!("{value}.{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_filters_and_resolves_me() {
        let q = ListQuery {
            status: Some("new, open".into()),
            priority: Some("urgent".into()),
            assigned_to: Some("me".into()),
            department: Some("none".into()),
            created_from: Some("2026-01-02".into()),
            sort: Some("+priority".into()),
            ..Default::default()
        };
        let f = q.parse(7, 0).unwrap();
        assert_eq!(f.statuses, vec!["new", "open"]);
        assert_eq!(f.priorities, vec![3]);
        assert_eq!(f.assignee, Some(Who::User(7)));
        assert_eq!(f.department, Some(Who::Nobody));
        assert_eq!(f.created_from, Some(1_767_312_000_000));
        assert_eq!(f.order(), (SortKey::Priority, false));
    }

    #[test]
    fn refuses_unknown_values() {
        for q in [
            ListQuery {
                status: Some("bogus".into()),
                ..Default::default()
            },
            ListQuery {
                assigned_to: Some("x1".into()),
                ..Default::default()
            },
            ListQuery {
                sort: Some("title".into()),
                ..Default::default()
            },
            ListQuery {
                view: Some("all".into()),
                ..Default::default()
            },
            ListQuery {
                limit: Some(0),
                ..Default::default()
            },
            ListQuery {
                created_to: Some("yesterday".into()),
                ..Default::default()
            },
        ] {
            assert!(matches!(q.parse(1, 0), Err(AppError::Invalid(_))), "{q:?}");
        }
        assert!(parse_cursor("12").is_err());
        assert_eq!(parse_cursor(&make_cursor(5, 9)).unwrap(), (5, 9));
        assert_eq!(
            parse_any_cursor(&make_back_cursor(-5, 9)).unwrap(),
            Cursor::Before(-5, 9)
        );
        assert_eq!(
            parse_any_cursor(&make_cursor(5, 9)).unwrap(),
            Cursor::After(5, 9)
        );
        assert!(parse_any_cursor("bx").is_err());
    }
}
