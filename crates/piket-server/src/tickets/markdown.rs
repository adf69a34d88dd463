//! Markdown to HTML through an allow-list: only the elements Markdown itself produces come out.
//! Raw HTML in the source is shown as text, and link and image targets must use an allowed
//! scheme (http, https, mailto, or a relative path), so no script or handler can get through.

use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag};

const ALLOWED_SCHEMES: &[&str] = &["http:", "https:", "mailto:"];

fn safe_url(url: &str) -> bool {
    let lower: String = url
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    match lower.find(':') {
        // A colon before any `/`, `?` or `#` means a scheme; it must be allowed.
        Some(i) if !lower[..i].contains(['/', '?', '#']) => {
            ALLOWED_SCHEMES.iter().any(|s| lower.starts_with(s))
        }
        _ => true,
    }
}

/// Render Markdown to sanitised HTML.
pub fn to_html(source: &str) -> String {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let events = Parser::new_ext(source, options).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: if safe_url(&dest_url) {
                dest_url
            } else {
                CowStr::from("#")
            },
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Image {
            link_type,
            dest_url: if safe_url(&dest_url) {
                dest_url
            } else {
                CowStr::from("#")
            },
            title,
            id,
        }),
        other => other,
    });
    let mut out = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_markdown_and_escapes_raw_html() {
        let html = to_html("**bold** <script>alert(1)</script> <img src=x onerror=alert(1)>");
        assert!(html.contains("<strong>bold</strong>"));
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;"));
    }

    #[test]
    fn drops_dangerous_link_schemes() {
        for src in [
            "[x](javascript:alert(1))",
            "[x]( JaVaScRiPt:alert(1))",
            "[x](data:text/html,hi)",
            "[x](java\tscript:alert(1))",
            "![x](vbscript:msgbox)",
        ] {
            let html = to_html(src);
            for attr in ["href=\"", "src=\""] {
                for part in html.split(attr).skip(1) {
                    let value = part.split('"').next().unwrap_or("");
                    assert!(safe_url(value), "{src} -> {html}");
                }
            }
        }
        assert!(to_html("[x](javascript:alert)").contains("href=\"#\""));
        assert!(to_html("[ok](https://example.com/a?b=c:d)")
            .contains("href=\"https://example.com/a?b=c:d\""));
        assert!(to_html("[rel](/tickets/1)").contains("href=\"/tickets/1\""));
    }
}
