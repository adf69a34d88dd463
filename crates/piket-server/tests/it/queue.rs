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

#[tokio::test]
async fn every_view_is_counted_after_the_page_within_the_readers_reach() {
    let d = new_desk()
        .keyed("tech", "technician", Dept::It)
        .keyed("ana", "requester", Dept::It)
        .hr()
        .build()
        .await;
    let (tech, _) = d.person("tech");
    let file = |dept: i64, assignee: Option<i64>| {
        let app = &d.app;
        let admin = d.admin.clone();
        async move {
            let r = app
                .json(
                    Method::POST,
                    "/api/v1/tickets",
                    &admin,
                    serde_json::json!({"title": "Counted", "department": dept, "assignee": assignee}),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        }
    };
    for _ in 0..2 {
        file(d.it, Some(tech)).await;
    }
    for _ in 0..3 {
        file(d.it, None).await;
    }
    // Out of the technician's reach: never counted for them.
    file(d.hr, None).await;

    let mut t = signed_in(&d.app, "tech@example.com").await;
    // The page leaves the views the counters cannot answer for its script to fill in.
    let list = t.get("/tickets").await.body;
    let mine = &list[list.find("data-view=\"view=mine\"").expect("the view")..];
    let mine = &mine[..mine.find("</a>").unwrap()];
    assert!(
        mine.contains("<span class=\"count\" hidden></span>"),
        "{mine}"
    );
    let r = t.get("/tickets/view-counts").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let counts = r.json();
    assert_eq!(counts["view=mine"], "2", "{counts}");
    assert_eq!(counts["view=unassigned"], "3", "{counts}");
    assert_eq!(counts[""], "5", "active, within reach: {counts}");

    // A requester gets their own counts, and no staff views.
    let mut ana = signed_in(&d.app, "ana@example.com").await;
    let counts = ana.get("/tickets/view-counts").await.json();
    assert_eq!(counts[""], "0", "{counts}");
    assert!(counts.get("view=unassigned").is_none(), "{counts}");
}

#[tokio::test]
async fn a_search_has_a_total_page_numbers_and_a_way_back() {
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
                serde_json::json!({"title": format!("Printer jam {i}"), "description": "", "department": d.it}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        ids.push(r.json()["id"].as_i64().unwrap());
    }
    let mut t = signed_in(&d.app, "tech@example.com").await;
    let one = t.get("/tickets?q=printer&limit=3").await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(total(&one.body), "1–3 of 7", "{}", one.body);
    assert!(rel(&one.body, "prev").is_none());
    let two = t.get(&rel(&one.body, "next").unwrap()).await;
    assert_eq!(total(&two.body), "4–6 of 7");
    // Back from page two is page one again.
    let back = rel(&two.body, "prev").unwrap();
    assert_eq!(rows(&t.get(&back).await.body), rows(&one.body));
    // Page three by its number holds the last match; together the pages hold each once.
    let pager = &one.body[one.body.find("id=\"pager-top\"").unwrap()..];
    assert!(pager.contains("page=3\" class=\"num\">3</a>"), "{pager}");
    let three = t.get("/tickets?q=printer&limit=3&page=3").await;
    assert_eq!(total(&three.body), "7–7 of 7");
    let mut seen: Vec<i64> = [rows(&one.body), rows(&two.body), rows(&three.body)].concat();
    seen.sort();
    assert_eq!(seen, ids);
}
