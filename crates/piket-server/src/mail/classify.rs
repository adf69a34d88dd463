//! Automatic mail and bounces: what must never be answered automatically (RFC 3834's
//! `Auto-Submitted`, `Precedence: bulk/junk/list`, `X-Autoreply`, mailing lists, daemons and
//! no-reply senders) and delivery reports, whose failed recipient and original message are
//! found for the ticket they concern.

use mail_parser::{Message, MimeHeaders};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A person wrote it.
    Personal,
    /// Sent by a machine: processed, never answered. The reason names the header.
    Automatic(String),
    /// A delivery report: the address that failed (if found) and the Message-IDs the report
    /// quotes (the mail that bounced).
    Bounce {
        recipient: String,
        quoted_ids: Vec<String>,
    },
}

fn header(msg: &Message<'_>, name: &str) -> Option<String> {
    msg.header(name)
        .and_then(|v| v.as_text().map(str::to_string))
        .or_else(|| msg.header_raw(name).map(|s| s.trim().to_string()))
        .filter(|s| !s.is_empty())
        .map(|s| s.to_lowercase())
}

pub fn classify(msg: &Message<'_>, from: &str) -> Kind {
    let local = from.split('@').next().unwrap_or_default();
    let report = msg.root_part().content_type().is_some_and(|c| {
        c.ctype().eq_ignore_ascii_case("multipart")
            && c.subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
            && c.attribute("report-type")
                .is_some_and(|t| t.eq_ignore_ascii_case("delivery-status"))
    });
    let daemon = local == "mailer-daemon" || local == "postmaster";
    if report || daemon {
        let text = String::from_utf8_lossy(msg.raw_message());
        return Kind::Bounce {
            recipient: failed_recipient(&text).unwrap_or_default(),
            quoted_ids: quoted_ids(&text),
        };
    }
    if let Some(v) = header(msg, "Auto-Submitted") {
        if v != "no" {
            return Kind::Automatic(format!("Auto-Submitted: {v}"));
        }
    }
    if let Some(v) = header(msg, "Precedence") {
        if matches!(v.as_str(), "bulk" | "junk" | "list") {
            return Kind::Automatic(format!("Precedence: {v}"));
        }
    }
    for h in ["X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"] {
        if header(msg, h).is_some() {
            return Kind::Automatic(h.to_string());
        }
    }
    if header(msg, "List-Id").is_some() {
        return Kind::Automatic("List-Id".into());
    }
    let noreply = local.replace(['-', '_', '.'], "");
    if noreply == "noreply" || noreply == "donotreply" {
        return Kind::Automatic(format!("sender {from}"));
    }
    Kind::Personal
}

/// `Final-Recipient: rfc822; someone@example.com` from a delivery status.
fn failed_recipient(text: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        if !name.trim().eq_ignore_ascii_case("final-recipient")
            && !name.trim().eq_ignore_ascii_case("original-recipient")
        {
            return None;
        }
        let addr = value.rsplit(';').next()?.trim().trim_matches(['<', '>']);
        addr.contains('@').then(|| addr.to_lowercase())
    })
}

/// Every `<…@…>` after a Message-ID or References header in the report's text.
fn quoted_ids(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        if !(name.eq_ignore_ascii_case("message-id")
            || name.eq_ignore_ascii_case("references")
            || name.eq_ignore_ascii_case("in-reply-to"))
        {
            continue;
        }
        for piece in value.split('<').skip(1) {
            if let Some((id, _)) = piece.split_once('>') {
                if id.contains('@') && !out.iter().any(|o| o == id) {
                    out.push(id.to_string());
                }
            }
        }
        if out.len() > 50 {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::MessageParser;

    fn kind(raw: &str) -> Kind {
        let msg = MessageParser::default()
            .parse(raw.as_bytes())
            .unwrap_or_default();
        let from = msg
            .from()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .unwrap_or_default()
            .to_lowercase();
        classify(&msg, &from)
    }

    #[test]
    fn machines_are_recognised_and_people_are_not() {
        let person = "From: a@x.example\r\nSubject: hi\r\n\r\nhello\r\n";
        assert_eq!(kind(person), Kind::Personal);
        let auto = "From: a@x.example\r\nAuto-Submitted: auto-replied\r\n\r\naway\r\n";
        assert!(matches!(kind(auto), Kind::Automatic(r) if r.contains("auto-replied")));
        let no = "From: a@x.example\r\nAuto-Submitted: no\r\n\r\nhi\r\n";
        assert_eq!(kind(no), Kind::Personal);
        let bulk = "From: a@x.example\r\nPrecedence: bulk\r\n\r\nnews\r\n";
        assert!(matches!(kind(bulk), Kind::Automatic(_)));
        let list = "From: a@x.example\r\nList-Id: <l.x.example>\r\n\r\nnews\r\n";
        assert!(matches!(kind(list), Kind::Automatic(_)));
        let noreply = "From: no-reply@x.example\r\n\r\nnews\r\n";
        assert!(matches!(kind(noreply), Kind::Automatic(_)));
    }

    #[test]
    fn a_delivery_report_names_the_recipient_and_the_bounced_message() {
        let raw = "From: MAILER-DAEMON@mx.example\r\nTo: desk@x.example\r\n\
            Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n\
            --b\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n\
            --b\r\nContent-Type: message/delivery-status\r\n\r\n\
            Reporting-MTA: dns; mx.example\r\n\r\nFinal-Recipient: rfc822; Gone@Y.example\r\nAction: failed\r\n\
            --b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <piket.o4.t9.abc@desk>\r\nSubject: x\r\n\
            --b--\r\n";
        match kind(raw) {
            Kind::Bounce {
                recipient,
                quoted_ids,
            } => {
                assert_eq!(recipient, "gone@y.example");
                assert_eq!(quoted_ids, vec!["piket.o4.t9.abc@desk".to_string()]);
            }
            other => panic!("not a bounce: {other:?}"),
        }
    }
}
