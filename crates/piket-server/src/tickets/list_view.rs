//! The ticket list page's parts beyond the rows: the side panel's views and statuses with their
//! counts, the pager ("1–50 of 1 234", previous, page numbers, next) and the rows' density.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use super::filter::ListQuery;
use super::{service, STATUSES};
use crate::auth::actor::Actor;
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::layout::Shell;

/// An entry of the side panel: where it goes, its words, its count, whether it is the list shown.
pub struct ViewLink {
    /// The query string (without `?`).
    pub query: String,
    pub label: String,
    /// The saved view's id (for its delete button); 0 for the others.
    pub id: i64,
    /// The status it narrows to (the status entries); "" for the others.
    pub key: &'static str,
    pub count: String,
    pub current: bool,
}

/// The list's position and links: "1–50 of 1 234", previous, page numbers, next.
pub struct Pager {
    pub from: i64,
    pub to: i64,
    /// The total, formatted ("1 234", "1 000+"); empty when unknown (a search).
    pub total: String,
    pub prev: Option<String>,
    pub next: Option<String>,
    /// Page numbers with their links (`None` for the current page), where reaching them is cheap.
    pub numbers: Vec<(i64, Option<String>)>,
}

/// Pages reached by number skip at most this many rows (an `OFFSET`); past it, previous and
/// next only.
pub const OFFSET_CAP: i64 = 1000;

/// A count as the side panel and pager show it: digits grouped by a narrow space, "+" past the cap.
pub fn count_text(total: Option<service::Total>) -> String {
    match total {
        None => String::new(),
        Some(service::Total::Exact(n)) => group_digits(n),
        Some(service::Total::AtLeast(n)) => format!("{}+", group_digits(n)),
    }
}

fn group_digits(n: i64) -> String {
    let digits = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

/// The list's density from `?density=` (which the response then remembers in a cookie) or the
/// cookie.
pub fn density(
    state: &AppState,
    asked: Option<&str>,
    headers: &axum::http::HeaderMap,
) -> (bool, Option<String>) {
    use crate::web::cookies;
    match asked {
        Some(d @ ("compact" | "comfortable")) => (
            d == "compact",
            Some(cookies::set(
                &state.config,
                DENSITY_COOKIE,
                d,
                Some(365 * 24 * 3600),
            )),
        ),
        _ => (
            cookies::get(headers, &cookies::name(&state.config, DENSITY_COOKIE)).as_deref()
                == Some("compact"),
            None,
        ),
    }
}

/// Remembers the list's density ("compact" or "comfortable").
pub const DENSITY_COOKIE: &str = "piket_density";

/// The side panel's built-in and saved views, each with its count.
pub async fn side_views(
    state: &AppState,
    actor: &Actor,
    shell: &Shell<'_>,
    link: &str,
    staff: bool,
    every: bool,
) -> AppResult<(Vec<ViewLink>, Vec<ViewLink>)> {
    let mut builtin: Vec<(&str, &str)> = Vec::new();
    if staff {
        builtin.extend([
            ("view=mine", "view_mine"),
            ("view=unassigned", "view_unassigned"),
            ("view=department", "view_department"),
            ("view=overdue", "view_overdue"),
            ("sla=at_risk", "view_sla_at_risk"),
            ("sla=breached", "view_sla_breached"),
        ]);
    }
    builtin.extend([("", "view_active"), (ALL_STATUSES, "view_all")]);
    let saved_views = super::views::list(state, actor).await?;
    let parse = |q: &str| {
        serde_urlencoded::from_str::<ListQuery>(q)
            .ok()
            .map(|q| q.with_page_default())
    };
    let queries: Vec<Option<ListQuery>> = builtin
        .iter()
        .map(|(q, _)| parse(q))
        .chain(saved_views.iter().map(|v| parse(&v.query)))
        .collect();
    let known: Vec<ListQuery> = queries.iter().flatten().cloned().collect();
    let mut totals = service::totals(state, actor, &known, every)
        .await?
        .into_iter();
    let mut counts = queries
        .iter()
        .map(|q| q.as_ref().and_then(|_| totals.next().flatten()));
    let views = builtin
        .iter()
        .map(|(q, key)| ViewLink {
            query: (*q).to_string(),
            label: shell.t(key).to_string(),
            id: 0,
            key: "",
            count: count_text(counts.next().flatten()),
            current: link == *q,
        })
        .collect();
    let saved = saved_views
        .into_iter()
        .map(|v| ViewLink {
            current: link == v.query,
            count: count_text(counts.next().flatten()),
            query: v.query,
            label: v.name,
            id: v.id,
            key: "",
        })
        .collect();
    Ok((views, saved))
}

/// Every side-panel view's count (`every`), for the list page's script: `query → "12"`, kept a
/// few seconds per reader so paging through the queue does not count again each time.
pub async fn view_counts(
    state: &AppState,
    actor: &Actor,
    shell: &Shell<'_>,
) -> AppResult<ViewCounts> {
    let now = state.now();
    let cache = state.parts.get::<ViewCountCache>();
    if let Some(found) = cache.get(actor.user_id, now) {
        return Ok(found);
    }
    let staff = super::policy::is_staff(actor);
    let (views, saved) = side_views(state, actor, shell, "", staff, true).await?;
    let counts: BTreeMap<String, String> = views
        .into_iter()
        .chain(saved)
        .filter(|v| !v.count.is_empty())
        .map(|v| (v.query, v.count))
        .collect();
    let counts = Arc::new(counts);
    cache.put(actor.user_id, now, counts.clone());
    Ok(counts)
}

/// A reader's view counts: `query → "12"`.
pub type ViewCounts = Arc<BTreeMap<String, String>>;

/// The views' counts per reader with when they were counted, for [`VIEW_COUNT_TTL_MS`].
#[derive(Default)]
pub struct ViewCountCache(Mutex<HashMap<i64, (i64, ViewCounts)>>);

/// How long a reader's view counts are reused.
pub const VIEW_COUNT_TTL_MS: i64 = 10_000;

impl ViewCountCache {
    fn get(&self, user: i64, now: i64) -> Option<ViewCounts> {
        let map = self.0.lock().ok()?;
        map.get(&user)
            .filter(|(at, _)| now >= *at && now - *at < VIEW_COUNT_TTL_MS)
            .map(|(_, counts)| counts.clone())
    }

    fn put(&self, user: i64, now: i64, counts: ViewCounts) {
        if let Ok(mut map) = self.0.lock() {
            // Bounded: past this many readers, start over (they were counted recently anyway).
            if map.len() >= 10_000 {
                map.clear();
            }
            map.insert(user, (now, counts));
        }
    }
}

/// Every status, for the "All tickets" view and the status filter's "Any".
pub const ALL_STATUSES: &str = "status=new%2Copen%2Cpending%2Cresolved%2Cclosed";

/// The side panel's statuses: each the active view narrowed to it, counted within that view.
pub async fn status_links(
    state: &AppState,
    actor: &Actor,
    shell: &Shell<'_>,
    query: &ListQuery,
    refused: bool,
) -> AppResult<Vec<ViewLink>> {
    let base = ListQuery {
        status: None,
        cursor: None,
        ..query.clone()
    };
    let (counts, capped) = if refused {
        service::counts_within(state, actor, &ListQuery::default()).await?
    } else {
        service::counts_within(state, actor, &base).await?
    };
    Ok(STATUSES
        .iter()
        .map(|s| {
            let n = counts.get(s);
            let total = if capped {
                service::Total::AtLeast(n)
            } else {
                service::Total::Exact(n)
            };
            let q = ListQuery {
                status: Some((*s).to_string()),
                ..base.clone()
            };
            ViewLink {
                query: q.link(),
                label: shell.tx("status_", s),
                id: 0,
                key: s,
                count: count_text(Some(total)),
                current: query.status.as_deref() == Some(*s),
            }
        })
        .collect())
}

/// Where this page sits and the links around it. Next and previous follow keyset cursors;
/// page numbers are offered while reaching them skips at most [`OFFSET_CAP`] rows.
pub fn pager(queue: &service::Queue, link: &str, number: i64, limit: i64) -> Pager {
    let sep = if link.is_empty() { "" } else { "&" };
    let at = |extra: String| format!("{link}{sep}{extra}");
    let shown = queue.page.items.len() as i64;
    let from = if shown == 0 {
        0
    } else {
        (number - 1) * limit + 1
    };
    let to = if shown == 0 { 0 } else { from + shown - 1 };
    let prev = match (&queue.prev_cursor, number) {
        (None, _) => None,
        (Some(_), n) if n <= 2 => Some(link.to_string()),
        (Some(c), n) => Some(at(format!("cursor={}&page={}", urlencode(c), n - 1))),
    };
    let next = queue
        .page
        .next_cursor
        .as_ref()
        .map(|c| at(format!("cursor={}&page={}", urlencode(c), number + 1)));
    let mut numbers = Vec::new();
    if let Some(service::Total::Exact(total)) = queue.total {
        let last = (total + limit - 1) / limit.max(1);
        let cheap = cheap_pages(limit);
        if last > 1 {
            for n in 1..=last.min(cheap) {
                let near = n == 1 || n == last || (n - number).abs() <= 2;
                if !near {
                    if numbers.last().is_some_and(|(p, _)| *p != 0) {
                        numbers.push((0, None));
                    }
                    continue;
                }
                let href = if n == number {
                    None
                } else if n == 1 {
                    Some(link.to_string())
                } else {
                    Some(at(format!("page={n}")))
                };
                numbers.push((n, href));
            }
        }
    }
    Pager {
        from,
        to,
        total: count_text(queue.total),
        prev,
        next,
        numbers,
    }
}

/// The pages reached by number: those skipping at most [`OFFSET_CAP`] rows.
pub fn cheap_pages(limit: i64) -> i64 {
    OFFSET_CAP / limit.max(1) + 1
}

pub fn urlencode(text: &str) -> String {
    serde_urlencoded::to_string([("", text)])
        .unwrap_or_default()
        .trim_start_matches('=')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_group_their_digits_and_say_when_counting_stopped() {
        assert_eq!(count_text(Some(service::Total::Exact(7))), "7");
        assert_eq!(
            count_text(Some(service::Total::Exact(1234))),
            "1\u{202f}234"
        );
        assert_eq!(
            count_text(Some(service::Total::AtLeast(1000))),
            "1\u{202f}000+"
        );
        assert_eq!(count_text(None), "");
        assert_eq!(group_digits(1_234_567), "1\u{202f}234\u{202f}567");
    }
}
