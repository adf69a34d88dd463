//! The email channel: mailboxes fetched over IMAP or POP3 whose mail becomes tickets and replies.
//!
//! `service` holds the mailboxes' rules (settings, the sealed password, the first fetch's
//! choice, the quarantine), `intake` turns one fetched mail into one ticket change recorded in
//! the same transaction, `parse` reads a raw message under limits, `classify` spots automatic
//! mail and bounces, `quote` strips quoted history, `token` signs ticket numbers and the
//! Message-IDs Piket sends, `thread` finds the ticket a mail answers and writes the outgoing
//! headers, `fetch/` speaks IMAP and POP3, `worker` runs one fetcher per mailbox across nodes.

pub mod api;
pub mod classify;
pub mod fetch;
pub mod intake;
pub mod pages;
pub mod parse;
pub mod quote;
pub mod service;
pub mod split;
mod store;
pub mod thread;
pub mod tnef;
pub mod token;
pub mod worker;

use serde::{Deserialize, Serialize};

/// The protocols a mailbox is fetched with.
pub const PROTOCOLS: &[&str] = &["imap", "pop3"];
/// `tls`: implicit TLS; `starttls`: upgrade a plain connection; `plain`: none (an administrator
/// must say they understand).
pub const TLS_MODES: &[&str] = &["tls", "starttls", "plain"];
/// What happens to a mail once it is taken: IMAP `seen`, `move` or `delete`; POP3 `delete` or
/// `keep` (remembered by UIDL).
pub const AFTER_FETCH: &[&str] = &["seen", "move", "delete", "keep"];
/// What a mail from an address Piket does not know does: `create` a requester account (it can
/// sign in once they set a password through a reset link) or `refuse` it with an answer.
pub const UNKNOWN_SENDERS: &[&str] = &["create", "refuse"];
/// The authentication a mailbox uses; `xoauth2` is reserved for Microsoft 365 and Gmail.
pub const AUTH_KINDS: &[&str] = &["password"];

/// A mailbox as the API and the admin page show it (never its password).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Mailbox {
    pub id: i64,
    pub name: String,
    pub protocol: String,
    pub host: String,
    pub port: i64,
    pub tls: String,
    /// Whether the server's certificate is checked (off only for a self-signed test server).
    pub tls_verify: bool,
    pub auth: String,
    pub username: String,
    /// Whether a password is stored; the password itself is never returned.
    pub password_set: bool,
    pub folder: String,
    pub after_fetch: String,
    pub move_to: String,
    pub poll_secs: i64,
    pub department_id: Option<i64>,
    pub category_id: Option<i64>,
    pub priority: String,
    /// The address replies go out from (and come back to).
    pub reply_address: String,
    pub unknown_senders: String,
    pub enabled: bool,
    /// `ask` (a large backlog waits for a choice), `new` or `all`.
    pub first_fetch: String,
    /// Mails found waiting the first time the folder was read.
    pub backlog: i64,
    /// Mails taken so far.
    pub fetched: i64,
    pub last_ok_at: Option<String>,
    pub last_error: String,
    pub created_at: String,
    pub updated_at: String,
}

/// A mailbox's settings as written; `password` empty keeps the stored one.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailboxInput {
    pub name: String,
    pub protocol: String,
    pub host: String,
    pub port: Option<i64>,
    pub tls: String,
    #[serde(default = "yes")]
    pub tls_verify: bool,
    /// Required with `tls: "plain"`: the password then crosses the network in the clear.
    #[serde(default)]
    pub plain_understood: bool,
    pub username: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub folder: Option<String>,
    pub after_fetch: String,
    #[serde(default)]
    pub move_to: String,
    pub poll_secs: Option<i64>,
    pub department_id: Option<i64>,
    pub category_id: Option<i64>,
    pub priority: Option<String>,
    #[serde(default)]
    pub reply_address: String,
    pub unknown_senders: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// The answer to "Test connection": the step that failed (`dns`, `tcp`, `tls`, `login`,
/// `folder`) or none, and what the server said.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TestResult {
    pub ok: bool,
    pub failed_step: Option<String>,
    pub detail: String,
    /// Mails in the folder, when it opened.
    pub messages: Option<i64>,
}

/// One received mail, for the quarantine list and the ticket page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Received {
    pub id: i64,
    pub mailbox_id: i64,
    pub message_id: String,
    pub sender: String,
    pub subject: String,
    pub outcome: String,
    pub reason: String,
    pub ticket_id: Option<i64>,
    pub comment_id: Option<i64>,
    pub raw_size: i64,
    pub received_at: String,
}
