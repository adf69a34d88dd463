//! The ticket list as CSV: every page of the current view, streamed, with cells a spreadsheet
//! would run as formulas neutralised. Times are RFC 3339: UTC from the API, with the reader's
//! offset from the list page (so each cell states its zone).

use super::filter::ListQuery;
use super::{service, TicketSummary};
use crate::auth::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::local_time::Zone;
use crate::state::AppState;
use crate::users;

/// A cell that a spreadsheet would run as a formula gets a leading apostrophe.
pub fn csv_cell(value: &str) -> String {
    let neutral = match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_string(),
    };
    if neutral.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral
    }
}

const CSV_HEADER: &str = "id,title,status,priority,requester,assignee,department,category,created_at,updated_at,due_at\n";

/// The current view as CSV, every page of it, with no cap: streamed page by page as the client
/// reads. The first page is read before answering, so a bad filter is still a clear 4xx; a
/// failure later ends the download early (and is logged).
pub async fn export_csv(
    state: &AppState,
    actor: &Actor,
    query: &ListQuery,
    zone: Option<Zone>,
) -> AppResult<impl futures_util::Stream<Item = AppResult<String>> + Send + 'static> {
    use futures_util::StreamExt;
    let mut q = ListQuery {
        limit: Some(crate::api::page::MAX_LIMIT),
        cursor: None,
        ..query.clone()
    };
    let first = service::list(state, actor, &q).await?;
    let mut head = String::from(CSV_HEADER);
    csv_rows(&mut head, &first.items, zone.as_ref());
    q.cursor = first.next_cursor;
    let (state, actor) = (state.clone(), actor.clone());
    let rest = futures_util::stream::unfold(Some(q), move |next| {
        let (state, actor, zone) = (state.clone(), actor.clone(), zone.clone());
        async move {
            let mut q = next?;
            q.cursor.as_ref()?;
            let page = match still_reaches(&state, &actor).await {
                Ok(()) => service::list(&state, &actor, &q).await,
                Err(e) => Err(e),
            };
            match page {
                Ok(page) => {
                    let mut out = String::new();
                    csv_rows(&mut out, &page.items, zone.as_ref());
                    q.cursor = page.next_cursor;
                    Some((Ok(out), Some(q)))
                }
                Err(e) => {
                    tracing::warn!(error = %e, "CSV export ended early");
                    Some((Err(e), None))
                }
            }
        }
    });
    Ok(futures_util::stream::once(async move { Ok(head) }).chain(rest))
}

/// A long download answers to the caller as they are now: disabled, or with another role,
/// permissions or departments, the export ends (403) instead of going on with the old reach.
async fn still_reaches(state: &AppState, actor: &Actor) -> AppResult<()> {
    let mut conn = state.db.pool.acquire().await?;
    let now =
        users::accounts::load_actor(&mut conn, actor.user_id, actor.via.clone(), &actor.ip).await?;
    match now {
        Some(a) if a.same_reach(actor) => Ok(()),
        _ => Err(AppError::Forbidden),
    }
}

/// Append one CSV line per ticket.
fn csv_rows(out: &mut String, items: &[TicketSummary], zone: Option<&Zone>) {
    let time = |ts: &str| match (zone, crate::clock::parse_ms(ts)) {
        (Some(zone), Some(ms)) => zone.rfc3339(ms),
        _ => ts.to_string(),
    };
    for t in items {
        let cells = [
            t.id.to_string(),
            t.title.clone(),
            t.status.clone(),
            t.priority.clone(),
            t.requester_name.clone(),
            t.assignee_name.clone().unwrap_or_default(),
            t.department_name.clone().unwrap_or_default(),
            t.category_name.clone().unwrap_or_default(),
            time(&t.created_at),
            time(&t.updated_at),
            t.due_at.as_deref().map(time).unwrap_or_default(),
        ];
        let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_cannot_become_formulas() {
        assert_eq!(csv_cell("=1+1"), "'=1+1");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("-2"), "'-2");
        assert_eq!(csv_cell("+CMD()"), "'+CMD()");
        assert_eq!(csv_cell("\tx"), "'\tx");
        assert_eq!(csv_cell("\rx"), "\"'\rx\"");
        assert_eq!(csv_cell("a,\"b\""), "\"a,\"\"b\"\"\"");
        assert_eq!(csv_cell("plain"), "plain");
    }
}
