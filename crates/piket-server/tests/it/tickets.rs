//! Tickets through the real router on SQLite (and PostgreSQL when configured): lifecycle,
//! conversation, history, scoping, lists, counts, search, bulk changes, export, hostile input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::http::{Method, StatusCode};
use common::desk::{new_desk, Dept};
use common::TestApp;
use serde_json::{json, Value};

/// An admin, two departments, a technician in each, and two requesters.
struct Desk {
    app: TestApp,
    admin: String,
    it: i64,
    hr: i64,
    tech: (i64, String),
    hr_tech: (i64, String),
    alice: (i64, String),
    bob: (i64, String),
}

async fn desk() -> Desk {
    let d = new_desk()
        .hr()
        .keyed("tech", "technician", Dept::It)
        .keyed("hrtech", "technician", Dept::Hr)
        .keyed("alice", "requester", Dept::It)
        .keyed("bob", "requester", Dept::Hr)
        .build()
        .await;
    Desk {
        tech: d.person("tech"),
        hr_tech: d.person("hrtech"),
        alice: d.person("alice"),
        bob: d.person("bob"),
        admin: d.admin,
        it: d.it,
        hr: d.hr,
        app: d.app,
    }
}

impl Desk {
    async fn ticket(&self, key: &str, body: Value) -> Value {
        let r = self
            .app
            .json(Method::POST, "/api/v1/tickets", key, body)
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.json()
    }
    async fn ids(&self, key: &str, query: &str) -> Vec<i64> {
        let r = self.app.get(&format!("/api/v1/tickets?{query}"), key).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_i64().unwrap())
            .collect()
    }
}

#[tokio::test]
async fn a_ticket_goes_from_report_to_closure_with_replies_notes_and_history() {
    let d = desk().await;
    let t = d
        .ticket(&d.alice.1, json!({"title": "Printer jams", "description": "On **floor 2**", "priority": "high", "tags": ["Printer", "floor-2"]}))
        .await;
    let id = t["id"].as_i64().unwrap();
    assert_eq!(t["status"], "new");
    assert_eq!(t["priority"], "high");
    assert_eq!(t["requester_id"], d.alice.0);
    assert_eq!(
        t["department_id"], d.it,
        "defaults to the requester's department"
    );
    assert_eq!(t["source"], "api");
    assert_eq!(t["tags"], json!(["floor-2", "printer"]));
    assert!(t["description_html"]
        .as_str()
        .unwrap()
        .contains("<strong>floor 2</strong>"));

    // The IT technician sees it among the new tickets and takes it.
    assert!(d.ids(&d.tech.1, "status=new").await.contains(&id));
    let r = d
        .app
        .json(
            Method::PATCH,
            &format!("/api/v1/tickets/{id}"),
            &d.tech.1,
            json!({"assignee": d.tech.0}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["assignee_id"], d.tech.0);

    // An internal note, then a public reply (which opens the ticket and is its first response).
    let path = format!("/api/v1/tickets/{id}/comments");
    let r = d
        .app
        .json(
            Method::POST,
            &path,
            &d.tech.1,
            json!({"body": "Toner supplier is slow", "internal": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = d
        .app
        .json(
            Method::POST,
            &path,
            &d.tech.1,
            json!({"body": "On my way", "internal": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let t = d
        .app
        .get(&format!("/api/v1/tickets/{id}"), &d.tech.1)
        .await
        .json();
    assert_eq!(t["status"], "open");
    assert!(t["first_response_at"].is_string());

    // The requester may not write internal notes, and never sees them.
    let r = d
        .app
        .json(
            Method::POST,
            &path,
            &d.alice.1,
            json!({"body": "sneaky", "internal": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let mine = d.app.get(&path, &d.alice.1).await.json();
    let bodies: Vec<&str> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, vec!["On my way"]);
    let staff = d.app.get(&path, &d.tech.1).await.json();
    assert_eq!(staff["items"].as_array().unwrap().len(), 2);
    let hist = d
        .app
        .get(&format!("/api/v1/tickets/{id}/history"), &d.alice.1)
        .await
        .json();
    let fields: Vec<&str> = hist["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"created") && fields.contains(&"assignee") && fields.contains(&"reply"),
        "{fields:?}"
    );
    assert!(
        !fields.contains(&"note"),
        "requesters do not see note entries: {fields:?}"
    );
    let hist = d
        .app
        .get(&format!("/api/v1/tickets/{id}/history"), &d.tech.1)
        .await
        .json();
    assert!(hist["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["field"] == "note"));
    let status_change = hist["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["field"] == "status")
        .unwrap();
    assert_eq!(status_change["old_value"], "new");
    assert_eq!(status_change["new_value"], "open");

    // The requester may not edit fields; resolving is for staff; confirming is for the requester.
    let r = d
        .app
        .json(
            Method::PATCH,
            &format!("/api/v1/tickets/{id}"),
            &d.alice.1,
            json!({"priority": "urgent"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = d
        .app
        .json(
            Method::PATCH,
            &format!("/api/v1/tickets/{id}"),
            &d.alice.1,
            json!({"status": "resolved"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = d
        .app
        .json(
            Method::PATCH,
            &format!("/api/v1/tickets/{id}"),
            &d.tech.1,
            json!({"status": "resolved"}),
        )
        .await;
    assert_eq!(r.json()["status"], "resolved");
    assert!(r.json()["resolved_at"].is_string());
    let r = d
        .app
        .json(
            Method::PATCH,
            &format!("/api/v1/tickets/{id}"),
            &d.alice.1,
            json!({"status": "closed"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "closed");
    // Reopening clears the finish times.
    let r = d
        .app
        .json(
            Method::PATCH,
            &format!("/api/v1/tickets/{id}"),
            &d.alice.1,
            json!({"status": "open"}),
        )
        .await;
    assert_eq!(r.json()["status"], "open");
    assert!(r.json()["closed_at"].is_null() && r.json()["resolved_at"].is_null());

    // Only holders of tickets.delete remove tickets; the deletion is audited.
    let r = d
        .app
        .send(
            Method::DELETE,
            &format!("/api/v1/tickets/{id}"),
            &[("x-api-key", &d.tech.1)],
            axum::body::Body::empty(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = d
        .app
        .send(
            Method::DELETE,
            &format!("/api/v1/tickets/{id}"),
            &[("x-api-key", &d.admin)],
            axum::body::Body::empty(),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        d.app
            .get(&format!("/api/v1/tickets/{id}"), &d.admin)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(d.app.audit_count("ticket.delete").await, 1);
}

#[tokio::test]
async fn every_ticket_endpoint_is_a_404_for_another_department_and_another_requester() {
    let d = desk().await;
    let t = d
        .ticket(
            &d.alice.1,
            json!({"title": "VPN down", "description": "secret words"}),
        )
        .await;
    let id = t["id"].as_i64().unwrap();
    d.app
        .json(
            Method::POST,
            &format!("/api/v1/tickets/{id}/comments"),
            &d.tech.1,
            json!({"body": "looking", "internal": true}),
        )
        .await;
    // A file on the ticket and a canned response, so their routes have something to hide.
    let att = d.app.text_attachment(&d.alice.1, id).await;
    let canned = d.app.canned_response(&d.admin).await;
    let before = d
        .app
        .get(&format!("/api/v1/tickets/{id}"), &d.admin)
        .await
        .body;
    let history_before = d
        .app
        .get(&format!("/api/v1/tickets/{id}/history"), &d.admin)
        .await
        .body;
    for key in [&d.hr_tech.1, &d.bob.1] {
        for (method, path, body) in [
            (Method::GET, format!("/api/v1/tickets/{id}"), Value::Null),
            (
                Method::PATCH,
                format!("/api/v1/tickets/{id}"),
                json!({"status": "closed"}),
            ),
            (
                Method::PUT,
                format!("/api/v1/tickets/{id}"),
                json!({"title": "x"}),
            ),
            (Method::DELETE, format!("/api/v1/tickets/{id}"), Value::Null),
            (
                Method::GET,
                format!("/api/v1/tickets/{id}/comments"),
                Value::Null,
            ),
            (
                Method::POST,
                format!("/api/v1/tickets/{id}/comments"),
                json!({"body": "hi"}),
            ),
            (
                Method::POST,
                format!("/api/v1/tickets/{id}/comments"),
                json!({"body": "hi", "internal": true}),
            ),
            (
                Method::GET,
                format!("/api/v1/tickets/{id}/history"),
                Value::Null,
            ),
            (
                Method::GET,
                format!("/api/v1/tickets/{id}/attachments"),
                Value::Null,
            ),
            (
                Method::GET,
                format!("/api/v1/tickets/{id}/attachments/{att}"),
                Value::Null,
            ),
            (
                Method::DELETE,
                format!("/api/v1/tickets/{id}/attachments/{att}"),
                Value::Null,
            ),
            (
                Method::GET,
                format!("/api/v1/tickets/{id}/canned-responses/{canned}"),
                Value::Null,
            ),
            (
                Method::POST,
                "/api/v1/tickets/bulk".to_string(),
                json!({"ids": [id], "priority": "low"}),
            ),
        ] {
            let r = if body.is_null() {
                d.app
                    .send(
                        method.clone(),
                        &path,
                        &[("x-api-key", key)],
                        axum::body::Body::empty(),
                    )
                    .await
            } else {
                d.app.json(method.clone(), &path, key, body).await
            };
            // Requesters may not bulk-edit at all (403); everything else hides the ticket.
            let expected = if path.ends_with("/bulk") && *key == d.bob.1 {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::NOT_FOUND
            };
            assert_eq!(r.status, expected, "{method} {path}: {}", r.body);
        }
        // An upload to it is refused before its body is read: a body that is not even
        // multipart answers 404, not 400.
        let r = d
            .app
            .send(
                Method::POST,
                &format!("/api/v1/tickets/{id}/attachments"),
                &[
                    ("x-api-key", key),
                    ("content-type", "multipart/form-data; boundary=x"),
                ],
                axum::body::Body::from("not multipart"),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "upload: {}", r.body);
        assert!(!d.ids(key, "").await.contains(&id));
        assert!(d.ids(key, "q=secret").await.is_empty());
        let csv = d.app.get("/api/v1/tickets/export.csv", key).await.body;
        assert!(!csv.contains("VPN down"));
        let counts = d.app.get("/api/v1/tickets/counts", key).await.json();
        assert_eq!(counts["new"], 0, "{counts}");
    }
    assert_eq!(
        d.app
            .get(&format!("/api/v1/tickets/{id}"), &d.admin)
            .await
            .body,
        before
    );
    assert_eq!(
        d.app
            .get(&format!("/api/v1/tickets/{id}/history"), &d.admin)
            .await
            .body,
        history_before
    );
    // Watching brings a ticket into a requester's reach.
    let r = d
        .app
        .json(
            Method::PATCH,
            &format!("/api/v1/tickets/{id}"),
            &d.tech.1,
            json!({"watchers": [d.bob.0]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        d.app
            .get(&format!("/api/v1/tickets/{id}"), &d.bob.1)
            .await
            .status,
        StatusCode::OK
    );
    let notes = d
        .app
        .get(&format!("/api/v1/tickets/{id}/comments"), &d.bob.1)
        .await
        .json();
    assert!(
        notes["items"].as_array().unwrap().is_empty(),
        "a watcher is not staff: {notes}"
    );
}

#[tokio::test]
async fn lists_filter_sort_and_page_by_keyset_and_counts_follow_changes() {
    let d = desk().await;
    let mut ids = Vec::new();
    for i in 0..7 {
        d.app.clock.advance_ms(1_000);
        let prio = if i % 2 == 0 { "low" } else { "urgent" };
        let t = d.ticket(&d.tech.1, json!({"title": format!("T{i}"), "priority": prio, "tags": if i == 3 { json!(["vip"]) } else { json!([]) }})).await;
        ids.push(t["id"].as_i64().unwrap());
    }
    // Newest-updated first, three at a time, each ticket exactly once.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let r = d
            .app
            .get(
                &format!("/api/v1/tickets?limit=3&cursor={cursor}"),
                &d.tech.1,
            )
            .await
            .json();
        seen.extend(
            r["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_i64().unwrap()),
        );
        match r["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first);
    assert_eq!(
        d.ids(&d.tech.1, "sort=%2Bcreated&limit=2").await,
        ids[..2].to_vec()
    );
    assert_eq!(d.ids(&d.tech.1, "priority=urgent").await.len(), 3);
    assert_eq!(d.ids(&d.tech.1, "tag=VIP").await, vec![ids[3]]);
    assert_eq!(d.ids(&d.tech.1, "view=unassigned").await.len(), 7);
    d.app
        .json(
            Method::PATCH,
            &format!("/api/v1/tickets/{}", ids[0]),
            &d.tech.1,
            json!({"assignee": d.tech.0, "status": "pending"}),
        )
        .await;
    assert_eq!(d.ids(&d.tech.1, "assigned_to=me").await, vec![ids[0]]);
    assert_eq!(d.ids(&d.tech.1, "view=mine").await, vec![ids[0]]);
    assert_eq!(d.ids(&d.tech.1, "assigned_to=none").await.len(), 6);
    assert_eq!(
        d.ids(&d.tech.1, &format!("department={}", d.it))
            .await
            .len(),
        7
    );
    assert!(d
        .ids(&d.tech.1, &format!("department={}", d.hr))
        .await
        .is_empty());
    // Sorting by priority: urgent first, and the keyset cursor holds across equal priorities.
    let page1 = d
        .app
        .get("/api/v1/tickets?sort=priority&limit=2", &d.tech.1)
        .await
        .json();
    let next = page1["next_cursor"].as_str().unwrap().to_string();
    let page2 = d
        .ids(&d.tech.1, &format!("sort=priority&limit=2&cursor={next}"))
        .await;
    let first: Vec<i64> = page1["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(first, vec![ids[5], ids[3]]);
    assert_eq!(page2, vec![ids[1], ids[6]]);
    // Overdue: due in the past and not done.
    d.app
        .json(
            Method::PATCH,
            &format!("/api/v1/tickets/{}", ids[1]),
            &d.tech.1,
            json!({"due_at": "2020-01-01"}),
        )
        .await;
    assert_eq!(d.ids(&d.tech.1, "view=overdue").await, vec![ids[1]]);

    let counts = d.app.get("/api/v1/tickets/counts", &d.tech.1).await.json();
    assert_eq!(
        (counts["new"].as_i64(), counts["pending"].as_i64()),
        (Some(6), Some(1))
    );
    let r = d
        .app
        .json(
            Method::PATCH,
            &format!("/api/v1/tickets/{}", ids[2]),
            &d.admin,
            json!({"department": d.hr}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let counts = d.app.get("/api/v1/tickets/counts", &d.tech.1).await.json();
    assert_eq!(
        counts["new"], 6,
        "the technician still sees the ticket they requested"
    );
    let colleague = d
        .app
        .user("tech2@example.com", "technician", vec![d.it])
        .await;
    let colleague = d.app.key_for(colleague.id).await;
    let counts = d.app.get("/api/v1/tickets/counts", &colleague).await.json();
    assert_eq!(counts["new"], 5, "a ticket moved to HR leaves IT's counts");
    assert_eq!(
        d.ids(&colleague, "status=new").await.len(),
        5,
        "counts agree with the list"
    );
    let counts = d
        .app
        .get("/api/v1/tickets/counts", &d.hr_tech.1)
        .await
        .json();
    assert_eq!(counts["new"], 1);
    let counts = d.app.get("/api/v1/tickets/counts", &d.admin).await.json();
    assert_eq!(counts["new"], 6);
    // A technician in no department sees, and counts, the ticket assigned to them.
    let loner = d.app.user("loner@example.com", "technician", vec![]).await;
    let r = d
        .app
        .json(
            Method::PATCH,
            &format!("/api/v1/tickets/{}", ids[3]),
            &d.admin,
            json!({"assignee": loner.id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let loner = d.app.key_for(loner.id).await;
    let counts = d.app.get("/api/v1/tickets/counts", &loner).await.json();
    let counted: i64 = ["new", "open", "pending", "resolved", "closed"]
        .iter()
        .map(|s| counts[*s].as_i64().unwrap())
        .sum();
    assert_eq!((counted, d.ids(&loner, "").await.len()), (1, 1), "{counts}");
    // Bad filters are a 422, not an empty list.
    for q in [
        "status=bogus",
        "assigned_to=x",
        "sort=title",
        "limit=500",
        "cursor=zzz",
        "q=printer&cursor=r-1",
        "q=printer&cursor=r9223372036854775807",
        "q=printer&cursor=kx",
        "created_from=never",
    ] {
        assert_eq!(
            d.app
                .get(&format!("/api/v1/tickets?{q}"), &d.tech.1)
                .await
                .status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{q}"
        );
    }
}

#[tokio::test]
async fn search_ranks_matches_highlights_them_and_keeps_notes_from_requesters() {
    let d = desk().await;
    let a = d
        .ticket(
            &d.alice.1,
            json!({"title": "Laptop battery swollen", "description": "The battery bulges"}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let b = d
        .ticket(
            &d.alice.1,
            json!({"title": "Mouse broken", "description": "needs a new battery maybe"}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    d.ticket(
        &d.alice.1,
        json!({"title": "Monitor flicker", "description": "<b>no</b>"}),
    )
    .await;
    d.app
        .json(
            Method::POST,
            &format!("/api/v1/tickets/{b}/comments"),
            &d.tech.1,
            json!({"body": "ordered from zanzibar supplier", "internal": true}),
        )
        .await;
    d.app
        .json(
            Method::POST,
            &format!("/api/v1/tickets/{a}/comments"),
            &d.tech.1,
            json!({"body": "replacement flamingo arrives", "internal": false}),
        )
        .await;

    let r = d
        .app
        .get("/api/v1/tickets?q=battery", &d.tech.1)
        .await
        .json();
    let items = r["items"].as_array().unwrap();
    let found: Vec<i64> = items.iter().map(|t| t["id"].as_i64().unwrap()).collect();
    assert_eq!(found, vec![a, b], "title matches rank first");
    assert!(
        items[0]["snippet_html"]
            .as_str()
            .unwrap()
            .contains("<mark>"),
        "{}",
        items[0]
    );
    assert_eq!(
        d.ids(&d.tech.1, "q=flamingo").await,
        vec![a],
        "replies are searched"
    );
    // A match only in a reply: its passage comes from the index, not from the description.
    let r = d
        .app
        .get("/api/v1/tickets?q=flamingo", &d.alice.1)
        .await
        .json();
    assert!(
        r["items"][0]["snippet_html"]
            .as_str()
            .unwrap()
            .contains("<mark>flamingo</mark>"),
        "{r}"
    );
    // A note's words never show in a requester's passages; staff see where a note matched.
    let r = d
        .app
        .get("/api/v1/tickets?q=zanzibar", &d.tech.1)
        .await
        .json();
    assert!(
        r["items"][0]["snippet_html"]
            .as_str()
            .unwrap()
            .contains("<mark>zanzibar</mark>"),
        "{r}"
    );
    assert_eq!(
        d.ids(&d.tech.1, "q=zanzibar").await,
        vec![b],
        "staff search notes"
    );
    assert!(
        d.ids(&d.alice.1, "q=zanzibar").await.is_empty(),
        "requesters never match notes"
    );
    assert_eq!(d.ids(&d.alice.1, "q=flamingo").await, vec![a]);
    assert!(
        d.ids(&d.tech.1, "q=%22%20OR%20*").await.is_empty(),
        "operators are plain words"
    );
    // Edits reach the index in the same transaction.
    d.app
        .json(
            Method::PATCH,
            &format!("/api/v1/tickets/{b}"),
            &d.tech.1,
            json!({"title": "Mouse pelican"}),
        )
        .await;
    assert_eq!(d.ids(&d.tech.1, "q=pelican").await, vec![b]);
    let r = d
        .app
        .get("/api/v1/tickets?q=pelican", &d.tech.1)
        .await
        .json();
    assert!(
        r["items"][0]["snippet_html"]
            .as_str()
            .unwrap()
            .contains("<mark>pelican</mark>"),
        "{r}"
    );
    // Search and list items come packed as JSON arrays (`store::packed_row`); they carry the
    // same fields as the ticket read column by column for its own page.
    let r = d
        .app
        .json(
            Method::PATCH,
            &format!("/api/v1/tickets/{b}"),
            &d.tech.1,
            json!({"priority": "high", "assignee": d.tech.0, "status": "pending",
                   "due_at": "2031-02-03T04:05:06Z"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let found = d
        .app
        .get("/api/v1/tickets?q=pelican", &d.tech.1)
        .await
        .json()["items"][0]
        .clone();
    let listed = d
        .app
        .get("/api/v1/tickets?status=pending", &d.tech.1)
        .await
        .json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == b)
        .cloned()
        .unwrap();
    assert_eq!(found["assignee_name"], listed["assignee_name"]);
    assert!(found["assignee_name"].is_string(), "{found}");
    let mut found = found.as_object().unwrap().clone();
    found.remove("snippet_html");
    let mut listed = listed.as_object().unwrap().clone();
    listed.remove("snippet_html");
    assert_eq!(found, listed);
    let detail = d
        .app
        .get(&format!("/api/v1/tickets/{b}"), &d.tech.1)
        .await
        .json();
    let same: serde_json::Map<String, serde_json::Value> = found
        .keys()
        .map(|k| (k.clone(), detail[k].clone()))
        .collect();
    assert_eq!(found, same, "packed and column-read rows differ");
    assert_eq!(found["status"], "pending");
}
/// The search language (phrases, prefixes, exclusions, `or`) means the same on both backends,
/// through the index's ranked phase and the older matches that follow it.
#[tokio::test]
async fn search_reads_phrases_prefixes_exclusions_and_alternatives() {
    let d = desk().await;
    let mut ids = Vec::new();
    for (title, description) in [
        ("Printer paper jam", "tray two"),
        ("Printer toner low", "replace the cartridge"),
        ("Scanner jam", "feeder stuck"),
        ("Paper order", "the jam came after the printer was moved"),
    ] {
        let t = d
            .ticket(
                &d.alice.1,
                json!({"title": title, "description": description}),
            )
            .await;
        ids.push(t["id"].as_i64().unwrap());
    }
    let [a, b, c, e] = ids[..] else {
        unreachable!()
    };
    let r = d
        .app
        .json(
            Method::POST,
            &format!("/api/v1/tickets/{b}/comments"),
            &d.tech.1,
            json!({"body": "jam suspected in the fuser", "internal": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    async fn found(d: &Desk, key: &str, q: &str) -> Vec<i64> {
        let query = serde_urlencoded::to_string([("q", q)]).unwrap();
        let mut got = d.ids(key, &query).await;
        got.sort_unstable();
        got
    }
    let tech = d.tech.1.as_str();
    let alice = d.alice.1.as_str();
    for (who, q, want) in [
        (tech, "printer jam", vec![a, b, e]),
        (alice, "printer jam", vec![a, e]),
        (tech, "\"paper jam\"", vec![a]),
        (tech, "printer -jam", vec![]),
        (alice, "printer -jam", vec![b]),
        (tech, "scanner or toner", vec![b, c]),
        (tech, "print*", vec![a, b, e]),
        (tech, "\"printer pap\"*", vec![a]),
        (tech, "jam -\"paper jam\"", vec![b, c, e]),
        (alice, "jam -\"paper jam\"", vec![c, e]),
        (tech, "or printer or", vec![a, b, e]),
        (tech, "-printer", vec![]),
        (tech, "- \" * \"", vec![]),
        // Either engine's own syntax is only text.
        (tech, "printer & !jam", vec![a, b, e]),
        (tech, "(printer) jam", vec![a, b, e]),
        (tech, "jam:* | toner", vec![b]),
        // A word one engine's parser drops must not leave "everything without printer".
        (tech, "<b> -printer", vec![]),
    ] {
        assert_eq!(found(&d, who, q).await, want, "{q:?} as {who}");
    }
    for q in [
        "'",
        "\\",
        "a:*",
        "<->",
        "((",
        "\"",
        "a\"b\"c",
        "x'y\\",
        "ü*",
        "\u{2}",
        "a'b\\c -x",
        "\"x:*\" y\\",
        "a\u{0}b",
        "printer\u{0}",
    ] {
        found(&d, tech, q).await;
    }
    // Excluded words are not marked in passages.
    let r = d
        .app
        .get("/api/v1/tickets?q=printer+-jam", alice)
        .await
        .json();
    let snippet = r["items"][0]["snippet_html"].as_str().unwrap_or_default();
    assert!(snippet.contains("<mark>Printer</mark>"), "{r}");
    assert!(!snippet.contains("<mark>jam"), "{r}");
}

#[tokio::test]
async fn hostile_input_is_refused_or_kept_as_text() {
    let d = desk().await;
    let xss = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    let t = d
        .ticket(
            &d.tech.1,
            json!({"title": xss, "description": xss, "tags": []}),
        )
        .await;
    assert_eq!(t["title"], xss, "JSON returns the text as written");
    let html = t["description_html"].as_str().unwrap();
    assert!(
        !html.contains("<script") && !html.contains("<img"),
        "{html}"
    );
    let id = t["id"].as_i64().unwrap();
    for (body, status) in [
        (json!({"title": ""}), StatusCode::UNPROCESSABLE_ENTITY),
        (
            json!({"title": "x".repeat(201)}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"title": "ok", "priority": "blocker"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"title": "ok", "category": 999}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"title": "ok", "department": 999}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"title": "ok", "assignee": d.alice.0}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"title": "ok", "tags": ["no spaces allowed"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"title": "ok", "source": "pigeon"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"title": "ok", "due_at": "soon"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"title": "ok", "bogus": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (json!({"title": 5}), StatusCode::UNPROCESSABLE_ENTITY),
        (
            json!({"title": "ok\u{0007}"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let r = d
            .app
            .json(Method::POST, "/api/v1/tickets", &d.tech.1, body.clone())
            .await;
        assert!(r.status.is_client_error(), "{body}: {}", r.status);
        assert_eq!(r.status, status, "{body}: {}", r.body);
        assert!(r
            .header("content-type")
            .starts_with("application/problem+json"));
    }
    assert_eq!(
        d.ids(&d.admin, "").await,
        vec![id],
        "nothing else was created"
    );
    let r = d
        .app
        .send(
            Method::POST,
            "/api/v1/tickets",
            &[
                ("x-api-key", &d.tech.1),
                ("content-type", "application/json"),
            ],
            axum::body::Body::from("{\"title\": \"a"),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = d
        .app
        .json(
            Method::POST,
            &format!("/api/v1/tickets/{id}/comments"),
            &d.tech.1,
            json!({"body": "   "}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        d.app.get("/api/v1/tickets/abc", &d.tech.1).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        d.app.get("/api/v1/tickets/99999", &d.tech.1).await.status,
        StatusCode::NOT_FOUND
    );
    // Bulk changes are all or nothing.
    let other = d.ticket(&d.tech.1, json!({"title": "second"})).await["id"]
        .as_i64()
        .unwrap();
    let r = d
        .app
        .json(
            Method::POST,
            "/api/v1/tickets/bulk",
            &d.tech.1,
            json!({"ids": [id, other, 99999], "priority": "urgent"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        d.app
            .get(&format!("/api/v1/tickets/{id}"), &d.tech.1)
            .await
            .json()["priority"],
        "normal"
    );
    let r = d
        .app
        .json(
            Method::POST,
            "/api/v1/tickets/bulk",
            &d.tech.1,
            json!({"ids": [id, other], "priority": "urgent", "assignee": d.tech.0}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["updated"], json!([id, other]));
    assert_eq!(
        d.ids(&d.tech.1, "priority=urgent&assigned_to=me")
            .await
            .len(),
        2
    );
    // CSV export neutralises formulas.
    d.ticket(&d.tech.1, json!({"title": "=HYPERLINK(\"http://evil\")"}))
        .await;
    let r = d.app.get("/api/v1/tickets/export.csv", &d.tech.1).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("content-disposition").starts_with("attachment"));
    assert!(
        r.body.contains("\"'=HYPERLINK(\"\"http://evil\"\")\""),
        "{}",
        r.body
    );
    assert_eq!(r.body.lines().count(), 4);
}

/// The export streams every page of the view: more rows than one page holds, each ticket once,
/// in the view's order; a bad filter is still a 422 before anything is sent.
#[tokio::test]
async fn csv_export_holds_every_page_of_the_view() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let plan = piket_server::seed::Plan {
        tickets: 450,
        seed: 3,
    };
    piket_server::seed::run(&app.state, &plan).await.unwrap();
    let r = app
        .get("/api/v1/tickets/export.csv?sort=%2Bid", &admin)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let ids: Vec<i64> = r
        .body
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(ids, (1..=450).collect::<Vec<i64>>());
    let open = app
        .get("/api/v1/tickets/export.csv?status=open", &admin)
        .await
        .body;
    let counts = app.get("/api/v1/tickets/counts", &admin).await.json();
    assert_eq!(
        open.lines().count() as i64 - 1,
        counts["open"].as_i64().unwrap()
    );
    let r = app
        .get("/api/v1/tickets/export.csv?status=bogus", &admin)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
}

/// A long export answers to its caller as they are now: disabled halfway, the stream ends.
#[tokio::test]
async fn a_csv_export_ends_when_its_caller_loses_access() {
    use futures_util::StreamExt;
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let plan = piket_server::seed::Plan {
        tickets: 450,
        seed: 4,
    };
    piket_server::seed::run(&app.state, &plan).await.unwrap();
    let boss = app.user("boss@example.com", "admin", vec![]).await;
    let actor = {
        let mut conn = app.state.db.pool.acquire().await.unwrap();
        piket_server::users::accounts::load_actor(
            &mut conn,
            boss.id,
            piket_server::auth::actor::Via::System,
            "",
        )
        .await
        .unwrap()
        .unwrap()
    };
    let query = piket_server::tickets::filter::ListQuery::default();
    let export = piket_server::tickets::export::export_csv(&app.state, &actor, &query, None)
        .await
        .unwrap();
    let mut export = Box::pin(export);
    let first = export.next().await.unwrap().unwrap();
    assert_eq!(first.lines().count(), 201, "the header and the first page");
    let r = app
        .json(
            Method::PATCH,
            &format!("/api/v1/users/{}", boss.id),
            &admin,
            json!({"disabled": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(export.next().await.unwrap().is_err());
    assert!(export.next().await.is_none());
}

#[tokio::test]
async fn categories_route_tickets_and_need_settings_rights_to_change() {
    let d = desk().await;
    let r = d
        .app
        .json(
            Method::POST,
            "/api/v1/categories",
            &d.admin,
            json!({"name": "Payroll", "department_id": d.hr}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let cat = r.json()["id"].as_i64().unwrap();
    let r = d
        .app
        .json(
            Method::POST,
            "/api/v1/categories",
            &d.admin,
            json!({"name": "payroll"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = d
        .app
        .json(
            Method::POST,
            "/api/v1/categories",
            &d.tech.1,
            json!({"name": "Mine"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        d.app.get("/api/v1/categories", &d.alice.1).await.json()["items"][0]["name"],
        "Payroll"
    );
    let t = d
        .ticket(
            &d.alice.1,
            json!({"title": "Salary slip missing", "category": cat}),
        )
        .await;
    assert_eq!(t["department_id"], d.hr, "the category routes the ticket");
    assert_eq!(t["category_name"], "Payroll");
    let id = t["id"].as_i64().unwrap();
    assert_eq!(
        d.app
            .get(&format!("/api/v1/tickets/{id}"), &d.hr_tech.1)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        d.app
            .get(&format!("/api/v1/tickets/{id}"), &d.tech.1)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        d.app
            .get(&format!("/api/v1/tickets/{id}"), &d.alice.1)
            .await
            .status,
        StatusCode::OK,
        "the requester always sees their own"
    );
}

#[tokio::test]
async fn the_seeder_fills_an_empty_database_consistently_and_refuses_a_second_time() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let plan = piket_server::seed::Plan {
        tickets: 1200,
        seed: 7,
    };
    let report = piket_server::seed::run(&app.state, &plan).await.unwrap();
    assert_eq!(report.tickets, 1200);
    // Counts (from the trigger-kept counters) agree with a direct count.
    let counts = app.get("/api/v1/tickets/counts", &admin).await.json();
    let total: i64 = ["new", "open", "pending", "resolved", "closed"]
        .iter()
        .map(|s| counts[s].as_i64().unwrap())
        .sum();
    assert_eq!(total, 1200);
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tickets WHERE status = 'open'")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(counts["open"].as_i64().unwrap(), open);
    // SQLite keeps ANALYZE's summaries but no value samples (which make it re-prepare every
    // statement on each new binding; `Db::drop_plan_samples`).
    if app.state.db.backend == piket_server::db::Backend::Sqlite {
        let stat1: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_stat1")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert!(stat1 > 0, "ANALYZE ran");
        let stat4: Option<i64> = sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_stat4")
            .fetch_one(&mut *conn)
            .await
            .ok();
        assert!(matches!(stat4, None | Some(0)), "{stat4:?}");
    }
    drop(conn);
    // Planted terms are searchable, and the detail tickets carry 20 replies.
    let r = app
        .get("/api/v1/tickets?q=printer&limit=5", &admin)
        .await
        .json();
    assert_eq!(r["items"].as_array().unwrap().len(), 5);
    let replies = app.get("/api/v1/tickets/1/comments", &admin).await.json();
    assert_eq!(replies["items"].as_array().unwrap().len(), 20);
    // New tickets get fresh ids after the seeded ones (PostgreSQL sequences were moved).
    let r = app
        .json(
            Method::POST,
            "/api/v1/tickets",
            &admin,
            json!({"title": "after seeding"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["id"], 1201);
    let again = piket_server::seed::run(&app.state, &plan).await;
    assert!(matches!(
        again,
        Err(piket_server::error::AppError::Conflict(_))
    ));
}

/// Changes that read before they write, at the same time: on SQLite every one must wait its
/// turn for the write lock, never fail on a stale snapshot (a 500 from SQLITE_BUSY).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_changes_all_succeed() {
    let d = desk().await;
    let creates = (0..24).map(|i| {
        let d = &d;
        async move {
            let (key, body) = if i % 2 == 0 {
                (
                    &d.alice.1,
                    json!({"title": format!("Parallel {i}"), "description": ""}),
                )
            } else {
                (
                    &d.bob.1,
                    json!({"title": format!("Parallel {i}"), "description": ""}),
                )
            };
            d.app
                .json(Method::POST, "/api/v1/tickets", key, body)
                .await
                .status
        }
    });
    let statuses = futures_util::future::join_all(creates).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::CREATED),
        "{statuses:?}"
    );
}

/// Every search result, page by page, through both phases: the newest matches (here dense,
/// so unranked), then the older ones by recency. A technician gets exactly their department's
/// matches (none twice, none missing), whatever the other department's share of the newest.
#[tokio::test]
async fn search_pages_through_ranked_and_older_matches_within_scope() {
    let d = desk().await;
    let ranked = piket_server::tickets::service::RANKED_CANDIDATES as usize;
    let (mut it_ids, mut all_ids) = (Vec::new(), Vec::new());
    let mut title_match = 0;
    for i in 0..(ranked + 100) {
        let (key, dept) = if i % 2 == 0 {
            (&d.admin, d.it)
        } else {
            (&d.admin, d.hr)
        };
        // One recent IT ticket names the word in its title (which would rank it first).
        let title = if i == ranked {
            "Router down again".to_string()
        } else {
            format!("Request {i}")
        };
        let id = d
            .ticket(
                key,
                json!({"title": title, "description": format!("the router in room {i}"), "department": dept}),
            )
            .await["id"]
            .as_i64()
            .unwrap();
        if i == ranked {
            title_match = id;
        }
        if dept == d.it {
            it_ids.push(id);
        }
        all_ids.push(id);
    }
    for (key, expected) in [(&d.tech.1, &it_ids), (&d.admin, &all_ids)] {
        let mut seen = Vec::new();
        let mut cursor = String::new();
        let mut pages = 0;
        loop {
            let r = d
                .app
                .get(
                    &format!("/api/v1/tickets?q=router&limit=50&cursor={cursor}"),
                    key,
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            let page = r.json();
            let ids: Vec<i64> = page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_i64().unwrap())
                .collect();
            if pages == 0 {
                // Every ticket holds the word: the candidates are dense, so newest first.
                let newest = *expected.iter().max().unwrap();
                assert_eq!(
                    ids.first(),
                    Some(&newest),
                    "dense matches come newest first"
                );
                assert_ne!(ids.first(), Some(&title_match));
            }
            seen.extend(ids);
            pages += 1;
            assert!(pages < 50, "the cursor must end");
            match page["next_cursor"].as_str() {
                Some(c) => cursor = c.to_string(),
                None => break,
            }
        }
        let mut sorted = seen.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), seen.len(), "no ticket twice");
        let mut want = expected.clone();
        want.sort_unstable();
        assert_eq!(sorted, want, "every visible match, nothing else");
    }
}

/// A word in about a tenth of the tickets: more matches than the ranking window, spread wider
/// than the dense span, so the newest matches are ranked by relevance and the rest follow.
#[tokio::test]
async fn search_ranks_the_newest_matches_of_a_spread_word_then_pages_the_rest() {
    use piket_server::tickets::{search::DENSE_SPAN, service::RANKED_CANDIDATES as CAP};
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let plan = piket_server::seed::Plan {
        tickets: 4000,
        seed: 11,
    };
    piket_server::seed::run(&app.state, &plan).await.unwrap();
    // The truth, straight from the index: every ticket holding the word, newest first.
    let matches = |word: &'static str| {
        let state = app.state.clone();
        async move {
            let sql = match state.db.backend {
                piket_server::db::Backend::Sqlite => {
                    "SELECT rowid FROM ticket_search WHERE ticket_search MATCH '\"' || $1 || '\"' \
                     ORDER BY rowid DESC"
                }
                piket_server::db::Backend::Postgres => {
                    "SELECT ticket_id FROM ticket_search \
                     WHERE all_doc @@ websearch_to_tsquery('simple', $1) ORDER BY ticket_id DESC"
                }
            };
            let mut conn = state.db.pool.acquire().await.unwrap();
            sqlx::query_scalar::<_, i64>(sql)
                .bind(word)
                .fetch_all(&mut *conn)
                .await
                .unwrap()
        }
    };
    let mut chosen = None;
    let mut tried = Vec::new();
    for word in [
        "again",
        "yesterday",
        "morning",
        "since",
        "urgent",
        "upgrade",
        "memory",
        "full",
        "disk",
        "boot",
        "freeze",
        "crash",
    ] {
        let ids = matches(word).await;
        let cap = CAP as usize;
        tried.push((word, ids.len(), ids.get(cap - 1).map(|last| ids[0] - last)));
        if ids.len() > cap + 50 && ids[0] - ids[cap - 1] >= CAP * DENSE_SPAN {
            chosen = Some((word, ids));
            break;
        }
    }
    let (word, all) = chosen
        .unwrap_or_else(|| panic!("no seeded word spread wider than the dense span: {tried:?}"));

    let (mut ranked, mut older, mut cursor) = (Vec::new(), Vec::new(), String::new());
    for _ in 0..100 {
        let r = app
            .get(
                &format!("/api/v1/tickets?q={word}&limit=50&cursor={cursor}"),
                &admin,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let page = r.json();
        let ids = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_i64().unwrap());
        if cursor.is_empty() || cursor.starts_with('r') {
            ranked.extend(ids);
        } else {
            older.extend(ids);
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    // The ranked phase holds exactly the newest CAP matches, by relevance (not by recency).
    let window: Vec<i64> = all[..CAP as usize].to_vec();
    let mut got = ranked.clone();
    got.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(got, window, "the ranked phase is the newest {CAP} matches");
    assert_ne!(
        ranked, window,
        "…ranked by relevance, not listed newest first"
    );
    // Then every older match, newest first, each once.
    assert_eq!(older, all[CAP as usize..].to_vec());
}

/// PostgreSQL first looks for a word's newest matches among the newest blocks of tickets
/// (block lexemes in the documents). Whether the window holds enough matches or has to give
/// way to collecting every match, the ranked page must be the one collecting every match
/// finds, for staff (`all_doc`) and requesters (`public_doc`) alike.
#[tokio::test]
async fn postgres_window_search_ranks_the_same_page_as_collecting_every_match() {
    use piket_server::db::Backend;
    use piket_server::tickets::search::{self, Plan, SearchQuery};
    use piket_server::tickets::service::RANKED_CANDIDATES as CAP;
    let app = TestApp::new().await;
    if app.state.db.backend != Backend::Postgres {
        eprintln!("SKIPPED: the search window is PostgreSQL's (set PIKET_TEST_DATABASE_URL)");
        return;
    }
    // 10 000 tickets: blocks 0, 1 and 2 (from 8192), the newest holding 1 809 tickets.
    let plan = piket_server::seed::Plan {
        tickets: 10_000,
        seed: 5,
    };
    piket_server::seed::run(&app.state, &plan).await.unwrap();
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    let stats = search::index_stats(&mut conn).await.unwrap();
    // The words that get block lexemes are kept by the `simple` parser as they are, lowercased,
    // which is what lets `window_word` name the lexeme without asking the database.
    for word in ["firmware", "X200", "007", "abc123def", "1e5", "Kalibrasi"] {
        let (lexemes,): (String,) = sqlx::query_as("SELECT CAST(to_tsquery('simple', $1) AS TEXT)")
            .bind(SearchQuery::parse(word).tsquery())
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(
            lexemes,
            format!("'{}'", word.to_ascii_lowercase()),
            "{word}"
        );
        assert!(
            search::window_word(&SearchQuery::parse(word), &stats).is_some(),
            "{word}"
        );
    }
    let mut widened_seen = (false, false);
    for (word, staff) in [
        ("printer", true),
        ("printer", false),
        ("firmware", true),
        ("kalibrasi", true),
        ("printer firmware", false),
        ("Printer FIRMWARE", true),
        ("printer or firmware", true),
        ("printer -firmware", false),
        ("\"printer firmware\"", true),
        ("firm*", true),
        ("-printer", true),
        (" -- ", true),
    ] {
        let query = SearchQuery::parse(word);
        let every = search::ranked_page(
            &mut conn,
            Backend::Postgres,
            &query,
            staff,
            &Plan {
                index_first: true,
                ..Plan::default()
            },
            CAP,
            (0, 50),
            |_| Ok(()),
        )
        .await
        .unwrap();
        // Narrowed by the word's block lexemes where the server would, and by the blocks alone.
        let narrowing = search::window_word(&query, &stats);
        let words = [narrowing.clone(), None];
        let mut sufficed = Vec::new();
        for (span, window_word) in [search::BLOCK, 6000, 1 << 40]
            .into_iter()
            .flat_map(|span| words.iter().map(move |w| (span, w.clone())))
        {
            let window = Plan {
                index_first: false,
                span,
                window_word: window_word.clone(),
            };
            let got = search::ranked_page(
                &mut conn,
                Backend::Postgres,
                &query,
                staff,
                &window,
                CAP,
                (0, 50),
                |_| Ok(()),
            )
            .await
            .unwrap();
            let (Some(got), Some(every)) = (&got, &every) else {
                assert_eq!(got.is_some(), every.is_some(), "{word}");
                continue;
            };
            let ids = |p: &search::RankedPage| p.rows.iter().map(|r| r.id).collect::<Vec<_>>();
            let ctx = format!("{word:?} staff={staff} span={span} by {window_word:?}");
            assert_eq!(ids(got), ids(every), "{ctx}");
            assert_eq!(
                (got.considered, got.visible, got.oldest),
                (every.considered, every.visible, every.oldest),
                "{ctx}"
            );
            // The word's block lexemes hold every match in the window: narrowing by them
            // suffices exactly when narrowing by the blocks does.
            sufficed.push((span, window_word.is_some(), got.widened));
            if got.widened {
                widened_seen.1 = true;
            } else {
                widened_seen.0 = true;
                assert_eq!(
                    got.considered, CAP,
                    "{ctx}: a window that sufficed held the cap"
                );
            }
        }
        for pair in sufficed.chunks(2) {
            if let [(span, true, by_word), (_, false, by_blocks)] = pair {
                assert_eq!(by_word, by_blocks, "{word:?} staff={staff} span={span}");
            }
        }
        if word == "printer" {
            assert!(
                narrowing.is_some() && sufficed.iter().any(|(_, w, widened)| *w && !widened),
                "{word:?}: the word's block lexemes were used and sufficed somewhere"
            );
        }
    }
    assert_eq!(
        widened_seen,
        (true, true),
        "both a window that held the cap and one that gave way were tried"
    );
}
