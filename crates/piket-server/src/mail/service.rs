//! The rules of mailboxes (`settings.manage`): settings checked and saved with the password
//! sealed (write-only: an empty one keeps the stored one), "Test connection", the first fetch's
//! choice, "Fetch now", and the quarantine (list, retry, delete). Staff read the mails of a
//! ticket they can open, and download the original.

use super::fetch::{self, Round};
use super::intake::{self, Taken};
use super::store::{self, Fields, MailboxRow};
use super::{
    worker, Mailbox, MailboxInput, Received, TestResult, AFTER_FETCH, PROTOCOLS, TLS_MODES,
    UNKNOWN_SENDERS,
};
use crate::audit::{self, to_json, Change};
use crate::auth::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::secrets::MAILBOX_PASSWORD;
use crate::state::AppState;
use crate::validate::Check;

/// How long "Fetch now" waits for its round.
const FETCH_NOW_LIMIT: std::time::Duration = std::time::Duration::from_secs(60);

pub async fn list(state: &AppState, actor: &Actor) -> AppResult<Vec<Mailbox>> {
    actor.require("settings.manage")?;
    let mut conn = state.db.pool.acquire().await?;
    Ok(store::all(&mut conn)
        .await?
        .iter()
        .map(MailboxRow::view)
        .collect())
}

pub async fn get(state: &AppState, actor: &Actor, id: i64) -> AppResult<Mailbox> {
    actor.require("settings.manage")?;
    Ok(row(state, id).await?.view())
}

async fn row(state: &AppState, id: i64) -> AppResult<MailboxRow> {
    let mut conn = state.db.pool.acquire().await?;
    store::get(&mut conn, id).await?.ok_or(AppError::NotFound)
}

fn one_of(c: &mut Check, field: &str, value: &str, allowed: &[&str]) -> String {
    let v = value.trim().to_lowercase();
    if !allowed.contains(&v.as_str()) {
        c.fail(field, format!("must be one of {}", allowed.join(", ")));
    }
    v
}

/// Checked settings, owned.
struct Checked {
    name: String,
    protocol: String,
    host: String,
    port: i64,
    tls: String,
    username: String,
    folder: String,
    after_fetch: String,
    move_to: String,
    poll_secs: i64,
    priority: String,
    reply_address: String,
    unknown_senders: String,
}

async fn check(
    conn: &mut sqlx::AnyConnection,
    input: &MailboxInput,
    has_password: bool,
) -> AppResult<Checked> {
    let mut c = Check::new();
    let name = c.text("name", &input.name, 1, 100);
    let protocol = one_of(&mut c, "protocol", &input.protocol, PROTOCOLS);
    let host = c.text("host", &input.host, 1, 253);
    if host.contains(|ch: char| ch.is_whitespace() || ch == '/' || ch == '@') {
        c.fail("host", "must be a host name or address");
    }
    let tls = one_of(&mut c, "tls", &input.tls, TLS_MODES);
    if tls == "plain" && !input.plain_understood {
        c.fail(
            "tls",
            "without TLS the password crosses the network in the clear; tick that you understand",
        );
    }
    let port = input
        .port
        .unwrap_or(match (protocol.as_str(), tls.as_str()) {
            ("pop3", "tls") => 995,
            ("pop3", _) => 110,
            (_, "tls") => 993,
            _ => 143,
        });
    if !(1..=65535).contains(&port) {
        c.fail("port", "must be between 1 and 65535");
    }
    let username = c.text("username", &input.username, 1, 254);
    if !has_password && input.password.is_empty() {
        c.fail("password", "is required");
    }
    if input.password.chars().count() > 1000 || input.password.contains(['\r', '\n']) {
        c.fail("password", "must be at most 1000 characters on one line");
    }
    let folder = c.text("folder", input.folder.as_deref().unwrap_or("INBOX"), 1, 200);
    let after_fetch = one_of(&mut c, "after_fetch", &input.after_fetch, AFTER_FETCH);
    match (protocol.as_str(), after_fetch.as_str()) {
        ("imap", "keep") => c.fail("after_fetch", "IMAP mail is marked seen, moved or deleted"),
        ("pop3", "seen" | "move") => c.fail("after_fetch", "POP3 mail is deleted or kept"),
        _ => {}
    }
    let move_to = c.text("move_to", &input.move_to, 0, 200);
    if after_fetch == "move" && move_to.is_empty() {
        c.fail("move_to", "is required to move mail");
    }
    let poll_secs = input.poll_secs.unwrap_or(60);
    if !(10..=3600).contains(&poll_secs) {
        c.fail("poll_secs", "must be between 10 and 3600 seconds");
    }
    let priority = crate::tickets::model::priority(
        &mut c,
        input.priority.as_deref(),
        crate::tickets::Priority::Normal,
    )
    .to_string();
    let reply_address = if input.reply_address.trim().is_empty() {
        String::new()
    } else {
        c.email("reply_address", &input.reply_address)
    };
    let unknown_senders = one_of(
        &mut c,
        "unknown_senders",
        input.unknown_senders.as_deref().unwrap_or("create"),
        UNKNOWN_SENDERS,
    );
    if let Some(d) = input.department_id {
        if !crate::departments::service::exists(conn, d).await? {
            c.fail("department_id", "no such department");
        }
    }
    if let Some(cat) = input.category_id {
        if crate::categories::service::get_in(conn, cat)
            .await?
            .is_none()
        {
            c.fail("category_id", "no such category");
        }
    }
    c.finish()?;
    Ok(Checked {
        name,
        protocol,
        host,
        port,
        tls,
        username,
        folder,
        after_fetch,
        move_to,
        poll_secs,
        priority,
        reply_address,
        unknown_senders,
    })
}

/// Create (`id` None) or replace a mailbox.
pub async fn save(
    state: &AppState,
    actor: &Actor,
    id: Option<i64>,
    input: MailboxInput,
) -> AppResult<Mailbox> {
    actor.require("settings.manage")?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let before = match id {
        Some(id) => Some(store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?),
        None => None,
    };
    // The stored password goes only to the server it was given for: pointing the mailbox at
    // another host, port, account or encryption asks for it again (else an administrator could
    // send it to a server of their own).
    let same_server = before.as_ref().is_some_and(|b| {
        b.host.eq_ignore_ascii_case(input.host.trim())
            && input.port.is_none_or(|p| p == b.port)
            && b.tls == input.tls.trim().to_lowercase()
            && b.username == input.username.trim()
            && b.protocol == input.protocol.trim().to_lowercase()
            && (b.tls_verify == 0 || input.tls_verify)
    });
    let has_password = same_server && before.as_ref().is_some_and(|b| !b.password.is_empty());
    let k = check(&mut tx, &input, has_password).await?;
    if store::name_taken(&mut tx, &k.name, id.unwrap_or(0)).await? {
        return Err(AppError::Conflict(format!(
            "a mailbox named {} exists",
            k.name
        )));
    }
    let fields = Fields {
        name: &k.name,
        protocol: &k.protocol,
        host: &k.host,
        port: k.port,
        tls: &k.tls,
        tls_verify: input.tls_verify,
        username: &k.username,
        folder: &k.folder,
        after_fetch: &k.after_fetch,
        move_to: &k.move_to,
        poll_secs: k.poll_secs,
        department_id: input.department_id,
        category_id: input.category_id,
        priority: &k.priority,
        reply_address: &k.reply_address,
        unknown_senders: &k.unknown_senders,
        enabled: input.enabled,
    };
    let id = match id {
        Some(id) => {
            store::update(&mut tx, id, &fields, now).await?;
            id
        }
        None => store::insert(&mut tx, &fields, now).await?,
    };
    if !input.password.is_empty() {
        let sealed = state
            .secrets
            .seal(MAILBOX_PASSWORD.at(id), &input.password)?;
        store::set_password(&mut tx, id, &sealed).await?;
    }
    let after = store::get(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?
        .view();
    let change = Change {
        action: if before.is_some() {
            "mailbox.update"
        } else {
            "mailbox.create"
        },
        object_kind: "mailbox",
        object_id: Some(id),
        before: before
            .as_ref()
            .map(MailboxRow::view)
            .as_ref()
            .and_then(to_json),
        after: to_json(&after),
    };
    audit::record(&mut tx, now, actor, change).await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn delete(state: &AppState, actor: &Actor, id: i64) -> AppResult<()> {
    actor.require("settings.manage")?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let before = store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    store::delete(&mut tx, id).await?;
    let change = Change {
        action: "mailbox.delete",
        object_kind: "mailbox",
        object_id: Some(id),
        before: to_json(&before.view()),
        after: None,
    };
    audit::record(&mut tx, now, actor, change).await?;
    tx.commit().await?;
    Ok(())
}

/// Try the stored settings, step by step.
pub async fn test(state: &AppState, actor: &Actor, id: i64) -> AppResult<TestResult> {
    actor.require("settings.manage")?;
    let mb = row(state, id).await?;
    let s = worker::settings(state, &mb)?;
    Ok(fetch::test(&s).await)
}

/// The first fetch's choice for a backlog: `new` (only mail from now on) or `all`.
pub async fn choose_first_fetch(
    state: &AppState,
    actor: &Actor,
    id: i64,
    choice: &str,
) -> AppResult<Mailbox> {
    actor.require("settings.manage")?;
    if choice != "new" && choice != "all" {
        return Err(AppError::invalid("choice", "must be new or all"));
    }
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let before = store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    if before.first_fetch != "ask" {
        return Err(AppError::Conflict(
            "the first fetch was already chosen".into(),
        ));
    }
    store::choose_first_fetch(&mut tx, id, choice).await?;
    let after = store::get(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?
        .view();
    let change = Change {
        action: "mailbox.first_fetch",
        object_kind: "mailbox",
        object_id: Some(id),
        before: to_json(&before.view()),
        after: to_json(&after),
    };
    audit::record(&mut tx, now, actor, change).await?;
    tx.commit().await?;
    Ok(after)
}

/// One round now (the admin page's "Fetch now"), on this node, outside the lease: taking a
/// mail twice is impossible anyway (`intake` records each once).
pub async fn fetch_now(state: &AppState, actor: &Actor, id: i64) -> AppResult<Round> {
    actor.require("settings.manage")?;
    row(state, id).await?;
    // A large backlog goes on in the background fetcher; this request stops waiting.
    match tokio::time::timeout(FETCH_NOW_LIMIT, worker::poll_once(state, id)).await {
        Ok(result) => result.map_err(|e| match e {
            fetch::RoundError::Local(e) => e,
            fetch::RoundError::Remote(f) => {
                AppError::Conflict(format!("the mailbox failed at {f}"))
            }
        }),
        Err(_) => Ok(Round::default()),
    }
}

pub async fn quarantine(state: &AppState, actor: &Actor) -> AppResult<Vec<Received>> {
    actor.require("settings.manage")?;
    let mut conn = state.db.pool.acquire().await?;
    Ok(store::quarantined(&mut conn, 200)
        .await?
        .iter()
        .map(store::ReceivedRow::view)
        .collect())
}

/// Process a quarantined mail again (after a limit was raised, or a fix).
pub async fn retry(state: &AppState, actor: &Actor, received: i64) -> AppResult<Received> {
    actor.require("settings.manage")?;
    let rec = {
        let mut conn = state.db.pool.acquire().await?;
        store::received(&mut conn, received)
            .await?
            .ok_or(AppError::NotFound)?
    };
    if rec.outcome != "quarantined" {
        return Err(AppError::Conflict(
            "the mail is not in the quarantine".into(),
        ));
    }
    // A mail too large was never kept: there is nothing to process again.
    if rec.raw_sha256.is_empty() {
        return Err(AppError::Conflict("the mail was too large to keep".into()));
    }
    let mb = row(state, rec.mailbox_id).await?;
    match intake::retry(state, &mb, rec.id, &rec.raw_sha256).await? {
        Taken::Already => Err(AppError::Conflict(
            "the mail was processed meanwhile".into(),
        )),
        Taken::Recorded { .. } => {
            let mut conn = state.db.pool.acquire().await?;
            Ok(store::received(&mut conn, received)
                .await?
                .ok_or(AppError::NotFound)?
                .view())
        }
    }
}

pub async fn discard(state: &AppState, actor: &Actor, received: i64) -> AppResult<()> {
    actor.require("settings.manage")?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let rec = store::received(&mut tx, received)
        .await?
        .ok_or(AppError::NotFound)?;
    if !store::delete_received(&mut tx, received).await? {
        return Err(AppError::Conflict(
            "the mail is not in the quarantine".into(),
        ));
    }
    let change = Change {
        action: "mail.discard",
        object_kind: "mail",
        object_id: Some(received),
        before: to_json(&rec.view()),
        after: None,
    };
    audit::record(&mut tx, now, actor, change).await?;
    tx.commit().await?;
    Ok(())
}

/// The mails that reached a ticket, for staff who can open it.
pub async fn of_ticket(state: &AppState, actor: &Actor, ticket: i64) -> AppResult<Vec<Received>> {
    crate::tickets::service::get(state, actor, ticket).await?;
    if !crate::tickets::policy::is_staff(actor) {
        return Ok(Vec::new());
    }
    let mut conn = state.db.pool.acquire().await?;
    Ok(store::of_ticket(&mut conn, ticket)
        .await?
        .iter()
        .map(store::ReceivedRow::view)
        .collect())
}

/// The mails of a ticket the caller has already opened (the ticket page): everything for
/// staff; for others only which replies came by email, without reasons or addresses.
pub async fn of_opened_ticket(
    state: &AppState,
    staff: bool,
    ticket: i64,
) -> AppResult<Vec<Received>> {
    let mut conn = state.db.pool.acquire().await?;
    let rows = store::of_ticket(&mut conn, ticket).await?;
    Ok(rows
        .iter()
        .filter(|r| staff || r.outcome == "ticket" || r.outcome == "reply")
        .map(|r| {
            let mut v = r.view();
            if !staff {
                v.reason.clear();
                v.sender.clear();
                v.message_id.clear();
                v.id = 0;
            }
            v
        })
        .collect())
}

/// The original message (`.eml`): staff who can open its ticket, or settings managers (the
/// quarantine).
pub async fn original(state: &AppState, actor: &Actor, received: i64) -> AppResult<Vec<u8>> {
    let rec = {
        let mut conn = state.db.pool.acquire().await?;
        store::received(&mut conn, received)
            .await?
            .ok_or(AppError::NotFound)?
    };
    let allowed = match rec.ticket_id {
        _ if actor.can("settings.manage") => true,
        Some(t) => {
            crate::tickets::service::get(state, actor, t).await?;
            crate::tickets::policy::is_staff(actor)
        }
        None => false,
    };
    if !allowed || rec.raw_sha256.is_empty() {
        return Err(AppError::NotFound);
    }
    state
        .blobs
        .read(&format!("{}.eml", rec.raw_sha256))
        .await
        .map_err(|e| AppError::Internal(format!("reading a raw mail: {e}")))?
        .ok_or(AppError::NotFound)
}
