//! One fetched mail becomes one ticket change, recorded in the same transaction by (mailbox,
//! UID key), so a fetch that stops anywhere is taken up again without losing or doubling a mail.
//! A mail that cannot be processed is quarantined with its reason and fetching goes on.
//!
//! Who a mail acts as: its sender's account (a requester made for an unknown sender where the
//! mailbox allows it). Where it lands (`thread::find`): a reply on the ticket it threads to,
//! through the same ticket service and permissions as the web page, so a stranger, or staff who
//! may not reach the ticket, opens a new ticket instead (saying why); otherwise a new ticket
//! with the mailbox's defaults. Message-IDs never decide that a mail is a duplicate.

use sha2::{Digest, Sha256};

use super::classify::Kind;
use super::parse::{self, Incoming, Unreadable};
use super::store::{self, MailboxRow, Record};
use super::thread::{self, Found};
use super::{quote, token};
use crate::attachments::upload::{refusal, stage_bytes, Staged};
use crate::auth::actor::{Actor, Via};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::tickets::model::{MAX_TEXT, MAX_TITLE};
use crate::tickets::work::Work;
use crate::tickets::{NewComment, NewTicket};
use crate::validate::Check;

/// Mails one sender may send in an hour (all mailboxes) before the rest are no longer answered
/// automatically: the brake on any loop the header checks miss.
pub const SENDER_PER_HOUR: i64 = 30;
/// Past this many times the limit, a sender's mail waits in the quarantine (a flood).
pub const FLOOD_FACTOR: i64 = 10;
/// The longest Message-ID kept for threading (longer ones are kept with the mail only).
const MAX_MESSAGE_ID: usize = 250;
/// At most one refusal answer to a sender in this time.
const REFUSAL_EVERY_MS: i64 = 24 * 3_600_000;

/// What became of a mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Taken {
    /// Recorded now with this outcome (`ticket`, `reply`, `bounce`, `ignored`, `refused`,
    /// `quarantined`) and ticket.
    Recorded {
        outcome: &'static str,
        ticket: Option<i64>,
    },
    /// Recorded before (a retry of a fetch that stopped, or another node).
    Already,
}

/// The largest mail taken: twice the attachment limit (base64 grows a file by a third), at
/// least 10 MiB. A larger one is kept in the quarantine, not parsed.
pub fn max_mail_bytes(state: &AppState) -> u64 {
    state
        .config
        .attachment_max_bytes
        .saturating_mul(2)
        .max(10 * 1024 * 1024)
}

/// Where the record goes: a new row for a fetched mail, or the quarantined row being retried.
#[derive(Clone, Copy)]
enum Slot<'a> {
    Fetched(&'a str),
    Retry(i64),
}

/// The raw message as kept in the blob store.
pub struct Raw {
    pub sha256: String,
    pub size: u64,
}

/// Keep `bytes` as the raw message (`<sha256>.eml`).
pub async fn keep_raw(state: &AppState, bytes: &[u8]) -> AppResult<Raw> {
    let sha256 = hex::encode(Sha256::digest(bytes));
    let key = format!("{sha256}.eml");
    let exists = state.blobs.exists(&key).await.map_err(io)?;
    if !exists {
        state
            .blobs
            .put_bytes(&key, bytes.to_vec())
            .await
            .map_err(io)?;
    }
    Ok(Raw {
        sha256,
        size: bytes.len() as u64,
    })
}

fn io(e: std::io::Error) -> AppError {
    match e.kind() {
        std::io::ErrorKind::StorageFull => AppError::from(e),
        _ => AppError::Internal(format!("keeping a raw mail: {e}")),
    }
}

/// Take a fetched mail: its bytes (already kept as `raw`) under `uid_key`.
pub async fn take(
    state: &AppState,
    mb: &MailboxRow,
    uid_key: &str,
    bytes: &[u8],
    files: Vec<super::split::Extracted>,
    raw: &Raw,
) -> AppResult<Taken> {
    {
        let mut conn = state.db.pool.acquire().await?;
        if store::recorded(&mut conn, mb.id, uid_key).await? {
            return Ok(Taken::Already);
        }
    }
    process(state, mb, Slot::Fetched(uid_key), bytes, files, raw).await
}

/// A mail too large to parse: kept and quarantined without reading it.
pub async fn quarantine_oversized(
    state: &AppState,
    mb: &MailboxRow,
    uid_key: &str,
    raw: &Raw,
) -> AppResult<Taken> {
    let why = Unreadable::TooLarge {
        size: raw.size,
        max: max_mail_bytes(state),
    };
    record_alone(
        state,
        mb,
        Slot::Fetched(uid_key),
        raw,
        None,
        "quarantined",
        &why.reason(),
    )
    .await
}

/// A mail from before the first fetch, skipped by the administrator's choice (POP3).
pub async fn skip_backlog(state: &AppState, mb: &MailboxRow, uid_key: &str) -> AppResult<Taken> {
    let raw = Raw {
        sha256: String::new(),
        size: 0,
    };
    let reason = "backlog";
    record_alone(
        state,
        mb,
        Slot::Fetched(uid_key),
        &raw,
        None,
        "ignored",
        reason,
    )
    .await
}

/// Process a quarantined mail again from its kept raw message.
pub async fn retry(
    state: &AppState,
    mb: &MailboxRow,
    received_id: i64,
    sha256: &str,
) -> AppResult<Taken> {
    let bytes = state
        .blobs
        .read(&format!("{sha256}.eml"))
        .await
        .map_err(io)?
        .ok_or(AppError::NotFound)?;
    let raw = Raw {
        sha256: sha256.to_string(),
        size: bytes.len() as u64,
    };
    if raw.size > max_mail_bytes(state) {
        return Err(AppError::Conflict(
            "the mail is still larger than the limit".into(),
        ));
    }
    process(
        state,
        mb,
        Slot::Retry(received_id),
        &bytes,
        Vec::new(),
        &raw,
    )
    .await
}

/// Whether an error may pass by itself (the database or the disk): the mail is tried again on
/// the next round. Any other failure quarantines the mail, so one mail never stops a mailbox.
fn transient(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Unavailable | AppError::StorageFull | AppError::InsufficientStorage
    )
}

async fn process(
    state: &AppState,
    mb: &MailboxRow,
    slot: Slot<'_>,
    bytes: &[u8],
    files: Vec<super::split::Extracted>,
    raw: &Raw,
) -> AppResult<Taken> {
    match process_mail(state, mb, slot, bytes, files, raw).await {
        Err(e) if !transient(&e) => {
            tracing::warn!(mailbox = mb.id, error = ?e, "a mail could not be processed; quarantined");
            let code = match &e {
                AppError::Forbidden => "forbidden",
                AppError::NotFound => "not_found",
                AppError::Conflict(_) => "conflict",
                AppError::Invalid(_) => "invalid",
                AppError::PayloadTooLarge | AppError::QuotaExceeded { .. } => "too_large",
                _ => "error",
            };
            let reason = format!("failed: {code}");
            let mail = parse::parse(bytes).ok();
            record_alone(state, mb, slot, raw, mail.as_ref(), "quarantined", &reason).await
        }
        other => other,
    }
}

async fn process_mail(
    state: &AppState,
    mb: &MailboxRow,
    slot: Slot<'_>,
    bytes: &[u8],
    files: Vec<super::split::Extracted>,
    raw: &Raw,
) -> AppResult<Taken> {
    let mail = match parse::parse_split(bytes, files) {
        Ok(m) => m,
        Err(why) => {
            return record_alone(state, mb, slot, raw, None, "quarantined", &why.reason()).await
        }
    };
    let now = state.now();
    let key = *state.secrets.signing_key();
    if let Kind::Bounce {
        recipient,
        quoted_ids,
    } = &mail.kind
    {
        return bounce(state, mb, slot, raw, &mail, recipient, quoted_ids).await;
    }
    let mut automatic = match &mail.kind {
        Kind::Automatic(why) => Some(why.clone()),
        _ => None,
    };
    {
        // Past the hourly limit a sender's mail is still taken but never answered, which ends
        // any loop; far past it (a flood) it waits in the quarantine, where nothing is lost.
        let mut conn = state.db.pool.acquire().await?;
        let recent = store::from_sender_since(&mut conn, &mail.from, now - 3_600_000).await?;
        drop(conn);
        if recent >= SENDER_PER_HOUR * FLOOD_FACTOR {
            let reason = format!("rate: {}, {}/h", mail.from, SENDER_PER_HOUR * FLOOD_FACTOR);
            return record_alone(state, mb, slot, raw, Some(&mail), "quarantined", &reason).await;
        }
        if recent >= SENDER_PER_HOUR && automatic.is_none() {
            automatic = Some(format!("rate: {SENDER_PER_HOUR}/h"));
        }
    }
    let found = {
        let mut conn = state.db.pool.acquire().await?;
        thread::find(&mut conn, &key, &mail).await?
    };
    let Some(actor) = sender_actor(state, mb, &mail, automatic.is_some()).await? else {
        let reason = format!("refused: {}", mail.from);
        return refuse(state, mb, slot, raw, &mail, &reason, automatic.is_none()).await;
    };
    let auto_note = automatic
        .map(|w| format!(" | automatic: {w}"))
        .unwrap_or_default();
    let mut new_reason = match &found {
        Found::None => "new_ticket".to_string(),
        Found::Unsigned(t) => format!("token_unsigned: [#{t}]"),
        Found::Ticket { .. } => String::new(),
    };
    if let Found::Ticket {
        id,
        code,
        detail,
        note,
    } = &found
    {
        match reply(
            state,
            mb,
            slot,
            raw,
            &mail,
            &actor,
            *id,
            // Staff answering an internal note's mail write a note: it never reaches the
            // requester by a click on Reply.
            *note && crate::tickets::policy::is_staff(&actor),
            &format!("{code}: {detail}{auto_note}"),
        )
        .await
        {
            Ok(taken) => return Ok(taken),
            Err(AppError::NotFound | AppError::Forbidden) => {
                new_reason = format!("not_allowed: #{id}, {}", mail.from);
            }
            Err(AppError::Conflict(_)) => {
                new_reason = format!("closed: #{id}");
            }
            Err(AppError::Invalid(errs)) => {
                let reason = format!("invalid: {}", describe(&errs));
                return record_alone(state, mb, slot, raw, Some(&mail), "quarantined", &reason)
                    .await;
            }
            Err(e) => return Err(e),
        }
    }
    new_reason.push_str(&auto_note);
    match open_ticket(state, mb, slot, raw, &mail, &actor, &new_reason).await {
        Err(AppError::Invalid(errs)) => {
            let reason = format!("invalid: {}", describe(&errs));
            record_alone(state, mb, slot, raw, Some(&mail), "quarantined", &reason).await
        }
        other => other,
    }
}

fn describe(errs: &[crate::error::FieldError]) -> String {
    errs.iter()
        .map(|e| format!("{} {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The sender's actor: their account, or one made for them; `None` when the mailbox refuses
/// unknown senders (or the account is disabled).
async fn sender_actor(
    state: &AppState,
    mb: &MailboxRow,
    mail: &Incoming,
    automatic: bool,
) -> AppResult<Option<Actor>> {
    let via = Via::Mail {
        mailbox: mb.id,
        automatic,
    };
    let mut conn = state.db.pool.acquire().await?;
    let id = match crate::users::accounts::id_by_email(&mut conn, &mail.from).await? {
        Some(id) => id,
        None => {
            let mut c = Check::new();
            let email = c.email("from", &mail.from);
            if c.finish().is_err() || mb.unknown_senders != "create" || automatic {
                return Ok(None);
            }
            let made = async {
                let mut tx = state.db.begin().await?;
                let id = crate::users::accounts::requester_for_mail(
                    &mut tx,
                    &email,
                    &mail.from_name,
                    state.now(),
                )
                .await?;
                tx.commit().await?;
                Ok::<i64, AppError>(id)
            };
            match made.await {
                Ok(id) => id,
                // Made meanwhile for a mail from the same sender on another node.
                Err(AppError::Conflict(_)) => {
                    crate::users::accounts::id_by_email(&mut conn, &email)
                        .await?
                        .ok_or(AppError::Conflict(
                            "the sender's account is being made".into(),
                        ))?
                }
                Err(e) => return Err(e),
            }
        }
    };
    crate::users::accounts::load_actor(&mut conn, id, via, "").await
}

/// Keep the text to what a ticket holds: no control characters, within the length limit.
fn clean_text(text: &str, max: usize) -> String {
    let t: String = text
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect();
    let t = t.trim();
    if t.chars().count() > max {
        const MARK: &str = "\n\n[… cut: the mail is longer; see the original]";
        let cut: String = t.chars().take(max - MARK.chars().count()).collect();
        format!("{cut}{MARK}")
    } else {
        t.to_string()
    }
}

/// The mail's attachments staged through the upload checks; what was left out, by name.
async fn stage(state: &AppState, mail: &Incoming) -> AppResult<(Vec<Staged>, Vec<String>)> {
    let mut staged = Vec::new();
    let mut left = Vec::new();
    for a in &mail.attachments {
        if let Some(n) = a.file {
            match stage_extracted(state, &a.name, &mail.files[n]).await? {
                Some(s) => match refusal(state, &s) {
                    None => staged.push(s),
                    Some(why) => left.push(format!("{} ({why})", s.file_name)),
                },
                None => left.push(format!("{} (too large)", a.name)),
            }
            continue;
        }
        match stage_bytes(state, &a.name, &a.bytes).await? {
            Some(s) => match refusal(state, &s) {
                None => staged.push(s),
                Some(why) => left.push(format!("{} ({why})", s.file_name)),
            },
            None => left.push(format!("{} (too large)", a.name)),
        }
    }
    if mail.attachments_dropped > 0 {
        left.push(format!("{} more attachments", mail.attachments_dropped));
    }
    Ok((staged, left))
}

/// A part a large mail was split into, staged like an upload (copied: a failed reply may
/// stage it again for a new ticket).
async fn stage_extracted(
    state: &AppState,
    name: &str,
    file: &super::split::Extracted,
) -> AppResult<Option<Staged>> {
    use crate::attachments::kind;
    if file.size > state.config.attachment_max_bytes {
        return Ok(None);
    }
    let staged = Staged {
        path: crate::storage::staging_path(state.blobs.staging_dir()),
        file_name: kind::sanitize_name(name),
        kind: kind::sniff(&file.head, file.size as usize <= file.head.len()),
        size: file.size,
        sha256: file.sha256.clone(),
    };
    tokio::fs::copy(&file.path, &staged.path)
        .await
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::StorageFull => AppError::from(e),
            _ => AppError::Internal(format!("staging a mail's file: {e}")),
        })?;
    Ok(Some(staged))
}

fn with_left(reason: &str, left: &[String]) -> String {
    if left.is_empty() {
        reason.to_string()
    } else {
        format!("{reason} | left_out: {}", left.join(", "))
    }
}

#[allow(clippy::too_many_arguments)]
async fn reply(
    state: &AppState,
    mb: &MailboxRow,
    slot: Slot<'_>,
    raw: &Raw,
    mail: &Incoming,
    actor: &Actor,
    ticket: i64,
    internal: bool,
    reason: &str,
) -> AppResult<Taken> {
    let (staged, left) = stage(state, mail).await?;
    let mut body = clean_text(&quote::strip(&mail.text), MAX_TEXT);
    if body.is_empty() {
        body = "(no text)".into();
    }
    let mut work = Work::begin(state, actor).await?;
    let comment =
        crate::tickets::service::reply_in(&mut work, ticket, NewComment { body, internal }, staged)
            .await?;
    let reason = with_left(reason, &left);
    let rec = record_of(
        mb,
        slot,
        raw,
        Some(mail),
        "reply",
        &reason,
        Some(ticket),
        Some(comment.id),
    );
    finish(work, slot, &rec, mail, ticket).await
}

async fn open_ticket(
    state: &AppState,
    mb: &MailboxRow,
    slot: Slot<'_>,
    raw: &Raw,
    mail: &Incoming,
    actor: &Actor,
    reason: &str,
) -> AppResult<Taken> {
    let (staged, left) = stage(state, mail).await?;
    let mut title = clean_text(&mail.subject, MAX_TITLE).replace(['\n', '\t'], " ");
    if title.is_empty() {
        title = "(no subject)".into();
    }
    let input = NewTicket {
        title: title.chars().take(MAX_TITLE).collect(),
        description: clean_text(&mail.text, MAX_TEXT),
        priority: Some(mb.priority.clone()),
        category: mb.category_id,
        department: mb.department_id,
        assignee: None,
        requester: None,
        tags: Vec::new(),
        source: Some("email".into()),
        due_at: None,
        asset_ids: Vec::new(),
    };
    let mut work = Work::begin(state, actor).await?;
    let ticket = crate::tickets::service::file_in(&mut work, input, "email", staged).await?;
    let id = ticket.summary.id;
    let reason = with_left(reason, &left);
    let rec = record_of(mb, slot, raw, Some(mail), "ticket", &reason, Some(id), None);
    finish(work, slot, &rec, mail, id).await
}

/// Record the mail in the work's transaction and commit; a mail recorded meanwhile by another
/// node undoes this work.
async fn finish(
    mut work: Work<'_>,
    slot: Slot<'_>,
    rec: &Owned,
    mail: &Incoming,
    ticket: i64,
) -> AppResult<Taken> {
    let now = work.now;
    if !write_record(work.conn(), slot, rec, now).await? {
        drop(work);
        return Ok(Taken::Already);
    }
    if !mail.message_id.is_empty() && mail.message_id.len() <= MAX_MESSAGE_ID {
        store::remember_message_id(work.conn(), &mail.message_id, ticket, now).await?;
        // The receipt queued while filing now answers this mail too.
        let key = *work.state.secrets.signing_key();
        let domain = crate::notifications::service::mail_domain(work.state);
        let (_, headers) = thread::outgoing(work.conn(), &key, ticket, &domain).await?;
        let json = serde_json::to_string(&headers).unwrap_or_default();
        crate::notify::outbox::set_unsent_headers(work.conn(), ticket, &json).await?;
    }
    work.commit().await?;
    Ok(Taken::Recorded {
        outcome: rec.outcome,
        ticket: Some(ticket),
    })
}

#[allow(clippy::too_many_arguments)]
async fn bounce(
    state: &AppState,
    mb: &MailboxRow,
    slot: Slot<'_>,
    raw: &Raw,
    mail: &Incoming,
    recipient: &str,
    quoted: &[String],
) -> AppResult<Taken> {
    let key = *state.secrets.signing_key();
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let mut ticket = quoted.iter().find_map(|id| token::ticket_of_id(&key, id));
    if ticket.is_none() {
        ticket = store::tickets_of_message_ids(&mut tx, quoted)
            .await?
            .first()
            .copied();
    }
    // A report about a ticket deleted since is kept without it.
    if let Some(t) = ticket {
        if crate::tickets::service::row_and_watchers(&mut tx, t)
            .await?
            .is_none()
        {
            ticket = None;
        }
    }
    let reason = match (recipient.is_empty(), ticket) {
        (false, Some(t)) => format!("bounce: {recipient}, #{t}"),
        (false, None) => format!("bounce: {recipient}"),
        (true, Some(t)) => format!("bounce: #{t}"),
        (true, None) => "bounce".to_string(),
    };
    let rec = record_of(mb, slot, raw, Some(mail), "bounce", &reason, ticket, None);
    if !write_record(&mut tx, slot, &rec, now).await? {
        return Ok(Taken::Already);
    }
    if !recipient.is_empty() {
        store::mark_bouncing(&mut tx, recipient, ticket, now).await?;
    }
    tx.commit().await?;
    Ok(Taken::Recorded {
        outcome: "bounce",
        ticket,
    })
}

/// A refused sender: recorded, and answered once unless a machine sent it.
#[allow(clippy::too_many_arguments)]
async fn refuse(
    state: &AppState,
    mb: &MailboxRow,
    slot: Slot<'_>,
    raw: &Raw,
    mail: &Incoming,
    reason: &str,
    answer: bool,
) -> AppResult<Taken> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let answered_lately =
        store::refused_since(&mut tx, &mail.from, now - REFUSAL_EVERY_MS).await? > 0;
    let rec = record_of(mb, slot, raw, Some(mail), "refused", reason, None, None);
    if !write_record(&mut tx, slot, &rec, now).await? {
        return Ok(Taken::Already);
    }
    if answer && !answered_lately {
        let locale = crate::i18n::Locale::En;
        let subject = state
            .catalog
            .get(locale, "mail_refused_subject")
            .to_string();
        let body = state
            .catalog
            .get(locale, "mail_refused_body")
            .replace("{subject}", &mail.subject);
        crate::notify::outbox::enqueue_email(&mut tx, &mail.from, &subject, &body, now).await?;
    }
    tx.commit().await?;
    Ok(Taken::Recorded {
        outcome: "refused",
        ticket: None,
    })
}

/// Record a mail that changes no ticket.
async fn record_alone(
    state: &AppState,
    mb: &MailboxRow,
    slot: Slot<'_>,
    raw: &Raw,
    mail: Option<&Incoming>,
    outcome: &'static str,
    reason: &str,
) -> AppResult<Taken> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let rec = record_of(mb, slot, raw, mail, outcome, reason, None, None);
    if !write_record(&mut tx, slot, &rec, now).await? {
        return Ok(Taken::Already);
    }
    tx.commit().await?;
    Ok(Taken::Recorded {
        outcome,
        ticket: None,
    })
}

/// A record's values, owned.
struct Owned {
    mailbox_id: i64,
    message_id: String,
    sender: String,
    subject: String,
    outcome: &'static str,
    reason: String,
    ticket_id: Option<i64>,
    comment_id: Option<i64>,
    raw_sha256: String,
    raw_size: i64,
}

#[allow(clippy::too_many_arguments)]
fn record_of(
    mb: &MailboxRow,
    _slot: Slot<'_>,
    raw: &Raw,
    mail: Option<&Incoming>,
    outcome: &'static str,
    reason: &str,
    ticket_id: Option<i64>,
    comment_id: Option<i64>,
) -> Owned {
    let cut = |s: &str, n: usize| s.chars().take(n).collect::<String>();
    Owned {
        mailbox_id: mb.id,
        message_id: mail.map(|m| cut(&m.message_id, 500)).unwrap_or_default(),
        sender: mail.map(|m| cut(&m.from, 254)).unwrap_or_default(),
        subject: mail.map(|m| cut(&m.subject, 300)).unwrap_or_default(),
        outcome,
        reason: cut(reason, 2000),
        ticket_id,
        comment_id,
        raw_sha256: raw.sha256.clone(),
        raw_size: raw.size as i64,
    }
}

async fn write_record(
    conn: &mut sqlx::AnyConnection,
    slot: Slot<'_>,
    o: &Owned,
    now: i64,
) -> AppResult<bool> {
    let uid_key = match slot {
        Slot::Fetched(k) => k,
        Slot::Retry(_) => "",
    };
    let r = Record {
        mailbox_id: o.mailbox_id,
        uid_key,
        message_id: &o.message_id,
        sender: &o.sender,
        subject: &o.subject,
        outcome: o.outcome,
        reason: &o.reason,
        ticket_id: o.ticket_id,
        comment_id: o.comment_id,
        raw_sha256: &o.raw_sha256,
        raw_size: o.raw_size,
    };
    match slot {
        Slot::Fetched(_) => store::record(conn, &r, now).await,
        Slot::Retry(id) => store::settle_quarantined(conn, id, &r).await,
    }
}
