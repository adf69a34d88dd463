//! The desktop helper's rules: who may link, what a link's credential opens, filing a report as
//! the linked user exactly once per client id.

use piket_protocol::desktop::{
    parse_desktop_credential, Category, Filed, LinkRequest, LinkStarted, Me, MyTicket, MyTickets,
    Report, LINK_KEY_PREFIX,
};
use rand::seq::IndexedRandom;
use serde_json::json;

use super::store::{self, LinkRow, NewLink};
use super::{LinkView, PendingLink, LINKS_PER_USER, MAX_FAILED_CODES, MAX_NAME, PENDING_TTL_MS};
use crate::attachments::upload::Staged;
use crate::audit::{self, Change};
use crate::auth::actor::{Actor, Via};
use crate::auth::token;
use crate::error::{AppError, AppResult, FieldError};
use crate::state::AppState;
use crate::tickets::machine::Machine;
use crate::tickets::{self, NewTicket};
use crate::validate::Check;

/// Letters and digits nobody misreads (no 0/O, 1/I/L).
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// Tickets the helper's "My tickets" list shows.
const MY_TICKETS: i64 = 50;

/// The caller of a helper route, by its credential.
pub enum Caller {
    /// Asked for, not confirmed yet: it may only ask who it is.
    Pending,
    /// Confirmed by `actor`'s user, whose account is usable.
    Linked {
        link: Box<LinkRow>,
        actor: Box<Actor>,
    },
}

fn name_ok(s: &str) -> bool {
    !s.trim().is_empty() && s.chars().count() <= MAX_NAME && !s.chars().any(char::is_control)
}

fn new_code() -> String {
    let mut rng = rand::rng();
    let pick: Vec<u8> = (0..8)
        .map(|_| *CODE_ALPHABET.choose(&mut rng).unwrap_or(&b'A'))
        .collect();
    let text = String::from_utf8(pick).unwrap_or_default();
    format!("{}-{}", &text[..4], &text[4..])
}

/// A helper asks to be linked. The answer's secret works once the user confirms
/// `confirm_path` in the browser; until then it only reads `pending`.
pub async fn start(state: &AppState, req: &LinkRequest, ip: &str) -> AppResult<LinkStarted> {
    let now = state.now();
    state
        .desktop_link_limiter
        .hit(ip, now)
        .map_err(|s| AppError::RateLimited {
            retry_after_secs: s,
        })?;
    let mut c = Check::new();
    if !name_ok(&req.hostname) {
        c.fail("hostname", format!("1 to {MAX_NAME} characters"));
    }
    if !name_ok(&req.os_user) {
        c.fail("os_user", format!("1 to {MAX_NAME} characters"));
    }
    if req.device_id.len() > 64 {
        c.fail("device_id", "is not a device id");
    }
    c.finish()?;
    let mut tx = state.db.begin().await?;
    store::delete_stale(&mut tx, now - 24 * 60 * 60 * 1000).await?;
    // A device the helper names but the server does not know (or revoked) is left out: the
    // link still files tickets, without the device.
    let device_id = if req.device_id.is_empty() {
        None
    } else {
        crate::agents::devices::active_by_key(&mut tx, &req.device_id)
            .await?
            .map(|(id, _, _)| id)
    };
    let link_key = format!("{LINK_KEY_PREFIX}{}", token::random_token(12));
    let secret = token::random_token(32);
    let code = new_code();
    let expires_at = now + PENDING_TTL_MS;
    let new = NewLink {
        link_key: &link_key,
        secret_hash: &token::hash_token(&secret),
        code: &code,
        hostname: req.hostname.trim(),
        os_user: req.os_user.trim(),
        requested_from: ip,
        device_id,
        expires_at,
    };
    store::insert(&mut tx, &new, now).await?;
    tx.commit().await?;
    Ok(LinkStarted {
        confirm_path: format!("/desktop/link/{link_key}"),
        link_key,
        secret,
        code,
        expires_at_ms: expires_at,
    })
}

/// The link an `Authorization` value names, checked. A wrong secret, a revoked link or an
/// unconfirmed one past its time is 401; a confirmed link whose user is disabled is 403.
pub async fn authenticate(state: &AppState, authorization: &str, ip: &str) -> AppResult<Caller> {
    let (scheme, rest) = authorization
        .split_once(' ')
        .ok_or(AppError::Unauthorized)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AppError::Unauthorized);
    }
    let (key, secret) = parse_desktop_credential(rest.trim()).ok_or(AppError::Unauthorized)?;
    let now = state.now();
    let mut conn = state.db.pool.acquire().await?;
    let found = store::by_key(&mut conn, key).await?;
    let expected = found
        .as_ref()
        .map(|l| l.secret_hash.clone())
        .unwrap_or_default();
    let matches = token::constant_time_eq(&token::hash_token(secret), &expected);
    let link = found
        .filter(|l| matches && l.revoked_at.is_none())
        .ok_or(AppError::Unauthorized)?;
    let Some(user_id) = link.user_id else {
        return if link.expires_at > now {
            Ok(Caller::Pending)
        } else {
            Err(AppError::Unauthorized)
        };
    };
    let actor = crate::users::accounts::load_actor(&mut conn, user_id, Via::Desktop(link.id), ip)
        .await?
        .ok_or(AppError::Forbidden)?;
    if link.last_used_at.is_none_or(|t| now - t > 60_000) {
        store::mark_used(&mut conn, link.id, now).await?;
    }
    Ok(Caller::Linked {
        link: Box::new(link),
        actor: Box::new(actor),
    })
}

/// Who the helper files as and what its form offers.
pub async fn me(state: &AppState, caller: &Caller) -> AppResult<Me> {
    let Caller::Linked { actor, .. } = caller else {
        return Ok(Me {
            status: "pending".into(),
            ..Me::default()
        });
    };
    let categories = crate::categories::service::all_cached(state)
        .await?
        .into_iter()
        .map(|c| Category {
            id: c.id,
            name: c.name,
        })
        .collect();
    Ok(Me {
        status: "linked".into(),
        name: actor.name.clone(),
        email: actor.email.clone(),
        portal_path: "/tickets".into(),
        categories,
        priorities: tickets::model::Priority::ALL
            .iter()
            .map(|p| p.as_str().to_string())
            .collect(),
    })
}

/// 409: the user has not confirmed the link yet.
pub fn not_linked() -> AppError {
    AppError::Conflict("this computer is not linked yet: confirm it in the browser".into())
}

/// The linked link and user, or 409 while the user has not confirmed.
fn linked(caller: &Caller) -> AppResult<(&LinkRow, &Actor)> {
    match caller {
        Caller::Linked { link, actor } => Ok((link, actor)),
        Caller::Pending => Err(not_linked()),
    }
}

/// File a report as the linked user: a ticket with source `desktop`, the screenshot (if any),
/// the machine block with the address the server saw, and the link's device. A report whose
/// client id already filed a ticket answers with that ticket.
pub async fn file(
    state: &AppState,
    caller: &Caller,
    report: Report,
    staged: Vec<Staged>,
    errors: Vec<FieldError>,
    public_ip: &str,
) -> AppResult<Filed> {
    let (link, actor) = linked(caller)?;
    let id_ok = (8..=64).contains(&report.client_id.len())
        && report
            .client_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !id_ok {
        return Err(AppError::invalid(
            "client_id",
            "8 to 64 letters, digits or dashes",
        ));
    }
    let device_asset = match link.device_id {
        Some(d) => {
            let mut conn = state.db.pool.acquire().await?;
            crate::agents::devices::active_asset(&mut conn, d).await?
        }
        None => None,
    };
    let input = NewTicket {
        title: report.title,
        description: report.description,
        priority: report.priority,
        category: report.category_id,
        source: Some("desktop".into()),
        ..NewTicket::default()
    };
    let once = tickets::service::Once {
        key: format!("desktop:{}:{}", link.id, report.client_id),
        machine: Some(Machine {
            state: report.machine,
            public_ip: public_ip.to_string(),
        }),
        device_asset,
    };
    let (ticket, created) =
        tickets::service::create_once(state, actor, input, "desktop", staged, errors, once).await?;
    Ok(Filed {
        ticket_id: ticket.summary.id,
        path: format!("/tickets/{}", ticket.summary.id),
        created,
    })
}

/// The linked user's own tickets (as requester), newest first.
pub async fn my_tickets(state: &AppState, caller: &Caller) -> AppResult<MyTickets> {
    let (_, actor) = linked(caller)?;
    let query = tickets::filter::ListQuery {
        requester: Some("me".into()),
        limit: Some(MY_TICKETS),
        ..Default::default()
    };
    let page = tickets::service::list(state, actor, &query).await?;
    Ok(MyTickets {
        items: page
            .items
            .into_iter()
            .map(|t| MyTicket {
                path: format!("/tickets/{}", t.id),
                id: t.id,
                title: t.title,
                status: t.status,
                updated_at: t.updated_at,
            })
            .collect(),
    })
}

/// The letters of a code that matter: `abcd efgh`, `ABCD-EFGH` and `abcdefgh` are one code.
fn code_letters(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn pending_view(link: LinkRow, reader: i64, now: i64) -> PendingLink {
    let status = match link.user_id {
        Some(u) if u == reader && link.revoked_at.is_none() => "linked",
        Some(_) => "taken",
        None if link.revoked_at.is_some() || link.expires_at <= now => "expired",
        None => "pending",
    };
    let mut view = PendingLink {
        link_key: link.link_key,
        hostname: link.hostname,
        os_user: link.os_user,
        requested_from: link.requested_from,
        device_name: link.device_name,
        status,
        wrong_code: false,
    };
    if status == "taken" {
        // Someone else's computer: nothing about it.
        view.hostname.clear();
        view.os_user.clear();
        view.requested_from.clear();
        view.device_name = None;
    }
    view
}

/// The confirmation page's link. Anyone signed in who may file tickets can open a pending one
/// (the key is the helper's to give); a link someone else confirmed tells nothing about it. The
/// code is never shown: the user types what the helper shows.
pub async fn pending(state: &AppState, actor: &Actor, key: &str) -> AppResult<PendingLink> {
    actor.require("tickets.create")?;
    let mut conn = state.db.pool.acquire().await?;
    let link = store::by_key(&mut conn, key)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(pending_view(link, actor.user_id, state.now()))
}

/// Confirm a pending link as the reader, when `typed` is the code the helper shows: from now on
/// its helper files as them. A wrong code counts; the fifth voids the link.
pub async fn confirm(
    state: &AppState,
    actor: &Actor,
    key: &str,
    typed: &str,
) -> AppResult<PendingLink> {
    actor.require("tickets.create")?;
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let link = store::by_key(&mut tx, key)
        .await?
        .ok_or(AppError::NotFound)?;
    if pending_view(link.clone(), actor.user_id, now).status != "pending" {
        drop(tx);
        return pending(state, actor, key).await;
    }
    let expected = code_letters(&link.code);
    if !token::constant_time_eq(&code_letters(typed), &expected) {
        store::wrong_code(&mut tx, link.id, MAX_FAILED_CODES, now).await?;
        tx.commit().await?;
        let mut view = pending(state, actor, key).await?;
        view.wrong_code = view.status == "pending";
        return Ok(view);
    }
    if !store::confirm(&mut tx, link.id, actor.user_id, now).await? {
        drop(tx);
        return pending(state, actor, key).await;
    }
    store::revoke_beyond(&mut tx, actor.user_id, LINKS_PER_USER, now).await?;
    let change = Change {
        action: "desktop.link",
        object_kind: "desktop_link",
        object_id: Some(link.id),
        before: None,
        after: Some(json!({
            "hostname": link.hostname,
            "os_user": link.os_user,
            "device": link.device_name,
            "requested_from": link.requested_from,
        })),
    };
    audit::record(&mut tx, now, actor, change).await?;
    tx.commit().await?;
    pending(state, actor, key).await
}

/// End every link of a user: a password set or reset ends their helpers too (a stolen session
/// must not leave a lasting way in).
pub async fn revoke_all_of(
    conn: &mut sqlx::AnyConnection,
    user_id: i64,
    now: i64,
) -> AppResult<u64> {
    store::revoke_all_of(conn, user_id, now).await
}

/// The reader's linked computers.
pub async fn mine(state: &AppState, actor: &Actor) -> AppResult<Vec<LinkView>> {
    let mut conn = state.db.pool.acquire().await?;
    store::of_user(&mut conn, actor.user_id).await
}

/// Unlink one of the reader's computers: its helper's credential stops working.
pub async fn revoke(state: &AppState, actor: &Actor, id: i64) -> AppResult<()> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    if !store::revoke(&mut tx, id, actor.user_id, now).await? {
        return Err(AppError::NotFound);
    }
    let change = Change {
        action: "desktop.unlink",
        object_kind: "desktop_link",
        object_id: Some(id),
        before: None,
        after: None,
    };
    audit::record(&mut tx, now, actor, change).await?;
    tx.commit().await?;
    Ok(())
}
