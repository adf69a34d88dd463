//! Fetching a mailbox: one round takes every new mail in order, each downloaded to a spool
//! file, kept, handed to `intake` and only then removed from the server (or marked), so a round
//! that stops anywhere is taken up again by the next one without loss or double.

pub mod conn;
pub mod imap;
pub mod pop3;

use std::path::PathBuf;

use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::intake::{self, Raw, Taken};
use super::store::{self, MailboxRow};
use super::TestResult;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use conn::Failure;

/// Above this many mails waiting at the first look, an administrator chooses between "only
/// mail from now on" and "import everything"; below it everything is taken.
pub const ASK_ABOVE: i64 = 200;

/// What a fetcher connects with (the password opened).
#[derive(Clone)]
pub struct Settings {
    pub protocol: String,
    pub host: String,
    pub port: u16,
    pub tls: String,
    pub tls_verify: bool,
    pub username: String,
    pub password: String,
    pub folder: String,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}://{}@{}:{}",
            self.protocol, self.username, self.host, self.port
        )
    }
}

/// A mail being downloaded: a file in the staging directory, hashed and counted as it grows,
/// never held whole in memory; removed when dropped.
pub struct Spool {
    path: PathBuf,
    file: Option<tokio::fs::File>,
    hasher: Sha256,
    size: u64,
    /// Past this many bytes nothing more is written (a mail too large, or a server that lies
    /// about sizes): the rest is counted and dropped.
    limit: u64,
}

impl Spool {
    pub async fn new(state: &AppState) -> std::io::Result<Spool> {
        let path = crate::storage::staging_path(state.blobs.staging_dir());
        let file = tokio::fs::File::create(&path).await?;
        Ok(Spool {
            path,
            file: Some(file),
            hasher: Sha256::new(),
            size: 0,
            limit: intake::max_mail_bytes(state),
        })
    }

    pub async fn write(&mut self, data: &[u8]) -> std::io::Result<()> {
        self.size += data.len() as u64;
        if self.size > self.limit {
            return Ok(());
        }
        self.hasher.update(data);
        match &mut self.file {
            Some(f) => f.write_all(data).await,
            None => Ok(()),
        }
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Whether the mail passed the limit (its bytes were not all kept).
    pub fn over(&self) -> bool {
        self.size > self.limit
    }

    /// The size past which nothing is kept.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// A mail announced too large: counted, never downloaded.
    pub fn announced(&mut self, size: u64) {
        self.size = size;
    }

    /// Close the file and keep it as the raw message (`<sha256>.eml`).
    async fn keep(mut self, state: &AppState) -> AppResult<Raw> {
        if let Some(mut f) = self.file.take() {
            f.flush().await.map_err(spool_io)?;
        }
        let sha256 = hex::encode(std::mem::take(&mut self.hasher).finalize());
        let key = format!("{sha256}.eml");
        if !state.blobs.exists(&key).await.map_err(spool_io)? {
            state
                .blobs
                .put_file(&key, &self.path)
                .await
                .map_err(spool_io)?;
        }
        Ok(Raw {
            sha256,
            size: self.size,
        })
    }

    /// Write out what tokio's file still buffers.
    async fn flush(&mut self) -> AppResult<()> {
        if let Some(f) = &mut self.file {
            f.flush().await.map_err(spool_io)?;
        }
        Ok(())
    }

    /// The whole mail.
    async fn read(&mut self) -> AppResult<Vec<u8>> {
        self.flush().await?;
        tokio::fs::read(&self.path).await.map_err(spool_io)
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn spool_io(e: std::io::Error) -> AppError {
    match e.kind() {
        std::io::ErrorKind::StorageFull => AppError::from(e),
        _ => AppError::Internal(format!("spooling a mail: {e}")),
    }
}

/// A round's failure: the connection (named by step) or Piket itself (the database).
#[derive(Debug)]
pub enum RoundError {
    Remote(Failure),
    Local(AppError),
}

impl std::fmt::Display for RoundError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RoundError::Remote(e) => write!(f, "{e}"),
            RoundError::Local(e) => write!(f, "{e:?}"),
        }
    }
}

impl From<Failure> for RoundError {
    fn from(e: Failure) -> Self {
        RoundError::Remote(e)
    }
}

impl From<AppError> for RoundError {
    fn from(e: AppError) -> Self {
        RoundError::Local(e)
    }
}

/// How a round went.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Round {
    /// Mails recorded by this round.
    pub taken: usize,
    /// The folder waits for the first fetch's choice.
    pub waiting: bool,
}

/// "Test connection": each step in turn, stopping at the first that fails.
pub async fn test(s: &Settings) -> TestResult {
    let outcome = if s.protocol == "pop3" {
        match pop3::Pop3::open(s).await {
            Ok((p, count)) => {
                let _ = p.quit().await;
                Ok(count)
            }
            Err(e) => Err(e),
        }
    } else {
        match imap::open(s).await {
            Ok((session, folder)) => {
                imap::logout(session).await;
                Ok(folder.exists)
            }
            Err(e) => Err(e),
        }
    };
    match outcome {
        Ok(n) => TestResult {
            ok: true,
            failed_step: None,
            detail: String::new(),
            messages: Some(n),
        },
        Err(e) => TestResult {
            ok: false,
            failed_step: Some(e.step.as_str().to_string()),
            detail: e.detail,
            messages: None,
        },
    }
}

/// One round over a mailbox: take every new mail. `keep_going` is asked before each mail (the
/// lease still held, no shutdown).
pub async fn round(
    state: &AppState,
    mb: &MailboxRow,
    s: &Settings,
    keep_going: &mut (dyn FnMut() -> bool + Send),
) -> Result<Round, RoundError> {
    if s.protocol == "pop3" {
        pop3_round(state, mb, s, keep_going).await
    } else {
        let (mut session, folder) = imap::open(s).await?;
        let result = imap_round(state, mb, &mut session, &folder, keep_going).await;
        imap::logout(session).await;
        result
    }
}

/// Download, keep and take one mail; the spool is gone afterwards either way.
async fn take_spooled(
    state: &AppState,
    mb: &MailboxRow,
    uid_key: &str,
    mut spool: Spool,
) -> AppResult<Taken> {
    if spool.over() {
        // Not kept: a mail past the limit would fill the store (retrying it is pointless).
        let raw = Raw {
            sha256: String::new(),
            size: spool.size(),
        };
        return intake::quarantine_oversized(state, mb, uid_key, &raw).await;
    }
    // A large mail is split (its files decoded to disk, a small skeleton parsed), so it is
    // never held whole; a small one, or one that does not split, is read as it is.
    let mut split = None;
    if spool.size() > super::split::SPLIT_ABOVE {
        spool.flush().await?;
        let (path, staging) = (spool.path.clone(), state.blobs.staging_dir().to_path_buf());
        split = tokio::task::spawn_blocking(move || super::split::split(&path, &staging))
            .await
            .map_err(|e| AppError::Internal(format!("splitting a mail: {e}")))?
            .ok()
            .flatten();
    }
    let (bytes, files) = match split {
        Some(s) => (s.skeleton, s.files),
        None => (spool.read().await?, Vec::new()),
    };
    let raw = spool.keep(state).await?;
    intake::take(state, mb, uid_key, &bytes, files, &raw).await
}

async fn imap_round(
    state: &AppState,
    mb: &MailboxRow,
    session: &mut imap::ImapSession,
    folder: &imap::Folder,
    keep_going: &mut (dyn FnMut() -> bool + Send),
) -> Result<Round, RoundError> {
    let mut mb = mb.clone();
    if mb.uidvalidity != Some(folder.uidvalidity) {
        // First look at this folder (or its UIDs were renumbered): what waits there now is
        // the backlog, taken whole when small, else after an administrator's choice.
        let start_uid = (folder.uid_next - 1).max(0);
        let choice = if folder.exists > ASK_ABOVE {
            "ask"
        } else {
            "all"
        };
        if mb.uidvalidity.is_some() {
            tracing::warn!(
                mailbox = mb.id,
                "the folder's UIDVALIDITY changed; starting over"
            );
        }
        let mut conn = state.db.pool.acquire().await.map_err(AppError::from)?;
        store::first_look(
            &mut conn,
            mb.id,
            folder.uidvalidity,
            start_uid,
            folder.exists,
            choice,
        )
        .await?;
        mb.uidvalidity = Some(folder.uidvalidity);
        mb.start_uid = start_uid;
        mb.first_fetch = choice.to_string();
        mb.last_uid = 0;
    }
    if mb.first_fetch == "ask" {
        return Ok(Round {
            taken: 0,
            waiting: true,
        });
    }
    let after = if mb.first_fetch == "new" {
        mb.last_uid.max(mb.start_uid)
    } else {
        mb.last_uid
    };
    let uids = imap::uids_after(session, after).await?;
    let mut round = Round::default();
    for uid in uids {
        if !keep_going() {
            break;
        }
        let uid_key = format!("imap:{}:{uid}", folder.uidvalidity);
        let known = {
            let mut conn = state.db.pool.acquire().await.map_err(AppError::from)?;
            store::recorded(&mut conn, mb.id, &uid_key).await?
        };
        if !known {
            let mut spool = Spool::new(state).await.map_err(spool_io)?;
            if imap::download(session, uid, &mut spool).await?.is_none() {
                continue;
            }
            if let Taken::Recorded { .. } = take_spooled(state, &mb, &uid_key, spool).await? {
                round.taken += 1;
            }
        }
        imap::after_fetch(session, uid, &mb.after_fetch, &mb.move_to).await?;
        let mut conn = state.db.pool.acquire().await.map_err(AppError::from)?;
        store::advance(&mut conn, mb.id, uid).await?;
    }
    Ok(round)
}

async fn pop3_round(
    state: &AppState,
    mb: &MailboxRow,
    s: &Settings,
    keep_going: &mut (dyn FnMut() -> bool + Send),
) -> Result<Round, RoundError> {
    let (mut pop, count) = pop3::Pop3::open(s).await?;
    if mb.uidvalidity.is_none() {
        // POP3 has no UIDVALIDITY: 0 marks "looked at"; the backlog is what waits now.
        let choice = if count > ASK_ABOVE { "ask" } else { "all" };
        let mut conn = state.db.pool.acquire().await.map_err(AppError::from)?;
        store::first_look(&mut conn, mb.id, 0, 0, count, choice).await?;
        if choice == "ask" {
            let _ = pop.quit().await;
            return Ok(Round {
                taken: 0,
                waiting: true,
            });
        }
    } else if mb.first_fetch == "ask" {
        let _ = pop.quit().await;
        return Ok(Round {
            taken: 0,
            waiting: true,
        });
    }
    let list = pop.uidl().await?;
    let mut round = Round::default();
    let skip_backlog = mb.first_fetch == "new";
    for (n, uidl) in list {
        if !keep_going() {
            break;
        }
        let uid_key = format!("pop3:{uidl}");
        let known = {
            let mut conn = state.db.pool.acquire().await.map_err(AppError::from)?;
            store::recorded(&mut conn, mb.id, &uid_key).await?
        };
        if !known && skip_backlog {
            // "Only mail from now on" on POP3, which has no UIDs to start after: what waits
            // now is recorded as skipped, untouched on the server.
            intake::skip_backlog(state, mb, &uid_key).await?;
            continue;
        }
        if !known {
            let mut spool = Spool::new(state).await.map_err(spool_io)?;
            let size = pop.size(n).await?;
            if size > intake::max_mail_bytes(state) {
                spool.announced(size);
            } else {
                pop.retrieve(n, &mut spool).await?;
            }
            if let Taken::Recorded { .. } = take_spooled(state, mb, &uid_key, spool).await? {
                round.taken += 1;
                let mut conn = state.db.pool.acquire().await.map_err(AppError::from)?;
                store::count_fetched(&mut conn, mb.id).await?;
            }
        }
        if mb.after_fetch == "delete" {
            pop.delete(n).await?;
        }
    }
    pop.quit().await?;
    if skip_backlog {
        let mut conn = state.db.pool.acquire().await.map_err(AppError::from)?;
        store::choose_first_fetch(&mut conn, mb.id, "all").await?;
    }
    Ok(round)
}
