//! Who hears of a ticket change, and how: an in-app entry and an email (through the outbox), in
//! each recipient's language, unless they muted that kind. Also reading and settings.
//!
//! The rules: the requester, the assignee and the watchers hear of creation, assignment, public
//! replies and status changes, each only while they may open the ticket (`tickets::policy`);
//! internal notes reach only staff (never the requester, never a user whose role sees only
//! their own tickets). Nobody hears of their own change, except that
//! the requester gets the email receipt of a ticket they filed themselves.

use std::collections::HashSet;

use askama::Template;
use sqlx::AnyConnection;

use super::store::{self, NewNotification};
use super::{Event, Notification, Settings, KINDS};
use crate::api::page::Page;
use crate::auth::actor::{Actor, Via};
use crate::error::{AppError, AppResult};
use crate::i18n::Locale;
use crate::state::App;
use crate::tickets::policy;
use crate::users::accounts::load_actors;
use crate::validate::Check;

/// Longest reply text quoted in an email.
const EXCERPT_CHARS: usize = 1_000;

/// Record the notifications of one ticket event, in the caller's transaction.
pub async fn ticket_event(
    conn: &mut AnyConnection,
    app: &App,
    ticket_id: i64,
    actor: &Actor,
    event: &Event,
    now: i64,
) -> AppResult<()> {
    let Some((ticket, watchers)) =
        crate::tickets::service::row_and_watchers(conn, ticket_id).await?
    else {
        return Ok(());
    };
    let kind = event.kind();
    let mut ids: Vec<i64> = watchers.clone();
    ids.push(ticket.requester_id);
    ids.extend(ticket.assignee_id);
    ids.sort_unstable();
    ids.dedup();
    // Enabled users only, each once, by id.
    let people = load_actors(conn, &ids, Via::System, "").await?;
    let muted: HashSet<(i64, String)> = store::ticket_mutes(conn, ticket_id)
        .await?
        .into_iter()
        .collect();
    // The subject token and threading headers, made once for all recipients.
    let mut threading: Option<(String, String)> = None;
    for person in people {
        // The rule that opens the ticket decides who hears of it: a watcher from another
        // department, or a user who lost the right to read tickets, hears nothing.
        if !policy::sees(&person, &ticket, &watchers) {
            continue;
        }
        let is_requester = person.user_id == ticket.requester_id;
        if kind == "note" && (is_requester || !policy::is_staff(&person)) {
            continue;
        }
        if muted.contains(&(person.user_id, kind.to_string())) {
            continue;
        }
        let own_change = person.user_id == actor.user_id;
        if !own_change {
            let entry = NewNotification {
                user_id: person.user_id,
                ticket_id,
                kind,
                actor_name: &actor.name,
                ticket_title: &ticket.title,
            };
            store::insert(conn, &entry, now).await?;
        }
        if own_change && !(kind == "created" && is_requester) {
            continue;
        }
        // A receipt is an automatic answer: never to a machine's mail (RFC 3834).
        if own_change
            && matches!(
                actor.via,
                Via::Mail {
                    automatic: true,
                    ..
                }
            )
        {
            continue;
        }
        let locale = person
            .locale
            .as_deref()
            .and_then(Locale::parse)
            .unwrap_or(Locale::En);
        if threading.is_none() {
            threading = Some(mail_thread(conn, app, ticket_id, kind == "note").await?);
        }
        let (token, headers) = threading
            .as_ref()
            .map_or(("", ""), |(t, h)| (t.as_str(), h.as_str()));
        let (subject, body) = email(app, locale, &ticket.title, ticket_id, actor, event)?;
        // The plain `[#N]` becomes the signed token replies are matched by.
        let plain = format!("[#{ticket_id}]");
        let subject = if subject.contains(&plain) {
            subject.replacen(&plain, token, 1)
        } else {
            format!("{subject} {token}")
        };
        crate::notify::outbox::enqueue_ticket_email(
            conn,
            &person.email,
            &subject,
            &body,
            ticket_id,
            headers,
            now,
        )
        .await?;
    }
    Ok(())
}

/// The host part of the Message-IDs Piket sends: the SMTP sender's domain.
pub fn mail_domain(app: &App) -> String {
    app.config
        .smtp
        .as_ref()
        .and_then(|s| {
            s.from
                .rsplit_once('@')
                .map(|(_, d)| d.trim_end_matches('>').to_string())
        })
        .unwrap_or_else(|| "piket".to_string())
}

/// The subject token and the threading headers (JSON) of mail about `ticket_id`.
async fn mail_thread(
    conn: &mut AnyConnection,
    app: &App,
    ticket_id: i64,
    note: bool,
) -> AppResult<(String, String)> {
    let key = app.secrets.signing_key();
    let domain = mail_domain(app);
    let (token, mut headers) = crate::mail::thread::outgoing(conn, key, ticket_id, &domain).await?;
    headers.note = note;
    let json = serde_json::to_string(&headers).unwrap_or_default();
    Ok((token, json))
}

/// The text of an email about a ticket change (`templates/email/ticket_event.txt`).
#[derive(Template)]
#[template(path = "email/ticket_event.txt", escape = "none")]
struct TicketMail<'a> {
    catalog: &'a crate::i18n::Catalog,
    locale: Locale,
    kind: &'a str,
    number: i64,
    title: &'a str,
    actor: &'a str,
    /// The reply's opening, for replies and notes.
    text: String,
    /// A status change's old and new status, in the reader's language.
    from: String,
    to: String,
    link: String,
}

impl TicketMail<'_> {
    /// The catalog text for `key` in the recipient's language.
    fn t<'k>(&'k self, key: &'k str) -> &'k str {
        self.catalog.get(self.locale, key)
    }
}

/// Subject and text of the email about `event`, in `locale`.
fn email(
    app: &App,
    locale: Locale,
    title: &str,
    ticket_id: i64,
    actor: &Actor,
    event: &Event,
) -> AppResult<(String, String)> {
    let kind = event.kind();
    let subject = app
        .catalog
        .get(locale, &format!("mail_subject_{kind}"))
        .replace("{number}", &ticket_id.to_string())
        .replace("{title}", title);
    let (text, from, to) = match event {
        Event::Commented { body, .. } => (body.chars().take(EXCERPT_CHARS).collect(), "", ""),
        Event::Status { from, to } => (String::new(), from.as_str(), to.as_str()),
        _ => (String::new(), "", ""),
    };
    let status = |s: &str| app.catalog.get(locale, &format!("status_{s}")).to_string();
    let body = TicketMail {
        catalog: &app.catalog,
        locale,
        kind,
        number: ticket_id,
        title,
        actor: &actor.name,
        text,
        from: status(from),
        to: status(to),
        link: format!("{}/tickets/{ticket_id}", app.config.base_url),
    }
    .render()
    .map_err(|e| AppError::Internal(format!("rendering an email: {e}")))?;
    Ok((subject, body))
}

pub async fn list(
    app: &App,
    actor: &Actor,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> AppResult<(Page<Notification>, i64)> {
    let page = crate::api::page::PageRequest::parse(cursor, limit)?;
    let mut conn = app.db.pool.acquire().await?;
    let rows = store::list(&mut conn, actor.user_id, page.cursor, page.limit + 1).await?;
    let unread = store::unread_count(&mut conn, actor.user_id).await?;
    Ok((page.finish(rows, |n| n.id), unread))
}

/// The bell's count: from the short-lived cache (`unread`) when fresh.
pub async fn unread(app: &App, actor: &Actor) -> AppResult<i64> {
    let now = app.now();
    let generation = match app
        .parts
        .get::<crate::notifications::unread::UnreadCounts>()
        .get(actor.user_id, now)
    {
        Ok(n) => return Ok(n),
        Err(generation) => generation,
    };
    let mut conn = app.db.pool.acquire().await?;
    let n = store::unread_count(&mut conn, actor.user_id).await?;
    app.parts
        .get::<crate::notifications::unread::UnreadCounts>()
        .put(actor.user_id, n, now, generation);
    Ok(n)
}

/// Mark one of the caller's notifications read; returns its ticket. Another user's is a 404.
pub async fn mark_read(app: &App, actor: &Actor, id: i64) -> AppResult<Option<i64>> {
    let mut conn = app.db.pool.acquire().await?;
    let ticket = store::mark_read(&mut conn, actor.user_id, id, app.now()).await?;
    app.parts
        .get::<crate::notifications::unread::UnreadCounts>()
        .forget(actor.user_id);
    ticket.ok_or(AppError::NotFound)
}

pub async fn mark_all_read(app: &App, actor: &Actor) -> AppResult<u64> {
    let mut conn = app.db.pool.acquire().await?;
    let n = store::mark_all_read(&mut conn, actor.user_id, app.now()).await?;
    app.parts
        .get::<crate::notifications::unread::UnreadCounts>()
        .forget(actor.user_id);
    Ok(n)
}

pub async fn settings(app: &App, actor: &Actor) -> AppResult<Settings> {
    let mut conn = app.db.pool.acquire().await?;
    Ok(Settings {
        muted: store::mutes(&mut conn, actor.user_id).await?,
    })
}

pub async fn save_settings(app: &App, actor: &Actor, input: Settings) -> AppResult<Settings> {
    let mut c = Check::new();
    let mut muted: Vec<String> = Vec::new();
    for kind in input.muted {
        if !KINDS.contains(&kind.as_str()) {
            c.fail("muted", format!("must be one of {}", KINDS.join(", ")));
        } else if !muted.contains(&kind) {
            muted.push(kind);
        }
    }
    c.finish()?;
    muted.sort();
    let now = app.now();
    let mut tx = app.db.begin().await?;
    let before = store::mutes(&mut tx, actor.user_id).await?;
    store::set_mutes(&mut tx, actor.user_id, &muted).await?;
    let change = crate::audit::Change {
        action: "notifications.settings",
        object_kind: "user",
        object_id: Some(actor.user_id),
        before: Some(serde_json::json!({ "muted": before })),
        after: Some(serde_json::json!({ "muted": muted })),
    };
    crate::audit::record(&mut tx, now, actor, change).await?;
    tx.commit().await?;
    Ok(Settings { muted })
}

/// Puts one notification on a user's page, inside the caller's transaction (SLA escalations).
pub async fn notify_in(
    conn: &mut AnyConnection,
    entry: &crate::notifications::NewNotification<'_>,
    now: i64,
) -> AppResult<()> {
    store::insert(conn, entry, now).await
}
