//! The ticket list page as a queue (issue 19): its total, previous and next by cursor, page numbers
//! by position, closed tickets out of the default view, counts on every view and the status
//! counts within the active view, an empty search named, and the rows' density remembered.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::http::{Method, StatusCode};
use common::desk::{new_desk, Dept};
use common::signed_in;

/// The ids of the rows on a list page, in order.
fn rows(body: &str) -> Vec<i64> {
    body.split("<tr data-id=\"")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].parse().unwrap())
        .collect()
}

/// The text of the pager's total ("1–3 of 7").
fn total(body: &str) -> String {
    let at = body.find("id=\"queue-total\">").unwrap() + "id=\"queue-total\">".len();
    let text = &body[at..at + body[at..].find("</p>").unwrap()];
    text.replace("<span id=\"queue-count\">", "")
        .replace("</span>", "")
}

/// The href of the first link with this `rel`, unescaped.
fn rel(body: &str, rel: &str) -> Option<String> {
    let marker = format!("\" rel=\"{rel}\"");
    let end = body.find(&marker)?;
    let start = body[..end].rfind("href=\"")? + "href=\"".len();
    Some(body[start..end].replace("&#38;", "&"))
}

#[tokio::test]
async fn the_queue_pages_both_ways_with_a_total_and_leaves_closed_tickets_out() {
    let d = new_desk()
        .member("tech", "technician", Dept::It)
        .build()
        .await;
    let mut ids = Vec::new();
    for i in 1..=7 {
        let r = d
            .app
            .json(
                Method::POST,
                "/api/v1/tickets",
                &d.admin,
                serde_json::json!({"title": format!("Queue {i}"), "description": "", "department": d.it}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        ids.push(r.json()["id"].as_i64().unwrap());
    }
    ids.reverse(); // newest first, as the list shows them
    let mut t = signed_in(&d.app, "tech@example.com").await;

    // Page one of three: a total, page numbers, a next but no previous.
    let one = t.get("/tickets?limit=3").await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(rows(&one.body), ids[..3]);
    assert_eq!(total(&one.body), "1–3 of 7");
    assert!(rel(&one.body, "prev").is_none());
    let pager = &one.body[one.body.find("id=\"pager-top\"").unwrap()..];
    assert!(
        pager.contains("href=\"/tickets?limit=3&#38;page=3\" class=\"num\">3</a>"),
        "{}",
        &pager[..pager.find("</nav>").unwrap()]
    );
    let next = rel(&one.body, "next").unwrap();
    let two = t.get(&next).await;
    assert_eq!(rows(&two.body), ids[3..6]);
    assert_eq!(total(&two.body), "4–6 of 7");
    let three = t.get(&rel(&two.body, "next").unwrap()).await;
    assert_eq!(rows(&three.body), ids[6..]);
    assert_eq!(total(&three.body), "7–7 of 7");
    assert!(rel(&three.body, "next").is_none());
    // Back by cursor, page by page, to the first (whose link carries no cursor).
    let back = t.get(&rel(&three.body, "prev").unwrap()).await;
    assert_eq!(rows(&back.body), ids[3..6]);
    assert_eq!(total(&back.body), "4–6 of 7");
    let first = rel(&back.body, "prev").unwrap();
    assert_eq!(first, "/tickets?limit=3");
    // A page by its number.
    let by_number = t.get("/tickets?limit=3&page=2").await;
    assert_eq!(rows(&by_number.body), ids[3..6]);
    assert_eq!(total(&by_number.body), "4–6 of 7");
    assert!(rel(&by_number.body, "prev").is_some());

    // A closed ticket leaves the default view and its counts; asking for every status shows it.
    let closed = ids[0];
    let r = d
        .app
        .json(
            Method::PATCH,
            &format!("/api/v1/tickets/{closed}"),
            &d.admin,
            serde_json::json!({"status": "closed"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let list = t.get("/tickets").await.body;
    assert!(!rows(&list).contains(&closed));
    assert_eq!(total(&list), "1–6 of 6");
    assert!(
        list.contains(">Active tickets <span class=\"count\">6</span>"),
        "{list}"
    );
    assert!(list.contains(">All tickets <span class=\"count\">7</span>"));
    // Views other than status ones show no count (counting them made the list 4x slower).
    assert!(
        list.contains(">Unassigned</a>") || list.contains(">Unassigned <"),
        "{list}"
    );
    assert!(
        !list.contains(">Unassigned <span class=\"count\">"),
        "{list}"
    );
    let all = t
        .get("/tickets?status=new%2Copen%2Cpending%2Cresolved%2Cclosed")
        .await
        .body;
    assert!(rows(&all).contains(&closed));
    assert_eq!(total(&all), "1–7 of 7");
    // The API's default is unchanged: every status.
    let api = d.app.get("/api/v1/tickets", &d.admin).await.json();
    assert_eq!(api["items"].as_array().unwrap().len(), 7);

    // The side panel's status counts follow the active view.
    let r = d
        .app
        .json(
            Method::PATCH,
            &format!("/api/v1/tickets/{}", ids[1]),
            &d.admin,
            serde_json::json!({"priority": "urgent"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let urgent = t.get("/tickets?priority=urgent").await.body;
    assert!(urgent.contains("data-status=\"new\">1</span>"), "{urgent}");
    assert!(urgent.contains("data-status=\"closed\">0</span>"));
    assert_eq!(total(&urgent), "1–1 of 1");
    let everything = t.get("/tickets").await.body;
    assert!(everything.contains("data-status=\"new\">6</span>"));
    assert!(everything.contains("data-status=\"closed\">1</span>"));

    // An empty search names what was searched for and offers closed tickets too.
    let none = t.get("/tickets?q=zebracorn").await.body;
    assert!(rows(&none).is_empty());
    assert!(none.contains("No tickets match “zebracorn”."), "{none}");
    assert!(none.contains("Search closed tickets too"));

    // A bad cursor is a refused filter, not a 500.
    let bad = t.get("/tickets?cursor=bnope").await;
    assert_eq!(bad.status, StatusCode::OK);
    assert!(rows(&bad.body).is_empty());
}

#[tokio::test]
async fn the_rows_density_is_remembered_in_a_cookie() {
    let d = new_desk()
        .member("tech", "technician", Dept::It)
        .build()
        .await;
    let mut t = signed_in(&d.app, "tech@example.com").await;
    assert!(!t.get("/tickets").await.body.contains("queue compact"));
    let r = t.get("/tickets?density=compact").await;
    assert!(r.body.contains("class=\"card grow queue compact\""));
    assert!(r.header("set-cookie").starts_with("piket_density=compact;"));
    assert!(t.get("/tickets").await.body.contains("queue compact"));
    let r = t.get("/tickets?density=comfortable").await;
    assert!(!r.body.contains("queue compact"));
    assert!(!t.get("/tickets").await.body.contains("queue compact"));
}
