//! Full-text search over tickets, the one place the two backends differ: SQLite FTS5 and
//! PostgreSQL tsvector sit behind the same three functions. The index is written in the same
//! transaction as the change it reflects. Internal notes are indexed apart and only matched
//! (and only shown in snippets) for staff.

use std::collections::HashMap;

use sqlx::AnyConnection;

use crate::db::sql::{Arg, Sql};
use crate::db::Backend;
use crate::error::AppResult;

/// Marks a match inside a snippet; the text itself never holds control characters
/// (validation refuses them), so the markers cannot be forged.
pub const MARK_START: char = '\u{2}';
pub const MARK_END: char = '\u{3}';

/// Rebuild the index entry of one ticket from its title, description and comments.
pub async fn reindex(conn: &mut AnyConnection, backend: Backend, ticket_id: i64) -> AppResult<()> {
    let Some((title, description)): Option<(String, String)> =
        sqlx::query_as("SELECT title, description FROM tickets WHERE id = $1")
            .bind(ticket_id)
            .fetch_optional(&mut *conn)
            .await?
    else {
        return Ok(());
    };
    let (public, internal) = super::comments::texts(conn, ticket_id).await?;
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
            sqlx::query(
                "INSERT INTO ticket_search (ticket_id, public_doc, all_doc) \
                 SELECT $1, p, p || to_tsvector('simple', $4) FROM \
                 (SELECT setweight(to_tsvector('simple', $2), 'A') || to_tsvector('simple', $3) AS p) x \
                 ON CONFLICT (ticket_id) DO UPDATE SET public_doc = EXCLUDED.public_doc, all_doc = EXCLUDED.all_doc",
            )
            .bind(ticket_id)
            .bind(title)
            .bind(body)
            .bind(internal)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// User text to an FTS5 query: every word quoted (so operators in the input are just words),
/// all required, a trailing `*` kept as a prefix match. `None` when nothing searchable is left.
pub fn fts5_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split_whitespace()
        .take(16)
        .filter_map(|w| {
            let prefix = w.ends_with('*');
            let clean: String = w.chars().filter(|c| *c != '"' && *c != '*').collect();
            if clean.is_empty() {
                return None;
            }
            Some(if prefix {
                format!("\"{clean}\"*")
            } else {
                format!("\"{clean}\"")
            })
        })
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// The head of a candidate query: `tickets t` joined to matches of `q`, each row with a
/// relevance `score` (higher is better). The caller appends scope and filters, then [`finish`].
pub fn candidates_head(backend: Backend, q: &str, staff: bool) -> Option<Sql> {
    match backend {
        Backend::Sqlite => {
            let query = fts5_query(q)?;
            let query = if staff {
                query
            } else {
                format!("{{title body}} : ({query})")
            };
            let mut sql = Sql::new(
                "SELECT t.id AS id, -bm25(ticket_search, 10.0, 4.0, 2.0) AS score \
                 FROM ticket_search JOIN tickets t ON t.id = ticket_search.rowid \
                 WHERE ticket_search MATCH ",
            );
            sql.bind(Arg::Text(query));
            Some(sql)
        }
        Backend::Postgres => {
            let doc = if staff { "s.all_doc" } else { "s.public_doc" };
            let mut sql = Sql::new("SELECT t.id AS id, CAST(ts_rank(");
            sql.push(doc)
                .push(
                    ", query) AS DOUBLE PRECISION) AS score FROM ticket_search s \
                       JOIN tickets t ON t.id = s.ticket_id, websearch_to_tsquery('simple', ",
                )
                .bind(Arg::Text(q.to_string()))
                .push(") query WHERE ")
                .push(doc)
                .push(" @@ query");
            Some(sql)
        }
    }
}

/// Newest matches first, older than `before` when given, at most `limit`. On SQLite the order
/// must name the FTS table's own rowid: FTS5 then walks its index backwards and stops at
/// `limit`, where ordering by `t.id` would rank every match first (2 s instead of 5 ms for a
/// word in a quarter of a million tickets).
pub async fn finish(
    conn: &mut AnyConnection,
    backend: Backend,
    mut sql: Sql,
    before: Option<i64>,
    limit: i64,
) -> AppResult<Vec<(i64, f64)>> {
    let key = match backend {
        Backend::Sqlite => "ticket_search.rowid",
        Backend::Postgres => "s.ticket_id",
    };
    if let Some(b) = before {
        sql.push(" AND ").push(key).push(" < ").bind(Arg::Int(b));
    }
    sql.push(" ORDER BY ")
        .push(key)
        .push(" DESC LIMIT ")
        .bind(Arg::Int(limit));
    Ok(sql.query_as::<(i64, f64)>().fetch_all(conn).await?)
}

/// A highlighted passage per ticket, as safe HTML.
pub async fn snippets(
    conn: &mut AnyConnection,
    backend: Backend,
    q: &str,
    staff: bool,
    ids: &[i64],
) -> AppResult<HashMap<i64, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql;
    match backend {
        Backend::Sqlite => {
            let Some(query) = fts5_query(q) else {
                return Ok(HashMap::new());
            };
            let query = if staff {
                query
            } else {
                format!("{{title body}} : ({query})")
            };
            sql = Sql::new(
                "SELECT rowid, snippet(ticket_search, -1, char(2), char(3), '…', 16) \
                 FROM ticket_search WHERE ticket_search MATCH ",
            );
            sql.bind(Arg::Text(query))
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
            sql.push(comments)
                .push(", ''), websearch_to_tsquery('simple', ");
            sql.bind(Arg::Text(q.to_string()))
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
    fn user_text_cannot_inject_fts5_syntax() {
        assert_eq!(
            fts5_query("printer OR \"x\" NEAR("),
            Some("\"printer\" \"OR\" \"x\" \"NEAR(\"".into())
        );
        assert_eq!(fts5_query("print*"), Some("\"print\"*".into()));
        assert_eq!(fts5_query(" \" * "), None);
    }

    #[test]
    fn highlight_escapes_text_and_keeps_marks() {
        assert_eq!(
            highlight("a <b> \u{2}x\u{3} & c"),
            "a &lt;b&gt; <mark>x</mark> &amp; c"
        );
    }
}
