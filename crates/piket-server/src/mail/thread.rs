//! Threading both ways. Incoming: the ticket a mail answers, from a Message-ID Piket sent (its
//! MAC checked), one it received into a ticket, or the signed subject token. Outgoing: the
//! headers a ticket's mail carries so that clients thread it and replies come back.

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use super::parse::Incoming;
use super::{store, token};
use crate::error::AppResult;

/// Where a mail belongs, and why (a reason code and its detail, shown to staff).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    Ticket {
        id: i64,
        code: &'static str,
        detail: String,
        /// It answers an internal note's notification: staff's answer stays internal.
        note: bool,
    },
    /// The subject names `[#N]` without a valid signature: a new ticket, saying so.
    Unsigned(i64),
    None,
}

pub async fn find(conn: &mut AnyConnection, key: &[u8; 32], mail: &Incoming) -> AppResult<Found> {
    for id in &mail.refers_to {
        if let Some((outbox, t)) = token::sent_id(key, id) {
            let note = match outbox {
                Some(o) => crate::notify::outbox::headers_of(conn, o)
                    .await?
                    .and_then(|h| serde_json::from_str::<OutHeaders>(&h).ok())
                    .is_some_and(|h| h.note),
                None => false,
            };
            return Ok(Found::Ticket {
                id: t,
                code: "reply_header",
                detail: format!("<{id}>, #{t}"),
                note,
            });
        }
    }
    let known = store::tickets_of_message_ids(conn, &mail.refers_to).await?;
    if let Some(t) = known.first() {
        return Ok(Found::Ticket {
            id: *t,
            code: "reply_header",
            detail: format!("#{t}"),
            note: false,
        });
    }
    Ok(match token::in_subject(key, &mail.subject) {
        token::SubjectRef::Signed(t) => Found::Ticket {
            id: t,
            code: "reply_token",
            detail: format!("#{t}"),
            note: false,
        },
        token::SubjectRef::Unsigned(t) => Found::Unsigned(t),
        token::SubjectRef::None => Found::None,
    })
}

/// The threading headers of a ticket's outgoing mail, kept with the outbox row (its
/// Message-ID is made when it is sent, from the row's id).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct OutHeaders {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// The mail tells of an internal note (an answer to it stays internal).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub note: bool,
}

/// The headers for mail about `ticket`, and the token its subject ends with. `domain` names
/// the thread root's host.
pub async fn outgoing(
    conn: &mut AnyConnection,
    key: &[u8; 32],
    ticket: i64,
    domain: &str,
) -> AppResult<(String, OutHeaders)> {
    let received = store::ticket_message_ids(conn, ticket).await?;
    let root = token::root_id(key, ticket, domain);
    let mut references = vec![root.clone()];
    if let Some(first) = received.first() {
        references.push(format!("<{first}>"));
    }
    let latest = received.last().map(|l| format!("<{l}>"));
    if let Some(l) = &latest {
        if !references.contains(l) {
            references.push(l.clone());
        }
    }
    let headers = OutHeaders {
        reply_to: store::reply_address_for(conn, ticket).await?,
        in_reply_to: Some(latest.unwrap_or(root)),
        references,
        note: false,
    };
    Ok((token::subject_token(key, ticket), headers))
}
