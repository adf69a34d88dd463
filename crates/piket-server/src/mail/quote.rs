//! Stripping the quoted history from a reply: everything from the first line that opens a
//! quote (`On … wrote:` and its Indonesian `Pada … menulis:`, Outlook's separators and header
//! blocks, `-----Original Message-----`) and the trailing `>` block. If that would leave
//! nothing, the text is kept whole.

/// The reply's own text.
pub fn strip(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut end = lines.len();
    for (i, line) in lines.iter().enumerate() {
        if opens_quote(line, lines.get(i + 1).copied()) {
            end = i;
            break;
        }
    }
    // A trailing block of `>` lines (and blank lines between them).
    while end > 0 {
        let l = lines[end - 1].trim();
        if l.starts_with('>') || l.is_empty() {
            end -= 1;
        } else {
            break;
        }
    }
    let kept = lines[..end].join("\n").trim_end().to_string();
    if kept.trim().is_empty() {
        text.trim_end().to_string()
    } else {
        kept
    }
}

fn opens_quote(line: &str, next: Option<&str>) -> bool {
    let l = line.trim();
    let lower = l.to_lowercase();
    // "On Mon, 7 Dec 2026 at 10:00, Ana <ana@x> wrote:" (sometimes broken over two lines).
    // Greek: "Στις … ο/η … έγραψε:".
    let wrote =
        |s: &str| s.ends_with("wrote:") || s.ends_with("menulis:") || s.ends_with("έγραψε:");
    let opens =
        lower.starts_with("on ") || lower.starts_with("pada ") || lower.starts_with("στις ");
    if opens && wrote(&lower) {
        return true;
    }
    if opens && next.is_some_and(|n| wrote(&n.trim().to_lowercase())) {
        return true;
    }
    if lower.starts_with("-----original message-----")
        || lower.starts_with("-----pesan asli-----")
        || lower.starts_with("-----pesan asal-----")
    {
        return true;
    }
    // Outlook: a line of underscores, then "From:" (or "Dari:").
    if l.len() >= 20 && l.chars().all(|c| c == '_') {
        return true;
    }
    // Outlook's header block without a separator: "From: …" followed by "Sent:"/"Dikirim:".
    if (lower.starts_with("from:") || lower.starts_with("dari:"))
        && next.is_some_and(|n| {
            let n = n.trim().to_lowercase();
            n.starts_with("sent:") || n.starts_with("dikirim:") || n.starts_with("date:")
        })
    {
        return true;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::strip;

    #[test]
    fn english_and_indonesian_attributions_end_the_reply() {
        let en = "Thanks, it works now.\n\nOn Mon, 7 Dec 2026 at 10:00, Desk <desk@x.example> wrote:\n> Try again\n> please";
        assert_eq!(strip(en), "Thanks, it works now.");
        let two_lines = "Fine.\nOn Mon, 7 Dec 2026 at 10:00, Desk <desk@x.example>\nwrote:\n> old";
        assert_eq!(strip(two_lines), "Fine.");
        let id = "Sudah bisa, terima kasih.\n\nPada tanggal Sen, 7 Des 2026 pukul 10.00 Desk <desk@x.example> menulis:\n> Coba lagi";
        assert_eq!(strip(id), "Sudah bisa, terima kasih.");
        let el = "Ευχαριστώ.\n\nΣτις Δευ 7 Δεκ 2026 στις 10:00, ο/η Desk <desk@x.example> έγραψε:\n> Δοκιμάστε ξανά";
        assert_eq!(strip(el), "Ευχαριστώ.");
    }

    #[test]
    fn outlook_separators_and_trailing_quotes_go() {
        let outlook = "Still broken.\n\n________________________________\nFrom: Desk\nSent: Monday\nSubject: x\n\nold text";
        assert_eq!(strip(outlook), "Still broken.");
        let block = "Done.\nFrom: Desk <desk@x.example>\nSent: Monday, 7 December 2026\nold";
        assert_eq!(strip(block), "Done.");
        let original = "See below.\n-----Original Message-----\nold";
        assert_eq!(strip(original), "See below.");
        let trailing = "ok\n\n> quoted\n>\n> more";
        assert_eq!(strip(trailing), "ok");
    }

    #[test]
    fn a_reply_that_is_only_a_quote_is_kept_and_inline_answers_stay() {
        let only = "> everything quoted";
        assert_eq!(strip(only), "> everything quoted");
        let inline = "> question one\nanswer one\n> question two\nanswer two";
        assert_eq!(strip(inline), inline);
    }
}
