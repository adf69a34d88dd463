//! SQL of the email channel: mailboxes with their fetch state and lease, the mails received,
//! the Message-IDs kept for threading and the bouncing addresses.

use sqlx::AnyConnection;

use super::{Mailbox, Received};
use crate::clock::format_ms;
use crate::error::AppResult;

macro_rules! mailbox_columns {
    () => {
        "id, name, protocol, host, port, tls, tls_verify, auth, username, \
    password, folder, after_fetch, move_to, poll_secs, department_id, category_id, priority, \
    reply_address, unknown_senders, enabled, first_fetch, backlog, uidvalidity, start_uid, \
    last_uid, fetched, last_ok_at, last_error, created_at, updated_at"
    };
}

/// A mailbox's row, password still sealed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MailboxRow {
    pub id: i64,
    pub name: String,
    pub protocol: String,
    pub host: String,
    pub port: i64,
    pub tls: String,
    pub tls_verify: i64,
    pub auth: String,
    pub username: String,
    pub password: String,
    pub folder: String,
    pub after_fetch: String,
    pub move_to: String,
    pub poll_secs: i64,
    pub department_id: Option<i64>,
    pub category_id: Option<i64>,
    pub priority: String,
    pub reply_address: String,
    pub unknown_senders: String,
    pub enabled: i64,
    pub first_fetch: String,
    pub backlog: i64,
    pub uidvalidity: Option<i64>,
    pub start_uid: i64,
    pub last_uid: i64,
    pub fetched: i64,
    pub last_ok_at: Option<i64>,
    pub last_error: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl MailboxRow {
    pub fn view(&self) -> Mailbox {
        Mailbox {
            id: self.id,
            name: self.name.clone(),
            protocol: self.protocol.clone(),
            host: self.host.clone(),
            port: self.port,
            tls: self.tls.clone(),
            tls_verify: self.tls_verify != 0,
            auth: self.auth.clone(),
            username: self.username.clone(),
            password_set: !self.password.is_empty(),
            folder: self.folder.clone(),
            after_fetch: self.after_fetch.clone(),
            move_to: self.move_to.clone(),
            poll_secs: self.poll_secs,
            department_id: self.department_id,
            category_id: self.category_id,
            priority: self.priority.clone(),
            reply_address: self.reply_address.clone(),
            unknown_senders: self.unknown_senders.clone(),
            enabled: self.enabled != 0,
            first_fetch: self.first_fetch.clone(),
            backlog: self.backlog,
            fetched: self.fetched,
            last_ok_at: self.last_ok_at.map(format_ms),
            last_error: self.last_error.clone(),
            created_at: format_ms(self.created_at),
            updated_at: format_ms(self.updated_at),
        }
    }
}

/// The settings a mailbox is written with (the password apart).
pub struct Fields<'a> {
    pub name: &'a str,
    pub protocol: &'a str,
    pub host: &'a str,
    pub port: i64,
    pub tls: &'a str,
    pub tls_verify: bool,
    pub username: &'a str,
    pub folder: &'a str,
    pub after_fetch: &'a str,
    pub move_to: &'a str,
    pub poll_secs: i64,
    pub department_id: Option<i64>,
    pub category_id: Option<i64>,
    pub priority: &'a str,
    pub reply_address: &'a str,
    pub unknown_senders: &'a str,
    pub enabled: bool,
}

pub async fn all(conn: &mut AnyConnection) -> AppResult<Vec<MailboxRow>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        mailbox_columns!(),
        " FROM mailboxes ORDER BY name_key"
    ))
    .fetch_all(conn)
    .await?)
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> AppResult<Option<MailboxRow>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        mailbox_columns!(),
        " FROM mailboxes WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

pub async fn name_taken(conn: &mut AnyConnection, name: &str, except: i64) -> AppResult<bool> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM mailboxes WHERE name_key = $1 AND id <> $2")
            .bind(crate::db::fold::key(name))
            .bind(except)
            .fetch_one(conn)
            .await?;
    Ok(n > 0)
}

/// The settings bound as `$1`…`$18`, in the order `insert` and `update` name them.
fn bind_fields<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    f: &Fields<'q>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    q.bind(f.name)
        .bind(crate::db::fold::key(f.name))
        .bind(f.protocol)
        .bind(f.host)
        .bind(f.port)
        .bind(f.tls)
        .bind(i64::from(f.tls_verify))
        .bind(f.username)
        .bind(f.folder)
        .bind(f.after_fetch)
        .bind(f.move_to)
        .bind(f.poll_secs)
        .bind(f.department_id)
        .bind(f.category_id)
        .bind(f.priority)
        .bind(f.reply_address)
        .bind(f.unknown_senders)
        .bind(i64::from(f.enabled))
}

pub async fn insert(conn: &mut AnyConnection, f: &Fields<'_>, now: i64) -> AppResult<i64> {
    let q = sqlx::query(
        "INSERT INTO mailboxes (name, name_key, protocol, host, port, tls, tls_verify, username, \
         folder, after_fetch, move_to, poll_secs, department_id, category_id, priority, \
         reply_address, unknown_senders, enabled, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19) \
         RETURNING id",
    );
    let row = bind_fields(q, f).bind(now).fetch_one(conn).await?;
    Ok(sqlx::Row::try_get(&row, 0)?)
}

/// Replace the settings. A changed server, account or folder starts the folder's state over
/// (another folder's UIDs mean other mails).
pub async fn update(conn: &mut AnyConnection, id: i64, f: &Fields<'_>, now: i64) -> AppResult<()> {
    let q = sqlx::query(
        "UPDATE mailboxes SET \
           first_fetch = CASE WHEN host = $4 AND username = $8 AND folder = $9 AND protocol = $3 THEN first_fetch ELSE 'ask' END, \
           uidvalidity = CASE WHEN host = $4 AND username = $8 AND folder = $9 AND protocol = $3 THEN uidvalidity ELSE NULL END, \
           last_uid = CASE WHEN host = $4 AND username = $8 AND folder = $9 AND protocol = $3 THEN last_uid ELSE 0 END, \
           name = $1, name_key = $2, protocol = $3, host = $4, port = $5, tls = $6, tls_verify = $7, \
           username = $8, folder = $9, after_fetch = $10, move_to = $11, poll_secs = $12, \
           department_id = $13, category_id = $14, priority = $15, reply_address = $16, \
           unknown_senders = $17, enabled = $18, updated_at = $19 \
         WHERE id = $20",
    );
    bind_fields(q, f).bind(now).bind(id).execute(conn).await?;
    Ok(())
}

pub async fn set_password(conn: &mut AnyConnection, id: i64, sealed: &str) -> AppResult<()> {
    sqlx::query("UPDATE mailboxes SET password = $1 WHERE id = $2")
        .bind(sealed)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete(conn: &mut AnyConnection, id: i64) -> AppResult<bool> {
    let done = sqlx::query("DELETE FROM mailboxes WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The folder as first seen (or seen again under a new UIDVALIDITY): mails at or below
/// `start_uid` wait for the administrator's choice when `first_fetch` is `ask`.
pub async fn first_look(
    conn: &mut AnyConnection,
    id: i64,
    uidvalidity: i64,
    start_uid: i64,
    backlog: i64,
    first_fetch: &str,
) -> AppResult<()> {
    sqlx::query(
        "UPDATE mailboxes SET uidvalidity = $1, start_uid = $2, backlog = $3, first_fetch = $4, \
         last_uid = 0, fetched = 0 WHERE id = $5",
    )
    .bind(uidvalidity)
    .bind(start_uid)
    .bind(backlog)
    .bind(first_fetch)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The administrator's choice for a backlog: `new` keeps `start_uid`, `all` takes everything.
pub async fn choose_first_fetch(conn: &mut AnyConnection, id: i64, choice: &str) -> AppResult<()> {
    sqlx::query(
        "UPDATE mailboxes SET first_fetch = $1, \
         start_uid = CASE WHEN $1 = 'all' THEN 0 ELSE start_uid END WHERE id = $2",
    )
    .bind(choice)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Mail `uid` is done (recorded and its after-fetch action applied).
pub async fn advance(conn: &mut AnyConnection, id: i64, uid: i64) -> AppResult<()> {
    sqlx::query(
        "UPDATE mailboxes SET last_uid = CASE WHEN last_uid < $1 THEN $1 ELSE last_uid END, \
         fetched = fetched + 1 WHERE id = $2",
    )
    .bind(uid)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// One more mail taken (POP3, which has no UIDs to advance).
pub async fn count_fetched(conn: &mut AnyConnection, id: i64) -> AppResult<()> {
    sqlx::query("UPDATE mailboxes SET fetched = fetched + 1 WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// How the last round went: `error` empty when it went well.
pub async fn set_result(conn: &mut AnyConnection, id: i64, error: &str, now: i64) -> AppResult<()> {
    sqlx::query(
        "UPDATE mailboxes SET last_error = $1, \
         last_ok_at = CASE WHEN $1 = '' THEN $2 ELSE last_ok_at END WHERE id = $3",
    )
    .bind(error)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Enabled mailboxes nobody holds (or whose holder's lease ran out).
pub async fn claimable(conn: &mut AnyConnection, now: i64) -> AppResult<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM mailboxes WHERE enabled = 1 AND (locked_until IS NULL OR locked_until < $1) ORDER BY id",
    )
    .bind(now)
    .fetch_all(conn)
    .await?)
}

/// Take or extend the lease for `owner`; false when another node holds it.
pub async fn lease(
    conn: &mut AnyConnection,
    id: i64,
    owner: &str,
    now: i64,
    until: i64,
) -> AppResult<bool> {
    let done = sqlx::query(
        "UPDATE mailboxes SET lease_owner = $1, locked_until = $2 \
         WHERE id = $3 AND enabled = 1 AND (locked_until IS NULL OR locked_until < $4 OR lease_owner = $1)",
    )
    .bind(owner)
    .bind(until)
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn release(conn: &mut AnyConnection, id: i64, owner: &str) -> AppResult<()> {
    sqlx::query(
        "UPDATE mailboxes SET locked_until = NULL, lease_owner = NULL WHERE id = $1 AND lease_owner = $2",
    )
    .bind(id)
    .bind(owner)
    .execute(conn)
    .await?;
    Ok(())
}

// ---- received mail ----

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReceivedRow {
    pub id: i64,
    pub mailbox_id: i64,
    pub message_id: String,
    pub sender: String,
    pub subject: String,
    pub outcome: String,
    pub reason: String,
    pub ticket_id: Option<i64>,
    pub comment_id: Option<i64>,
    pub raw_sha256: String,
    pub raw_size: i64,
    pub received_at: i64,
}

impl ReceivedRow {
    pub fn view(&self) -> Received {
        Received {
            id: self.id,
            mailbox_id: self.mailbox_id,
            message_id: self.message_id.clone(),
            sender: self.sender.clone(),
            subject: self.subject.clone(),
            outcome: self.outcome.clone(),
            reason: self.reason.clone(),
            ticket_id: self.ticket_id,
            comment_id: self.comment_id,
            raw_size: self.raw_size,
            received_at: format_ms(self.received_at),
        }
    }
}

macro_rules! received_columns {
    () => {
        "id, mailbox_id, message_id, sender, subject, outcome, \
    reason, ticket_id, comment_id, raw_sha256, raw_size, received_at"
    };
}

/// A mail as recorded.
pub struct Record<'a> {
    pub mailbox_id: i64,
    pub uid_key: &'a str,
    pub message_id: &'a str,
    pub sender: &'a str,
    pub subject: &'a str,
    pub outcome: &'a str,
    pub reason: &'a str,
    pub ticket_id: Option<i64>,
    pub comment_id: Option<i64>,
    pub raw_sha256: &'a str,
    pub raw_size: i64,
}

pub async fn recorded(conn: &mut AnyConnection, mailbox: i64, uid_key: &str) -> AppResult<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM mail_received WHERE mailbox_id = $1 AND uid_key = $2",
    )
    .bind(mailbox)
    .bind(uid_key)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// Record a mail; false when it was recorded already (by another node meanwhile).
pub async fn record(conn: &mut AnyConnection, r: &Record<'_>, now: i64) -> AppResult<bool> {
    let done = sqlx::query(
        "INSERT INTO mail_received (mailbox_id, uid_key, message_id, sender, subject, outcome, \
         reason, ticket_id, comment_id, raw_sha256, raw_size, received_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (mailbox_id, uid_key) DO NOTHING",
    )
    .bind(r.mailbox_id)
    .bind(r.uid_key)
    .bind(r.message_id)
    .bind(r.sender)
    .bind(r.subject)
    .bind(r.outcome)
    .bind(r.reason)
    .bind(r.ticket_id)
    .bind(r.comment_id)
    .bind(r.raw_sha256)
    .bind(r.raw_size)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A quarantined mail processed on retry; false when it is no longer quarantined.
pub async fn settle_quarantined(
    conn: &mut AnyConnection,
    id: i64,
    r: &Record<'_>,
) -> AppResult<bool> {
    let done = sqlx::query(
        "UPDATE mail_received SET outcome = $1, reason = $2, ticket_id = $3, comment_id = $4, \
         message_id = $5, sender = $6, subject = $7 WHERE id = $8 AND outcome = 'quarantined'",
    )
    .bind(r.outcome)
    .bind(r.reason)
    .bind(r.ticket_id)
    .bind(r.comment_id)
    .bind(r.message_id)
    .bind(r.sender)
    .bind(r.subject)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn received(conn: &mut AnyConnection, id: i64) -> AppResult<Option<ReceivedRow>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        received_columns!(),
        " FROM mail_received WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

pub async fn quarantined(conn: &mut AnyConnection, limit: i64) -> AppResult<Vec<ReceivedRow>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        received_columns!(),
        " FROM mail_received WHERE outcome = 'quarantined' ORDER BY id DESC LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// The mails that reached a ticket, oldest first.
pub async fn of_ticket(conn: &mut AnyConnection, ticket: i64) -> AppResult<Vec<ReceivedRow>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        received_columns!(),
        " FROM mail_received WHERE ticket_id = $1 ORDER BY id"
    ))
    .bind(ticket)
    .fetch_all(conn)
    .await?)
}

pub async fn delete_received(conn: &mut AnyConnection, id: i64) -> AppResult<bool> {
    let done = sqlx::query("DELETE FROM mail_received WHERE id = $1 AND outcome = 'quarantined'")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Mails from `sender` recorded since `since` (every mailbox).
pub async fn from_sender_since(
    conn: &mut AnyConnection,
    sender: &str,
    since: i64,
) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM mail_received WHERE sender = $1 AND received_at >= $2",
    )
    .bind(sender)
    .bind(since)
    .fetch_one(conn)
    .await?)
}

/// Refusals recorded for `sender` since `since`.
pub async fn refused_since(conn: &mut AnyConnection, sender: &str, since: i64) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM mail_received WHERE sender = $1 AND outcome = 'refused' AND received_at >= $2",
    )
    .bind(sender)
    .bind(since)
    .fetch_one(conn)
    .await?)
}

// ---- threading ----

pub async fn remember_message_id(
    conn: &mut AnyConnection,
    message_id: &str,
    ticket: i64,
    now: i64,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO mail_message_ids (message_id, ticket_id, created_at) \
         SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM mail_message_ids WHERE message_id = $1)",
    )
    .bind(message_id)
    .bind(ticket)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Tickets that received a mail with one of these Message-IDs (at most the first 50), the
/// first to receive one first (a later mail reusing an id cannot steer replies to its ticket).
pub async fn tickets_of_message_ids(
    conn: &mut AnyConnection,
    ids: &[String],
) -> AppResult<Vec<i64>> {
    let ids = &ids[..ids.len().min(50)];
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    // Only numbered placeholders are formatted in; the ids are bound.
    let sql = format!(
        "SELECT ticket_id FROM mail_message_ids WHERE message_id IN ({}) \
         ORDER BY created_at, ticket_id",
        placeholders.join(", ")
    );
    let mut query = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql));
    for id in ids {
        query = query.bind(id);
    }
    let mut out: Vec<i64> = Vec::new();
    for t in query.fetch_all(conn).await? {
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

/// The first and the latest Message-ID received into a ticket.
pub async fn ticket_message_ids(conn: &mut AnyConnection, ticket: i64) -> AppResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT message_id FROM mail_message_ids WHERE ticket_id = $1 ORDER BY created_at, message_id",
    )
    .bind(ticket)
    .fetch_all(conn)
    .await?)
}

/// The reply address of the mailbox a ticket came in through, else of the first enabled
/// mailbox that has one.
pub async fn reply_address_for(conn: &mut AnyConnection, ticket: i64) -> AppResult<Option<String>> {
    let own: Option<String> = sqlx::query_scalar(
        "SELECT m.reply_address FROM mail_received r JOIN mailboxes m ON m.id = r.mailbox_id \
         WHERE r.ticket_id = $1 AND m.reply_address <> '' ORDER BY r.id LIMIT 1",
    )
    .bind(ticket)
    .fetch_optional(&mut *conn)
    .await?;
    if own.is_some() {
        return Ok(own);
    }
    Ok(sqlx::query_scalar(
        "SELECT reply_address FROM mailboxes WHERE enabled = 1 AND reply_address <> '' ORDER BY id LIMIT 1",
    )
    .fetch_optional(conn)
    .await?)
}

pub async fn mark_bouncing(
    conn: &mut AnyConnection,
    address: &str,
    ticket: Option<i64>,
    now: i64,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO mail_bouncing (address, ticket_id, since) VALUES ($1, $2, $3) \
         ON CONFLICT (address) DO UPDATE SET ticket_id = $2",
    )
    .bind(address)
    .bind(ticket)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}
