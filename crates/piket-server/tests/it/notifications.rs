//! Notifications through the real router (SQLite, and PostgreSQL when configured): who is told of
//! what, in which language, internal notes kept from requesters, mutes, the unread count, the
//! bell on pages, and the outbox rows written with the change.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::http::{Method, StatusCode};
use common::desk::{new_desk, Dept};
use common::{Browser, TestApp};
use serde_json::json;

struct People {
    app: TestApp,
    admin: String,
    tech: (i64, String),
    tech2: (i64, String),
    alice: (i64, String),
}

async fn people() -> People {
    let d = new_desk()
        .keyed("tech", "technician", Dept::It)
        .keyed("tech2", "technician", Dept::It)
        .keyed("alice", "requester", Dept::It)
        .build()
        .await;
    People {
        tech: d.person("tech"),
        tech2: d.person("tech2"),
        alice: d.person("alice"),
        admin: d.admin,
        app: d.app,
    }
}

/// (recipient, subject, body) of every queued email, oldest first.
async fn outbox(app: &TestApp) -> Vec<(String, String, String)> {
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    sqlx::query_as("SELECT recipient, subject, body FROM outbox ORDER BY id")
        .fetch_all(&mut *conn)
        .await
        .unwrap()
}

async fn clear_outbox(app: &TestApp) {
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    sqlx::query("DELETE FROM outbox")
        .execute(&mut *conn)
        .await
        .unwrap();
}

fn to(mails: &[(String, String, String)], who: &str) -> Vec<String> {
    mails
        .iter()
        .filter(|m| m.0 == who)
        .map(|m| format!("{}\n{}", m.1, m.2))
        .collect()
}

#[tokio::test]
async fn the_right_people_hear_of_each_change_and_notes_never_reach_the_requester() {
    let p = people().await;
    let app = &p.app;
    // Alice files a ticket with tech2 watching: she gets a receipt; nobody else is involved yet.
    let r = app
        .json(
            Method::POST,
            "/api/v1/tickets",
            &p.alice.1,
            json!({"title": "VPN <b>down</b>", "description": "since 9"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_i64().unwrap();
    let mails = outbox(app).await;
    let receipt = to(&mails, "alice@example.com");
    assert_eq!(receipt.len(), 1, "{mails:?}");
    // The subject's number carries its signed token (`mail::token`), which replies match.
    let token = piket_server::mail::token::subject_token(app.state.secrets.signing_key(), id);
    assert!(
        receipt[0].starts_with(&format!("{token} New ticket: VPN <b>down</b>")),
        "{}",
        receipt[0]
    );
    assert!(receipt[0].contains(&format!("/tickets/{id}")));
    clear_outbox(app).await;

    // The admin assigns tech and adds tech2 as a watcher: alice, tech and tech2 hear of it.
    let r = app
        .json(
            Method::PATCH,
            &format!("/api/v1/tickets/{id}"),
            &p.admin,
            json!({"assignee": p.tech.0, "watchers": [p.tech2.0]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mails = outbox(app).await;
    for who in ["alice@example.com", "tech@example.com", "tech2@example.com"] {
        assert_eq!(to(&mails, who).len(), 1, "{who}: {mails:?}");
        assert!(to(&mails, who)[0].contains("Ticket assigned"));
    }
    assert!(to(&mails, "root@example.com").is_empty(), "not the actor");
    clear_outbox(app).await;

    // An internal note by tech: tech2 hears of it, alice never does (no email, no entry).
    let r = app
        .json(
            Method::POST,
            &format!("/api/v1/tickets/{id}/comments"),
            &p.tech.1,
            json!({"body": "secret: router password is hunter2", "internal": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let mails = outbox(app).await;
    assert!(to(&mails, "alice@example.com").is_empty(), "{mails:?}");
    assert!(to(&mails, "tech@example.com").is_empty(), "not the author");
    assert!(to(&mails, "tech2@example.com")[0].contains("hunter2"));
    let alice_list = app.get("/api/v1/notifications", &p.alice.1).await.json();
    assert!(
        alice_list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["kind"] != "note"),
        "{alice_list}"
    );
    assert!(!alice_list.to_string().contains("hunter2"));
    clear_outbox(app).await;

    // A public reply by tech reaches alice with the text; the new ticket opens (status change
    // folded into the reply, so one email each).
    app.json(
        Method::POST,
        &format!("/api/v1/tickets/{id}/comments"),
        &p.tech.1,
        json!({"body": "Restarted the concentrator, try again", "internal": false}),
    )
    .await;
    let mails = outbox(app).await;
    let alice = to(&mails, "alice@example.com");
    assert_eq!(alice.len(), 1, "{mails:?}");
    assert!(alice[0].contains("New reply") && alice[0].contains("Restarted the concentrator"));
    clear_outbox(app).await;

    // Resolving: a status change for alice and tech2.
    app.json(
        Method::PATCH,
        &format!("/api/v1/tickets/{id}"),
        &p.tech.1,
        json!({"status": "resolved"}),
    )
    .await;
    let mails = outbox(app).await;
    assert!(to(&mails, "alice@example.com")[0].contains("Open -> Resolved"));
    assert_eq!(to(&mails, "tech2@example.com").len(), 1);

    // Alice's unread list: creation is her own (no entry), then assigned, reply, status.
    let list = app.get("/api/v1/notifications", &p.alice.1).await.json();
    let kinds: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["status", "reply", "assigned"], "{list}");
    assert_eq!(list["unread"], 3);
    let first = list["items"][0]["id"].as_i64().unwrap();

    // Someone else's notification is a 404 and stays unread.
    let r = app
        .send(
            Method::POST,
            &format!("/api/v1/notifications/{first}/read"),
            &[("x-api-key", p.tech.1.as_str())],
            axum::body::Body::empty(),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .send(
            Method::POST,
            &format!("/api/v1/notifications/{first}/read"),
            &[("x-api-key", p.alice.1.as_str())],
            axum::body::Body::empty(),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let list = app.get("/api/v1/notifications", &p.alice.1).await.json();
    assert_eq!(list["unread"], 2);
    assert_eq!(list["items"][0]["read"], true);
}

#[tokio::test]
async fn mutes_silence_a_kind_and_emails_follow_the_users_language() {
    let p = people().await;
    let app = &p.app;
    // tech mutes status changes; alice reads Indonesian.
    let r = app
        .json(
            Method::PUT,
            "/api/v1/me/notification-settings",
            &p.tech.1,
            json!({"muted": ["status", "status"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["muted"], json!(["status"]));
    assert_eq!(app.audit_count("notifications.settings").await, 1);
    let r = app
        .json(
            Method::PUT,
            "/api/v1/me/notification-settings",
            &p.tech.1,
            json!({"muted": ["everything"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = app
        .json(
            Method::PUT,
            "/api/v1/me/notification-settings",
            &p.tech.1,
            json!({"muted": [], "role": "admin"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = app
        .get("/api/v1/me/notification-settings", &p.tech.1)
        .await
        .json();
    assert_eq!(r["muted"], json!(["status"]), "bad input changed nothing");
    let r = app
        .json(
            Method::PATCH,
            "/api/v1/me",
            &p.alice.1,
            json!({"locale": "id"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    let r = app
        .json(
            Method::POST,
            "/api/v1/tickets",
            &p.alice.1,
            json!({"title": "Printer", "description": ""}),
        )
        .await;
    let id = r.json()["id"].as_i64().unwrap();
    let mails = outbox(app).await;
    let token = piket_server::mail::token::subject_token(app.state.secrets.signing_key(), id);
    assert!(to(&mails, "alice@example.com")[0].starts_with(&format!("{token} Tiket baru: Printer")));
    app.json(
        Method::PATCH,
        &format!("/api/v1/tickets/{id}"),
        &p.admin,
        json!({"assignee": p.tech.0}),
    )
    .await;
    clear_outbox(app).await;
    app.json(
        Method::PATCH,
        &format!("/api/v1/tickets/{id}"),
        &p.admin,
        json!({"status": "pending"}),
    )
    .await;
    let mails = outbox(app).await;
    assert!(
        to(&mails, "tech@example.com").is_empty(),
        "muted: {mails:?}"
    );
    let alice = to(&mails, "alice@example.com");
    assert_eq!(alice.len(), 1, "{mails:?}");
    assert!(alice[0].contains("Status berubah"), "{alice:?}");
    assert!(alice[0].contains("Baru -> Menunggu"), "{alice:?}");
    let tech = app.get("/api/v1/notifications", &p.tech.1).await.json();
    assert!(
        tech["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["kind"] != "status"),
        "{tech}"
    );
}

#[tokio::test]
async fn the_bell_counts_unread_and_the_page_opens_marks_and_mutes() {
    let p = people().await;
    let app = &p.app;
    let r = app
        .json(
            Method::POST,
            "/api/v1/tickets",
            &p.alice.1,
            json!({"title": "<script>alert(1)</script>", "description": ""}),
        )
        .await;
    let id = r.json()["id"].as_i64().unwrap();
    app.json(
        Method::PATCH,
        &format!("/api/v1/tickets/{id}"),
        &p.admin,
        json!({"assignee": p.tech.0}),
    )
    .await;

    let mut b = Browser::new(app);
    let r = b
        .post(
            "/login",
            &[
                ("email", "tech@example.com"),
                ("password", "a-long-test-password"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let home = b.get("/").await;
    assert!(
        home.body.contains("id=\"unread-count\">1</span>"),
        "{}",
        home.body
    );
    let page = b.get("/notifications").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("&#60;script&#62;alert(1)"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("<script>alert(1)"));
    let nid: i64 = {
        let list = app.get("/api/v1/notifications", &p.tech.1).await.json();
        list["items"][0]["id"].as_i64().unwrap()
    };
    let r = b.post(&format!("/notifications/{nid}/open"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.header("location"), format!("/tickets/{id}"));
    let home = b.get("/").await;
    assert!(!home.body.contains("unread-count"), "all read");

    // Untick "assigned": it becomes muted.
    let r = b
        .post(
            "/notifications/settings",
            &[
                ("kind", "created"),
                ("kind", "reply"),
                ("kind", "note"),
                ("kind", "status"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let s = app
        .get("/api/v1/me/notification-settings", &p.tech.1)
        .await
        .json();
    assert_eq!(s["muted"], json!(["assigned"]));
    // The page it returns to says so once (the layout shows every page's notice).
    let page = b.get(&r.header("location")).await;
    assert_eq!(page.body.matches("Saved.").count(), 1, "{}", page.body);

    // The bell's count is cached briefly per user, but a change shows on the very next page:
    // Alice's reply adds one, reading everything through the API clears it.
    let r = app
        .json(
            Method::POST,
            &format!("/api/v1/tickets/{id}/comments"),
            &p.alice.1,
            json!({"body": "any news?", "internal": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let home = b.get("/").await;
    assert!(
        home.body.contains("id=\"unread-count\">1</span>"),
        "{}",
        home.body
    );
    let r = app
        .json(
            Method::POST,
            "/api/v1/notifications/read-all",
            &p.tech.1,
            json!({}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    let home = b.get("/").await;
    assert!(!home.body.contains("unread-count"), "read through the API");
}

#[tokio::test]
async fn only_people_who_may_open_the_ticket_hear_of_it() {
    let p = people().await;
    let app = &p.app;
    let hr = app.department(&p.admin, "HR").await;
    let hr_tech = app.user("hrtech@example.com", "technician", vec![hr]).await;
    let r = app
        .json(
            Method::POST,
            "/api/v1/tickets",
            &p.alice.1,
            json!({"title": "Payroll export fails", "description": "since the update"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_i64().unwrap();
    let url = format!("/api/v1/tickets/{id}");
    // A technician of another department cannot watch an IT ticket: 422, nothing changes.
    let r = app
        .json(
            Method::PATCH,
            &url,
            &p.admin,
            json!({"watchers": [hr_tech.id]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("watchers"), "{}", r.body);
    assert_eq!(app.get(&url, &p.admin).await.json()["watchers"], json!([]));
    let r = app
        .json(
            Method::PATCH,
            &url,
            &p.admin,
            json!({"watchers": [p.tech2.0]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // The ticket moves to HR: tech2 still watches it but may no longer open it, so neither the
    // internal note nor the public reply reaches them; the requester still hears of the reply.
    let r = app
        .json(Method::PATCH, &url, &p.admin, json!({"department": hr}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        app.get(&url, &p.tech2.1).await.status,
        StatusCode::NOT_FOUND
    );
    clear_outbox(app).await;
    for (body, internal) in [
        ("salary file is on share X", true),
        ("Fixed the export", false),
    ] {
        let r = app
            .json(
                Method::POST,
                &format!("{url}/comments"),
                &p.admin,
                json!({"body": body, "internal": internal}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let mails = outbox(app).await;
    assert!(to(&mails, "tech2@example.com").is_empty(), "{mails:?}");
    assert_eq!(to(&mails, "alice@example.com").len(), 1, "{mails:?}");
    assert!(!to(&mails, "alice@example.com")[0].contains("salary"));
    let tech2_list = app.get("/api/v1/notifications", &p.tech2.1).await.json();
    assert!(
        !tech2_list.to_string().contains("Fixed")
            && tech2_list["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|n| n["kind"] != "note" && n["kind"] != "reply"),
        "{tech2_list}"
    );
}
