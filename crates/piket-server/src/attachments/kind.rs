//! What a file is, judged by its first bytes (never by its name or the client's Content-Type),
//! the allow-list of kinds an administrator accepts, and safe file names.

/// Every kind Piket can recognise and may accept: (name, stored content type).
pub const KINDS: &[(&str, &str)] = &[
    ("png", "image/png"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
    ("pdf", "application/pdf"),
    ("text", "text/plain; charset=utf-8"),
    ("zip", "application/zip"),
    ("gz", "application/gzip"),
    ("7z", "application/x-7z-compressed"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    (
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    ("odt", "application/vnd.oasis.opendocument.text"),
    ("ods", "application/vnd.oasis.opendocument.spreadsheet"),
    ("odp", "application/vnd.oasis.opendocument.presentation"),
];

/// How many leading bytes the sniffer looks at (Office files name their parts early in the zip).
pub const SNIFF_BYTES: usize = 64 * 1024;

/// Raster images shown inline and given thumbnails.
pub fn is_inline_image(kind: &str) -> bool {
    matches!(kind, "png" | "jpeg" | "gif" | "webp")
}

pub fn content_type(kind: &str) -> &'static str {
    KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, t)| *t)
        .unwrap_or("application/octet-stream")
}

/// The kind a stored content type came from.
pub fn kind_of_content_type(ct: &str) -> Option<&'static str> {
    KINDS.iter().find(|(_, t)| *t == ct).map(|(k, _)| *k)
}

/// Check a configured allow-list; `None` means every kind above.
pub fn parse_allow_list(list: Option<&[String]>) -> Result<Vec<String>, String> {
    let Some(list) = list else {
        return Ok(KINDS.iter().map(|(k, _)| k.to_string()).collect());
    };
    let mut out = Vec::new();
    for item in list {
        let name = item.trim().to_lowercase();
        let name = match name.as_str() {
            "" => continue,
            "jpg" => "jpeg".to_string(),
            "txt" | "log" | "csv" => "text".to_string(),
            _ => name,
        };
        if !KINDS.iter().any(|(k, _)| *k == name) {
            let known: Vec<&str> = KINDS.iter().map(|(k, _)| *k).collect();
            return Err(format!(
                "unknown attachment type {item:?} (known: {})",
                known.join(", ")
            ));
        }
        if !out.contains(&name) {
            out.push(name);
        }
    }
    Ok(out)
}

type Matcher = fn(&[u8]) -> bool;

/// What the first bytes are: one of [`KINDS`], or a name for something never accepted
/// (`html`, `svg`, `binary`, ...), or `None` when too little was seen to say.
pub fn sniff(head: &[u8], complete: bool) -> &'static str {
    use infer::{archive, doc, image, odf};
    let checks: &[(Matcher, &'static str)] = &[
        (image::is_png, "png"),
        (image::is_jpeg, "jpeg"),
        (image::is_gif, "gif"),
        (image::is_webp, "webp"),
        (archive::is_pdf, "pdf"),
        (doc::is_docx, "docx"),
        (doc::is_xlsx, "xlsx"),
        (doc::is_pptx, "pptx"),
        (odf::is_odt, "odt"),
        (odf::is_ods, "ods"),
        (odf::is_odp, "odp"),
        (archive::is_zip, "zip"),
        (archive::is_gz, "gz"),
        (archive::is_7z, "7z"),
    ];
    for (check, name) in checks {
        if check(head) {
            return name;
        }
    }
    if looks_like_markup(head) {
        return "html";
    }
    if is_text(head, complete) {
        return "text";
    }
    "binary"
}

/// The WHATWG "HTML" and XML sniffing patterns: a browser would render such text as a page.
fn looks_like_markup(head: &[u8]) -> bool {
    let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map(|i| &body[i..])
        .unwrap_or_default();
    let lower: Vec<u8> = start.iter().take(16).map(u8::to_ascii_lowercase).collect();
    const TAGS: &[&[u8]] = &[
        b"<!doctype html",
        b"<html",
        b"<head",
        b"<script",
        b"<iframe",
        b"<h1",
        b"<div",
        b"<font",
        b"<table",
        b"<a",
        b"<style",
        b"<title",
        b"<b",
        b"<body",
        b"<br",
        b"<p",
        b"<!--",
        b"<?xml",
        b"<svg",
    ];
    TAGS.iter().any(|tag| {
        lower.starts_with(tag)
            && matches!(
                lower.get(tag.len()),
                None | Some(b' ' | b'>' | b'\t' | b'\n' | b'\r' | b'/' | b'-')
            )
    })
}

/// UTF-8 without control characters other than tab, newlines and form feed. A multi-byte
/// character cut off at the end of the sniffed window is fine unless the file ends there.
fn is_text(head: &[u8], complete: bool) -> bool {
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        Err(e) if !complete && e.error_len().is_none() => {
            std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return false,
    };
    !text.is_empty()
        && !text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c'))
}

/// A file name safe to store and show: the last path segment, no control or path characters,
/// no leading dots, at most 120 characters; `file` when nothing is left.
pub fn sanitize_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        // Control characters, and the invisible direction marks that make `exe.pdf` look like
        // `fdp.exe`.
        .filter(|c| {
            !c.is_control()
                && !matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .map(|c| match c {
            ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c => c,
        })
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    let short: String = trimmed.chars().take(120).collect();
    if short.is_empty() {
        "file".to_string()
    } else {
        short
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides_not_the_name() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", true), "png");
        assert_eq!(sniff(b"%PDF-1.7\n", true), "pdf");
        assert_eq!(sniff(b"hello, world\n2,3\n", true), "text");
        assert_eq!(sniff(b"  <!DOCTYPE html><p>x", true), "html");
        assert_eq!(sniff(b"<svg xmlns='x'>", true), "html");
        assert_eq!(sniff(b"<13>Nov 24 syslog line", true), "text");
        assert_eq!(sniff(b"\x7fELF\x02\x01\x01\0", true), "binary");
        assert_eq!(sniff(b"MZ\x90\0\x03\0", true), "binary");
        assert_eq!(sniff("caf\u{e9}".as_bytes(), true), "text");
        assert_eq!(sniff(&"caf\u{e9}".as_bytes()[..4], false), "text");
        assert_eq!(sniff(&"caf\u{e9}".as_bytes()[..4], true), "binary");
    }

    #[test]
    fn names_lose_paths_and_controls() {
        assert_eq!(sanitize_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_name("C:\\x\\evil\u{0}\r\n.png"), "evil.png");
        assert_eq!(sanitize_name("..hidden"), "hidden");
        assert_eq!(sanitize_name("invoice\u{202e}fdp.exe"), "invoicefdp.exe");
        assert_eq!(sanitize_name("a<b>.txt"), "a_b_.txt");
        assert_eq!(sanitize_name("../"), "file");
        assert_eq!(
            sanitize_name("laporan bulan ini.pdf"),
            "laporan bulan ini.pdf"
        );
    }

    #[test]
    fn allow_list_accepts_aliases_and_refuses_unknowns() {
        let l = parse_allow_list(Some(&["PNG".into(), "jpg".into(), "csv".into()])).unwrap();
        assert_eq!(l, vec!["png", "jpeg", "text"]);
        assert!(parse_allow_list(Some(&["html".into()])).is_err());
        assert!(parse_allow_list(None).unwrap().contains(&"pdf".to_string()));
    }
}
