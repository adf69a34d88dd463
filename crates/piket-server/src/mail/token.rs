//! Signed ticket references in mail: the subject token `[#123-3f9a0c21be]` and the Message-IDs
//! Piket sends (`<piket.t123.3f9a0c21be@host>`, `<piket.o45.t123.3f9a0c21be@host>`). The MAC is
//! HMAC-SHA256 of the ticket number under the server's signing key, cut to 40 bits: a stranger
//! who guesses `[#123]` cannot post on ticket 123, and the per-sender limit keeps 2^40 guesses out
//! of reach. A plain `[#123]` is recognised only to say so in the mail's reason.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

const MAC_HEX: usize = 10;

fn mac(key: &[u8; 32], ticket: i64) -> String {
    // HMAC accepts a key of any length, so this cannot fail.
    let Ok(mut m) = Hmac::<Sha256>::new_from_slice(key) else {
        return String::new();
    };
    m.update(format!("piket-ticket:{ticket}").as_bytes());
    let out = m.finalize().into_bytes();
    hex::encode(&out[..MAC_HEX / 2])
}

fn mac_ok(key: &[u8; 32], ticket: i64, given: &str) -> bool {
    given.len() == MAC_HEX && bool::from(mac(key, ticket).as_bytes().ct_eq(given.as_bytes()))
}

/// The token a ticket's outgoing subjects carry.
pub fn subject_token(key: &[u8; 32], ticket: i64) -> String {
    format!("[#{ticket}-{}]", mac(key, ticket))
}

/// What a subject says about a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectRef {
    /// A token whose MAC is right.
    Signed(i64),
    /// `[#N]`, or `[#N-…]` with a wrong MAC: not enough to post on ticket N.
    Unsigned(i64),
    None,
}

/// The first ticket token in `subject`.
pub fn in_subject(key: &[u8; 32], subject: &str) -> SubjectRef {
    // Tokens sit near the start; a hostile subject of a million `[#` is read only so far, and
    // each bracket once.
    let mut cut = subject.len().min(1024);
    while !subject.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut rest = &subject[..cut];
    let mut unsigned = None;
    while let Some(at) = rest.find("[#") {
        rest = &rest[at + 2..];
        let Some(end) = rest.find(']') else { break };
        let inner = &rest[..end];
        let after = &rest[end + 1..];
        let (num, given) = inner.split_once('-').unwrap_or((inner, ""));
        if let Ok(n) = num.parse::<i64>() {
            if n > 0 && mac_ok(key, n, given) {
                return SubjectRef::Signed(n);
            }
            if n > 0 && unsigned.is_none() {
                unsigned = Some(n);
            }
        }
        rest = after;
    }
    unsigned.map_or(SubjectRef::None, SubjectRef::Unsigned)
}

/// The Message-ID every mail about `ticket` refers to (the thread's root).
pub fn root_id(key: &[u8; 32], ticket: i64, domain: &str) -> String {
    format!("<piket.t{ticket}.{}@{domain}>", mac(key, ticket))
}

/// The Message-ID of outbox message `outbox` about `ticket`.
pub fn message_id(key: &[u8; 32], outbox: i64, ticket: i64, domain: &str) -> String {
    format!("<piket.o{outbox}.t{ticket}.{}@{domain}>", mac(key, ticket))
}

/// The ticket a Message-ID Piket sent names, if its MAC is right.
pub fn ticket_of_id(key: &[u8; 32], id: &str) -> Option<i64> {
    sent_id(key, id).map(|(_, t)| t)
}

/// The outbox message and ticket a Message-ID Piket sent names (the thread's root has no
/// outbox message), if its MAC is right.
pub fn sent_id(key: &[u8; 32], id: &str) -> Option<(Option<i64>, i64)> {
    let id = id.trim().trim_start_matches('<').trim_end_matches('>');
    let (local, _) = id.split_once('@')?;
    let rest = local.strip_prefix("piket.")?;
    let mut parts = rest.split('.');
    let mut first = parts.next()?;
    let mut outbox = None;
    if let Some(o) = first.strip_prefix('o') {
        outbox = Some(o.parse::<i64>().ok()?);
        first = parts.next()?;
    }
    let n: i64 = first.strip_prefix('t')?.parse().ok()?;
    let given = parts.next()?;
    (parts.next().is_none() && mac_ok(key, n, given)).then_some((outbox, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7; 32];

    #[test]
    fn a_signed_subject_names_its_ticket_and_a_guess_does_not() {
        let t = subject_token(&KEY, 123);
        assert_eq!(
            in_subject(&KEY, &format!("Re: Printer {t}")),
            SubjectRef::Signed(123)
        );
        assert_eq!(in_subject(&KEY, "Re: [#123]"), SubjectRef::Unsigned(123));
        assert_eq!(
            in_subject(&KEY, "Re: [#123-0000000000]"),
            SubjectRef::Unsigned(123)
        );
        // Another ticket's MAC does not open this one.
        let other = subject_token(&KEY, 124).replace("#124", "#123");
        assert_eq!(in_subject(&KEY, &other), SubjectRef::Unsigned(123));
        // Another key's token does not open it either.
        let foreign = subject_token(&[8; 32], 123);
        assert_eq!(in_subject(&KEY, &foreign), SubjectRef::Unsigned(123));
        assert_eq!(in_subject(&KEY, "no token [#x] [#"), SubjectRef::None);
        // A subject of a million brackets is read within its first kilobyte, quickly.
        let hostile = format!("{}]", "[#".repeat(1_000_000));
        let started = std::time::Instant::now();
        assert_eq!(in_subject(&KEY, &hostile), SubjectRef::None);
        assert!(started.elapsed() < std::time::Duration::from_millis(200));
    }

    #[test]
    fn sent_message_ids_name_their_ticket_only_when_signed() {
        let root = root_id(&KEY, 9, "desk.example");
        let msg = message_id(&KEY, 77, 9, "desk.example");
        assert_eq!(ticket_of_id(&KEY, &root), Some(9));
        assert_eq!(ticket_of_id(&KEY, &msg), Some(9));
        assert_eq!(ticket_of_id(&KEY, &msg.replace(".t9.", ".t8.")), None);
        assert_eq!(ticket_of_id(&KEY, "<abc@mail.example>"), None);
        assert_eq!(ticket_of_id(&[1; 32], &root), None);
    }
}
