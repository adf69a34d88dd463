//! PostgreSQL's search plan, chosen by Piket rather than its planner: which words are rare
//! (from `pg_stats`), and the statement shapes that pin the plan for each case. Used by
//! `tickets::search`; SQLite's FTS5 needs none of it.

use sqlx::AnyConnection;

use super::search_query::SearchQuery;
use crate::db::sql::{Arg, Sql};
use crate::error::AppResult;

/// PostgreSQL's match of `tsquery` (a [`super::search_query::SearchQuery`] as `tsquery` text),
/// in the shape that fixes the plan (prepared statements keep one
/// generic plan, which cannot look at the words): `index_first`, a condition the GIN index
/// answers, to be ordered by `s.ticket_id + 0` so that collecting every match and sorting them
/// is the only way; otherwise the same test wrapped in `IS TRUE`, which no index answers, so
/// the planner walks the primary key backwards and stops at the limit. See [`index_first`].
pub(super) fn pg_match(sql: &mut Sql, tsquery: &str, staff: bool, index_first: bool) {
    let doc = if staff { "s.all_doc" } else { "s.public_doc" };
    if !index_first {
        sql.push("(");
    }
    // In a subquery the query is parsed once, not once per row the walk reads.
    sql.push(doc).push(" @@ (SELECT ");
    usable(sql, tsquery);
    sql.push(")");
    if !index_first {
        sql.push(") IS TRUE");
    }
}

/// `tsquery` parsed, or the empty query (which matches nothing) when no index could answer it:
/// a word PostgreSQL's parser drops (`<b>`, `&amp;`) can leave only an exclusion, and
/// "every ticket without x" is neither what the search language means nor affordable.
fn usable(sql: &mut Sql, tsquery: &str) {
    sql.push(
        "CASE WHEN querytree(w.q) = 'T' THEN CAST('' AS tsquery) ELSE w.q END \
         FROM to_tsquery('simple', ",
    )
    .bind(Arg::Text(tsquery.to_string()))
    .push(") AS w(q)");
}

/// Tickets per block. Every PostgreSQL search document also holds the lexeme of its ticket's
/// block (`'blk <ticket_id / BLOCK>'`, see [`block_lexeme`]), so that "matches among the
/// newest tickets" is one GIN lookup: the words AND any of the newest blocks. GIN keeps its
/// matches in physical order, not by ticket, so without this the newest 200 matches of a word
/// in 1 % of tickets cost either 20 000 rows walked backwards or 10 000 heap visits. The
/// number is also in the migration that added the lexemes (`0012_search_blocks.sql`).
pub const BLOCK: i64 = 4096;

/// The block lexeme of a ticket. It holds a space, which no word parsed from text (a document
/// or a user's query) ever does, so only [`pg_window_match`] can match it.
pub fn block_lexeme(ticket_id: i64) -> String {
    format!("blk {}", ticket_id.max(0) / BLOCK)
}

/// How much further back the second look of a window goes (see [`Plan::span`]).
pub const WIDER: i64 = 4;

/// How a search collects its ranked candidates on PostgreSQL.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// Collect every match through the GIN index and sort them (see [`plan`]).
    pub index_first: bool,
    /// Otherwise the ranked phase looks through the GIN index only among the blocks of the
    /// newest `span` ticket ids, sized so that the rarest word should just match the
    /// candidates there (its cost grows with the span); finding fewer, it looks again among
    /// [`WIDER`] times as many, then collects every match. Later pages (and SQLite) walk the key.
    pub span: i64,
    /// The word whose block lexemes narrow that look (see [`window_word`]); `None` narrows by
    /// the blocks alone, which reads an index entry for every ticket of the span.
    pub window_word: Option<String>,
}

/// The plan for `q` from the index statistics (`cap`: how many candidates are ranked).
///
/// `index_first`: collect every match through the GIN index rather than look among the
/// newest tickets. Looking reads about `cap / f` tickets for the rarest word's frequency `f`;
/// collecting visits about `f × rows` matches, each a few times dearer. A word missing from
/// the statistics is rarer than every tracked one. The planner cannot make this choice itself:
/// prepared statements keep one generic plan, and even a custom plan guesses half the rarest
/// tracked frequency for an untracked word, which with a small vocabulary is thousands of rows
/// for a word in a hundred. Only the plan depends on it, never the results.
pub fn plan(query: &SearchQuery, stats: &IndexStats, cap: i64) -> Plan {
    let rarest = rarest(query, stats).map(|(_, f)| f);
    let index_first = match rarest {
        Some(f) => 4.0 * f * f * stats.rows < cap as f64,
        None => false,
    };
    // No words (or none tracked, which is `index_first` anyway): a window over every ticket.
    let span = match rarest {
        Some(f) if f > 0.0 => (1.1 * cap as f64 / f).ceil().min(1e15) as i64,
        _ => 1_000_000_000_000_000,
    };
    Plan {
        index_first,
        span: span.max(BLOCK),
        window_word: window_word(query, stats),
    }
}

/// The longest word that has block lexemes (`piket_window_doc` in migration
/// `0014_search_word_blocks.sql` keeps the same bound).
pub const WINDOW_WORD_MAX: usize = 100;

/// The rarest word of `query` when it is a plain list of words (see
/// [`SearchQuery::is_plain_words`]), each of ASCII letters and digits (at most
/// [`WINDOW_WORD_MAX`]), lowercased: the form in which PostgreSQL's `simple` parser keeps such a
/// word, so every document matching the query holds that word's block lexemes (see
/// [`pg_window_match`]). `None` for anything else (`or`, `-word`, phrases, `word*`,
/// punctuation, other scripts), where no single word is sure to be both required and spelled
/// alike: those searches narrow by the blocks alone.
pub fn window_word(query: &SearchQuery, stats: &IndexStats) -> Option<String> {
    let plain =
        |w: &str| w.len() <= WINDOW_WORD_MAX && w.bytes().all(|b| b.is_ascii_alphanumeric());
    if !query.is_plain_words() || !query.required_words().into_iter().all(plain) {
        return None;
    }
    // Then `rarest` splits the query into these same words.
    rarest(query, stats).map(|(w, _)| w)
}

/// [`pg_match`] restricted to the blocks of the newest `span` ticket ids. A query without
/// lexemes (words the parser drops) stays without them: it matches nothing, where `&&` would
/// make it match the blocks.
///
/// With `word` (see [`window_word`]) the GIN index on `piket_window_doc` reads only that
/// word's entries for those blocks (`'firmware 244'`, about as many postings as the word has
/// matches there) and the whole query is tested on the rows found. That index is built from
/// `all_doc`, which holds every word of `public_doc` too. Without a word, the document's own
/// index intersects the words with the blocks' lexemes, which reads a posting for every ticket
/// of the span: 1.6 ms against 0.5 ms for a word in 1 % of a million tickets.
pub(super) fn pg_window_match(
    sql: &mut Sql,
    tsquery: &str,
    staff: bool,
    span: i64,
    word: Option<&str>,
) {
    let doc = if staff { "s.all_doc" } else { "s.public_doc" };
    let blocks = |sql: &mut Sql| {
        sql.push(
            "(SELECT max(ticket_id) AS hi FROM ticket_search) AS x, \
             generate_series(GREATEST(x.hi - ",
        )
        .bind(Arg::Int(span))
        .push(", 0) / 4096, x.hi / 4096) AS b");
    };
    match word {
        Some(word) => {
            // The query in `IS TRUE`, which no index answers: the planner cannot pair the
            // document's index (every match of every word) with the window's.
            pg_match(sql, tsquery, staff, false);
            sql.push(
                " AND piket_window_doc(s.all_doc, s.ticket_id) @@ (SELECT \
                 CAST(string_agg('''' || ",
            )
            .bind(Arg::Text(word.to_string()))
            .push(" || ' ' || b || '''', ' | ') AS tsquery) FROM ");
            blocks(sql);
            sql.push(")");
        }
        None => {
            sql.push(doc)
                .push(
                    " @@ (SELECT CASE WHEN numnode(w.q) = 0 OR querytree(w.q) = 'T' \
                     THEN CAST('' AS tsquery) ELSE w.q && \
                     CAST(string_agg('''blk ' || b || '''', ' | ') AS tsquery) END \
                     FROM to_tsquery('simple', ",
                )
                .bind(Arg::Text(tsquery.to_string()))
                .push(") AS w(q), ");
            blocks(sql);
            sql.push(" GROUP BY w.q)");
        }
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

/// The rarest of the words every match of `query` holds ([`SearchQuery::required_words`], split
/// into runs of letters and digits), lowercased, with its frequency (0 for one the statistics do
/// not track; the first of equals); `None` when there is no such word.
fn rarest(query: &SearchQuery, stats: &IndexStats) -> Option<(String, f64)> {
    query
        .required_words()
        .into_iter()
        .flat_map(|w| w.split(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .map(|w| {
            let w = w.to_lowercase();
            let f = stats.frequency(&w);
            (w, f)
        })
        .fold(None, |best: Option<(String, f64)>, (w, f)| match best {
            Some(b) if b.1 <= f => Some(b),
            _ => Some((w, f)),
        })
}

impl IndexStats {
    /// The fraction of documents holding `lexeme`; 0 for one the statistics do not track.
    fn frequency(&self, lexeme: &str) -> f64 {
        self.common
            .binary_search_by(|(l, _)| l.as_str().cmp(lexeme))
            .map_or(0.0, |i| self.common[i].1)
    }
}

#[cfg(test)]
mod tests {
    use super::super::search_query::MAX_TERMS;
    use super::*;

    fn q(text: &str) -> SearchQuery {
        SearchQuery::parse(text)
    }

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
        assert!(!plan(&q("Printer JAM"), &stats, 200).index_first);
        assert!(!plan(&q("firmware"), &stats, 200).index_first);
        assert!(plan(&q("printer kalibrasi"), &stats, 200).index_first);
        assert!(!plan(&q(" -- "), &stats, 200).index_first);
        assert!(plan(&q("anything"), &IndexStats::default(), 200).index_first);
        // A hundredth of a thousand rows: the index is cheaper than walking.
        let small = IndexStats {
            rows: 1_000.0,
            ..stats
        };
        assert!(plan(&q("firmware"), &small, 200).index_first);
    }

    #[test]
    fn a_walked_word_looks_among_enough_newest_tickets_for_its_candidates() {
        let stats = IndexStats {
            common: vec![("firmware".into(), 0.01), ("printer".into(), 0.25)],
            rows: 1_000_000.0,
        };
        let firmware = plan(&q("firmware"), &stats, 200);
        assert!(!firmware.index_first);
        assert!((22_000..=22_001).contains(&firmware.span), "{firmware:?}");
        // Never less than a block; the rarest word sets the span.
        assert_eq!(plan(&q("printer"), &stats, 200).span, BLOCK);
        assert_eq!(
            plan(&q("printer firmware"), &stats, 200).span,
            firmware.span
        );
        assert!(plan(&q("kalibrasi"), &stats, 200).index_first);
        assert_eq!(block_lexeme(BLOCK - 1), "blk 0");
        assert_eq!(block_lexeme(3 * BLOCK + 5), "blk 3");
        // The statement divides by the same block size the documents were written with.
        let mut sql = Sql::new("");
        pg_window_match(&mut sql, "x", true, 40_000, None);
        assert_eq!(
            sql.text().matches(&format!("/ {BLOCK}")).count(),
            2,
            "{}",
            sql.text()
        );
    }

    #[test]
    fn only_a_plain_list_of_words_narrows_by_its_rarest_word() {
        let stats = IndexStats {
            common: vec![("firmware".into(), 0.01), ("printer".into(), 0.25)],
            rows: 1_000_000.0,
        };
        let word = |text: &str| window_word(&q(text), &stats);
        assert_eq!(word("firmware"), Some("firmware".into()));
        assert_eq!(word("  Printer  FIRMWARE "), Some("firmware".into()));
        // An untracked word is rarer than any tracked one.
        assert_eq!(word("printer x200"), Some("x200".into()));
        assert_eq!(
            plan(&q("printer firmware"), &stats, 200).window_word,
            word("printer firmware")
        );
        // Anything the search language reads as more than "all of these words", or whose
        // lexeme might not be the lowercased word, narrows by the blocks alone; so does a word
        // past the terms the query keeps.
        for q in [
            "printer or firmware",
            "printer OR firmware",
            "-printer",
            "printer -firmware",
            "printer firm*",
            "\"printer firmware\"",
            "e-mail",
            "v1.2",
            "kalibrasi\u{e9}",
            "",
            "   ",
        ] {
            assert_eq!(word(q), None, "{q:?}");
        }
        let many = vec!["printer"; MAX_TERMS].join(" ");
        assert_eq!(
            word(&format!("{many} kalibrasi")),
            Some("printer".into()),
            "the seventeenth word is not searched, so it cannot narrow"
        );
        let longest = "a".repeat(WINDOW_WORD_MAX);
        assert_eq!(word(&longest), Some(longest.clone()));
        assert_eq!(word(&format!("{longest}a")), None);
    }

    #[test]
    fn the_window_narrows_by_the_word_when_there_is_one() {
        let mut by_word = Sql::new("");
        pg_window_match(&mut by_word, "Firmware", false, 40_000, Some("firmware"));
        // The whole query is tested on the rows (no index answers it), the word's block
        // lexemes go through the window's index.
        let text = by_word.text();
        assert!(
            text.starts_with(
                "(s.public_doc @@ (SELECT CASE WHEN querytree(w.q) = 'T' THEN CAST('' AS tsquery) \
                 ELSE w.q END FROM to_tsquery('simple', $1) AS w(q))) IS TRUE \
                 AND piket_window_doc(s.all_doc, s.ticket_id) @@"
            ),
            "{text}"
        );
        assert!(!text.contains("'blk "), "{text}");
        let mut by_blocks = Sql::new("");
        pg_window_match(&mut by_blocks, "-printer", true, 40_000, None);
        let text = by_blocks.text();
        assert!(text.starts_with("s.all_doc @@ (SELECT CASE"), "{text}");
        assert!(text.contains("'blk "), "{text}");
    }

    #[test]
    fn the_postgres_match_fixes_its_plan_by_shape() {
        let mut walk = Sql::new("");
        pg_match(&mut walk, "x", true, false);
        let mut index = Sql::new("");
        pg_match(&mut index, "x", false, true);
        assert_eq!(
            walk.text(),
            "(s.all_doc @@ (SELECT CASE WHEN querytree(w.q) = 'T' THEN CAST('' AS tsquery) \
             ELSE w.q END FROM to_tsquery('simple', $1) AS w(q))) IS TRUE"
        );
        assert_eq!(
            index.text(),
            "s.public_doc @@ (SELECT CASE WHEN querytree(w.q) = 'T' THEN CAST('' AS tsquery) \
             ELSE w.q END FROM to_tsquery('simple', $1) AS w(q))"
        );
    }
}
