//! The email channel against a real Dovecot (issue #21): mailboxes over IMAP and POP3, mail to
//! tickets and replies, threading both ways, loops, bounces, the quarantine, a fetch cut short
//! by a crashed server, two nodes on one mailbox. Each test starts its own Dovecot and says
//! SKIPPED where Dovecot is not installed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::http::{Method, StatusCode};
use common::dovecot::{Dovecot, PASSWORD};
use common::TestApp;
use piket_server::mail::worker::poll_once;
use serde_json::{json, Value};

/// A mailbox on `dv` for `user` made through the API: its id.
async fn mailbox(app: &TestApp, key: &str, dv: &Dovecot, user: &str, extra: Value) -> i64 {
    let mut body = json!({
        "name": format!("Desk {user}"),
        "protocol": "imap",
        "host": "localhost",
        "port": dv.imaps,
        "tls": "tls",
        "tls_verify": false,
        "username": user,
        "password": PASSWORD,
        "after_fetch": "seen",
        "reply_address": "desk@piket.test",
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = app.json(Method::POST, "/api/v1/mailboxes", key, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["id"].as_i64().unwrap()
}

fn mail(from: &str, subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: desk@piket.test\r\nSubject: {subject}\r\nMessage-ID: <{}@sender.example>\r\n\
         Date: Mon, 7 Dec 2026 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
        rand_id()
    )
    .into_bytes()
}

fn rand_id() -> String {
    piket_server::auth::token::random_token(8)
}

/// Another node on `a`'s database and data directory.
async fn second_node(a: &TestApp) -> TestApp {
    let url = a.state.config.database_url.clone();
    let data = a.state.config.data_dir.clone();
    TestApp::with(|s| {
        s.database_url = Some(url);
        s.data = Some(data);
    })
    .await
}

async fn poll(app: &TestApp, id: i64) -> usize {
    poll_once(&app.state, id).await.unwrap().taken
}

#[derive(Debug, sqlx::FromRow)]
struct Row {
    id: i64,
    title: String,
    description: String,
    source: String,
    requester_id: i64,
}

async fn tickets(app: &TestApp) -> Vec<Row> {
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    sqlx::query_as("SELECT id, title, description, source, requester_id FROM tickets ORDER BY id")
        .fetch_all(&mut *conn)
        .await
        .unwrap()
}

async fn received(app: &TestApp) -> Vec<(String, String, Option<i64>)> {
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    sqlx::query_as("SELECT outcome, reason, ticket_id FROM mail_received ORDER BY id")
        .fetch_all(&mut *conn)
        .await
        .unwrap()
}

async fn comments(app: &TestApp, ticket: i64) -> Vec<(String, i64)> {
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    sqlx::query_as("SELECT body, author_id FROM ticket_comments WHERE ticket_id = $1 ORDER BY id")
        .bind(ticket)
        .fetch_all(&mut *conn)
        .await
        .unwrap()
}

async fn outbox(app: &TestApp) -> Vec<(String, String, String)> {
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    sqlx::query_as("SELECT recipient, subject, headers FROM outbox ORDER BY id")
        .fetch_all(&mut *conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_new_mail_becomes_a_ticket_once_and_the_sender_a_requester() {
    let Some(dv) = Dovecot::start("mail::new_ticket") else {
        return;
    };
    let app = TestApp::new().await;
    let (_, key) = app.admin().await;
    let id = mailbox(&app, &key, &dv, "desk", json!({})).await;
    dv.deliver(
        "desk",
        &mail(
            "Ana Putri <Ana@Example.com>",
            "Printer jammed",
            "It ate my page.",
        ),
    );
    assert_eq!(poll(&app, id).await, 1);
    let t = tickets(&app).await;
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].title, "Printer jammed");
    assert_eq!(t[0].description, "It ate my page.");
    assert_eq!(t[0].source, "email");
    // The unknown sender got a requester account with no password (sign-in only after a reset).
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    let (email, name, hash): (String, String, Option<String>) =
        sqlx::query_as("SELECT email, name, password_hash FROM users WHERE id = $1")
            .bind(t[0].requester_id)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    drop(conn);
    assert_eq!(
        (email.as_str(), name.as_str()),
        ("ana@example.com", "Ana Putri")
    );
    assert!(hash.is_none());
    let r = received(&app).await;
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].0, "ticket");
    assert_eq!(r[0].1, "new_ticket");
    // The receipt went out with the signed token and threading headers.
    let out = outbox(&app).await;
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].0, "ana@example.com");
    assert!(
        out[0].1.contains(&format!("[#{}-", t[0].id)),
        "{}",
        out[0].1
    );
    let headers: Value = serde_json::from_str(&out[0].2).unwrap();
    assert_eq!(headers["reply_to"], "desk@piket.test");
    assert!(headers["references"][1]
        .as_str()
        .unwrap()
        .ends_with("@sender.example>"));
    // Polling again takes nothing more: the mail is recorded, and marked seen.
    assert_eq!(poll(&app, id).await, 0);
    assert_eq!(tickets(&app).await.len(), 1);
    // The password is never returned.
    let r = app.get(&format!("/api/v1/mailboxes/{id}"), &key).await;
    assert_eq!(r.json()["password_set"], true);
    assert!(!r.body.contains(PASSWORD));
}

#[tokio::test]
async fn replies_thread_by_header_and_by_signed_token_but_not_by_a_guessed_number() {
    let Some(dv) = Dovecot::start("mail::threading") else {
        return;
    };
    let app = TestApp::new().await;
    let (_, key) = app.admin().await;
    let id = mailbox(&app, &key, &dv, "desk", json!({})).await;
    let first = mail("ana@example.com", "VPN down", "Cannot connect.");
    let first_id = String::from_utf8_lossy(&first)
        .lines()
        .find_map(|l| l.strip_prefix("Message-ID: ").map(str::to_string))
        .unwrap();
    dv.deliver("desk", &first);
    poll(&app, id).await;
    let ticket = tickets(&app).await[0].id;
    let receipt_subject = outbox(&app).await[0].1.clone();
    let token = &receipt_subject[receipt_subject.find("[#").unwrap()..];

    // 1. By header: an answer to her own first mail.
    let reply = format!(
        "From: ana@example.com\r\nSubject: Re: VPN down\r\nIn-Reply-To: {first_id}\r\n\r\nStill down.\r\n\r\nOn Mon, 7 Dec 2026, Desk <desk@piket.test> wrote:\r\n> Cannot connect.\r\n"
    );
    dv.deliver("desk", reply.as_bytes());
    // 2. By the signed token in the subject, no headers.
    dv.deliver(
        "desk",
        &mail("ana@example.com", &format!("Re: {token}"), "Now it works."),
    );
    // 3. A stranger guessing the number: a new ticket of their own, saying why.
    dv.deliver(
        "desk",
        &mail("eve@evil.example", &format!("[#{ticket}] hi"), "let me in"),
    );
    // 4. A stranger with the real token: not on the ticket, so a new ticket too.
    dv.deliver(
        "desk",
        &mail("mallory@evil.example", &format!("Re: {token}"), "me too"),
    );
    assert_eq!(poll(&app, id).await, 4);

    let c = comments(&app, ticket).await;
    assert_eq!(c.len(), 2, "{c:?}");
    assert_eq!(c[0].0, "Still down.", "the quoted history is stripped");
    assert_eq!(c[1].0, "Now it works.");
    let r = received(&app).await;
    assert!(r[1].1.starts_with("reply_header:"), "{}", r[1].1);
    assert!(r[2].1.starts_with("reply_token:"), "{}", r[2].1);
    assert_eq!(r[3].0, "ticket");
    assert!(r[3].1.starts_with("token_unsigned:"), "{}", r[3].1);
    assert_ne!(r[3].2, Some(ticket));
    assert_eq!(r[4].0, "ticket");
    assert!(r[4].1.starts_with("not_allowed:"), "{}", r[4].1);
    assert_eq!(tickets(&app).await.len(), 3);
}

#[tokio::test]
async fn staff_reply_by_email_as_themselves_and_an_outgoing_message_id_threads() {
    let Some(dv) = Dovecot::start("mail::staff_reply") else {
        return;
    };
    let app = TestApp::new().await;
    let (_, key) = app.admin().await;
    let it = app.department(&key, "IT").await;
    let agent = app.user("budi@piket.test", "technician", vec![it]).await;
    let id = mailbox(&app, &key, &dv, "desk", json!({"department_id": it})).await;
    dv.deliver(
        "desk",
        &mail("ana@example.com", "Laptop slow", "Very slow."),
    );
    poll(&app, id).await;
    let ticket = tickets(&app).await[0].id;
    // Budi answers the receipt's thread by email: the Message-ID Piket sent is signed.
    let root = piket_server::mail::token::root_id(app.state.secrets.signing_key(), ticket, "x");
    let reply = format!(
        "From: Budi <budi@piket.test>\r\nSubject: Re: Laptop slow\r\nReferences: {root}\r\n\r\nI will look at it today.\r\n"
    );
    dv.deliver("desk", reply.as_bytes());
    poll(&app, id).await;
    let c = comments(&app, ticket).await;
    assert_eq!(c, vec![("I will look at it today.".to_string(), agent.id)]);
    // A staff reply opens the new ticket, as in the UI.
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    let status: String = sqlx::query_scalar("SELECT status FROM tickets WHERE id = $1")
        .bind(ticket)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(status, "open");
}

#[tokio::test]
async fn automatic_mail_is_not_answered_and_a_bounce_marks_the_address() {
    let Some(dv) = Dovecot::start("mail::loops") else {
        return;
    };
    let app = TestApp::new().await;
    let (_, key) = app.admin().await;
    let id = mailbox(&app, &key, &dv, "desk", json!({})).await;
    dv.deliver(
        "desk",
        &mail("ana@example.com", "Question", "How do I print?"),
    );
    poll(&app, id).await;
    let ticket = tickets(&app).await[0].id;
    let sent = outbox(&app).await.len();
    // Out of office from a known sender: a new ticket, but no receipt goes back.
    let ooo = "From: ana@example.com\r\nSubject: Out of office\r\nAuto-Submitted: auto-replied\r\n\r\nI am away.\r\n";
    dv.deliver("desk", ooo.as_bytes());
    poll(&app, id).await;
    assert_eq!(
        outbox(&app).await.len(),
        sent,
        "an automatic mail got an answer"
    );
    let r = received(&app).await;
    assert!(
        r[1].1
            .contains(" | automatic: Auto-Submitted: auto-replied"),
        "{}",
        r[1].1
    );
    // A bounce of Piket's mail to her: recorded on the ticket, her address marked.
    let mid = piket_server::mail::token::message_id(
        app.state.secrets.signing_key(),
        1,
        ticket,
        "piket.test",
    );
    let bounce = format!(
        "From: MAILER-DAEMON@mx.example\r\nTo: desk@piket.test\r\nSubject: Undelivered Mail\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\nFailed.\r\n\
         --b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n\
         Final-Recipient: rfc822; ana@example.com\r\nAction: failed\r\n\
         --b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {mid}\r\n\r\n--b--\r\n"
    );
    dv.deliver("desk", bounce.as_bytes());
    poll(&app, id).await;
    let r = received(&app).await;
    assert_eq!(r[2].0, "bounce");
    assert_eq!(r[2].2, Some(ticket));
    assert_eq!(tickets(&app).await.len(), 2, "a bounce opens no ticket");
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM mail_bouncing WHERE address = 'ana@example.com'")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert_eq!(n, 1);
    drop(conn);
    assert_eq!(outbox(&app).await.len(), sent, "a bounce got an answer");
}

#[tokio::test]
async fn past_the_hourly_limit_a_sender_is_no_longer_answered() {
    let Some(dv) = Dovecot::start("mail::rate") else {
        return;
    };
    let app = TestApp::new().await;
    let (_, key) = app.admin().await;
    let id = mailbox(&app, &key, &dv, "desk", json!({})).await;
    let n = piket_server::mail::intake::SENDER_PER_HOUR as usize + 3;
    for i in 0..n {
        dv.deliver(
            "desk",
            &mail("loop@example.com", &format!("Mail {i}"), "again"),
        );
    }
    assert_eq!(poll(&app, id).await, n);
    // Nothing is dropped: every mail is a ticket; the last three got no receipt, which is
    // what ends a loop with an auto-responder that does not say so.
    assert_eq!(tickets(&app).await.len(), n);
    let receipts = outbox(&app)
        .await
        .into_iter()
        .filter(|o| o.0 == "loop@example.com")
        .count();
    assert_eq!(receipts, n - 3);
    let r = received(&app).await;
    assert!(r[n - 1].1.contains(" | automatic: rate"), "{}", r[n - 1].1);
}

#[tokio::test]
async fn a_mail_that_fails_is_quarantined_and_never_stops_the_mailbox() {
    let Some(dv) = Dovecot::start("mail::no_stall") else {
        return;
    };
    let app = TestApp::new().await;
    let (_, key) = app.admin().await;
    // Warehouse staff may not file tickets: their mail cannot become one.
    app.user("store@example.com", "warehouse", vec![]).await;
    let id = mailbox(&app, &key, &dv, "desk", json!({})).await;
    dv.deliver("desk", &mail("store@example.com", "Stock", "count"));
    // A Message-ID far longer than an index row holds (PostgreSQL's limit is ~2.7 kB).
    let long = format!(
        "From: ana@example.com\r\nSubject: Long id\r\nMessage-ID: <{}@x.example>\r\n\r\nhi\r\n",
        "a".repeat(20_000)
    );
    dv.deliver("desk", long.as_bytes());
    // A body longer than a ticket holds is cut, not refused.
    dv.deliver(
        "desk",
        &mail(
            "budi@example.com",
            "Long log",
            &"line of log\r\n".repeat(3_000),
        ),
    );
    dv.deliver("desk", &mail("ana@example.com", "After", "still fetched"));
    assert_eq!(poll(&app, id).await, 4);
    let r = received(&app).await;
    assert_eq!(
        (r[0].0.as_str(), r[0].1.as_str()),
        ("quarantined", "failed: forbidden")
    );
    assert_eq!(r[1].0, "ticket", "{:?}", r[1]);
    assert_eq!(r[2].0, "ticket", "{:?}", r[2]);
    assert_eq!(r[3].0, "ticket", "{:?}", r[3]);
    let t = tickets(&app).await;
    assert!(
        t[1].description.ends_with("see the original]"),
        "{}",
        &t[1].description[t[1].description.len() - 80..]
    );
    assert_eq!(poll(&app, id).await, 0);
}

#[tokio::test]
async fn a_bounce_about_a_deleted_ticket_is_kept_without_it() {
    let Some(dv) = Dovecot::start("mail::bounce_deleted") else {
        return;
    };
    let app = TestApp::new().await;
    let (_, key) = app.admin().await;
    let id = mailbox(&app, &key, &dv, "desk", json!({})).await;
    dv.deliver("desk", &mail("spam@example.com", "Buy now", "spam"));
    poll(&app, id).await;
    let ticket = tickets(&app).await[0].id;
    let r = app
        .send(
            Method::DELETE,
            &format!("/api/v1/tickets/{ticket}"),
            &[("x-api-key", &key)],
            axum::body::Body::empty(),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let mid =
        piket_server::mail::token::message_id(app.state.secrets.signing_key(), 1, ticket, "x");
    let bounce = format!(
        "From: postmaster@evil.example\r\nSubject: Undelivered\r\n\r\nFinal-Recipient: rfc822; spam@example.com\r\nMessage-ID: {mid}\r\n"
    );
    dv.deliver("desk", bounce.as_bytes());
    dv.deliver("desk", &mail("ana@example.com", "Next", "fetched"));
    assert_eq!(poll(&app, id).await, 2);
    let r = received(&app).await;
    assert_eq!(r.last().unwrap().0, "ticket");
    let b = r.iter().find(|x| x.0 == "bounce").unwrap();
    assert_eq!(b.2, None);
}

#[tokio::test]
async fn unknown_senders_are_refused_with_one_answer_a_day_where_the_mailbox_says_so() {
    let Some(dv) = Dovecot::start("mail::refuse") else {
        return;
    };
    let app = TestApp::new().await;
    let (_, key) = app.admin().await;
    let id = mailbox(
        &app,
        &key,
        &dv,
        "desk",
        json!({"unknown_senders": "refuse"}),
    )
    .await;
    for i in 0..3 {
        dv.deliver(
            "desk",
            &mail("stranger@example.com", &format!("Hello {i}"), "hi"),
        );
    }
    assert_eq!(poll(&app, id).await, 3);
    assert!(tickets(&app).await.is_empty());
    let r = received(&app).await;
    assert!(r.iter().all(|x| x.0 == "refused"), "{r:?}");
    let answers: Vec<_> = outbox(&app)
        .await
        .into_iter()
        .filter(|o| o.0 == "stranger@example.com")
        .collect();
    assert_eq!(answers.len(), 1, "{answers:?}");
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    let accounts: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email = 'stranger@example.com'")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert_eq!(accounts, 0);
}

#[tokio::test]
async fn the_stored_password_goes_only_to_the_server_it_was_given_for() {
    let app = TestApp::new().await;
    let (_, key) = app.admin().await;
    let body = json!({
        "name": "Desk", "protocol": "imap", "host": "mail.example", "tls": "tls",
        "username": "desk", "password": "pw", "after_fetch": "seen",
    });
    let r = app
        .json(Method::POST, "/api/v1/mailboxes", &key, body.clone())
        .await;
    let id = r.json()["id"].as_i64().unwrap();
    let mut same = body.clone();
    same["password"] = json!("");
    same["poll_secs"] = json!(120);
    let r = app
        .json(
            Method::PUT,
            &format!("/api/v1/mailboxes/{id}"),
            &key,
            same.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for (field, value) in [
        ("host", json!("attacker.example")),
        ("port", json!(2993)),
        ("username", json!("other")),
        ("tls", json!("starttls")),
        ("tls_verify", json!(false)),
    ] {
        let mut moved = same.clone();
        moved[field] = value;
        let r = app
            .json(Method::PUT, &format!("/api/v1/mailboxes/{id}"), &key, moved)
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            r.body
        );
        assert!(r.body.contains("password"), "{field}: {}", r.body);
    }
}

#[tokio::test]
async fn html_attachments_inline_images_and_old_charsets_are_read() {
    let Some(dv) = Dovecot::start("mail::content") else {
        return;
    };
    let app = TestApp::new().await;
    let (_, key) = app.admin().await;
    let id = mailbox(&app, &key, &dv, "desk", json!({})).await;
    // HTML only, with an inline image and a text attachment; an ISO-8859-1 subject.
    let png = base64_png();
    let html = format!(
        "From: ana@example.com\r\nSubject: =?ISO-8859-1?Q?Caf=E9_machine?=\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/related; boundary=r\r\n\r\n\
         --r\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>The <b>screen</b> shows:</p><img src=\"cid:shot@x\"><script>alert(1)</script>\r\n\
         --r\r\nContent-Type: image/png\r\nContent-ID: <shot@x>\r\nContent-Transfer-Encoding: base64\r\n\r\n{png}\r\n\
         --r\r\nContent-Type: text/plain; name=\"log.txt\"\r\nContent-Disposition: attachment; filename=\"log.txt\"\r\n\r\nerror 42\r\n\
         --r--\r\n"
    );
    dv.deliver("desk", html.as_bytes());
    // Windows-1252 subject (the curly quotes are 0x93/0x94).
    dv.deliver(
        "desk",
        b"From: budi@example.com\r\nSubject: =?windows-1252?Q?=93Quoted=94_title?=\r\n\r\nhi\r\n",
    );
    assert_eq!(poll(&app, id).await, 2);
    let t = tickets(&app).await;
    assert_eq!(t[0].title, "Café machine");
    assert!(t[0].description.contains("screen"), "{}", t[0].description);
    assert!(!t[0].description.contains("<b>"), "{}", t[0].description);
    assert!(!t[0].description.contains("alert"), "{}", t[0].description);
    assert_eq!(t[1].title, "\u{201c}Quoted\u{201d} title");
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    let files: Vec<String> = sqlx::query_scalar(
        "SELECT file_name FROM ticket_attachments WHERE ticket_id = $1 ORDER BY file_name",
    )
    .bind(t[0].id)
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(files.contains(&"log.txt".to_string()), "{files:?}");
}

fn base64_png() -> String {
    use base64::Engine as _;
    let mut png = Vec::new();
    let img = image::RgbImage::from_pixel(4, 4, image::Rgb([200, 10, 10]));
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    base64::engine::general_purpose::STANDARD.encode(png)
}

#[tokio::test]
async fn a_mail_bomb_is_quarantined_and_the_next_mail_still_arrives() {
    let Some(dv) = Dovecot::start("mail::quarantine") else {
        return;
    };
    let app = TestApp::new().await;
    let (_, key) = app.admin().await;
    let id = mailbox(&app, &key, &dv, "desk", json!({})).await;
    let mut bomb = String::from(
        "From: bomb@example.com\r\nSubject: bomb\r\nContent-Type: multipart/mixed; boundary=z\r\n\r\n",
    );
    for i in 0..10_000 {
        bomb.push_str(&format!(
            "--z\r\nContent-Type: text/plain\r\n\r\npart {i}\r\n"
        ));
    }
    bomb.push_str("--z--\r\n");
    dv.deliver("desk", bomb.as_bytes());
    dv.deliver("desk", &mail("ana@example.com", "After the bomb", "hello"));
    assert_eq!(poll(&app, id).await, 2);
    let r = received(&app).await;
    assert_eq!(r[0].0, "quarantined");
    assert!(r[0].1.starts_with("too_many_parts"), "{}", r[0].1);
    assert_eq!(tickets(&app).await.len(), 1);
    // The quarantine lists it; the original downloads; delete removes it; a retry of a mail
    // still too big for the rules stays in the quarantine.
    let q = app.get("/api/v1/mail/quarantine", &key).await;
    let qid = q.json()["items"][0]["id"].as_i64().unwrap();
    let orig = app.get(&format!("/api/v1/mail/{qid}/original"), &key).await;
    assert_eq!(orig.status, StatusCode::OK);
    assert_eq!(orig.header("content-type"), "message/rfc822");
    assert!(orig.body.contains("part 9999"));
    let retry = app
        .json(
            Method::POST,
            &format!("/api/v1/mail/quarantine/{qid}/retry"),
            &key,
            json!({}),
        )
        .await;
    assert_eq!(retry.status, StatusCode::OK, "{}", retry.body);
    assert_eq!(retry.json()["outcome"], "quarantined");
    let del = app
        .send(
            Method::DELETE,
            &format!("/api/v1/mail/quarantine/{qid}"),
            &[("x-api-key", &key)],
            axum::body::Body::empty(),
        )
        .await;
    assert_eq!(del.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/v1/mail/quarantine", &key).await.json()["items"],
        json!([])
    );
}

#[tokio::test]
async fn dovecot_killed_in_the_middle_of_500_mails_gives_exactly_500_tickets() {
    let Some(mut dv) = Dovecot::start("mail::crash") else {
        return;
    };
    let app = TestApp::new().await;
    let (_, key) = app.admin().await;
    // ASK_ABOVE is 200: this mailbox is told to take everything first.
    let id = mailbox(&app, &key, &dv, "desk", json!({"after_fetch": "delete"})).await;
    for i in 0..500 {
        dv.deliver(
            "desk",
            &mail(
                &format!("user{}@example.com", i % 40),
                &format!("Mail {i}"),
                "x",
            ),
        );
    }
    let r = poll_once(&app.state, id).await.unwrap();
    assert!(r.waiting, "a backlog of 500 waits for a choice");
    let r = app
        .json(
            Method::POST,
            &format!("/api/v1/mailboxes/{id}/first-fetch"),
            &key,
            json!({"choice": "all"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Kill Dovecot while the round runs.
    let state = app.state.clone();
    let round = tokio::spawn(async move { poll_once(&state, id).await });
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        if tickets(&app).await.len() >= 100 {
            break;
        }
    }
    let at_kill = tickets(&app).await.len();
    dv.kill();
    let res = round.await.unwrap();
    eprintln!(
        "at kill {at_kill}, after {} {res:?}",
        tickets(&app).await.len()
    );
    assert!(res.is_err(), "the round saw the server go");
    let before = tickets(&app).await.len();
    assert!(before < 500, "{before}");
    dv.restart();
    for _ in 0..3 {
        let _ = poll_once(&app.state, id).await;
    }
    let t = tickets(&app).await;
    assert_eq!(t.len(), 500);
    let mut titles: Vec<String> = t.into_iter().map(|r| r.title).collect();
    titles.sort();
    titles.dedup();
    assert_eq!(titles.len(), 500, "a mail was doubled");
    assert_eq!(dv.count("desk"), 0, "deleted once taken");
}

#[tokio::test]
async fn two_nodes_polling_one_mailbox_make_no_duplicate() {
    let Some(dv) = Dovecot::start("mail::two_nodes") else {
        return;
    };
    let a = TestApp::new().await;
    let (_, key) = a.admin().await;
    let b = second_node(&a).await;
    let id = mailbox(&a, &key, &dv, "desk", json!({})).await;
    for i in 0..60 {
        dv.deliver(
            "desk",
            &mail(&format!("u{i}@example.com"), &format!("Mail {i}"), "x"),
        );
    }
    // Outside the lease on purpose: the record alone must keep each mail once.
    let (ra, rb) = tokio::join!(poll_once(&a.state, id), poll_once(&b.state, id));
    let taken = ra.map(|r| r.taken).unwrap_or(0) + rb.map(|r| r.taken).unwrap_or(0);
    for _ in 0..2 {
        let _ = poll_once(&a.state, id).await;
    }
    let t = tickets(&a).await;
    let mut titles: Vec<String> = t.iter().map(|r| r.title.clone()).collect();
    titles.sort();
    titles.dedup();
    assert_eq!(t.len(), 60, "taken {taken}");
    assert_eq!(titles.len(), 60);
    let r = received(&a).await;
    assert_eq!(r.len(), 60);
    assert!(r.iter().all(|x| x.0 == "ticket"), "{r:?}");
}

#[tokio::test]
async fn pop3_takes_mail_by_uidl_and_deletes_it() {
    let Some(dv) = Dovecot::start("mail::pop3") else {
        return;
    };
    let app = TestApp::new().await;
    let (_, key) = app.admin().await;
    let id = mailbox(
        &app,
        &key,
        &dv,
        "pop",
        json!({"protocol": "pop3", "port": dv.pop3, "tls": "starttls", "after_fetch": "delete"}),
    )
    .await;
    dv.deliver("pop", &mail("ana@example.com", "Over POP3", "hello"));
    dv.deliver(
        "pop",
        &mail("budi@example.com", "Another", "..dots\r\n.\r\nkept"),
    );
    assert_eq!(poll(&app, id).await, 2);
    let t = tickets(&app).await;
    assert_eq!(t.len(), 2);
    assert!(t[1].description.contains(".dots"), "{}", t[1].description);
    assert_eq!(dv.count("pop"), 0);
    assert_eq!(poll(&app, id).await, 0);
    // Kept mail is not taken twice (UIDL).
    let keep = mailbox(
        &app,
        &key,
        &dv,
        "popkeep",
        json!({"protocol": "pop3", "port": dv.pop3s, "tls": "tls", "after_fetch": "keep"}),
    )
    .await;
    dv.deliver("popkeep", &mail("ana@example.com", "Kept", "k"));
    assert_eq!(poll(&app, keep).await, 1);
    assert_eq!(poll(&app, keep).await, 0);
    assert_eq!(dv.count("popkeep"), 1);
}

#[tokio::test]
async fn test_connection_names_the_step_that_failed() {
    let Some(dv) = Dovecot::start("mail::test_connection") else {
        return;
    };
    let app = TestApp::new().await;
    let (_, key) = app.admin().await;
    let test = |id: i64| {
        let app = &app;
        let key = key.clone();
        async move {
            let r = app
                .json(
                    Method::POST,
                    &format!("/api/v1/mailboxes/{id}/test"),
                    &key,
                    json!({}),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            r.json()
        }
    };
    let good = mailbox(&app, &key, &dv, "desk", json!({})).await;
    let r = test(good).await;
    assert_eq!(r["ok"], true, "{r}");
    let cases = [
        ("dns", json!({"name": "a", "host": "no-such-host.invalid"})),
        ("tcp", json!({"name": "b", "port": closed_port()})),
        ("tls", json!({"name": "c", "port": dv.imap})),
        ("tls", json!({"name": "c2", "tls_verify": true})),
        (
            "login",
            json!({"name": "d", "password": "wrong", "username": "desk"}),
        ),
        ("folder", json!({"name": "e", "folder": "No/Such"})),
    ];
    for (step, extra) in cases {
        let id = mailbox(&app, &key, &dv, "desk", extra.clone()).await;
        let r = test(id).await;
        assert_eq!(r["ok"], false, "{extra}: {r}");
        assert_eq!(r["failed_step"], step, "{extra}: {r}");
    }
}

fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[tokio::test]
async fn mailbox_settings_are_checked_and_only_settings_managers_see_them() {
    let app = TestApp::new().await;
    let (_, key) = app.admin().await;
    let base = json!({
        "name": "Desk", "protocol": "imap", "host": "mail.example", "tls": "plain",
        "username": "desk", "password": "pw", "after_fetch": "seen",
    });
    let r = app
        .json(Method::POST, "/api/v1/mailboxes", &key, base.clone())
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("tls"), "{}", r.body);
    let mut ok = base.clone();
    ok["plain_understood"] = json!(true);
    let r = app
        .json(Method::POST, "/api/v1/mailboxes", &key, ok.clone())
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["port"], 143);
    let id = r.json()["id"].as_i64().unwrap();
    // The stored password is sealed, never in the clear.
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    let stored: String = sqlx::query_scalar("SELECT password FROM mailboxes WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    assert!(
        stored.starts_with("v1:") && !stored.contains("pw"),
        "{stored}"
    );
    // An empty password on update keeps the stored one.
    let mut upd = ok.clone();
    upd["password"] = json!("");
    let r = app
        .json(Method::PUT, &format!("/api/v1/mailboxes/{id}"), &key, upd)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["password_set"], true);
    for (field, value) in [
        ("protocol", json!("smtp")),
        ("after_fetch", json!("keep")),
        ("poll_secs", json!(1)),
        ("port", json!(70000)),
        ("host", json!("a b")),
        ("reply_address", json!("not-an-address")),
    ] {
        let mut bad = ok.clone();
        bad["name"] = json!(format!("x{field}"));
        bad[field] = value;
        let r = app.json(Method::POST, "/api/v1/mailboxes", &key, bad).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            r.body
        );
    }
    let agent = app.user("agent@example.com", "technician", vec![]).await;
    let agent_key = app.key_for(agent.id).await;
    assert_eq!(
        app.get("/api/v1/mailboxes", &agent_key).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/api/v1/mail/quarantine", &agent_key).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_admin_pages_save_test_and_fetch_and_the_ticket_page_marks_mail() {
    let Some(dv) = Dovecot::start("mail::pages") else {
        return;
    };
    let app = TestApp::new().await;
    let (admin, _) = app.admin().await;
    let it = {
        let (_, key) = (admin.id, app.key_for(admin.id).await);
        app.department(&key, "IT").await
    };
    let tech = app.user("tech@example.com", "technician", vec![it]).await;
    let mut b = common::signed_in(&app, &admin.email).await;
    let list = b.get("/admin/mailboxes").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("No mailbox yet"), "{}", list.body);
    // Plain without ticking "I understand": the form comes back with the error, nothing saved.
    let port = dv.imaps.to_string();
    let mut fields = vec![
        ("name", "Support"),
        ("protocol", "imap"),
        ("host", "localhost"),
        ("port", port.as_str()),
        ("tls", "plain"),
        ("username", "desk"),
        ("password", PASSWORD),
        ("folder", "INBOX"),
        ("after_fetch", "seen"),
        ("poll_secs", "60"),
        ("department_id", ""),
        ("category_id", ""),
        ("priority", "normal"),
        ("reply_address", "support@piket.test"),
        ("unknown_senders", "create"),
        ("enabled", "on"),
    ];
    let r = b.post("/admin/mailboxes", &fields).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("in the clear"), "{}", r.body);
    assert!(
        !r.body.contains(PASSWORD),
        "the password came back in the form"
    );
    fields[4] = ("tls", "tls");
    fields.push(("tls_verify", "on"));
    let r = b.post("/admin/mailboxes", &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let at = r.header("location");
    let id: i64 = at
        .trim_start_matches("/admin/mailboxes/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    // The certificate is self-signed and checking it is on: the test says TLS failed.
    let r = b.post(&format!("/admin/mailboxes/{id}/test"), &[]).await;
    assert!(r.body.contains("id=\"test-result\""), "{}", r.body);
    assert!(r.body.contains("failed at: TLS"), "{}", r.body);
    // Without the check (no "tls_verify" box), it works.
    fields.pop();
    let r = b.post(&format!("/admin/mailboxes/{id}"), &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let edit = b.get(&format!("/admin/mailboxes/{id}")).await;
    assert!(
        !edit.body.contains(PASSWORD),
        "the stored password is shown"
    );
    let r = b.post(&format!("/admin/mailboxes/{id}/test"), &[]).await;
    assert!(
        r.body.contains("The connection works: 0 mails"),
        "{}",
        r.body
    );
    dv.deliver(
        "desk",
        &mail("ana@example.com", "Scanner offline", "Since this morning."),
    );
    let r = b.post(&format!("/admin/mailboxes/{id}/fetch"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let ticket = tickets(&app).await[0].id;
    // Route the ticket to IT so the technician sees it, then look as each reader.
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    sqlx::query("UPDATE tickets SET department_id = $1 WHERE id = $2")
        .bind(it)
        .bind(ticket)
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    let mut staff = common::signed_in(&app, &tech.email).await;
    let page = staff.get(&format!("/tickets/{ticket}")).await;
    assert!(page.body.contains("via email"), "{}", page.body);
    let mail_id = received_id(&app).await;
    assert!(page.body.contains(&format!("/mail/{mail_id}/original")));
    assert!(
        page.body.contains("no thread header or token matched"),
        "{}",
        page.body
    );
    let eml = staff.get(&format!("/mail/{mail_id}/original")).await;
    assert_eq!(eml.status, StatusCode::OK);
    assert!(eml.body.contains("Since this morning."));
    // The requester (an account made for the sender; give it a password to sign in) sees the
    // mark but neither the reason nor the original.
    piket_server::auth::service::set_password_by_email(
        &app.state,
        "ana@example.com",
        "a-long-test-password",
    )
    .await
    .unwrap();
    let mut ana = common::signed_in(&app, "ana@example.com").await;
    let page = ana.get(&format!("/tickets/{ticket}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("via email"), "{}", page.body);
    assert!(!page.body.contains("/original"), "{}", page.body);
    assert!(!page.body.contains("no thread header"), "{}", page.body);
    assert_eq!(
        ana.get(&format!("/mail/{mail_id}/original")).await.status,
        StatusCode::NOT_FOUND
    );
    // The list shows the mailbox's state.
    let list = b.get("/admin/mailboxes").await;
    assert!(list.body.contains("Support"), "{}", list.body);
    let q = b.get("/admin/mail/quarantine").await;
    assert!(q.body.contains("Nothing in the quarantine"), "{}", q.body);
}

async fn received_id(app: &TestApp) -> i64 {
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    sqlx::query_scalar("SELECT id FROM mail_received ORDER BY id LIMIT 1")
        .fetch_one(&mut *conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_oversized_mail_is_quarantined_without_being_kept_and_the_next_arrives() {
    let Some(dv) = Dovecot::start("mail::oversized") else {
        return;
    };
    // Attachments of 1 MiB: mail up to the 10 MiB floor is taken.
    let app = TestApp::with(|s| s.attachment_max_bytes = Some(1024 * 1024)).await;
    let (_, key) = app.admin().await;
    for (protocol, user, port) in [("imap", "big", dv.imaps), ("pop3", "bigpop", dv.pop3s)] {
        let extra = if protocol == "pop3" {
            json!({"protocol": "pop3", "port": port, "after_fetch": "delete"})
        } else {
            json!({})
        };
        let id = mailbox(&app, &key, &dv, user, extra).await;
        let mut big = String::from("From: ana@example.com\r\nSubject: Huge\r\n\r\n");
        let line = format!("{}\r\n", "x".repeat(998));
        while big.len() < 11 * 1024 * 1024 {
            big.push_str(&line);
        }
        dv.deliver(user, big.as_bytes());
        dv.deliver(
            user,
            &mail("ana@example.com", &format!("Small {protocol}"), "ok"),
        );
        assert_eq!(poll(&app, id).await, 2, "{protocol}");
    }
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT outcome, reason, raw_sha256, raw_size FROM mail_received WHERE outcome = 'quarantined'",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    drop(conn);
    assert_eq!(rows.len(), 2, "{rows:?}");
    for (_, reason, sha, size) in &rows {
        assert!(reason.starts_with("too_large"), "{reason}");
        assert!(sha.is_empty(), "an oversized mail was kept");
        assert!(*size > 11 * 1000 * 1000, "{size}");
    }
    assert_eq!(tickets(&app).await.len(), 2);
    // A retry of a mail that was not kept says so (409), not a server error.
    let q = app.get("/api/v1/mail/quarantine", &key).await;
    let qid = q.json()["items"][0]["id"].as_i64().unwrap();
    let r = app
        .json(
            Method::POST,
            &format!("/api/v1/mail/quarantine/{qid}/retry"),
            &key,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(
        app.get(&format!("/api/v1/mail/{qid}/original"), &key)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_receipt_threads_in_mail_clients_and_an_answer_to_it_comes_back_to_the_ticket() {
    let Some(dv) = Dovecot::start("mail::outgoing") else {
        return;
    };
    let app = TestApp::new().await;
    let (_, key) = app.admin().await;
    let id = mailbox(&app, &key, &dv, "desk", json!({})).await;
    let first = "From: Ana <ana@example.com>\r\nSubject: Wi-Fi drops\r\nMessage-ID: <first-1@sender.example>\r\n\r\nEvery hour.\r\n";
    dv.deliver("desk", first.as_bytes());
    poll(&app, id).await;
    let ticket = tickets(&app).await[0].id;
    // The receipt as it leaves over SMTP.
    let (port, sent) = crate::outbox_crash::smtp_sink().await;
    let mailer = crate::outbox_crash::mailer(port);
    assert_eq!(
        piket_server::notify::outbox::drain(&app.state, &mailer)
            .await
            .unwrap(),
        1
    );
    let raw = sent.lock().unwrap()[0].clone();
    let header = |name: &str| {
        raw.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")).map(str::to_string))
            .unwrap_or_else(|| panic!("no {name} in {raw}"))
    };
    let key_bytes = app.state.secrets.signing_key();
    let message_id = header("Message-ID");
    assert_eq!(
        piket_server::mail::token::ticket_of_id(key_bytes, &message_id),
        Some(ticket)
    );
    assert_eq!(header("In-Reply-To"), "<first-1@sender.example>");
    let references = header("References");
    assert!(
        references.contains("<first-1@sender.example>"),
        "{references}"
    );
    assert_eq!(header("Reply-To"), "desk@piket.test");
    assert!(
        header("Subject").contains(&piket_server::mail::token::subject_token(key_bytes, ticket)),
        "{raw}"
    );
    // Ana's client answers the receipt: In-Reply-To names what Piket sent.
    let answer = format!(
        "From: ana@example.com\r\nSubject: Re: {}\r\nIn-Reply-To: {message_id}\r\nReferences: {references} {message_id}\r\n\r\nIt dropped again at 10:00.\r\n\r\n> Every hour.\r\n",
        header("Subject")
    );
    dv.deliver("desk", answer.as_bytes());
    poll(&app, id).await;
    let c = comments(&app, ticket).await;
    assert_eq!(c.len(), 1, "{c:?}");
    assert_eq!(c[0].0, "It dropped again at 10:00.");
    assert_eq!(tickets(&app).await.len(), 1);
}

#[tokio::test]
async fn the_background_fetchers_share_a_mailbox_by_lease_and_idle_brings_new_mail_at_once() {
    let Some(dv) = Dovecot::start("mail::workers") else {
        return;
    };
    let a = TestApp::new().await;
    let (_, key) = a.admin().await;
    let b = second_node(&a).await;
    // Polling every hour: only IDLE can bring the later mail in time.
    let id = mailbox(&a, &key, &dv, "desk", json!({"poll_secs": 3600})).await;
    for i in 0..20 {
        dv.deliver(
            "desk",
            &mail(&format!("u{i}@example.com"), &format!("Mail {i}"), "x"),
        );
    }
    // The test clock stands still; leases are judged by it, so real time does not end them.
    let (stop, rx) = tokio::sync::watch::channel(false);
    let wa = tokio::spawn(piket_server::mail::worker::run(a.state.clone(), rx.clone()));
    let wb = tokio::spawn(piket_server::mail::worker::run(b.state.clone(), rx));
    let wait_for = |n: usize| {
        let a = &a;
        async move {
            for _ in 0..300 {
                if tickets(a).await.len() >= n {
                    return true;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            false
        }
    };
    assert!(
        wait_for(20).await,
        "the fetchers took {}",
        tickets(&a).await.len()
    );
    // One node holds the mailbox.
    let mut conn = a.state.db.pool.acquire().await.unwrap();
    let owner: Option<String> =
        sqlx::query_scalar("SELECT lease_owner FROM mailboxes WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    drop(conn);
    assert!(owner.is_some());
    // A mail arriving now comes in through IDLE, long before the hour.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let started = std::time::Instant::now();
    dv.deliver("desk", &mail("late@example.com", "Late mail", "x"));
    assert!(wait_for(21).await, "IDLE did not bring the new mail");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    stop.send(true).unwrap();
    let _ = tokio::join!(wa, wb);
    let t = tickets(&a).await;
    let mut titles: Vec<String> = t.iter().map(|r| r.title.clone()).collect();
    titles.sort();
    titles.dedup();
    assert_eq!((t.len(), titles.len()), (21, 21));
}

#[tokio::test]
async fn staff_answering_an_internal_notes_mail_write_a_note() {
    let Some(dv) = Dovecot::start("mail::note_reply") else {
        return;
    };
    let app = TestApp::new().await;
    let (_, key) = app.admin().await;
    let it = app.department(&key, "IT").await;
    let budi = app.user("budi@piket.test", "technician", vec![it]).await;
    let sari = app.user("sari@piket.test", "technician", vec![it]).await;
    let id = mailbox(&app, &key, &dv, "desk", json!({"department_id": it})).await;
    dv.deliver(
        "desk",
        &mail("ana@example.com", "Server room hot", "35 degrees"),
    );
    poll(&app, id).await;
    let ticket = tickets(&app).await[0].id;
    // Sari watches; Budi writes an internal note through the API: Sari's mail tells of it.
    let sari_key = app.key_for(sari.id).await;
    let budi_key = app.key_for(budi.id).await;
    let sari_actor = {
        let mut conn = app.state.db.pool.acquire().await.unwrap();
        piket_server::users::accounts::load_actor(
            &mut conn,
            sari.id,
            piket_server::auth::actor::Via::System,
            "",
        )
        .await
        .unwrap()
        .unwrap()
    };
    piket_server::tickets::service::watch(&app.state, &sari_actor, ticket, true)
        .await
        .unwrap();
    let _ = sari_key;
    let r = app
        .json(
            Method::POST,
            &format!("/api/v1/tickets/{ticket}/comments"),
            &budi_key,
            json!({"body": "AC unit 2 is broken; vendor called.", "internal": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    let (outbox_id, headers): (i64, String) = sqlx::query_as(
        "SELECT id, headers FROM outbox WHERE recipient = 'sari@piket.test' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    drop(conn);
    assert!(headers.contains("\"note\":true"), "{headers}");
    // Sari answers that mail from her client.
    let sent = piket_server::mail::token::message_id(
        app.state.secrets.signing_key(),
        outbox_id,
        ticket,
        "piket",
    );
    let answer = format!("From: sari@piket.test\r\nSubject: Re: note\r\nIn-Reply-To: {sent}\r\n\r\nI'll bring a fan.\r\n");
    dv.deliver("desk", answer.as_bytes());
    poll(&app, id).await;
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    let (body, internal): (String, i64) = sqlx::query_as(
        "SELECT body, internal FROM ticket_comments WHERE ticket_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(ticket)
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!((body.as_str(), internal), ("I'll bring a fan.", 1));
}

#[tokio::test]
async fn a_large_mail_is_split_and_its_files_arrive_whole() {
    use base64::Engine as _;
    let Some(dv) = Dovecot::start("mail::split") else {
        return;
    };
    let app = TestApp::new().await;
    let (_, key) = app.admin().await;
    let id = mailbox(&app, &key, &dv, "desk", json!({})).await;
    // 4.5 MB of log text, base64: past the 4 MiB at which a mail is split before parsing.
    let log: String = (0..90_000)
        .map(|i| format!("{i:08} disk error on sda1 at sector\n"))
        .collect();
    let b64 = base64::engine::general_purpose::STANDARD.encode(log.as_bytes());
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let raw = format!(
        "From: ana@example.com\r\nSubject: Disk log\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n\
         --m\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe log is attached.\r\n\
         --m\r\nContent-Type: text/plain; name=log.txt\r\nContent-Disposition: attachment; filename=log.txt\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--m--\r\n",
        lines.join("\r\n")
    );
    assert!(raw.len() > 4 * 1024 * 1024);
    dv.deliver("desk", raw.as_bytes());
    assert_eq!(poll(&app, id).await, 1);
    let t = tickets(&app).await;
    assert_eq!(t[0].description, "The log is attached.");
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    let (name, size, sha): (String, i64, String) = sqlx::query_as(
        "SELECT file_name, size, sha256 FROM ticket_attachments WHERE ticket_id = $1",
    )
    .bind(t[0].id)
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    drop(conn);
    use sha2::Digest as _;
    assert_eq!(name, "log.txt");
    assert_eq!(size as usize, log.len());
    assert_eq!(sha, hex::encode(sha2::Sha256::digest(log.as_bytes())));
    // The original is kept whole.
    let mail_id = received_id(&app).await;
    let eml = app
        .get(&format!("/api/v1/mail/{mail_id}/original"), &key)
        .await;
    assert_eq!(eml.body.len(), raw.len());
}
