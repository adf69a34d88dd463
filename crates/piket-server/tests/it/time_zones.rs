//! Time zones (issue #19, part 3): pages show times in the reader's zone (their own, else the
//! organisation's, else the SLA calendar's offset), one format, the exact time on hover; the
//! browser's zone is offered once; typed dates are local days; page CSV states its offset while
//! the API stays UTC. The test clock stands at 2026-09-21 14:13:20 UTC.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::http::{Method, StatusCode};
use common::desk::{new_desk, Dept};
use common::signed_in;

async fn ticket(d: &common::desk::Desk, key: &str) -> i64 {
    let r = d
        .app
        .json(
            Method::POST,
            "/api/v1/tickets",
            key,
            serde_json::json!({"title": "Clock on the wall", "description": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["id"].as_i64().unwrap()
}

#[tokio::test]
async fn pages_follow_the_readers_zone_then_the_organisations() {
    let d = new_desk()
        .keyed("tech", "Technician", Dept::It)
        .build()
        .await;
    let id = ticket(&d, &d.key("tech")).await;
    let page = format!("/tickets/{id}");

    // Nobody chose a zone: the SLA calendar's offset (UTC+07:00 by default).
    let mut tech = signed_in(&d.app, "tech@example.com").await;
    let body = tech.get(&page).await.body;
    assert!(body.contains("2026-09-21 21:13"), "{body}");
    assert!(!body.contains("2026-09-21 14:13"), "not UTC");
    assert!(
        body.contains("datetime=\"2026-09-21T14:13:20"),
        "the machine time stays UTC"
    );

    // An admin sets the organisation's zone; everyone without their own follows it.
    let mut root = signed_in(&d.app, "root@example.com").await;
    let r = root
        .post("/admin/organisation", &[("time_zone", "Europe/Athens")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let body = tech.get(&page).await.body;
    assert!(
        body.contains("2026-09-21 17:13"),
        "Athens in summer is UTC+3"
    );
    assert!(body.contains("EEST"), "the zone on hover");

    // Their own zone wins.
    let r = tech
        .post(
            "/profile",
            &[
                ("name", "Tech"),
                ("locale", ""),
                ("time_zone", "Asia/Tokyo"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let body = tech.get(&page).await.body;
    assert!(body.contains("2026-09-21 23:13"), "Tokyo is UTC+9");
    // Empty goes back to the organisation's.
    tech.post(
        "/profile",
        &[("name", "Tech"), ("locale", ""), ("time_zone", "")],
    )
    .await;
    assert!(tech.get(&page).await.body.contains("2026-09-21 17:13"));

    // The API keeps UTC.
    let r = d.app.get(&format!("/api/v1/tickets/{id}"), &d.admin).await;
    assert!(r.json()["created_at"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn unknown_zones_are_refused_and_change_nothing() {
    let d = new_desk()
        .keyed("tech", "Technician", Dept::It)
        .build()
        .await;
    let mut root = signed_in(&d.app, "root@example.com").await;
    for bad in [
        "Mars/Olympus",
        "../../etc/passwd",
        "UTC+25:00",
        &"x".repeat(500),
    ] {
        let r = root
            .post("/admin/organisation", &[("time_zone", bad)])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let mut tech = signed_in(&d.app, "tech@example.com").await;
    let r = tech
        .post(
            "/profile",
            &[
                ("name", "Tech"),
                ("locale", ""),
                ("time_zone", "Nowhere/Land"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Only admins set the organisation's zone.
    let r = tech
        .post("/admin/organisation", &[("time_zone", "Asia/Tokyo")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let page = root.get("/admin/organisation").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("value=\"\""), "still unset");
    assert!(
        page.body.contains("UTC+07:00"),
        "falls back to the calendar's offset"
    );
    // The change that did happen is audited under the zone's proper name; the refused ones
    // are not.
    let r = root
        .post("/admin/organisation", &[("time_zone", "asia/jakarta")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let log = d
        .app
        .get("/api/v1/audit?action=org.time_zone", &d.admin)
        .await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.body);
    let items = log.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1, "{items:?}");
    assert!(items[0].to_string().contains("Asia/Jakarta"), "{items:?}");
}

#[tokio::test]
async fn the_browsers_zone_is_offered_once() {
    let d = new_desk()
        .keyed("tech", "Technician", Dept::It)
        .build()
        .await;
    let mut tech = signed_in(&d.app, "tech@example.com").await;
    assert!(tech.get("/").await.body.contains("id=\"zone-offer\""));
    // Taking the browser's zone returns to the page it was offered on, never elsewhere.
    let r = tech
        .post(
            "/profile/time-zone",
            &[("time_zone", "Asia/Makassar"), ("back", "//evil.example/x")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.header("location"), "/");
    let home = tech.get("/tickets").await.body;
    assert!(!home.contains("id=\"zone-offer\""), "offered once");
    let r = d.app.get("/api/v1/me", &d.key("tech")).await;
    assert_eq!(r.json()["time_zone"], "Asia/Makassar", "{}", r.body);

    // "Keep it" follows the organisation and also ends the offer.
    let d2 = new_desk().keyed("ana", "requester", Dept::It).build().await;
    let mut ana = signed_in(&d2.app, "ana@example.com").await;
    let r = ana
        .post(
            "/profile/time-zone",
            &[("time_zone", ""), ("back", "/tickets")],
        )
        .await;
    assert_eq!(r.header("location"), "/tickets");
    assert!(!ana.get("/").await.body.contains("id=\"zone-offer\""));
    let r = d2.app.get("/api/v1/me", &d2.key("ana")).await;
    assert!(r.json()["time_zone"].is_null(), "{}", r.body);
}

#[tokio::test]
async fn typed_dates_are_local_days_and_page_csv_states_its_offset() {
    let d = new_desk()
        .keyed("tech", "Technician", Dept::It)
        .build()
        .await;
    let id = ticket(&d, &d.admin).await;
    let mut root = signed_in(&d.app, "root@example.com").await;
    root.post("/admin/organisation", &[("time_zone", "Asia/Jakarta")])
        .await;
    let page = root.get(&format!("/tickets/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    // A due date typed on the page is that day in Jakarta.
    let r = root
        .post(
            &format!("/tickets/{id}"),
            &[("due_at", "2026-10-01"), ("due_at_was", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let t = d
        .app
        .get(&format!("/api/v1/tickets/{id}"), &d.admin)
        .await
        .json();
    assert_eq!(t["due_at"], "2026-09-30T17:00:00Z");
    let page = root.get(&format!("/tickets/{id}")).await.body;
    assert!(
        page.contains("value=\"2026-10-01\""),
        "shown as the local day"
    );
    // Sent back untouched, the date is not a change (no history entry).
    let before = d
        .app
        .get(&format!("/api/v1/tickets/{id}/history"), &d.admin)
        .await
        .json();
    root.post(
        &format!("/tickets/{id}"),
        &[("due_at", "2026-10-01"), ("due_at_was", "2026-10-01")],
    )
    .await;
    let after = d
        .app
        .get(&format!("/api/v1/tickets/{id}/history"), &d.admin)
        .await
        .json();
    assert_eq!(before, after);

    // The list page's CSV gives local times with their offset; the API's stays UTC.
    let csv = root.get("/tickets/export.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.body.contains("2026-09-21T21:13:20+07:00"),
        "{}",
        csv.body
    );
    let api = d.app.get("/api/v1/tickets/export.csv", &d.admin).await;
    assert!(api.body.contains("2026-09-21T14:13:20"), "{}", api.body);
    assert!(!api.body.contains("+07:00"));

    // A page's date filter is a local day: created on the 21st in Jakarta, so the 22nd excludes it.
    let list = root.get("/tickets?created_from=2026-09-22").await.body;
    assert!(!list.contains(&format!("href=\"/tickets/{id}\"")));
    let list = root.get("/tickets?created_from=2026-09-21").await.body;
    assert!(list.contains(&format!("href=\"/tickets/{id}\"")));
}
