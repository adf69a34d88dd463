//! POP3 (RFC 1939, STLS from RFC 2595): a small client for what a fetcher needs (log in, UIDL,
//! LIST, RETR streamed to a file with dot-unstuffing, DELE, QUIT). Deletions take effect only at
//! QUIT, so a dropped connection deletes nothing; mails are known by UIDL.

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use super::conn::{self, within, Failure, MailStream, Step};
use super::{Settings, Spool};

/// The longest line accepted from the server (a hostile server cannot grow a line for ever).
const MAX_LINE: u64 = 64 * 1024;
/// Messages taken from one UIDL listing (the rest wait for the next round).
const MAX_LISTED: usize = 100_000;

pub struct Pop3 {
    io: BufReader<MailStream>,
}

impl Pop3 {
    /// Connect and log in. POP3 has no folders; the mailbox count is the folder step.
    pub async fn open(s: &Settings) -> Result<(Pop3, i64), Failure> {
        let stream = conn::tcp(&s.host, s.port).await?;
        let stream = if s.tls == "tls" {
            conn::tls(stream, &s.host, s.tls_verify).await?
        } else {
            stream
        };
        let mut pop = Pop3 {
            io: BufReader::new(stream),
        };
        pop.status(Step::Tcp).await?;
        if s.tls == "starttls" {
            pop.command("STLS", Step::Tls).await?;
            let stream = pop.io.into_inner();
            pop = Pop3 {
                io: BufReader::new(conn::tls(stream, &s.host, s.tls_verify).await?),
            };
        }
        pop.command(&format!("USER {}", clean(&s.username)), Step::Login)
            .await?;
        pop.command(&format!("PASS {}", clean(&s.password)), Step::Login)
            .await?;
        let stat = pop.command("STAT", Step::Folder).await?;
        let count = stat
            .split_whitespace()
            .nth(1)
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        Ok((pop, count))
    }

    /// Send a command and read its one-line answer (the text after `+OK`).
    async fn command(&mut self, line: &str, step: Step) -> Result<String, Failure> {
        within(step, async {
            self.io.get_mut().write_all(line.as_bytes()).await?;
            self.io.get_mut().write_all(b"\r\n").await?;
            self.io.get_mut().flush().await
        })
        .await?;
        self.status(step).await
    }

    async fn status(&mut self, step: Step) -> Result<String, Failure> {
        let line = self.line(step).await?;
        let text = String::from_utf8_lossy(&line).trim_end().to_string();
        if text.starts_with("+OK") {
            Ok(text)
        } else {
            Err(Failure::new(step, text))
        }
    }

    async fn line(&mut self, step: Step) -> Result<Vec<u8>, Failure> {
        let mut buf = Vec::new();
        let n = within(step, async {
            (&mut self.io)
                .take(MAX_LINE)
                .read_until(b'\n', &mut buf)
                .await
        })
        .await?;
        if n == 0 {
            return Err(Failure::new(step, "the server closed the connection"));
        }
        if !buf.ends_with(b"\n") {
            return Err(Failure::new(step, "a line from the server is too long"));
        }
        Ok(buf)
    }

    /// Every message's number and UIDL.
    pub async fn uidl(&mut self) -> Result<Vec<(i64, String)>, Failure> {
        self.command("UIDL", Step::Fetch).await?;
        let mut out = Vec::new();
        loop {
            let line = self.line(Step::Fetch).await?;
            let text = String::from_utf8_lossy(&line);
            let text = text.trim_end();
            if text == "." {
                return Ok(out);
            }
            let mut parts = text.split_whitespace();
            if let (Some(n), Some(uidl)) = (parts.next(), parts.next()) {
                // RFC 1939: a UIDL is 1 to 70 printable characters.
                if let (Ok(n), true) = (n.parse(), uidl.len() <= 70) {
                    if out.len() < MAX_LISTED {
                        out.push((n, uidl.to_string()));
                    }
                }
            }
        }
    }

    /// Message `n`'s size.
    pub async fn size(&mut self, n: i64) -> Result<u64, Failure> {
        let answer = self.command(&format!("LIST {n}"), Step::Fetch).await?;
        Ok(answer
            .split_whitespace()
            .nth(2)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0))
    }

    /// Message `n`, dot-unstuffed, into `spool`.
    pub async fn retrieve(&mut self, n: i64, spool: &mut Spool) -> Result<(), Failure> {
        self.command(&format!("RETR {n}"), Step::Fetch).await?;
        loop {
            let line = self.line(Step::Fetch).await?;
            if line == b".\r\n" || line == b".\n" {
                return Ok(());
            }
            let data = if line.starts_with(b"..") {
                &line[1..]
            } else {
                &line[..]
            };
            spool
                .write(data)
                .await
                .map_err(|e| Failure::new(Step::Fetch, e))?;
        }
    }

    pub async fn delete(&mut self, n: i64) -> Result<(), Failure> {
        self.command(&format!("DELE {n}"), Step::Fetch).await?;
        Ok(())
    }

    /// End the session; deletions happen now.
    pub async fn quit(mut self) -> Result<(), Failure> {
        self.command("QUIT", Step::Fetch).await?;
        Ok(())
    }
}

/// A value sent on a command line: no line breaks can smuggle a second command.
fn clean(v: &str) -> String {
    v.chars().filter(|c| *c != '\r' && *c != '\n').collect()
}
