//! Live updates: a ticket change reaches the open pages allowed to see it, over server-sent
//! events through the real router; on PostgreSQL it crosses nodes through LISTEN/NOTIFY.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::desk::{new_desk, Dept};
use common::{signed_in, TestApp};
use futures_util::StreamExt;
use piket_server::events::TicketChanged;
use serde_json::json;
use tower::ServiceExt;

/// An open `/events/tickets` stream of a signed-in user.
struct Stream {
    body: axum::body::BodyDataStream,
    buffer: String,
}

impl Stream {
    async fn open(app: &TestApp, email: &str) -> Stream {
        let b = signed_in(app, email).await;
        let req = Request::builder()
            .method(Method::GET)
            .uri("/events/tickets")
            .header("cookie", b.cookie_header())
            .body(Body::empty())
            .unwrap();
        let resp = app.router.clone().oneshot(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let kind = resp.headers()["content-type"].to_str().unwrap().to_string();
        assert!(kind.starts_with("text/event-stream"), "{kind}");
        Stream {
            body: resp.into_body().into_data_stream(),
            buffer: String::new(),
        }
    }

    /// The ticket id of the next `ticket` event, or None within the timeout.
    async fn next_ticket(&mut self, within: Duration) -> Option<i64> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let frame: String = self.buffer.drain(..end + 2).collect();
                if let Some(data) = frame.lines().find_map(|l| l.strip_prefix("data: ")) {
                    let v: serde_json::Value = serde_json::from_str(data).unwrap();
                    return v["ticket"].as_i64();
                }
                continue;
            }
            match tokio::time::timeout_at(deadline, self.body.next()).await {
                Ok(Some(Ok(chunk))) => self.buffer.push_str(&String::from_utf8_lossy(&chunk)),
                _ => return None,
            }
        }
    }
}

struct Desk {
    app: TestApp,
    it: i64,
    tech: String,
    alice: String,
    bob: String,
}

async fn desk() -> Desk {
    let d = new_desk()
        .hr()
        .keyed("tech", "technician", Dept::It)
        .member("hrtech", "technician", Dept::Hr)
        .keyed("alice", "requester", Dept::It)
        .keyed("bob", "requester", Dept::Hr)
        .build()
        .await;
    Desk {
        tech: d.key("tech"),
        alice: d.key("alice"),
        bob: d.key("bob"),
        it: d.it,
        app: d.app,
    }
}

async fn file(app: &TestApp, key: &str, title: &str) -> i64 {
    let r = app
        .json(
            Method::POST,
            "/api/v1/tickets",
            key,
            json!({"title": title, "description": ""}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["id"].as_i64().unwrap()
}

#[tokio::test]
async fn a_change_reaches_only_the_pages_allowed_to_see_the_ticket() {
    let d = desk().await;
    let mut tech = Stream::open(&d.app, "tech@example.com").await;
    let mut hr_tech = Stream::open(&d.app, "hrtech@example.com").await;
    let mut bob = Stream::open(&d.app, "bob@example.com").await;

    let it_ticket = file(&d.app, &d.alice, "IT printer").await;
    assert_eq!(
        tech.next_ticket(Duration::from_secs(5)).await,
        Some(it_ticket)
    );
    let hr_ticket = file(&d.app, &d.bob, "Payslip").await;
    // The HR technician and Bob never heard of the IT ticket: their first event is the HR one.
    assert_eq!(
        hr_tech.next_ticket(Duration::from_secs(5)).await,
        Some(hr_ticket)
    );
    assert_eq!(
        bob.next_ticket(Duration::from_secs(5)).await,
        Some(hr_ticket)
    );
    assert_eq!(tech.next_ticket(Duration::from_millis(300)).await, None);

    // A reply on the IT ticket reaches the IT technician again.
    let r = d
        .app
        .json(
            Method::POST,
            &format!("/api/v1/tickets/{it_ticket}/comments"),
            &d.alice,
            json!({"body": "still jammed", "internal": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(
        tech.next_ticket(Duration::from_secs(5)).await,
        Some(it_ticket)
    );

    // An internal note reaches staff pages and never the requester's, not even as a bare
    // "something changed"; a public reply reaches both.
    let mut alice = Stream::open(&d.app, "alice@example.com").await;
    for (body, internal, requester_hears) in
        [("checking the fuser", true, false), ("fixed", false, true)]
    {
        let r = d
            .app
            .json(
                Method::POST,
                &format!("/api/v1/tickets/{it_ticket}/comments"),
                &d.tech,
                json!({"body": body, "internal": internal}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(
            tech.next_ticket(Duration::from_secs(5)).await,
            Some(it_ticket)
        );
        let wait = Duration::from_millis(if requester_hears { 5000 } else { 300 });
        assert_eq!(
            alice.next_ticket(wait).await,
            requester_hears.then_some(it_ticket),
            "{body}"
        );
    }

    // A page without a session gets no stream.
    let r = d
        .app
        .send(Method::GET, "/events/tickets", &[], Body::empty())
        .await;
    assert_ne!(r.status, StatusCode::OK);
    let _ = d.it;
}

#[tokio::test]
async fn on_postgres_an_event_crosses_to_another_node() {
    if common::backend_name() != "postgres" {
        eprintln!("SKIPPED: cross-node events need PostgreSQL (set PIKET_TEST_DATABASE_URL)");
        return;
    }
    let d = desk().await;
    // A second node on the same database, each with its listener.
    let other = piket_server::build_state(
        d.app.state.config.clone(),
        std::sync::Arc::new(d.app.clock.clone()),
    )
    .await
    .unwrap();
    let (_stop, stop_rx) = tokio::sync::watch::channel(false);
    piket_server::events::spawn_listener(other.clone(), stop_rx).await;
    let mut on_other = other.events.subscribe();
    let mut on_this = d.app.state.events.subscribe();

    let id = file(&d.app, &d.bob, "Cross-node").await;
    let got: TicketChanged = tokio::time::timeout(Duration::from_secs(5), on_other.recv())
        .await
        .expect("the other node heard nothing")
        .unwrap();
    assert_eq!(got.ticket, id);
    let here = tokio::time::timeout(Duration::from_secs(5), on_this.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        here, got,
        "this node hears its own change once, through NOTIFY too"
    );
    assert!(
        tokio::time::timeout(Duration::from_millis(300), on_this.recv())
            .await
            .is_err(),
        "no second copy"
    );

    // A refused change announces nothing (a requester may not set the priority).
    let r = d
        .app
        .json(
            Method::PATCH,
            &format!("/api/v1/tickets/{id}"),
            &d.bob,
            json!({"priority": "extreme"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(
        tokio::time::timeout(Duration::from_millis(500), on_other.recv())
            .await
            .is_err()
    );
}
