//! IMAP: open a session (TLS, STARTTLS or, when allowed, plain; login; select), list new UIDs,
//! download one mail in 1 MiB pieces to a file, apply the after-fetch action, and wait with IDLE
//! when the server offers it.

use std::time::Duration;

use async_imap::{Client, Session};
use futures_util::TryStreamExt;

use super::conn::{self, within, Failure, MailStream, Step};
use super::{Settings, Spool};

pub type ImapSession = Session<MailStream>;

/// Bytes asked for in one FETCH: a large mail never sits whole in a response buffer.
const PIECE: u64 = 1024 * 1024;

/// The folder as selected.
pub struct Folder {
    pub uidvalidity: i64,
    pub uid_next: i64,
    pub exists: i64,
}

/// Connect, log in and select the folder.
pub async fn open(s: &Settings) -> Result<(ImapSession, Folder), Failure> {
    let stream = conn::tcp(&s.host, s.port).await?;
    let stream = match s.tls.as_str() {
        "tls" => conn::tls(stream, &s.host, s.tls_verify).await?,
        "starttls" => {
            let mut client = Client::new(stream);
            greeting(&mut client).await?;
            within(Step::Tls, client.run_command_and_check_ok("STARTTLS", None)).await?;
            conn::tls(client.into_inner(), &s.host, s.tls_verify).await?
        }
        _ => stream,
    };
    let mut client = Client::new(stream);
    if s.tls != "starttls" {
        greeting(&mut client).await?;
    }
    let login = tokio::time::timeout(conn::STEP_TIMEOUT, client.login(&s.username, &s.password));
    let mut session = match login.await {
        Ok(Ok(session)) => session,
        Ok(Err((e, _))) => return Err(Failure::new(Step::Login, e)),
        Err(_) => return Err(Failure::new(Step::Login, "no answer in time")),
    };
    let mbx = within(Step::Folder, session.select(&s.folder)).await?;
    let folder = Folder {
        uidvalidity: i64::from(mbx.uid_validity.unwrap_or(0)),
        uid_next: i64::from(mbx.uid_next.unwrap_or(0)),
        exists: i64::from(mbx.exists),
    };
    Ok((session, folder))
}

async fn greeting(client: &mut Client<MailStream>) -> Result<(), Failure> {
    match tokio::time::timeout(conn::STEP_TIMEOUT, client.read_response()).await {
        Ok(Ok(Some(_))) => Ok(()),
        Ok(Ok(None)) => Err(Failure::new(Step::Tcp, "the server closed the connection")),
        Ok(Err(e)) => Err(Failure::new(Step::Tcp, e)),
        Err(_) => Err(Failure::new(Step::Tcp, "no greeting in time")),
    }
}

/// UIDs above `after`, ascending.
pub async fn uids_after(session: &mut ImapSession, after: i64) -> Result<Vec<i64>, Failure> {
    let found = within(
        Step::Fetch,
        session.uid_search(format!("UID {}:*", after + 1)),
    )
    .await?;
    // `N:*` always answers the highest UID, even below N.
    let mut uids: Vec<i64> = found
        .into_iter()
        .map(i64::from)
        .filter(|u| *u > after)
        .collect();
    uids.sort_unstable();
    Ok(uids)
}

/// Download mail `uid` into `spool`, a piece at a time: the first FETCH also asks its size, so
/// a small mail costs one round trip. `Ok(None)` when the mail is gone; a mail announced larger
/// than the spool's limit is not downloaded past its first piece (the spool says `over`).
pub async fn download(
    session: &mut ImapSession,
    uid: i64,
    spool: &mut Spool,
) -> Result<Option<u64>, Failure> {
    let mut offset = 0u64;
    let mut size: Option<u64> = None;
    loop {
        let query = if size.is_none() {
            format!("(RFC822.SIZE BODY.PEEK[]<{offset}.{PIECE}>)")
        } else {
            format!("BODY.PEEK[]<{offset}.{PIECE}>")
        };
        let fetches: Vec<_> = within(Step::Fetch, async {
            session
                .uid_fetch(uid.to_string(), &query)
                .await?
                .try_collect::<Vec<_>>()
                .await
        })
        .await?;
        let Some(fetch) = fetches.iter().find(|f| f.uid.map(i64::from) == Some(uid)) else {
            return Ok(None);
        };
        if size.is_none() {
            let announced = fetch.size.map(u64::from).unwrap_or(0);
            size = Some(announced);
            if announced > spool.limit() {
                spool.announced(announced);
                return Ok(size);
            }
        }
        let piece = fetch.body().unwrap_or_default();
        spool
            .write(piece)
            .await
            .map_err(|e| Failure::new(Step::Fetch, e))?;
        offset += piece.len() as u64;
        // A server that sends more than it announced is cut off at the spool's limit.
        if (piece.len() as u64) < PIECE || offset >= size.unwrap_or(0).max(1) || spool.over() {
            return Ok(size);
        }
    }
}

/// What the mailbox does with a mail once it is recorded.
pub async fn after_fetch(
    session: &mut ImapSession,
    uid: i64,
    action: &str,
    move_to: &str,
) -> Result<(), Failure> {
    let set = uid.to_string();
    match action {
        "move" if !move_to.is_empty() => {
            within(Step::Fetch, session.uid_mv(&set, move_to)).await?;
        }
        "delete" => {
            within(Step::Fetch, async {
                session
                    .uid_store(&set, "+FLAGS.SILENT (\\Deleted)")
                    .await?
                    .try_collect::<Vec<_>>()
                    .await
            })
            .await?;
            within(Step::Fetch, async {
                session
                    .uid_expunge(&set)
                    .await?
                    .try_collect::<Vec<_>>()
                    .await
            })
            .await?;
        }
        _ => {
            within(Step::Fetch, async {
                session
                    .uid_store(&set, "+FLAGS.SILENT (\\Seen)")
                    .await?
                    .try_collect::<Vec<_>>()
                    .await
            })
            .await?;
        }
    }
    Ok(())
}

/// Whether the server offers IDLE.
pub async fn has_idle(session: &mut ImapSession) -> bool {
    match within(Step::Fetch, session.capabilities()).await {
        Ok(caps) => caps.has_str("IDLE"),
        Err(_) => false,
    }
}

/// Wait for new mail with IDLE, at most `wait`; the session comes back for the next round.
pub async fn idle(session: ImapSession, wait: Duration) -> Result<ImapSession, Failure> {
    let mut handle = session.idle();
    within(Step::Fetch, handle.init()).await?;
    let (fut, _stop) = handle.wait_with_timeout(wait);
    fut.await.map_err(|e| Failure::new(Step::Fetch, e))?;
    within(Step::Fetch, handle.done()).await
}

pub async fn logout(mut session: ImapSession) {
    let _ = tokio::time::timeout(Duration::from_secs(5), session.logout()).await;
}
