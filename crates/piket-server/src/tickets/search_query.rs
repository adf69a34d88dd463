//! The search box's language, parsed once and written out for either backend, so that a query
//! means the same on SQLite and PostgreSQL: words (all required), `"a phrase"`, `word*` (a
//! prefix), `-word` or `-"a phrase"` (excluded), and `or` between alternatives. User text
//! never becomes query syntax of either engine: every word is quoted when written out.

/// At most this many words and phrases are read from a query; the rest is ignored.
pub const MAX_TERMS: usize = 16;

/// A word or a phrase of the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// The words as typed (without quotes and `*`); more than one is a phrase. Each holds at
    /// least one letter or digit.
    pub words: Vec<String>,
    /// The last word matches as a prefix.
    pub prefix: bool,
    /// The term must not occur.
    pub excluded: bool,
}

/// A parsed query: any of the alternatives, each all of its terms. Every alternative has at
/// least one term that is not excluded: neither engine can list "everything without x"
/// through its index, so an alternative of exclusions only is dropped.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchQuery {
    pub alternatives: Vec<Vec<Term>>,
}

enum Token {
    Term(Term),
    Or,
}

impl SearchQuery {
    pub fn parse(text: &str) -> SearchQuery {
        let mut alternatives = Vec::new();
        let mut current: Vec<Term> = Vec::new();
        for token in tokens(text) {
            match token {
                Token::Or => alternatives.push(std::mem::take(&mut current)),
                Token::Term(t) => current.push(t),
            }
        }
        alternatives.push(current);
        alternatives.retain(|terms| terms.iter().any(|t| !t.excluded));
        SearchQuery { alternatives }
    }

    /// Nothing searchable: no result matches.
    pub fn is_empty(&self) -> bool {
        self.alternatives.is_empty()
    }

    /// The words to highlight in passages (those not excluded), with their prefix flag.
    pub fn shown_words(&self) -> impl Iterator<Item = (&str, bool)> {
        self.alternatives
            .iter()
            .flatten()
            .filter(|t| !t.excluded)
            .flat_map(|t| {
                let last = t.words.len().saturating_sub(1);
                t.words
                    .iter()
                    .enumerate()
                    .map(move |(i, w)| (w.as_str(), t.prefix && i == last))
            })
    }

    /// The words every match must hold, as typed, when the query is one alternative of plain
    /// words and phrases (no prefix); empty otherwise. PostgreSQL's plan is chosen from them.
    pub fn required_words(&self) -> Vec<&str> {
        match self.alternatives.as_slice() {
            [only] => only
                .iter()
                .filter(|t| !t.excluded && !t.prefix)
                .flat_map(|t| t.words.iter().map(String::as_str))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Whether the query is nothing but plain words, all required: no phrase, prefix,
    /// exclusion or alternative.
    pub fn is_plain_words(&self) -> bool {
        match self.alternatives.as_slice() {
            [only] => only
                .iter()
                .all(|t| !t.excluded && !t.prefix && t.words.len() == 1),
            _ => false,
        }
    }

    /// The query as an FTS5 expression: `("a" AND "b c"*) NOT "d" OR ("e")`.
    pub fn fts5(&self) -> String {
        let term = |t: &Term| {
            let star = if t.prefix { "*" } else { "" };
            format!("\"{}\"{star}", t.words.join(" ").replace('"', "\"\""))
        };
        let alternative = |terms: &Vec<Term>| {
            let wanted: Vec<String> = terms.iter().filter(|t| !t.excluded).map(term).collect();
            let mut out = format!("({})", wanted.join(" AND "));
            for t in terms.iter().filter(|t| t.excluded) {
                out.push_str(" NOT ");
                out.push_str(&term(t));
            }
            format!("({out})")
        };
        let parts: Vec<String> = self.alternatives.iter().map(alternative).collect();
        parts.join(" OR ")
    }

    /// The query as PostgreSQL `tsquery` text, for `to_tsquery('simple', …)`:
    /// `('a' & ('b' <-> 'c':*) & !'d') | ('e')`. Each word is a quoted operand, which the
    /// `simple` configuration splits into lexemes the way it splits documents.
    pub fn tsquery(&self) -> String {
        let word = |w: &str, prefix: bool| {
            let star = if prefix { ":*" } else { "" };
            format!("'{}'{star}", w.replace('\\', "\\\\").replace('\'', "''"))
        };
        let term = |t: &Term| {
            let last = t.words.len().saturating_sub(1);
            let words: Vec<String> = t
                .words
                .iter()
                .enumerate()
                .map(|(i, w)| word(w, t.prefix && i == last))
                .collect();
            let not = if t.excluded { "!" } else { "" };
            format!("{not}({})", words.join(" <-> "))
        };
        let parts: Vec<String> = self
            .alternatives
            .iter()
            .map(|terms| {
                let terms: Vec<String> = terms.iter().map(term).collect();
                format!("({})", terms.join(" & "))
            })
            .collect();
        parts.join(" | ")
    }
}

/// The terms and `or`s of `text`, at most [`MAX_TERMS`] terms. Control characters count as
/// spaces (a NUL would end FTS5's string early, and PostgreSQL refuses it in text).
fn tokens(text: &str) -> Vec<Token> {
    let text: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut out = Vec::new();
    let mut terms = 0;
    let mut rest = text.as_str();
    while terms < MAX_TERMS {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        let excluded = rest.starts_with('-');
        if excluded {
            rest = &rest[1..];
        }
        let (chunks, prefix, after) = if let Some(inner) = rest.strip_prefix('"') {
            // A phrase runs to the closing quote (or the end); `"…"*` makes its last word a prefix.
            let (phrase, after) = inner.split_once('"').unwrap_or((inner, ""));
            let prefix = after.starts_with('*');
            let after = if prefix { &after[1..] } else { after };
            (phrase.split_whitespace().collect::<Vec<_>>(), prefix, after)
        } else {
            let end = rest
                .find(|c: char| c.is_whitespace() || c == '"')
                .unwrap_or(rest.len());
            let word = &rest[..end];
            if !excluded && is_or(word) {
                out.push(Token::Or);
                rest = &rest[end..];
                continue;
            }
            (vec![word], word.ends_with('*'), &rest[end..])
        };
        rest = after;
        let words: Vec<String> = chunks
            .into_iter()
            .map(|w| w.replace('*', ""))
            .filter(|w| w.chars().any(char::is_alphanumeric))
            .collect();
        if words.is_empty() {
            continue;
        }
        terms += 1;
        out.push(Token::Term(Term {
            words,
            prefix,
            excluded,
        }));
    }
    out
}

/// The word that joins alternatives, in each interface language ("or", "atau", "ή"), so the
/// search hint can say it in the reader's words.
fn is_or(word: &str) -> bool {
    ["or", "atau", "ή"]
        .iter()
        .any(|w| word.to_lowercase() == *w)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(q: &str) -> (String, String) {
        let q = SearchQuery::parse(q);
        (q.fts5(), q.tsquery())
    }

    #[test]
    fn words_are_all_required_and_quoted() {
        assert_eq!(
            both("Printer  jam"),
            (
                "((\"Printer\" AND \"jam\"))".into(),
                "(('Printer') & ('jam'))".into()
            )
        );
    }

    #[test]
    fn phrases_prefixes_exclusions_and_alternatives() {
        assert_eq!(
            both("\"paper jam\" print* -toner or scanner"),
            (
                "((\"paper jam\" AND \"print\"*) NOT \"toner\") OR ((\"scanner\"))".into(),
                "(('paper' <-> 'jam') & ('print':*) & !('toner')) | (('scanner'))".into()
            )
        );
        assert_eq!(
            both("print* -toner atau scanner"),
            both("print* -toner OR scanner")
        );
        assert_eq!(both("print* Ή scanner"), both("print* or scanner"));
        assert_eq!(
            both("-\"blue screen\" crash \"disk ful\"*"),
            (
                "((\"crash\" AND \"disk ful\"*) NOT \"blue screen\")".into(),
                "(!('blue' <-> 'screen') & ('crash') & ('disk' <-> 'ful':*))".into()
            )
        );
    }

    #[test]
    fn user_text_cannot_inject_either_engines_syntax() {
        let (fts5, ts) = both("NEAR( x:* a&b|c !d 'e' \\");
        // The lone backslash holds no word and is dropped.
        assert_eq!(
            fts5,
            "((\"NEAR(\" AND \"x:\"* AND \"a&b|c\" AND \"!d\" AND \"'e'\"))"
        );
        assert_eq!(
            ts,
            "(('NEAR(') & ('x:':*) & ('a&b|c') & ('!d') & ('''e'''))"
        );
        // An unclosed quote runs to the end; quotes never reach the engines unescaped.
        assert_eq!(SearchQuery::parse("\"abc def").fts5(), "((\"abc def\"))");
        assert_eq!(SearchQuery::parse("it's").tsquery(), "(('it''s'))");
        assert_eq!(SearchQuery::parse("a\\b").tsquery(), "(('a\\\\b'))");
    }

    #[test]
    fn nothing_searchable_is_empty() {
        for q in [
            "", "   ", "\" * \"", "-", "- -", "or", "or OR", "-printer", "*", "—",
        ] {
            assert!(SearchQuery::parse(q).is_empty(), "{q:?}");
        }
        // An alternative of exclusions only is dropped, the others stay.
        let q = SearchQuery::parse("-printer or scanner");
        assert_eq!(q.alternatives.len(), 1);
        assert_eq!(q.fts5(), "((\"scanner\"))");
        // `or` at either end, or twice, joins nothing.
        assert_eq!(SearchQuery::parse("or a or or b or").alternatives.len(), 2);
        // `-or` is an excluded word, not an operator.
        assert_eq!(SearchQuery::parse("a -or").fts5(), "((\"a\") NOT \"or\")");
    }

    #[test]
    fn control_characters_are_spaces() {
        assert_eq!(
            SearchQuery::parse("a\u{0}b\tc").fts5(),
            "((\"a\" AND \"b\" AND \"c\"))"
        );
    }

    #[test]
    fn the_plan_sees_only_words_every_match_holds() {
        let q = |t: &str| SearchQuery::parse(t);
        assert_eq!(q("Printer  jam").required_words(), vec!["Printer", "jam"]);
        assert!(q("Printer  jam").is_plain_words());
        assert_eq!(
            q("\"paper jam\" print* -toner").required_words(),
            vec!["paper", "jam"]
        );
        assert!(!q("\"paper jam\"").is_plain_words());
        assert!(!q("printer -jam").is_plain_words());
        assert!(!q("print*").is_plain_words());
        assert!(q("a or b").required_words().is_empty());
        assert!(!q("a or b").is_plain_words());
        // Only the terms the query keeps.
        let long: Vec<String> = (0..20).map(|i| format!("w{i}")).collect();
        assert_eq!(q(&long.join(" ")).required_words().len(), MAX_TERMS);
    }

    #[test]
    fn long_queries_keep_their_first_terms() {
        let text: Vec<String> = (0..40).map(|i| format!("w{i}")).collect();
        let q = SearchQuery::parse(&text.join(" or "));
        assert_eq!(q.alternatives.len(), MAX_TERMS);
        assert_eq!(
            q.alternatives[MAX_TERMS - 1][0].words,
            vec!["w15".to_string()]
        );
    }

    #[test]
    fn shown_words_leave_out_exclusions() {
        let q = SearchQuery::parse("\"paper jam\" -toner print* or scan");
        let shown: Vec<(&str, bool)> = q.shown_words().collect();
        assert_eq!(
            shown,
            vec![
                ("paper", false),
                ("jam", false),
                ("print", true),
                ("scan", false)
            ]
        );
    }
}
