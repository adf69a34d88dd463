//! The outbox across a crash, with the real `piket` binary and a local SMTP sink this test runs:
//! a ticket is filed on a node that does not deliver, the node is killed with SIGKILL before
//! anything is sent, and after a restart the receipt goes out exactly once. Also its retries:
//! a failed delivery waits out its backoff, then goes out once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use crate::common::child;

use child::{refusing_port, wait_until, Server};
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const BIN: &str = env!("CARGO_BIN_EXE_piket");

/// A minimal SMTP server: accepts everything and keeps each message's text.
pub(crate) async fn smtp_sink() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(Mutex::new(Vec::new()));
    let store = received.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 sink ESMTP\r\n").await.ok();
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(body) = data.as_mut() {
                        if line == "." {
                            store.lock().unwrap().push(data.take().unwrap_or_default());
                            write.write_all(b"250 queued\r\n").await.ok();
                        } else {
                            body.push_str(&line);
                            body.push('\n');
                        }
                        continue;
                    }
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 sink\r\n",
                        "DATA" => {
                            data = Some(String::new());
                            b"354 go ahead\r\n"
                        }
                        "QUIT" => {
                            write.write_all(b"221 bye\r\n").await.ok();
                            return;
                        }
                        _ => b"250 OK\r\n",
                    };
                    write.write_all(reply).await.ok();
                }
            });
        }
    });
    (port, received)
}

fn piket(data: &std::path::Path, smtp_port: u16) -> Command {
    let mut c = Command::new(BIN);
    c.env_remove("PIKET_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .arg("--data")
        .arg(data)
        .args(["--smtp-host", "127.0.0.1", "--smtp-tls", "none"])
        .args(["--smtp-port", &smtp_port.to_string()])
        .args(["--smtp-from", "piket@example.com"]);
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_the_change_and_the_send_loses_no_email_and_sends_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let (smtp_port, received) = smtp_sink().await;
    let mut create = piket(dir.path(), smtp_port)
        .args([
            "user",
            "create",
            "--email",
            "alice@example.com",
            "--name",
            "Alice",
            "--role",
            "requester",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    create
        .stdin
        .take()
        .unwrap()
        .write_all(b"a-long-alice-password\n")
        .unwrap();
    assert!(create.wait().unwrap().success());
    let out = piket(dir.path(), smtp_port)
        .args([
            "apikey",
            "create",
            "--user",
            "alice@example.com",
            "--name",
            "t",
        ])
        .output()
        .unwrap();
    let key = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(key.starts_with("pk_"), "{key}");

    // A node that does not deliver: the change commits with its outbox row, nothing is sent.
    let mut serve = piket(dir.path(), smtp_port);
    serve
        .arg("serve")
        .args(["--outbox-worker", "false"])
        .stderr(Stdio::null());
    let (mut server, addr) = Server::serve(serve, Duration::from_secs(20));
    let base = format!("http://{addr}");
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{base}/api/v1/tickets"))
        .header("x-api-key", &key)
        .json(&serde_json::json!({"title": "Crash-safe receipt", "description": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    // A sleep on purpose: what is tested is that nothing is sent during it.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert!(received.lock().unwrap().is_empty(), "nothing sent yet");
    server.kill(); // SIGKILL

    // The restarted node delivers it, once.
    let mut serve = piket(dir.path(), smtp_port);
    serve.arg("serve").stderr(Stdio::null());
    let (mut server, _) = Server::serve(serve, Duration::from_secs(20));
    wait_until(Duration::from_secs(20), "the email going out", || async {
        !received.lock().unwrap().is_empty()
    })
    .await;
    // Several more worker rounds: still exactly one (a sleep on purpose: what is tested is that
    // no second copy goes out during it).
    tokio::time::sleep(Duration::from_millis(3_000)).await;
    let mails = received.lock().unwrap().clone();
    assert_eq!(mails.len(), 1, "{mails:#?}");
    assert!(mails[0].contains("Crash-safe receipt"), "{}", mails[0]);
    assert!(
        mails[0].to_lowercase().contains("to: alice@example.com"),
        "{}",
        mails[0]
    );
    server.kill();
}

/// A mailer for an SMTP server on this machine without TLS.
pub(crate) fn mailer(port: u16) -> piket_server::notify::mail::Mailer {
    let cfg = piket_server::config::SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        username: None,
        password: None,
        security: piket_server::config::SmtpSecurity::None,
        from: "piket@example.com".into(),
    };
    piket_server::notify::mail::Mailer::from_config(Some(&cfg)).unwrap()
}

#[tokio::test]
async fn a_failed_delivery_backs_off_then_goes_out_once() {
    use piket_server::notify::outbox::drain;
    let app = common::TestApp::new().await;
    let (_, admin) = app.admin().await;
    let r = app
        .json(
            axum::http::Method::POST,
            "/api/v1/tickets",
            &admin,
            serde_json::json!({"title": "Receipt please", "description": ""}),
        )
        .await;
    assert_eq!(r.status, axum::http::StatusCode::CREATED, "{}", r.body);
    let row = || async {
        let mut conn = app.state.db.pool.acquire().await.unwrap();
        sqlx::query_as::<_, (i64, i64, Option<i64>, Option<String>)>(
            "SELECT attempts, next_attempt_at, sent_at, last_error FROM outbox",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap()
    };
    // Nothing listens on this port: the attempt fails and the next waits 30 s.
    let (_held, dead) = refusing_port();
    let now = app.state.now();
    assert_eq!(drain(&app.state, &mailer(dead)).await.unwrap(), 1);
    let (attempts, next, sent, error) = row().await;
    assert_eq!((attempts, next, sent), (1, now + 30_000, None));
    assert!(error.is_some_and(|e| !e.is_empty()));
    let (sink, received) = smtp_sink().await;
    app.clock.advance_ms(29_000);
    assert_eq!(drain(&app.state, &mailer(sink)).await.unwrap(), 0);
    app.clock.advance_ms(1_000);
    assert_eq!(drain(&app.state, &mailer(sink)).await.unwrap(), 1);
    assert_eq!(drain(&app.state, &mailer(sink)).await.unwrap(), 0);
    let (attempts, _, sent, error) = row().await;
    assert_eq!((attempts, sent, error), (2, Some(app.state.now()), None));
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].contains("Receipt please"), "{}", got[0]);
}
