//! The agent's ticket page (issue #19, part 1): one Update that replies and changes fields in one
//! transaction, drafts kept per ticket and user, the requester's context beside the conversation,
//! "Assign to me", and history in words; plus a timed loop over the page.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::http::{Method, StatusCode};
use common::desk::{new_desk, Dept, Desk};
use common::signed_in;
use serde_json::json;

/// IT with a technician `tech`, requesters `alice` (who filed the desk's ticket) and `bob`, and
/// an HR technician `hrtech`.
async fn desk() -> Desk {
    new_desk()
        .hr()
        .keyed("tech", "technician", Dept::It)
        .named("Tono Tech")
        .keyed("alice", "requester", Dept::It)
        .named("Alice Requester")
        .keyed("bob", "requester", Dept::It)
        .keyed("hrtech", "technician", Dept::Hr)
        .ticket("alice", "Printer jams")
        .build()
        .await
}

/// Server time and transfer size of the ticket page (20 replies, a device, two other tickets),
/// as a technician sees it: `cargo nextest run -E 'test(ticket_page_timing)' --run-ignored only
/// --no-capture`.
#[tokio::test]
#[ignore]
async fn ticket_page_timing() {
    let d = desk().await;
    let (app, t) = (&d.app, d.ticket);
    for i in 0..20 {
        let who = if i % 2 == 0 { d.key("tech") } else { d.key("alice") };
        let r = app
            .json(
                Method::POST,
                &format!("/api/v1/tickets/{t}/comments"),
                &who,
                json!({"body": format!("Reply number {i} with **some** text to render.")}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    for title in ["Mouse broken", "Screen flickers"] {
        let r = app
            .json(
                Method::POST,
                "/api/v1/tickets",
                &d.key("alice"),
                json!({"title": title, "department": d.it}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let r = app
        .json(
            Method::POST,
            "/api/v1/inventory/hardware",
            &d.admin,
            json!({"name": "Alice laptop", "type": "laptop", "owner_id": d.id("alice"), "department_id": d.it}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let mut tech = signed_in(app, "tech@example.com").await;
    let path = format!("/tickets/{t}");
    for _ in 0..20 {
        assert_eq!(tech.get(&path).await.status, StatusCode::OK);
    }
    let rounds = 300;
    let started = std::time::Instant::now();
    let mut bytes = 0;
    for _ in 0..rounds {
        let r = tech.get(&path).await;
        assert_eq!(r.status, StatusCode::OK);
        bytes = r.body.len();
    }
    let each = started.elapsed() / rounds;
    println!(
        "ticket page ({}): {} µs per request, {bytes} bytes",
        common::backend_name(),
        each.as_micros()
    );
}
