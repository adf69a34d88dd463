//! Search snippets built from the title and description a result page has already fetched, so
//! most results need no second trip to the full-text index (FTS5's `snippet()` re-tokenises
//! every document, about 70 µs a row). Words are compared the way both indexes compare them:
//! runs of letters and digits, case-folded; a query word ending in `*` matches as a prefix.
//! A result whose match is only in a reply (or with different accents) gets no passage here,
//! and the caller asks the index for those few.

use super::search::{SearchQuery, MARK_END, MARK_START};

/// Passage length in words, as the index's own snippets.
const WINDOW: usize = 16;
/// Words shown before the first match.
const LEAD: usize = 4;

pub struct Terms {
    words: Vec<(String, bool)>,
}

/// Whether a byte is part of a word in ASCII text (where it agrees with `char::is_alphanumeric`).
fn word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

impl Terms {
    /// The words of `query` a passage highlights (not the excluded ones), split into the runs
    /// of letters and digits the indexes compare; only the last run of a prefix keeps it.
    pub fn of(query: &SearchQuery) -> Terms {
        let words = query
            .shown_words()
            .flat_map(|(w, prefix)| {
                let parts: Vec<String> = tokens(w).map(|(s, e)| w[s..e].to_lowercase()).collect();
                let n = parts.len();
                parts
                    .into_iter()
                    .enumerate()
                    .map(move |(i, t)| (t, prefix && i + 1 == n))
            })
            .collect();
        Terms { words }
    }

    /// ASCII text only: the byte offset of the first word that matches, found by a
    /// case-insensitive byte search for each query word rather than by splitting the text.
    fn first_in_ascii(&self, text: &[u8]) -> Option<usize> {
        self.words
            .iter()
            .filter(|(w, _)| !w.is_empty() && w.is_ascii())
            .filter_map(|(w, prefix)| {
                let w = w.as_bytes();
                let mut from = 0;
                while from + w.len() <= text.len() {
                    let at = from
                        + text[from..]
                            .windows(w.len())
                            .position(|win| win.eq_ignore_ascii_case(w))?;
                    let end = at + w.len();
                    let starts = at == 0 || !word_byte(text[at - 1]);
                    let ends = *prefix || end == text.len() || !word_byte(text[end]);
                    if starts && ends {
                        return Some(at);
                    }
                    from = at + 1;
                }
                None
            })
            .min()
    }

    fn matches(&self, token: &str) -> bool {
        // Most words are ASCII: compare them without lowercasing into a new string (this ran
        // for every word of every description on a result page).
        if token.is_ascii() {
            return self.words.iter().any(|(w, prefix)| {
                let n = w.len();
                if *prefix {
                    token.len() >= n && token.as_bytes()[..n].eq_ignore_ascii_case(w.as_bytes())
                } else {
                    token.len() == n && token.eq_ignore_ascii_case(w)
                }
            });
        }
        let token = token.to_lowercase();
        self.words.iter().any(|(w, prefix)| {
            if *prefix {
                token.starts_with(w.as_str())
            } else {
                token == *w
            }
        })
    }
}

/// Byte ranges of the words (runs of alphanumeric characters) in `text`.
fn tokens(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut start: Option<usize> = None;
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || loop {
        match chars.next() {
            Some((i, c)) if c.is_alphanumeric() => {
                start.get_or_insert(i);
                let ends = chars.peek().is_none_or(|(_, n)| !n.is_alphanumeric());
                if ends {
                    let s = start.take().unwrap_or(i);
                    return Some((s, i + c.len_utf8()));
                }
            }
            Some(_) => {}
            None => return None,
        }
    })
}

/// About 16 words of `text` around its first match, matches wrapped in the mark characters
/// (see `search::highlight`), `…` where it was cut; `None` when no word of `text` matches.
pub fn passage(text: &str, terms: &Terms) -> Option<String> {
    // ASCII text (most tickets): find the first match by a byte search and start splitting
    // words only LEAD words before it. A non-ASCII query word cannot match ASCII text.
    let start = if text.is_ascii() {
        let bytes = text.as_bytes();
        let mut at = terms.first_in_ascii(bytes)?;
        for _ in 0..LEAD {
            while at > 0 && !word_byte(bytes[at - 1]) {
                at -= 1;
            }
            while at > 0 && word_byte(bytes[at - 1]) {
                at -= 1;
            }
        }
        at
    } else {
        0
    };
    passage_from(text, terms, start)
}

/// The passage, splitting words from byte `start` (a word's start, at most LEAD words before
/// the first match, or 0).
fn passage_from(text: &str, terms: &Terms, start: usize) -> Option<String> {
    // Read words only up to the end of the passage: the first match with at most LEAD words
    // before it, then words up to WINDOW in all.
    let mut all = tokens(&text[start..]).map(|(s, e)| (s + start, e + start));
    let mut words: Vec<(usize, usize)> = Vec::with_capacity(WINDOW);
    let mut cut_before = text[..start].chars().any(char::is_alphanumeric);
    loop {
        let (s, e) = all.next()?;
        words.push((s, e));
        if terms.matches(&text[s..e]) {
            break;
        }
        if words.len() > LEAD {
            words.remove(0);
            cut_before = true;
        }
    }
    while words.len() < WINDOW {
        match all.next() {
            Some(w) => words.push(w),
            None => break,
        }
    }
    let cut_after = all.next().is_some();
    let mut out = String::new();
    if cut_before {
        out.push('…');
    }
    for (k, (s, e)) in words.iter().enumerate() {
        if k > 0 {
            // Line breaks and runs of spaces read as one space in a one-line passage.
            let mut space = false;
            for c in text[words[k - 1].1..*s].chars() {
                if c.is_whitespace() {
                    if !space {
                        out.push(' ');
                    }
                    space = true;
                } else {
                    out.push(c);
                    space = false;
                }
            }
        }
        let word = &text[*s..*e];
        if terms.matches(word) {
            out.push(MARK_START);
            out.push_str(word);
            out.push(MARK_END);
        } else {
            out.push_str(word);
        }
    }
    if cut_after {
        out.push('…');
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(q: &str) -> Terms {
        Terms::of(&SearchQuery::parse(q))
    }

    fn show(s: &str) -> String {
        s.replace(MARK_START, "[").replace(MARK_END, "]")
    }

    #[test]
    fn marks_whole_words_case_folded_and_cuts_around_the_first_match() {
        let t = terms("Printer");
        assert_eq!(
            show(&passage("The printer on floor 2, PRINTER jams.", &t).unwrap()),
            "The [printer] on floor 2, [PRINTER] jams"
        );
        assert!(
            passage("printers are fine", &t).is_none(),
            "whole words only"
        );
        let long = (0..40)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ")
            + " printer end";
        let p = show(&passage(&long, &t).unwrap());
        assert!(p.starts_with('…') && p.contains("w39 [printer] end"), "{p}");
    }

    #[test]
    fn prefixes_and_punctuation_behave_like_the_index() {
        let t = terms("print* \"NEAR(\"");
        assert_eq!(
            show(&passage("printing near the door", &t).unwrap()),
            "[printing] [near] the door"
        );
        assert!(terms("\" * ").words.is_empty());
        // Excluded words and `or` are never marked.
        let t = terms("printer -jam or -toner");
        assert!(t.matches("printer") && !t.matches("jam") && !t.matches("toner"));
        assert!(!t.matches("or"));
        // ASCII words compare without lowercasing; others are lowercased first.
        let t = terms("PRINT* über* ab");
        assert!(t.matches("Printing") && t.matches("print") && !t.matches("pri"));
        assert!(t.matches("Überweisung") && t.matches("ÜBER") && !t.matches("uber"));
        assert!(t.matches("AB") && !t.matches("abc") && !t.matches("a"));
        // A match near the start: no cut before, and a cut after the sixteenth word.
        let long = (0..40)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        let p = show(&passage(&format!("w x ab {long}"), &t).unwrap());
        assert_eq!(p, "w x [ab] w0 w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12…");
        // The byte search for ASCII text finds the same passage as splitting every word.
        let texts = [
            "a b c d e f g h ab i j",
            "Ab",
            "x-ab, y; AB! z ab",
            "abc ab",
            "cab ab",
            "  , ; ab",
            "one two three four five six seven eight nine printer",
            "no match here",
            "overprinted printing",
            "",
        ];
        for q in ["ab", "print*", "ab printer", "über", "x y"] {
            let t = terms(q);
            for text in texts {
                assert_eq!(
                    passage(text, &t),
                    passage_from(text, &t, 0),
                    "{q:?} in {text:?}"
                );
            }
        }
        // Markup stays text: escaping happens later, in `search::highlight`.
        assert_eq!(
            show(&passage("<b>printer</b>", &terms("printer")).unwrap()),
            "b>[printer]</b"
        );
    }
}
