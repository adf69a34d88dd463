//! Software inventory through the real router, on SQLite (and PostgreSQL when configured): the
//! catalog with audit and validation, replacing a device's installations (diff, idempotence, 800
//! items, history), department scoping, licences with the masked key and its audited reveal, the
//! compliance figures against the manual clock, and hostile input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::http::{Method, StatusCode};
use common::desk::{new_desk, Dept};
use common::{signed_in, Reply, TestApp};
use serde_json::{json, Value};

const HW: &str = "/api/v1/inventory/hardware";
const SW: &str = "/api/v1/inventory/software";
const LIC: &str = "/api/v1/inventory/licenses";

struct Desk {
    app: TestApp,
    admin: String,
    it: i64,
    tech: String,
    hr_tech: String,
    budi: (i64, String),
}

async fn desk() -> Desk {
    let d = new_desk()
        .hr()
        .keyed("tech", "technician", Dept::It)
        .keyed("hrtech", "technician", Dept::Hr)
        .keyed("budi", "requester", Dept::It)
        .build()
        .await;
    Desk {
        tech: d.key("tech"),
        hr_tech: d.key("hrtech"),
        budi: d.person("budi"),
        admin: d.admin,
        it: d.it,
        app: d.app,
    }
}

impl Desk {
    async fn send(&self, method: Method, path: &str, key: &str, body: Value) -> Reply {
        self.app.json(method, path, key, body).await
    }
    async fn device(&self, name: &str) -> i64 {
        let r = self
            .send(
                Method::POST,
                HW,
                &self.admin,
                json!({"name": name, "type": "laptop", "department_id": self.it}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.json()["id"].as_i64().unwrap()
    }
    async fn put_software(&self, device: i64, items: Value) -> Reply {
        self.send(
            Method::PUT,
            &format!("{HW}/{device}/software"),
            &self.admin,
            items,
        )
        .await
    }
    async fn installed(&self, device: i64) -> Vec<String> {
        let r = self
            .app
            .get(&format!("{HW}/{device}/software"), &self.admin)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                format!(
                    "{} {}",
                    i["name"].as_str().unwrap(),
                    i["version"].as_str().unwrap()
                )
            })
            .collect()
    }
    async fn history(&self, device: i64) -> Vec<(String, String, String)> {
        let r = self
            .app
            .get(&format!("{HW}/{device}/history"), &self.admin)
            .await;
        r.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["field"].as_str().unwrap().to_string(),
                    e["old_value"].as_str().unwrap().to_string(),
                    e["new_value"].as_str().unwrap().to_string(),
                )
            })
            .filter(|(f, _, _)| f.starts_with("software"))
            .collect()
    }
}

#[tokio::test]
async fn the_catalog_is_created_changed_and_deleted_with_audit_and_validation() {
    let d = desk().await;
    let r = d
        .send(
            Method::POST,
            SW,
            &d.admin,
            json!({"name": " Firefox ", "vendor": "Mozilla", "version": "128.0"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_i64().unwrap();
    assert_eq!(r.json()["name"], "Firefox");
    assert_eq!(d.app.audit_count("software.create").await, 1);

    // Same identity, other case: a conflict.
    let r = d
        .send(
            Method::POST,
            SW,
            &d.admin,
            json!({"name": "FIREFOX", "vendor": "mozilla", "version": "128.0"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    // Another version is another entry.
    let r = d
        .send(
            Method::POST,
            SW,
            &d.admin,
            json!({"name": "Firefox", "vendor": "Mozilla", "version": "129.0"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);

    for bad in [
        json!({"name": ""}),
        json!({"name": "x".repeat(201)}),
        json!({"name": "ok", "version": "v".repeat(201)}),
    ] {
        let r = d.send(Method::POST, SW, &d.admin, bad).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    }
    for bad in [
        json!({"name": 5}),
        json!({"name": "a", "colour": "red"}),
        json!([1]),
    ] {
        let r = d.send(Method::POST, SW, &d.admin, bad).await;
        assert!(r.status.is_client_error(), "{}", r.body);
    }
    // A requester neither writes nor reads the catalog.
    let r = d
        .send(Method::POST, SW, &d.budi.1, json!({"name": "Vim"}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(d.app.get(SW, &d.budi.1).await.status, StatusCode::FORBIDDEN);
    let r = d.app.get(&format!("{SW}?q=fire"), &d.tech).await;
    assert_eq!(r.json()["items"].as_array().unwrap().len(), 2);
    let r = d.app.get(&format!("{SW}?q=nothing"), &d.tech).await;
    assert_eq!(r.json()["items"].as_array().unwrap().len(), 0);

    let r = d
        .send(
            Method::PATCH,
            &format!("{SW}/{id}"),
            &d.admin,
            json!({"version": "128.1"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["version"], "128.1");
    assert_eq!(r.json()["vendor"], "Mozilla");
    let r = d
        .send(
            Method::PUT,
            &format!("{SW}/{id}"),
            &d.admin,
            json!({"name": "Firefox ESR", "vendor": "Mozilla", "version": "128.1"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(d.app.audit_count("software.update").await, 2);
    let r = d
        .send(Method::DELETE, &format!("{SW}/{id}"), &d.admin, json!(null))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        d.app.get(&format!("{SW}/{id}"), &d.admin).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(d.app.audit_count("software.delete").await, 1);
}

#[tokio::test]
async fn replacing_installations_diffs_records_history_and_is_idempotent() {
    let d = desk().await;
    let pc = d.device("pc-1").await;
    let r = d
        .put_software(
            pc,
            json!([
                {"name": "Firefox", "vendor": "Mozilla", "version": "128.0"},
                {"name": "7-Zip", "version": "24.08"},
                {"name": "firefox", "vendor": "MOZILLA", "version": "128.0"}
            ]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["added"].as_array().unwrap().len(), 2);
    assert_eq!(d.installed(pc).await, vec!["7-Zip 24.08", "Firefox 128.0"]);

    let r = d
        .put_software(
            pc,
            json!([
                {"name": "Firefox", "vendor": "Mozilla", "version": "128.0"},
                {"name": "LibreOffice", "vendor": "TDF", "version": "24.2"}
            ]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let diff = r.json();
    assert_eq!(diff["added"][0]["name"], "LibreOffice");
    assert_eq!(diff["removed"][0]["name"], "7-Zip");
    assert_eq!(diff["added"].as_array().unwrap().len(), 1);
    assert_eq!(diff["removed"].as_array().unwrap().len(), 1);

    let history = d.history(pc).await;
    assert!(history.contains(&(
        "software added".into(),
        String::new(),
        "LibreOffice 24.2".into()
    )));
    assert!(history.contains(&(
        "software removed".into(),
        "7-Zip 24.08".into(),
        String::new()
    )));
    assert!(history.contains(&(
        "software added".into(),
        String::new(),
        "Firefox 128.0".into()
    )));
    let audits = d.app.audit_count("hardware.software_replace").await;

    // The same list again changes nothing and writes nothing.
    let before = d.history(pc).await.len();
    let r = d
        .put_software(
            pc,
            json!([
                {"name": "LibreOffice", "vendor": "TDF", "version": "24.2"},
                {"name": "Firefox", "vendor": "Mozilla", "version": "128.0"}
            ]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json(), json!({"added": [], "removed": []}));
    assert_eq!(d.history(pc).await.len(), before);
    assert_eq!(d.app.audit_count("hardware.software_replace").await, audits);

    // The catalog knows Firefox once, on this device.
    let r = d.app.get(&format!("{SW}?q=firefox"), &d.admin).await;
    let items = r.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["installations"], 1);
    let r = d.app.get(&format!("{SW}?device={pc}"), &d.admin).await;
    assert_eq!(r.json()["items"].as_array().unwrap().len(), 2);
    let fx = items[0]["id"].as_i64().unwrap();
    let r = d.app.get(&format!("{SW}/{fx}"), &d.admin).await;
    assert_eq!(r.json()["devices"][0]["id"], pc);

    // An empty list removes everything.
    let r = d.put_software(pc, json!([])).await;
    assert_eq!(r.json()["removed"].as_array().unwrap().len(), 2);
    assert!(d.installed(pc).await.is_empty());
}

#[tokio::test]
async fn eight_hundred_items_in_one_call_and_hostile_lists_change_nothing() {
    let d = desk().await;
    let pc = d.device("pc-big").await;
    let items: Vec<Value> = (0..800)
        .map(|i| json!({"name": format!("pkg-{i}"), "vendor": "Debian", "version": format!("1.{i}")}))
        .collect();
    let r = d.put_software(pc, Value::Array(items.clone())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["added"].as_array().unwrap().len(), 800);
    assert_eq!(d.installed(pc).await.len(), 800);
    // Half replaced.
    let mut next: Vec<Value> = items[..400].to_vec();
    next.extend((0..400).map(|i| json!({"name": format!("new-{i}"), "version": "2"})));
    let r = d.put_software(pc, Value::Array(next)).await;
    assert_eq!(r.json()["added"].as_array().unwrap().len(), 400);
    assert_eq!(r.json()["removed"].as_array().unwrap().len(), 400);
    let history = d.history(pc).await.len();

    let huge: Vec<Value> = (0..5001)
        .map(|i| json!({"name": format!("x{i}")}))
        .collect();
    let r = d.put_software(pc, Value::Array(huge)).await;
    assert!(
        r.status == StatusCode::UNPROCESSABLE_ENTITY || r.status == StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        r.status
    );
    for bad in [
        json!([{"name": "x".repeat(201)}]),
        json!([{"name": ""}]),
        json!([{"name": 3}]),
        json!({"name": "not a list"}),
        json!([{"name": "a", "extra": 1}]),
        json!([{"name": "ok"}, {"name": "bad\u{0007}"}]),
    ] {
        let r = d.put_software(pc, bad).await;
        assert!(r.status.is_client_error(), "{}: {}", r.status, r.body);
    }
    assert_eq!(d.installed(pc).await.len(), 800);
    assert_eq!(d.history(pc).await.len(), history);
    let r = d.put_software(999_999, json!([])).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_device_software_is_scoped_like_the_device() {
    let d = desk().await;
    let pc = d.device("it-pc").await;
    d.put_software(pc, json!([{"name": "Vim", "version": "9"}]))
        .await;
    let path = format!("{HW}/{pc}/software");
    assert_eq!(d.app.get(&path, &d.tech).await.status, StatusCode::OK);
    assert_eq!(
        d.app.get(&path, &d.hr_tech).await.status,
        StatusCode::NOT_FOUND
    );
    let r = d.send(Method::PUT, &path, &d.hr_tech, json!([])).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // A requester may not replace anything.
    let r = d.send(Method::PUT, &path, &d.budi.1, json!([])).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(d.installed(pc).await.len(), 1);
    // The catalog entry shows the device only to those who reach it.
    let r = d.app.get(&format!("{SW}?q=vim"), &d.hr_tech).await;
    let id = r.json()["items"][0]["id"].as_i64().unwrap();
    let r = d.app.get(&format!("{SW}/{id}"), &d.hr_tech).await;
    assert_eq!(r.json()["devices"].as_array().unwrap().len(), 0);
    let r = d.app.get(&format!("{SW}/{id}"), &d.tech).await;
    assert_eq!(r.json()["devices"].as_array().unwrap().len(), 1);
    assert_eq!(
        d.app
            .get(&format!("{SW}?device={pc}"), &d.hr_tech)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn licences_keep_their_key_masked_and_reveals_are_audited() {
    let d = desk().await;
    let pc = d.device("pc").await;
    let r = d
        .send(
            Method::POST,
            LIC,
            &d.admin,
            json!({
                "product": "Microsoft Office", "vendor": "Microsoft", "key": "ABCD-1234",
                "seats": 5, "expires_on": "2027-01-01", "device_ids": [pc], "user_ids": [d.budi.0]
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let lic = r.json();
    let id = lic["id"].as_i64().unwrap();
    assert_eq!(lic["key_set"], true);
    assert!(!r.body.contains("ABCD-1234"));
    assert_eq!(lic["device_ids"], json!([pc]));
    assert_eq!(d.app.audit_count("license.create").await, 1);
    let r = d.app.get(&format!("{LIC}/{id}"), &d.tech).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.body.contains("ABCD-1234"));
    let r = d.app.get(LIC, &d.admin).await;
    assert!(!r.body.contains("ABCD-1234"));

    let reveal = format!("{LIC}/{id}/reveal");
    let r = d.send(Method::POST, &reveal, &d.tech, json!(null)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = d.send(Method::POST, &reveal, &d.admin, json!(null)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["key"], "ABCD-1234");
    assert_eq!(d.app.audit_count("license.key_reveal").await, 1);

    // PATCH keeps the key unless one is sent.
    let r = d
        .send(
            Method::PATCH,
            &format!("{LIC}/{id}"),
            &d.admin,
            json!({"seats": 7}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["seats"], 7);
    assert_eq!(r.json()["key_set"], true);
    let r = d
        .send(
            Method::PATCH,
            &format!("{LIC}/{id}"),
            &d.admin,
            json!({"key": ""}),
        )
        .await;
    assert_eq!(r.json()["key_set"], false);

    for bad in [
        json!({"product": "", "seats": 1}),
        json!({"product": "X", "seats": 0}),
        json!({"product": "X", "seats": 1, "expires_on": "2027-02-30"}),
        json!({"product": "X", "seats": 1, "device_ids": [999999]}),
        json!({"product": "X", "seats": 1, "user_ids": [999999]}),
        json!({"product": "x".repeat(201), "seats": 1}),
        json!({"product": "X", "seats": "many"}),
    ] {
        let r = d.send(Method::POST, LIC, &d.admin, bad).await;
        assert!(r.status.is_client_error(), "{}", r.body);
    }
    let r = d
        .send(
            Method::POST,
            LIC,
            &d.budi.1,
            json!({"product": "X", "seats": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        d.app.get(LIC, &d.admin).await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let r = d
        .send(
            Method::DELETE,
            &format!("{LIC}/{id}"),
            &d.admin,
            json!(null),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(d.app.audit_count("license.delete").await, 1);
    assert_eq!(
        d.app.get(&format!("{LIC}/{id}"), &d.admin).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn compliance_counts_installs_against_seats_and_watches_the_calendar() {
    // The test clock starts on 2026-09-21.
    let d = desk().await;
    let a = d.device("a").await;
    let b = d.device("b").await;
    for pc in [a, b] {
        d.put_software(
            pc,
            json!([{"name": "Photoshop", "vendor": "Adobe", "version": "25"}]),
        )
        .await;
    }
    d.put_software(
        b,
        json!([
            {"name": "Photoshop", "vendor": "Adobe", "version": "25"},
            {"name": "photoshop", "vendor": "Adobe", "version": "26"}
        ]),
    )
    .await;
    let mk = |product: &str, seats: i64, expires: Option<&str>| json!({"product": product, "vendor": "", "seats": seats, "expires_on": expires, "device_ids": [a]});
    for body in [
        mk("PHOTOSHOP", 1, Some("2026-10-21")),
        mk("Photoshop", 2, Some("2026-10-23")),
        mk("Illustrator", 1, Some("2026-09-20")),
    ] {
        let r = d.send(Method::POST, LIC, &d.admin, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let r = d
        .send(
            Method::POST,
            LIC,
            &d.admin,
            json!({"product": "Photoshop", "vendor": "Corel", "seats": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);

    let lines = |v: Value| -> Vec<(String, String, i64, i64, bool, bool, bool)> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["product"].as_str().unwrap().to_string(),
                    l["vendor"].as_str().unwrap().to_string(),
                    l["installed"].as_i64().unwrap(),
                    l["seats"].as_i64().unwrap(),
                    l["over"].as_bool().unwrap(),
                    l["expiring_soon"].as_bool().unwrap(),
                    l["expired"].as_bool().unwrap(),
                )
            })
            .collect()
    };
    let path = format!("{LIC}/compliance");
    let r = d.app.get(&path, &d.tech).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["items"][0]["assigned"], 1);
    let mut got = lines(r.json());
    got.sort();
    assert_eq!(
        got,
        vec![
            ("Illustrator".into(), "".into(), 0, 1, false, false, true),
            ("PHOTOSHOP".into(), "".into(), 2, 1, true, true, false),
            ("Photoshop".into(), "".into(), 2, 2, false, false, false),
            (
                "Photoshop".into(),
                "Corel".into(),
                0,
                1,
                false,
                false,
                false
            ),
        ]
    );
    // A month later (2026-10-22) the second one expires within 30 days, and the first is past.
    d.app.clock.advance_ms(31 * 86_400_000);
    let mut got = lines(d.app.get(&path, &d.admin).await.json());
    got.sort();
    assert_eq!(
        got[1],
        ("PHOTOSHOP".into(), "".into(), 2, 1, true, false, true)
    );
    assert_eq!(
        got[2],
        ("Photoshop".into(), "".into(), 2, 2, false, true, false)
    );
    assert_eq!(
        d.app.get(&path, &d.budi.1).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_pages_show_software_licences_and_compliance() {
    let d = desk().await;
    let a = d.device("alpha").await;
    let b = d.device("beta").await;
    d.put_software(
        a,
        json!([{"name": "Photoshop", "vendor": "Adobe", "version": "25"}]),
    )
    .await;
    let mut web = signed_in(&d.app, "tech@example.com").await;
    // The device page replaces its software from the textarea.
    let r = web
        .post(
            &format!("/inventory/{b}/software"),
            &[("items", "Photoshop | Adobe | 25\nGIMP | | 2.10")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(d.installed(b).await, vec!["GIMP 2.10", "Photoshop 25"]);
    let r = web.get(&format!("/inventory/{b}")).await;
    assert!(
        r.body.contains("id=\"device-software\"") && r.body.contains("GIMP"),
        "{}",
        r.body
    );
    let r = web.get("/inventory/software?q=photo").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Photoshop") && !r.body.contains("GIMP"));
    let r = web.get("/inventory").await;
    assert!(r.body.contains("/inventory/licenses"));

    let r = web
        .post(
            "/inventory/licenses",
            &[
                ("product", "photoshop"),
                ("seats", "1"),
                ("key", "SECRET-KEY"),
                ("expires_on", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = web.get("/inventory/licenses").await;
    assert!(r.body.contains("data-flag=\"over\""), "{}", r.body);
    let r = web
        .post("/inventory/licenses", &[("product", ""), ("seats", "x")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let id = d.app.get(LIC, &d.admin).await.json()["items"][0]["id"]
        .as_i64()
        .unwrap();
    let r = web.get(&format!("/inventory/licenses/{id}")).await;
    assert!(r.body.contains("key-masked") && !r.body.contains("SECRET-KEY"));
    // Technicians may not reveal; the admin may.
    let r = web
        .post(&format!("/inventory/licenses/{id}/reveal"), &[])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let mut admin = signed_in(&d.app, "root@example.com").await;
    let r = admin
        .post(&format!("/inventory/licenses/{id}/reveal"), &[])
        .await;
    assert!(r.body.contains("SECRET-KEY"), "{}", r.body);
}
