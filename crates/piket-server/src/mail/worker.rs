//! One fetcher per mailbox across all nodes: each node looks for enabled mailboxes nobody holds,
//! takes a lease on one (`mailboxes.locked_until`, renewed while it works), and runs a round,
//! then waits for new mail (IDLE where the server offers it, else the polling interval). A node
//! that dies lets its lease run out and another takes over; a fetcher that loses its lease stops
//! before the next mail. Even two fetchers at once would record each mail once (`intake`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rand::RngCore;
use tokio::sync::watch;

use super::fetch::{self, imap, Round, RoundError, Settings};
use super::store::{self, MailboxRow};
use crate::error::{AppError, AppResult};
use crate::secrets::MAILBOX_PASSWORD;
use crate::state::AppState;

/// How long a lease lasts without renewal.
pub const LEASE_MS: i64 = 60_000;
/// How often a node looks for mailboxes to take.
const LOOK_EVERY: Duration = Duration::from_secs(5);
/// The longest IDLE (servers end idle connections after 30 minutes).
const MAX_IDLE: Duration = Duration::from_secs(25 * 60);

/// The connection settings of a mailbox, its password opened.
pub fn settings(state: &AppState, mb: &MailboxRow) -> AppResult<Settings> {
    Ok(Settings {
        protocol: mb.protocol.clone(),
        host: mb.host.clone(),
        port: u16::try_from(mb.port).unwrap_or(0),
        tls: mb.tls.clone(),
        tls_verify: mb.tls_verify != 0,
        username: mb.username.clone(),
        password: state
            .secrets
            .open(MAILBOX_PASSWORD.at(mb.id), &mb.password)?,
        folder: mb.folder.clone(),
    })
}

/// One round over mailbox `id` now, outside any lease (tests; "Fetch now" takes the lease).
pub async fn poll_once(state: &AppState, id: i64) -> Result<Round, RoundError> {
    let mb = {
        let mut conn = state.db.pool.acquire().await.map_err(AppError::from)?;
        store::get(&mut conn, id).await?.ok_or(AppError::NotFound)?
    };
    let s = settings(state, &mb)?;
    let result = fetch::round(state, &mb, &s, &mut || true).await;
    note_result(state, id, &result).await;
    result
}

async fn note_result(state: &AppState, id: i64, result: &Result<Round, RoundError>) {
    // A hostile server's answer can be long: the page shows the start of it.
    let error: String = match result {
        Ok(_) => String::new(),
        Err(e) => e.to_string().chars().take(500).collect(),
    };
    if result.is_err() {
        tracing::warn!(mailbox = id, error = %error, "mailbox round failed");
    }
    if let Ok(mut conn) = state.db.pool.acquire().await {
        let _ = store::set_result(&mut conn, id, &error, state.now()).await;
    }
}

/// The node's fetcher supervisor, until shutdown.
pub async fn run(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let mut bytes = [0u8; 8];
    rand::rng().fill_bytes(&mut bytes);
    let owner = hex::encode(bytes);
    let mut running: HashMap<i64, tokio::task::JoinHandle<()>> = HashMap::new();
    loop {
        running.retain(|_, h| !h.is_finished());
        if let Err(e) = take_free(&state, &owner, &mut running, &shutdown).await {
            tracing::warn!(error = ?e, "mail fetcher");
        }
        tokio::select! {
            _ = tokio::time::sleep(LOOK_EVERY) => {}
            _ = shutdown.changed() => break,
        }
    }
    for (_, h) in running {
        let _ = tokio::time::timeout(Duration::from_secs(10), h).await;
    }
}

async fn take_free(
    state: &AppState,
    owner: &str,
    running: &mut HashMap<i64, tokio::task::JoinHandle<()>>,
    shutdown: &watch::Receiver<bool>,
) -> AppResult<()> {
    let now = state.now();
    let mut conn = state.db.pool.acquire().await?;
    for id in store::claimable(&mut conn, now).await? {
        if running.contains_key(&id) {
            continue;
        }
        if store::lease(&mut conn, id, owner, now, now + LEASE_MS).await? {
            let task = fetcher(state.clone(), id, owner.to_string(), shutdown.clone());
            running.insert(id, tokio::spawn(task));
        }
    }
    Ok(())
}

/// Work one mailbox while the lease holds.
async fn fetcher(state: AppState, id: i64, owner: String, mut shutdown: watch::Receiver<bool>) {
    let lost = Arc::new(AtomicBool::new(false));
    let renewer = tokio::spawn(renew(state.clone(), id, owner.clone(), lost.clone()));
    loop {
        if lost.load(Ordering::Relaxed) || *shutdown.borrow() {
            break;
        }
        let mb = match state.db.pool.acquire().await {
            Ok(mut conn) => match store::get(&mut conn, id).await {
                Ok(Some(mb)) if mb.enabled != 0 => mb,
                _ => break,
            },
            Err(_) => break,
        };
        let s = match settings(&state, &mb) {
            Ok(s) => s,
            Err(e) => {
                let result = Err(RoundError::Local(e));
                note_result(&state, id, &result).await;
                break;
            }
        };
        let stop = shutdown.clone();
        let lost_now = lost.clone();
        let mut keep_going = move || !lost_now.load(Ordering::Relaxed) && !*stop.borrow();
        let result = fetch::round(&state, &mb, &s, &mut keep_going).await;
        let failed = result.is_err();
        note_result(&state, id, &result).await;
        let poll = Duration::from_secs(mb.poll_secs.clamp(10, 3600) as u64);
        tokio::select! {
            _ = wait_for_mail(&s, poll, failed) => {}
            _ = shutdown.changed() => break,
        }
    }
    renewer.abort();
    if let Ok(mut conn) = state.db.pool.acquire().await {
        let _ = store::release(&mut conn, id, &owner).await;
    }
}

/// Until new mail may be there: IDLE on IMAP servers that offer it, else the interval.
async fn wait_for_mail(s: &Settings, poll: Duration, failed: bool) {
    if s.protocol == "imap" && !failed {
        if let Ok((mut session, _)) = imap::open(s).await {
            if imap::has_idle(&mut session).await {
                if let Ok(session) = imap::idle(session, poll.min(MAX_IDLE)).await {
                    imap::logout(session).await;
                }
                return;
            }
            imap::logout(session).await;
        }
    }
    tokio::time::sleep(poll).await;
}

/// Renew the lease every third of its length; mark it lost when another node holds it.
async fn renew(state: AppState, id: i64, owner: String, lost: Arc<AtomicBool>) {
    loop {
        tokio::time::sleep(Duration::from_millis((LEASE_MS / 3) as u64)).await;
        let now = state.now();
        let held = match state.db.pool.acquire().await {
            Ok(mut conn) => store::lease(&mut conn, id, &owner, now, now + LEASE_MS)
                .await
                .unwrap_or(false),
            Err(_) => false,
        };
        if !held {
            lost.store(true, Ordering::Relaxed);
            return;
        }
    }
}
