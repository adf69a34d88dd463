//! Reading a raw message under limits: its size, its number of parts and its nesting were
//! checked before anything else looks at it; what `intake` needs comes out as plain values.

use mail_parser::{MessageParser, MimeHeaders, PartType};

use super::classify::{self, Kind};
use super::split::{self, Extracted};
use super::tnef;

/// Parts one mail may have (a mail bomb of 10 000 parts is quarantined, not processed).
pub const MAX_PARTS: usize = 500;
/// Attachments taken from one mail; the rest are named in the reason.
pub const MAX_ATTACHMENTS: usize = 50;

/// Why a mail cannot be processed (it goes to the quarantine with this reason).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreadable {
    TooLarge { size: u64, max: u64 },
    TooManyParts(usize),
    Undecodable,
    NoSender,
}

impl Unreadable {
    pub fn reason(&self) -> String {
        match self {
            Unreadable::TooLarge { size, max } => {
                format!("too_large: {size} > {max} B")
            }
            Unreadable::TooManyParts(n) => {
                format!("too_many_parts: {n} > {MAX_PARTS}")
            }
            Unreadable::Undecodable => "undecodable".into(),
            Unreadable::NoSender => "no_sender".into(),
        }
    }
}

/// A file the mail carried.
pub struct Attachment {
    pub name: String,
    pub bytes: Vec<u8>,
    /// Referenced from the HTML as `cid:` (an inline image).
    pub inline: bool,
    /// Its bytes are in the mail's `files[n]` (a large mail, split before parsing).
    pub file: Option<usize>,
}

/// What Piket takes from a mail.
pub struct Incoming {
    /// Without angle brackets; empty when the mail has none.
    pub message_id: String,
    /// `In-Reply-To` then `References`, newest first, without angle brackets.
    pub refers_to: Vec<String>,
    /// The sender's address, lowercased.
    pub from: String,
    pub from_name: String,
    pub subject: String,
    /// The text part, or the HTML part turned into text.
    pub text: String,
    pub html_only: bool,
    pub attachments: Vec<Attachment>,
    /// Attachments left out past `MAX_ATTACHMENTS`.
    pub attachments_dropped: usize,
    pub kind: Kind,
    /// The files a large mail's parts were decoded into (`split`), by `Attachment::file`.
    pub files: Vec<Extracted>,
}

/// Parse `raw` (already within the size limit).
pub fn parse(raw: &[u8]) -> Result<Incoming, Unreadable> {
    parse_split(raw, Vec::new())
}

/// Parse the skeleton of a split mail, whose file parts are in `files` (see `split`).
pub fn parse_split(raw: &[u8], files: Vec<Extracted>) -> Result<Incoming, Unreadable> {
    let msg = MessageParser::default()
        .parse(raw)
        .ok_or(Unreadable::Undecodable)?;
    if msg.parts.len() > MAX_PARTS {
        return Err(Unreadable::TooManyParts(msg.parts.len()));
    }
    let (from, from_name) = msg
        .from()
        .and_then(|a| a.first())
        .map(|a| {
            (
                a.address().unwrap_or_default().trim().to_lowercase(),
                a.name().unwrap_or_default().trim().to_string(),
            )
        })
        .unwrap_or_default();
    if from.is_empty() {
        return Err(Unreadable::NoSender);
    }
    let mut refers_to: Vec<String> = Vec::new();
    for v in [msg.in_reply_to(), msg.references()] {
        if let Some(list) = v.as_text_list() {
            // References lists oldest first; the newest is the likeliest match.
            for id in list.iter().rev() {
                let id = id.trim().trim_start_matches('<').trim_end_matches('>');
                if !id.is_empty() && !refers_to.iter().any(|r| r == id) {
                    refers_to.push(id.to_string());
                }
            }
        }
    }
    let html_only = msg.text_body_count() == 0 && msg.html_body_count() > 0
        || msg
            .text_part(0)
            .is_some_and(|p| p.is_content_type("text", "html"));
    let text = msg.body_text(0).map(|t| t.into_owned()).unwrap_or_default();
    // Which parts are attachments, and their names; their bytes are moved out of the parsed
    // message below, not copied (a 25 MB mail would otherwise sit in memory three times).
    let mut wanted: Vec<(usize, String, bool, Option<usize>)> = Vec::new();
    let mut dropped = 0;
    for &id in &msg.attachments {
        let Some(part) = msg.parts.get(id as usize) else {
            continue;
        };
        if wanted.len() >= MAX_ATTACHMENTS {
            dropped += 1;
            continue;
        }
        let name = part
            .attachment_name()
            .map(str::to_string)
            .unwrap_or_else(|| {
                if part.is_message() {
                    "message.eml".to_string()
                } else {
                    let ext = part
                        .content_type()
                        .and_then(|c| c.subtype())
                        .unwrap_or("bin");
                    format!("attachment.{ext}")
                }
            });
        // Honoured only for a split mail: the mark names one of its own decoded parts.
        let file = part
            .headers()
            .iter()
            .find(|h| h.name().eq_ignore_ascii_case(split::MARK))
            .and_then(|h| h.value.as_text())
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|n| *n < files.len());
        wanted.push((id as usize, name, part.content_id().is_some(), file));
    }
    let message_id = msg.message_id().unwrap_or_default().to_string();
    let subject = msg.subject().unwrap_or_default().trim().to_string();
    let kind = classify::classify(&msg, &from);
    let mut msg = msg;
    let mut attachments = Vec::with_capacity(wanted.len());
    for (id, name, inline, file) in wanted {
        let body = std::mem::take(&mut msg.parts[id].body);
        let bytes = match body {
            PartType::Text(t) | PartType::Html(t) => t.into_owned().into_bytes(),
            PartType::Binary(b) | PartType::InlineBinary(b) => b.into_owned(),
            PartType::Message(m) => m.raw_message.into_owned(),
            PartType::Multipart(_) => Vec::new(),
        };
        // Outlook's rich text wraps the files in `winmail.dat`: its files, not it.
        if name.eq_ignore_ascii_case("winmail.dat") {
            if let Some(inside) = tnef::files(&bytes) {
                for f in inside {
                    if attachments.len() >= MAX_ATTACHMENTS {
                        dropped += 1;
                        continue;
                    }
                    attachments.push(Attachment {
                        name: f.name,
                        bytes: f.bytes,
                        inline: false,
                        file: None,
                    });
                }
                continue;
            }
        }
        attachments.push(Attachment {
            name,
            bytes,
            inline,
            file,
        });
    }
    drop(msg);
    Ok(Incoming {
        message_id,
        refers_to,
        subject,
        kind,
        from,
        from_name,
        text,
        html_only,
        attachments,
        attachments_dropped: dropped,
        files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn winmail_dat_is_opened_into_its_files() {
        use base64::Engine as _;
        let dat = super::tnef::tests::winmail(&[("report.txt", b"disk full"), ("b.txt", b"x")]);
        let b64 = base64::engine::general_purpose::STANDARD.encode(dat);
        let raw = format!(
            "From: a@x.example\r\nSubject: rich\r\nContent-Type: multipart/mixed; boundary=z\r\n\r\n\
             --z\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n\
             --z\r\nContent-Type: application/ms-tnef; name=winmail.dat\r\n\
             Content-Disposition: attachment; filename=winmail.dat\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{b64}\r\n--z--\r\n"
        );
        let mail = parse(raw.as_bytes()).unwrap();
        let names: Vec<&str> = mail.attachments.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, vec!["report.txt", "b.txt"]);
        assert_eq!(mail.attachments[0].bytes, b"disk full");
        // A broken winmail.dat stays attached as it came.
        let start = raw.find("base64\r\n\r\n").unwrap() + "base64\r\n\r\n".len();
        let end = raw.find("\r\n--z--").unwrap();
        let raw = format!("{}bm90IHRuZWY={}", &raw[..start], &raw[end..]);
        let mail = parse(raw.as_bytes()).unwrap();
        assert_eq!(mail.attachments[0].name, "winmail.dat");
    }
}
