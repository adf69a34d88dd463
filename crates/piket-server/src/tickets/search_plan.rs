//! PostgreSQL's search plan, chosen by Piket rather than its planner: which words are rare
//! (from `pg_stats`), and the statement shapes that pin the plan for each case. Used by
//! `tickets::search`; SQLite's FTS5 needs none of it.

use sqlx::AnyConnection;

use crate::db::sql::{Arg, Sql};
use crate::error::AppResult;

/// PostgreSQL's match of `q`, in the shape that fixes the plan (prepared statements keep one
/// generic plan, which cannot look at the words): `index_first`, a condition the GIN index
/// answers, to be ordered by `s.ticket_id + 0` so that collecting every match and sorting them
/// is the only way; otherwise the same test wrapped in `IS TRUE`, which no index answers, so
/// the planner walks the primary key backwards and stops at the limit. See [`index_first`].
pub(super) fn pg_match(sql: &mut Sql, q: &str, staff: bool, index_first: bool) {
    let doc = if staff { "s.all_doc" } else { "s.public_doc" };
    if !index_first {
        sql.push("(");
    }
    // In a subquery the query is parsed once, not once per row the walk reads.
    sql.push(doc)
        .push(" @@ (SELECT websearch_to_tsquery('simple', ")
        .bind(Arg::Text(q.to_string()))
        .push("))");
    if !index_first {
        sql.push(") IS TRUE");
    }
}

/// The order key of [`pg_match`]'s shape.
pub(super) fn pg_key(index_first: bool) -> &'static str {
    if index_first {
        "s.ticket_id + 0"
    } else {
        "s.ticket_id"
    }
}

/// What PostgreSQL's statistics say about the search index (`pg_stats` of `all_doc`, and the
/// table's row estimate), for [`index_first`]. Empty before the table was first analysed.
#[derive(Debug, Default)]
pub struct IndexStats {
    /// Common lexemes with the fraction of rows holding each, sorted by lexeme.
    common: Vec<(String, f64)>,
    rows: f64,
}

pub async fn index_stats(conn: &mut AnyConnection) -> AppResult<IndexStats> {
    let row: Option<(Option<String>, Option<String>, f64)> = sqlx::query_as(
        "SELECT CAST(s.most_common_elems AS TEXT), CAST(s.most_common_elem_freqs AS TEXT), \
         CAST(c.reltuples AS DOUBLE PRECISION) FROM pg_class c LEFT JOIN pg_stats s \
         ON s.schemaname = current_schema() AND s.tablename = 'ticket_search' \
         AND s.attname = 'all_doc' WHERE c.oid = CAST('ticket_search' AS regclass)",
    )
    .fetch_optional(conn)
    .await?;
    let Some((elems, freqs, rows)) = row else {
        return Ok(IndexStats::default());
    };
    let list = |text: &Option<String>| -> Vec<String> {
        let text = text.as_deref().unwrap_or("");
        text.trim_start_matches('{')
            .trim_end_matches('}')
            .split(',')
            .map(|l| l.trim_matches('"').to_string())
            .filter(|l| !l.is_empty())
            .collect()
    };
    // The frequencies list one per lexeme, then three summary figures, which zip drops.
    let mut common: Vec<(String, f64)> = list(&elems)
        .into_iter()
        .zip(list(&freqs).iter().map(|f| f.parse().unwrap_or(0.0)))
        .collect();
    common.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(IndexStats {
        common,
        rows: rows.max(0.0),
    })
}

/// Whether PostgreSQL should collect the matches of `q` through the GIN index (and sort them)
/// rather than walk the newest tickets until `cap` match. Walking reads about `cap / f` rows
/// for the rarest word's frequency `f`; the index visits about `f × rows`, each a few times
/// dearer. A word missing from the statistics is rarer than every tracked one. The planner
/// cannot make this choice itself: prepared statements keep one generic plan, and even a
/// custom plan guesses half the rarest tracked frequency for an untracked word, which with a
/// small vocabulary is thousands of rows for a word in a hundred (a 0.5 s walk where the
/// index takes a millisecond). Only the plan depends on it, never the results.
pub fn index_first(q: &str, stats: &IndexStats, cap: i64) -> bool {
    let rarest = q
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let w = w.to_lowercase();
            stats
                .common
                .binary_search_by(|(l, _)| l.as_str().cmp(&w))
                .map_or(0.0, |i| stats.common[i].1)
        })
        .fold(None, |acc: Option<f64>, f| {
            Some(acc.map_or(f, |a| a.min(f)))
        });
    match rarest {
        Some(f) => 4.0 * f * f * stats.rows < cap as f64,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rare_words_go_through_the_index_and_common_ones_walk() {
        let stats = IndexStats {
            common: vec![
                ("firmware".into(), 0.01),
                ("jam".into(), 0.3),
                ("printer".into(), 0.25),
            ],
            rows: 1_000_000.0,
        };
        assert!(!index_first("Printer JAM", &stats, 200));
        assert!(!index_first("firmware", &stats, 200));
        assert!(index_first("printer kalibrasi", &stats, 200));
        assert!(!index_first(" -- ", &stats, 200));
        assert!(index_first("anything", &IndexStats::default(), 200));
        // A hundredth of a thousand rows: the index is cheaper than walking.
        let small = IndexStats {
            rows: 1_000.0,
            ..stats
        };
        assert!(index_first("firmware", &small, 200));
    }

    #[test]
    fn the_postgres_match_fixes_its_plan_by_shape() {
        let mut walk = Sql::new("");
        pg_match(&mut walk, "x", true, false);
        let mut index = Sql::new("");
        pg_match(&mut index, "x", false, true);
        assert_eq!(
            walk.text(),
            "(s.all_doc @@ (SELECT websearch_to_tsquery('simple', $1))) IS TRUE"
        );
        assert_eq!(
            index.text(),
            "s.public_doc @@ (SELECT websearch_to_tsquery('simple', $1))"
        );
    }
}
