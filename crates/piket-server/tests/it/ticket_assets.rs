//! Tickets that reference hardware assets: linking at creation and by PATCH within the actor's
//! reach, the asset's ticket list within the viewer's ticket scope, links gone with the asset,
//! the new-ticket form preselecting the requester's main device, and both pages listing the link.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::desk::{new_desk, Dept};
use common::{signed_in, Reply, TestApp};
use serde_json::{json, Value};

const HW: &str = "/api/v1/inventory/hardware";
const TK: &str = "/api/v1/tickets";

/// An admin, IT and HR, a technician in each, requesters Budi and Sari in IT.
struct Desk {
    app: TestApp,
    admin: String,
    it: i64,
    hr: i64,
    tech: String,
    hr_tech: String,
    budi: (i64, String),
    sari: (i64, String),
}

async fn desk() -> Desk {
    let d = new_desk()
        .hr()
        .keyed("tech", "technician", Dept::It)
        .keyed("hrtech", "technician", Dept::Hr)
        .keyed("budi", "requester", Dept::It)
        .keyed("sari", "requester", Dept::It)
        .build()
        .await;
    Desk {
        tech: d.key("tech"),
        hr_tech: d.key("hrtech"),
        budi: d.person("budi"),
        sari: d.person("sari"),
        admin: d.admin,
        it: d.it,
        hr: d.hr,
        app: d.app,
    }
}

impl Desk {
    async fn send(&self, method: Method, path: &str, key: &str, body: Value) -> Reply {
        self.app.json(method, path, key, body).await
    }
    async fn asset(&self, body: Value) -> i64 {
        let r = self.send(Method::POST, HW, &self.admin, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.json()["id"].as_i64().unwrap()
    }
    async fn ticket(&self, key: &str, body: Value) -> Reply {
        self.send(Method::POST, TK, key, body).await
    }
    async fn ticket_count(&self) -> i64 {
        let mut conn = self.app.state.db.pool.acquire().await.unwrap();
        sqlx::query_scalar("SELECT COUNT(*) FROM tickets")
            .fetch_one(&mut *conn)
            .await
            .unwrap()
    }
    async fn asset_ticket_ids(&self, asset: i64, key: &str) -> Reply {
        self.app.get(&format!("{HW}/{asset}/tickets"), key).await
    }
}

fn ids(v: &Value, key: &str) -> Vec<i64> {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_requester_links_their_own_device_at_creation() {
    let d = desk().await;
    let pc = d
        .asset(json!({"name": "Budi PC", "type": "desktop", "asset_tag": "IT-001", "hostname": "budi-pc",
            "owner_id": d.budi.0, "department_id": d.it}))
        .await;
    let r = d
        .ticket(
            &d.budi.1,
            json!({"title": "Screen flickers", "asset_ids": [pc, pc]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let t = r.json();
    assert_eq!(ids(&t, "assets"), vec![pc]);
    assert_eq!(t["assets"][0]["asset_tag"], "IT-001");
    assert_eq!(t["assets"][0]["hostname"], "budi-pc");
    assert_eq!(t["assets"][0]["name"], "Budi PC");
    let id = t["id"].as_i64().unwrap();
    let got = d.app.get(&format!("{TK}/{id}"), &d.budi.1).await.json();
    assert_eq!(ids(&got, "assets"), vec![pc]);
    let history = d
        .app
        .get(&format!("{TK}/{id}/history"), &d.admin)
        .await
        .json();
    assert!(
        history["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["field"] == "assets" && h["new_value"] == format!("#{pc} Budi PC")),
        "{history}"
    );
    assert_eq!(d.app.audit_count("ticket.assets").await, 1);
}

#[tokio::test]
async fn a_requester_cannot_link_someone_elses_device() {
    let d = desk().await;
    let sari_pc = d
        .asset(json!({"name": "Sari PC", "type": "desktop", "owner_id": d.sari.0, "department_id": d.it}))
        .await;
    let before = d.ticket_count().await;
    let r = d
        .ticket(
            &d.budi.1,
            json!({"title": "Not mine", "asset_ids": [sari_pc]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("asset_ids"), "{}", r.body);
    // An id that does not exist is refused the same way.
    let r = d
        .ticket(
            &d.budi.1,
            json!({"title": "Nothing", "asset_ids": [999_999]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // More than twenty is refused too.
    let many: Vec<i64> = (1..=21).collect();
    let r = d
        .ticket(&d.admin, json!({"title": "Many", "asset_ids": many}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(d.ticket_count().await, before);
    assert_eq!(d.app.audit_count("ticket.assets").await, 0);
}

#[tokio::test]
async fn staff_replace_links_by_patch_within_their_reach() {
    let d = desk().await;
    let a = d
        .asset(json!({"name": "IT laptop", "type": "laptop", "department_id": d.it}))
        .await;
    let b = d
        .asset(json!({"name": "IT printer", "type": "printer", "department_id": d.it}))
        .await;
    let hr_pc = d
        .asset(json!({"name": "HR PC", "type": "desktop", "department_id": d.hr}))
        .await;
    let r = d
        .ticket(&d.budi.1, json!({"title": "Printing fails"}))
        .await;
    let id = r.json()["id"].as_i64().unwrap();
    let path = format!("{TK}/{id}");
    let r = d
        .send(Method::PATCH, &path, &d.tech, json!({"asset_ids": [a]}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(ids(&r.json(), "assets"), vec![a]);
    let r = d
        .send(Method::PATCH, &path, &d.tech, json!({"asset_ids": [b]}))
        .await;
    assert_eq!(ids(&r.json(), "assets"), vec![b]);
    // The IT technician does not reach HR's asset: nothing changes.
    let r = d
        .send(
            Method::PATCH,
            &path,
            &d.tech,
            json!({"asset_ids": [b, hr_pc]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let got = d.app.get(&path, &d.admin).await.json();
    assert_eq!(ids(&got, "assets"), vec![b]);
    // An admin links it; the technician may then keep it while changing the rest.
    let r = d
        .send(
            Method::PATCH,
            &path,
            &d.admin,
            json!({"asset_ids": [b, hr_pc]}),
        )
        .await;
    assert_eq!(ids(&r.json(), "assets"), vec![b, hr_pc]);
    let r = d
        .send(
            Method::PATCH,
            &path,
            &d.tech,
            json!({"asset_ids": [a, hr_pc]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(ids(&r.json(), "assets"), vec![a, hr_pc]);
    // Requesters do not edit links.
    let r = d
        .send(Method::PATCH, &path, &d.budi.1, json!({"asset_ids": []}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = d
        .send(Method::PATCH, &path, &d.tech, json!({"asset_ids": []}))
        .await;
    assert!(ids(&r.json(), "assets").is_empty());
    let history = d.app.get(&format!("{path}/history"), &d.admin).await.json();
    let changes = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["field"] == "assets")
        .count();
    assert_eq!(changes, 5, "{history}");
    assert_eq!(d.app.audit_count("ticket.assets").await, 5);
}

#[tokio::test]
async fn an_assets_tickets_are_listed_within_the_viewers_scope() {
    let d = desk().await;
    let shared = d
        .asset(json!({"name": "Shared printer", "type": "printer", "department_id": d.it}))
        .await;
    let budi = d
        .ticket(
            &d.admin,
            json!({"title": "Budi's", "requester": d.budi.0, "asset_ids": [shared]}),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let sari = d
        .ticket(&d.admin, json!({"title": "Sari's", "requester": d.sari.0, "department": d.it, "asset_ids": [shared]}))
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let hr = d
        .ticket(
            &d.admin,
            json!({"title": "HR's", "department": d.hr, "asset_ids": [shared]}),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let all = d.asset_ticket_ids(shared, &d.admin).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    assert_eq!(ids(&all.json(), "items"), vec![hr, sari, budi]);
    let tech = d.asset_ticket_ids(shared, &d.tech).await.json();
    assert_eq!(ids(&tech, "items"), vec![sari, budi]);
    // Budi does not own the printer: it is out of his reach altogether.
    let r = d.asset_ticket_ids(shared, &d.budi.1).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    // The HR technician does not reach the IT printer.
    let r = d.asset_ticket_ids(shared, &d.hr_tech).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    // His own device lists only his tickets.
    let own = d
        .asset(json!({"name": "Budi PC", "type": "desktop", "owner_id": d.budi.0, "department_id": d.it}))
        .await;
    let mine = d
        .ticket(&d.budi.1, json!({"title": "Mine", "asset_ids": [own]}))
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    d.send(
        Method::PATCH,
        &format!("{TK}/{hr}"),
        &d.admin,
        json!({"asset_ids": [shared, own]}),
    )
    .await;
    let r = d.asset_ticket_ids(own, &d.budi.1).await.json();
    assert_eq!(ids(&r, "items"), vec![mine]);
    let r = d.asset_ticket_ids(own, &d.admin).await.json();
    assert_eq!(ids(&r, "items"), vec![mine, hr]);
}

#[tokio::test]
async fn deleting_an_asset_removes_its_links_but_not_the_tickets() {
    let d = desk().await;
    let pc = d
        .asset(json!({"name": "Old PC", "type": "desktop", "department_id": d.it}))
        .await;
    let t = d
        .ticket(
            &d.admin,
            json!({"title": "Old PC is slow", "asset_ids": [pc]}),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let r = d
        .send(Method::DELETE, &format!("{HW}/{pc}"), &d.admin, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = d.app.get(&format!("{TK}/{t}"), &d.admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(ids(&r.json(), "assets").is_empty());
    let mut conn = d.app.state.db.pool.acquire().await.unwrap();
    let links: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ticket_assets")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(links, 0);
}

#[tokio::test]
async fn the_pages_preselect_the_main_device_and_show_the_links() {
    let d = desk().await;
    let spare = d
        .asset(json!({"name": "Budi spare", "type": "laptop", "owner_id": d.budi.0, "department_id": d.it}))
        .await;
    let main = d
        .asset(json!({"name": "Budi main", "type": "desktop", "asset_tag": "IT-042", "owner_id": d.budi.0,
            "department_id": d.it, "is_main": true}))
        .await;
    let other = d
        .asset(json!({"name": "Sari PC", "type": "desktop", "owner_id": d.sari.0, "department_id": d.it}))
        .await;
    let mut budi = signed_in(&d.app, "budi@example.com").await;
    let r = budi.get("/tickets/new").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body
            .contains(&format!("<option value=\"{main}\" selected>")),
        "{}",
        r.body
    );
    assert!(
        r.body.contains(&format!("<option value=\"{spare}\" >")),
        "{}",
        r.body
    );
    assert!(!r.body.contains("Sari PC"), "{}", r.body);
    let main_s = main.to_string();
    let r = budi
        .post(
            "/tickets",
            &[("title", "Keyboard dead"), ("asset", &main_s)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let location = r.header("location");
    let id: i64 = location
        .trim_start_matches("/tickets/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    // Someone else's device posted by hand is refused and nothing is filed.
    let before = d.ticket_count().await;
    let other_s = other.to_string();
    let r = budi
        .post("/tickets", &[("title", "Sneaky"), ("asset", &other_s)])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(d.ticket_count().await, before);
    // The requester sees the device by name, without an inventory link.
    let r = budi.get(&format!("/tickets/{id}")).await;
    assert!(r.body.contains("Budi main"), "{}", r.body);
    assert!(
        !r.body.contains(&format!("href=\"/inventory/{main}\"")),
        "{}",
        r.body
    );

    let mut tech = signed_in(&d.app, "tech@example.com").await;
    let r = tech.get(&format!("/tickets/{id}")).await;
    assert!(
        r.body
            .contains(&format!("<a href=\"/inventory/{main}\">Budi main</a>")),
        "{}",
        r.body
    );
    // Link by asset tag, then remove the main device, without JavaScript.
    let spare_s = spare.to_string();
    let r = tech
        .post(
            &format!("/tickets/{id}/assets"),
            &[("asset", ""), ("asset_ref", &spare_s)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = tech
        .post(
            &format!("/tickets/{id}/assets"),
            &[("asset", ""), ("asset_ref", "no-such-tag")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = tech
        .post(&format!("/tickets/{id}/assets/{main}/delete"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let got = d.app.get(&format!("{TK}/{id}"), &d.admin).await.json();
    assert_eq!(ids(&got, "assets"), vec![spare]);
    let r = tech
        .post(
            &format!("/tickets/{id}/assets"),
            &[("asset", &main_s), ("asset_ref", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = tech
        .post(&format!("/tickets/{id}/assets"), &[("asset_ref", "it-042")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let got = d.app.get(&format!("{TK}/{id}"), &d.admin).await.json();
    assert_eq!(ids(&got, "assets"), vec![spare, main]);

    // The asset page lists the ticket; the HR technician cannot open it at all.
    let r = tech.get(&format!("/inventory/{main}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body
            .contains(&format!("<a href=\"/tickets/{id}\">Keyboard dead</a>")),
        "{}",
        r.body
    );
    let mut hr = signed_in(&d.app, "hrtech@example.com").await;
    assert_eq!(
        hr.get(&format!("/inventory/{main}")).await.status,
        StatusCode::NOT_FOUND
    );
    // Budi's own device page lists his ticket too.
    let r = budi.get(&format!("/inventory/{main}")).await;
    assert!(r.body.contains("Keyboard dead"), "{}", r.body);
}

/// Guards against a lost update (#18): the page's link and unlink read the ticket's assets in one
/// transaction and wrote the whole list in another, so two people linking at once kept only one
/// of the two. Each now changes the list as it stands inside its own change.
#[tokio::test]
async fn two_people_linking_assets_at_once_both_keep_theirs() {
    let d = desk().await;
    let other = d
        .app
        .user("tech2@example.com", "technician", vec![d.it])
        .await;
    assert!(other.id > 0);
    let r = d
        .ticket(
            &d.tech,
            json!({"title": "Slow network", "department": d.it}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_i64().unwrap();
    let mut one = signed_in(&d.app, "tech@example.com").await;
    let mut two = signed_in(&d.app, "tech2@example.com").await;
    let mut expected = Vec::new();
    for round in 0..4 {
        let a = d
            .asset(json!({"name": format!("Switch {round}a"), "type": "network", "department_id": d.it}))
            .await;
        let b = d
            .asset(json!({"name": format!("Switch {round}b"), "type": "network", "department_id": d.it}))
            .await;
        let (a_s, b_s) = (a.to_string(), b.to_string());
        let path = format!("/tickets/{id}/assets");
        let (fa, fb) = ([("asset_ref", a_s.as_str())], [("asset_ref", b_s.as_str())]);
        let (ra, rb) = tokio::join!(one.post(&path, &fa), two.post(&path, &fb));
        assert_eq!(ra.status, StatusCode::SEE_OTHER, "{}", ra.body);
        assert_eq!(rb.status, StatusCode::SEE_OTHER, "{}", rb.body);
        expected.extend([a, b]);
        let got = d.app.get(&format!("{TK}/{id}"), &d.admin).await.json();
        let mut linked = ids(&got, "assets");
        linked.sort_unstable();
        expected.sort_unstable();
        assert_eq!(linked, expected, "round {round}: a link was lost");
    }
    // Two unlinks at once both stick too.
    let (x, y) = (expected[0], expected[1]);
    let (px, py) = (
        format!("/tickets/{id}/assets/{x}/delete"),
        format!("/tickets/{id}/assets/{y}/delete"),
    );
    let (rx, ry) = tokio::join!(one.post(&px, &[]), two.post(&py, &[]));
    assert_eq!(
        (rx.status, ry.status),
        (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER)
    );
    let got = d.app.get(&format!("{TK}/{id}"), &d.admin).await.json();
    let linked = ids(&got, "assets");
    assert!(!linked.contains(&x) && !linked.contains(&y), "{linked:?}");
    assert_eq!(linked.len(), expected.len() - 2);
}

#[tokio::test]
async fn the_link_box_suggests_assets_within_reach() {
    let d = desk().await;
    let main = d
        .asset(json!({"name": "Budi main", "type": "desktop", "asset_tag": "IT-042", "owner_id": d.budi.0,
            "department_id": d.it, "is_main": true}))
        .await;
    let spare = d
        .asset(json!({"name": "Budi spare", "type": "laptop", "owner_id": d.budi.0, "department_id": d.it}))
        .await;
    d.asset(
        json!({"name": "Sari PC", "type": "desktop", "owner_id": d.sari.0, "department_id": d.it}),
    )
    .await;
    let mut tech = signed_in(&d.app, "tech@example.com").await;
    let r = tech.get("/inventory/suggest?q=budi").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let found = r.json();
    let mut got: Vec<i64> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    got.sort_unstable();
    assert_eq!(got, vec![main, spare]);
    assert!(found
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["name"] == "Budi main" && a["asset_tag"] == "IT-042"));
    // The HR technician's reach holds none of them; without a session it is the login page.
    let mut hr = signed_in(&d.app, "hrtech@example.com").await;
    let r = hr.get("/inventory/suggest?q=budi").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json(), json!([]));
    let r = d
        .app
        .send(Method::GET, "/inventory/suggest?q=budi", &[], Body::empty())
        .await;
    assert_ne!(r.status, StatusCode::OK, "{}", r.body);
    assert!(!r.body.contains("Budi"));
}
