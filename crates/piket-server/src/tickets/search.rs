//! Full-text search over tickets, the one place the two backends differ: SQLite FTS5 and
//! PostgreSQL tsvector sit behind the same three functions. The index is written in the same
//! transaction as the change it reflects. Internal notes are indexed apart and only matched
//! (and only shown in snippets) for staff.

use std::collections::HashMap;

use sqlx::AnyConnection;

pub use super::search_plan::{
    block_lexeme, index_stats, plan, window_word, IndexStats, Plan, BLOCK, WIDER,
};
use super::search_plan::{pg_key, pg_match, pg_window_match};
pub use super::search_query::SearchQuery;
use super::store::{self, TicketRow};
use crate::db::sql::{Arg, Sql};
use crate::db::Backend;
use crate::error::{AppError, AppResult};

/// PostgreSQL only: the search index's statistics, briefly, for the plan choice.
pub type IndexStatsCache = crate::refcache::RefCache<IndexStats>;

/// Marks a match inside a snippet; the text itself never holds control characters
/// (validation refuses them), so the markers cannot be forged.
pub const MARK_START: char = '\u{2}';
pub const MARK_END: char = '\u{3}';

/// Rebuild the index entry of one ticket from its title, description, comments and machine block.
pub async fn reindex(conn: &mut AnyConnection, backend: Backend, ticket_id: i64) -> AppResult<()> {
    let Some((title, description, source)): Option<(String, String, String)> =
        sqlx::query_as("SELECT title, description, source FROM tickets WHERE id = $1")
            .bind(ticket_id)
            .fetch_optional(&mut *conn)
            .await?
    else {
        return Ok(());
    };
    let (public, mut internal) = super::comments::texts(conn, ticket_id).await?;
    // The machine a desktop report came from: staff find it, like notes. Only desktop tickets
    // have one, so other tickets' re-indexing (every reply) costs no extra query.
    let machine = if source == "desktop" {
        super::machine_store::get(conn, ticket_id).await?
    } else {
        None
    };
    if let Some(m) = machine {
        internal.push('\n');
        internal.push_str(&super::machine::search_text(&m));
    }
    let body = format!("{description}\n{public}");
    match backend {
        Backend::Sqlite => {
            sqlx::query("DELETE FROM ticket_search WHERE rowid = $1")
                .bind(ticket_id)
                .execute(&mut *conn)
                .await?;
            sqlx::query(
                "INSERT INTO ticket_search (rowid, title, body, notes) VALUES ($1, $2, $3, $4)",
            )
            .bind(ticket_id)
            .bind(title)
            .bind(body)
            .bind(internal)
            .execute(&mut *conn)
            .await?;
        }
        Backend::Postgres => {
            let mut sql =
                Sql::new("INSERT INTO ticket_search (ticket_id, public_doc, all_doc) VALUES ");
            pg_document(&mut sql, ticket_id, &title, &body, &internal);
            sql.push(
                " ON CONFLICT (ticket_id) DO UPDATE SET public_doc = EXCLUDED.public_doc, \
                 all_doc = EXCLUDED.all_doc",
            );
            sql.query().execute(&mut *conn).await?;
        }
    }
    Ok(())
}

/// PostgreSQL: the `(ticket_id, public_doc, all_doc)` row of one ticket's search documents:
/// the title (weight A), the description and public replies, the internal notes (in `all_doc`
/// only) and the ticket's block lexeme ([`block_lexeme`]). The seeder builds rows with it too.
pub fn pg_document(sql: &mut Sql, ticket_id: i64, title: &str, public: &str, notes: &str) {
    let public_doc = |sql: &mut Sql| {
        sql.push("setweight(to_tsvector('simple', ")
            .bind(Arg::Text(title.to_string()))
            .push("), 'A') || to_tsvector('simple', ")
            .bind(Arg::Text(public.to_string()))
            .push(") || array_to_tsvector(ARRAY[")
            .bind(Arg::Text(block_lexeme(ticket_id)))
            .push("])");
    };
    sql.push("(").bind(Arg::Int(ticket_id)).push(", ");
    public_doc(sql);
    sql.push(", ");
    public_doc(sql);
    sql.push(" || to_tsvector('simple', ")
        .bind(Arg::Text(notes.to_string()))
        .push("))");
}

/// FTS5's expression for `query`; requesters match only the title and the public body.
fn fts5_match(query: &SearchQuery, staff: bool) -> String {
    if staff {
        query.fts5()
    } else {
        format!("{{title body}} : ({})", query.fts5())
    }
}

/// The head of the query for matches past the ranked ones: `tickets t` joined to the matches
/// of `query`, selecting `id` (and on SQLite a `score`, unused). The caller appends scope and
/// filters, then hands it to [`older`] with the same `index_first`.
pub fn candidates_head(
    backend: Backend,
    query: &SearchQuery,
    staff: bool,
    index_first: bool,
) -> Option<Sql> {
    if query.is_empty() {
        return None;
    }
    match backend {
        Backend::Sqlite => {
            let mut sql = Sql::new(
                "SELECT t.id AS id, -bm25(ticket_search, 10.0, 4.0, 2.0) AS score \
                 FROM ticket_search JOIN tickets t ON t.id = ticket_search.rowid \
                 WHERE ticket_search MATCH ",
            );
            sql.bind(Arg::Text(fts5_match(query, staff)));
            Some(sql)
        }
        Backend::Postgres => {
            let mut sql = Sql::new(
                "SELECT t.id AS id FROM ticket_search s JOIN tickets t ON t.id = s.ticket_id WHERE ",
            );
            pg_match(&mut sql, &query.tsquery(), staff, index_first);
            Some(sql)
        }
    }
}

/// Newest first, older than `before`, at most `limit`. On SQLite the order must
/// name the FTS table's own rowid: FTS5 then walks its index backwards and stops at `limit`,
/// where ordering by `t.id` would rank every match first (2 s instead of 5 ms for a word in a
/// quarter of a million tickets).
fn newest_first(sql: &mut Sql, backend: Backend, index_first: bool, before: i64, limit: i64) {
    let (key, order) = match backend {
        Backend::Sqlite => ("ticket_search.rowid", "ticket_search.rowid"),
        Backend::Postgres => ("s.ticket_id", pg_key(index_first)),
    };
    sql.push(" AND ")
        .push(key)
        .push(" < ")
        .bind(Arg::Int(before));
    sql.push(" ORDER BY ")
        .push(order)
        .push(" DESC LIMIT ")
        .bind(Arg::Int(limit));
}

/// Candidates are dense when the newest `cap` matches lie within the newest `cap × DENSE_SPAN`
/// tickets (a word in a fifth of them or more). Relevance means little there, and costs the
/// most (FTS5's `bm25` first counts every document holding each word: 3.5 ms for one in a
/// quarter of a million tickets), so dense candidates are listed newest first, unranked.
pub const DENSE_SPAN: i64 = 5;

/// One page of the ranked phase of a search.
pub struct RankedPage {
    /// The page's tickets, best first (relevance, then newest); dense candidates all tie.
    pub rows: Vec<TicketRow>,
    /// How many of the considered matches the caller may see (all pages of this phase).
    pub visible: i64,
    /// How many matches were considered: the newest, at most the cap, before scope and filters.
    pub considered: i64,
    /// The oldest ticket considered; older matches follow by recency.
    pub oldest: Option<i64>,
    /// PostgreSQL: the newest tickets' window held fewer than the cap of matches, so the
    /// search looked further back (see [`ranked_page`]).
    pub widened: bool,
}

/// Rank the newest `cap` matches of `query` (by recency when they are dense, see [`DENSE_SPAN`]),
/// keep those `narrow` (scope and filters on `t`) lets through, and return the page at
/// `offset`, `limit` long, with the ticket rows: one statement and one row. The candidates
/// are taken from the index alone (no join the planner could misjudge); the page's tickets
/// come back as one JSON array (each row through the driver costs more than the ranking).
///
/// On SQLite the density check is a second, unscored walk of the same index inside the
/// statement: `bm25` is then never called for dense candidates. PostgreSQL ranks only the
/// rows kept, and always takes its candidates through the GIN index: with `plan.index_first`
/// (a rare word) every match, sorted; otherwise first only among the newest `plan.span`
/// tickets ([`pg_window_match`]), and when fewer than `cap` match there, again among
/// [`WIDER`] times as many, then every match, so the candidates are the newest `cap` matches
/// either way. `None` when `query` is empty.
#[allow(clippy::too_many_arguments)]
pub async fn ranked_page(
    conn: &mut AnyConnection,
    backend: Backend,
    query: &SearchQuery,
    staff: bool,
    plan: &Plan,
    cap: i64,
    page: (i64, i64),
    narrow: impl Fn(&mut Sql) -> AppResult<()>,
) -> AppResult<Option<RankedPage>> {
    // On PostgreSQL without `index_first`: the window, a wider one, then every match.
    let tries: &[Option<i64>] = if backend == Backend::Postgres && !plan.index_first {
        &[Some(plan.span), Some(plan.span.saturating_mul(WIDER)), None]
    } else {
        &[None]
    };
    for (i, window) in tries.iter().enumerate() {
        let window = window.map(|span| (span, plan.window_word.as_deref()));
        let Some(sql) = ranked_statement(backend, query, staff, window, cap, page, &narrow)? else {
            return Ok(None);
        };
        let found = fetch_ranked(conn, sql).await?;
        if window.is_none() || found.considered >= cap {
            return Ok(Some(RankedPage {
                widened: i > 0,
                ..found
            }));
        }
    }
    Ok(None)
}

async fn fetch_ranked(conn: &mut AnyConnection, sql: Sql) -> AppResult<RankedPage> {
    let (considered, oldest, visible, packed): (i64, Option<i64>, i64, String) =
        sql.query_as().fetch_one(conn).await?;
    Ok(RankedPage {
        rows: store::read_packed(&packed)?,
        visible,
        considered,
        oldest,
        widened: false,
    })
}

/// The statement of [`ranked_page`]; on PostgreSQL `window` is `Some((span, word))` to look
/// among the newest `span` tickets only (narrowed by `word`'s block lexemes when there is one,
/// see [`pg_window_match`]), `None` to collect every match through the index.
fn ranked_statement(
    backend: Backend,
    query: &SearchQuery,
    staff: bool,
    window: Option<(i64, Option<&str>)>,
    cap: i64,
    (offset, limit): (i64, i64),
    narrow: &impl Fn(&mut Sql) -> AppResult<()>,
) -> AppResult<Option<Sql>> {
    // The candidates meet their tickets only when scope or filters narrow them: for a caller
    // who sees every ticket, unfiltered, that is 200 lookups saved (search rows go with their
    // tickets, so every candidate has one).
    let mut probe = Sql::new("");
    narrow(&mut probe)?;
    let join = if probe.text().is_empty() {
        ""
    } else {
        " JOIN tickets t ON t.id = m.id"
    };
    if query.is_empty() {
        return Ok(None);
    }
    let mut sql = match backend {
        Backend::Sqlite => {
            let query = fts5_match(query, staff);
            let mut sql = Sql::new(
                "WITH c AS MATERIALIZED (SELECT rowid AS id FROM ticket_search \
                 WHERE ticket_search MATCH ",
            );
            sql.bind(Arg::Text(query.clone()))
                .push(" ORDER BY rowid DESC LIMIT ")
                .bind(Arg::Int(cap))
                .push(
                    "), m AS MATERIALIZED (SELECT rowid AS id, CASE WHEN \
                     (SELECT count(*) FROM c) = ",
                )
                .bind(Arg::Int(cap))
                .push(" AND (SELECT max(id) - min(id) FROM c) < ")
                .bind(Arg::Int(cap * DENSE_SPAN))
                .push(
                    " THEN 0 ELSE -bm25(ticket_search, 10.0, 4.0, 2.0) END AS score \
                     FROM ticket_search WHERE ticket_search MATCH ",
                )
                .bind(Arg::Text(query))
                .push(" ORDER BY rowid DESC LIMIT ")
                .bind(Arg::Int(cap))
                .push("), v AS MATERIALIZED (SELECT m.id, m.score FROM m")
                .push(join)
                .push(" WHERE 1 = 1");
            sql
        }
        Backend::Postgres => {
            // Each candidate brings its document along, for `ts_rank` below: looking the
            // search rows up again by key cost a quarter of the statement for a rare word.
            let doc = if staff { "all_doc" } else { "public_doc" };
            let mut sql = Sql::new("WITH m AS MATERIALIZED (SELECT s.ticket_id AS id, s.");
            sql.push(doc).push(" AS doc FROM ticket_search s WHERE ");
            // The words are the first bind: `$1` below ranks with them again.
            let tsquery = query.tsquery();
            match window {
                Some((span, word)) => pg_window_match(&mut sql, &tsquery, staff, span, word),
                None => pg_match(&mut sql, &tsquery, staff, true),
            }
            sql.push(" ORDER BY ")
                .push(pg_key(true))
                .push(" DESC LIMIT ");
            sql.bind(Arg::Int(cap))
                .push("), v AS MATERIALIZED (SELECT m.id, CASE WHEN (SELECT count(*) FROM m) = ");
            sql.bind(Arg::Int(cap))
                .push(" AND (SELECT max(id) - min(id) FROM m) < ")
                .bind(Arg::Int(cap * DENSE_SPAN))
                .push(
                    " THEN 0 ELSE CAST(ts_rank(m.doc, w.q) AS DOUBLE PRECISION) END AS score \
                     FROM m",
                )
                .push(join)
                .push(" CROSS JOIN to_tsquery('simple', $1) AS w(q) WHERE 1 = 1");
            sql
        }
    };
    narrow(&mut sql)?;
    let agg = match backend {
        Backend::Sqlite => "json_group_array",
        Backend::Postgres => "json_agg",
    };
    sql.push(
        ") SELECT (SELECT count(*) FROM m), (SELECT min(id) FROM m), (SELECT count(*) FROM v), \
         COALESCE(CAST((SELECT ",
    )
    .push(agg)
    .push("(")
    .push(store::packed_row(backend))
    .push(" ORDER BY p.score DESC, p.id DESC) FROM (SELECT id, score FROM v ORDER BY score DESC, id DESC LIMIT ")
    .bind(Arg::Int(limit))
    .push(" OFFSET ")
    .bind(Arg::Int(offset))
    .push(") p JOIN tickets t ON t.id = p.id")
    .push(store::JOINS)
    .push(") AS TEXT), '[]')");
    Ok(Some(sql))
}

/// Ids of the newest matches older than `before`, newest first, at most `limit` (one packed row).
pub async fn older(
    conn: &mut AnyConnection,
    backend: Backend,
    index_first: bool,
    mut sql: Sql,
    before: i64,
    limit: i64,
) -> AppResult<Vec<i64>> {
    newest_first(&mut sql, backend, index_first, before, limit);
    match backend {
        Backend::Sqlite => sql.wrap("SELECT group_concat(c.id) FROM (", ") c"),
        Backend::Postgres => sql.wrap("SELECT string_agg(CAST(c.id AS TEXT), ',') FROM (", ") c"),
    };
    let packed: Option<String> = sql.query_scalar().fetch_one(conn).await?;
    let mut ids = unpack(packed.as_deref().unwrap_or(""), |id| id.parse().ok())?;
    ids.sort_unstable_by(|a: &i64, b| b.cmp(a));
    Ok(ids)
}

/// Split a packed `a,b,…` list; an item that does not parse is a fault of ours, not the user's.
fn unpack<T>(packed: &str, item: impl Fn(&str) -> Option<T>) -> AppResult<Vec<T>> {
    packed
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| item(p).ok_or_else(|| AppError::Internal(format!("bad packed search row {p:?}"))))
        .collect()
}

/// A highlighted passage per ticket, as safe HTML.
pub async fn snippets(
    conn: &mut AnyConnection,
    backend: Backend,
    query: &SearchQuery,
    staff: bool,
    ids: &[i64],
) -> AppResult<HashMap<i64, String>> {
    if ids.is_empty() || query.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql;
    match backend {
        Backend::Sqlite => {
            sql = Sql::new(
                "SELECT rowid, snippet(ticket_search, -1, char(2), char(3), '…', 16) \
                 FROM ticket_search WHERE ticket_search MATCH ",
            );
            sql.bind(Arg::Text(fts5_match(query, staff)))
                .push(" AND rowid IN ")
                .bind_list(ids);
        }
        Backend::Postgres => {
            // Title, description and replies (notes too for staff), as the index holds them.
            let comments = if staff {
                "(SELECT string_agg(c.body, ' ') FROM ticket_comments c WHERE c.ticket_id = t.id)"
            } else {
                "(SELECT string_agg(c.body, ' ') FROM ticket_comments c \
                 WHERE c.ticket_id = t.id AND c.internal = 0)"
            };
            sql = Sql::new("SELECT t.id, ts_headline('simple', t.title || ' — ' || t.description || ' ' || COALESCE(");
            sql.push(comments).push(", ''), to_tsquery('simple', ");
            sql.bind(Arg::Text(query.tsquery()))
                .push(
                    "), 'StartSel=' || chr(2) || ', StopSel=' || chr(3) || \
                     ', MaxWords=30, MinWords=8, MaxFragments=1') FROM tickets t WHERE t.id IN ",
                )
                .bind_list(ids);
        }
    }
    let rows: Vec<(i64, String)> = sql.query_as().fetch_all(conn).await?;
    Ok(rows
        .into_iter()
        .map(|(id, s)| (id, highlight(&s)))
        .collect())
}

/// Escape a marked snippet for HTML and turn the markers into `<mark>`.
pub fn highlight(marked: &str) -> String {
    let mut out = String::with_capacity(marked.len() + 16);
    for c in marked.chars() {
        match c {
            MARK_START => out.push_str("<mark>"),
            MARK_END => out.push_str("</mark>"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requesters_match_only_the_title_and_public_body() {
        let q = SearchQuery::parse("printer -jam");
        assert_eq!(fts5_match(&q, true), q.fts5());
        assert_eq!(
            fts5_match(&q, false),
            format!("{{title body}} : ({})", q.fts5())
        );
    }

    #[test]
    fn highlight_escapes_text_and_keeps_marks() {
        assert_eq!(
            highlight("a <b> \u{2}x\u{3} & c"),
            "a &lt;b&gt; <mark>x</mark> &amp; c"
        );
    }
}
