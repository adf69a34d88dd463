//! Hardware inventory through the real router, on SQLite (and PostgreSQL when configured): CRUD
//! with audit, list filters and search, department scoping, the masked credential and its audited
//! reveal, field history, the pages, and the legacy collector contract byte for byte.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::desk::{new_desk, Dept};
use common::{signed_in, Reply, TestApp};
use serde_json::{json, Value};

const HW: &str = "/api/v1/inventory/hardware";

/// An admin, IT and HR, a technician in each, a requester in IT (Budi).
struct Desk {
    app: TestApp,
    admin: String,
    it: i64,
    hr: i64,
    tech: (i64, String),
    hr_tech: (i64, String),
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
        tech: d.person("tech"),
        hr_tech: d.person("hrtech"),
        budi: d.person("budi"),
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
    async fn create(&self, key: &str, body: Value) -> Value {
        let r = self.send(Method::POST, HW, key, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.json()
    }
    async fn names(&self, key: &str, query: &str) -> Vec<String> {
        let r = self.app.get(&format!("{HW}?{query}"), key).await;
        assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.body);
        let mut names: Vec<String> = r.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["name"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        names
    }
    async fn history(&self, id: i64) -> Vec<(String, String, String)> {
        let r = self
            .app
            .get(&format!("{HW}/{id}/history"), &self.admin)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
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
            .collect()
    }
    async fn collect(&self, body: &str, token: Option<&str>) -> Reply {
        let mut headers = vec![("content-type", "application/json")];
        if let Some(t) = token {
            headers.push(("x-enrollment-token", t));
        }
        self.app
            .send(
                Method::POST,
                "/api/update-main-device",
                &headers,
                Body::from(body.to_string()),
            )
            .await
    }
    async fn count(&self, sql: &'static str) -> i64 {
        let mut conn = self.app.state.db.pool.acquire().await.unwrap();
        sqlx::query_scalar(sql).fetch_one(&mut *conn).await.unwrap()
    }
}

fn fields_of(r: &Reply) -> Vec<String> {
    r.json()["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["field"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn admins_keep_hardware_through_the_api_and_every_change_is_audited() {
    let d = desk().await;
    let h = d
        .create(
            &d.admin,
            json!({"name": "Budi's laptop", "type": "laptop", "asset_tag": "IT-0001",
                   "serial": "SN-123", "ram_mb": 8192, "ip_addresses": "10.0.0.5 10.0.0.6",
                   "owner_id": d.budi.0, "department_id": d.it, "purchase_date": "2025-01-15",
                   "credential": "admin:S3cret!", "is_main": true}),
        )
        .await;
    let id = h["id"].as_i64().unwrap();
    assert_eq!(h["status"], "in_use");
    assert_eq!(h["ip_addresses"], "10.0.0.5, 10.0.0.6");
    assert_eq!(h["owner_email"], "budi@example.com");
    assert_eq!(h["credential_set"], true);
    assert_eq!(h["is_main"], true);
    assert_eq!(d.app.audit_count("hardware.create").await, 1);

    let path = format!("{HW}/{id}");
    let r = d.app.get(&path, &d.admin).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["serial"], "SN-123");

    // PUT replaces; the credential is kept when not sent.
    let r = d
        .send(
            Method::PUT,
            &path,
            &d.admin,
            json!({"name": "Budi's laptop", "type": "laptop", "asset_tag": "IT-0001",
                   "serial": "SN-123", "ram_mb": 16384, "owner_id": d.budi.0,
                   "department_id": d.it, "status": "in_repair", "is_main": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["credential_set"], true);
    assert_eq!(r.json()["ip_addresses"], "");
    // PATCH changes only what it names.
    let r = d
        .send(Method::PATCH, &path, &d.admin, json!({"location": "Lt. 3"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["location"], "Lt. 3");
    assert_eq!(r.json()["status"], "in_repair");
    assert_eq!(d.app.audit_count("hardware.update").await, 2);

    // Bad input: a 422 naming the field, or a 400 for a body of the wrong shape.
    for (body, field) in [
        (json!({"name": "", "type": "laptop"}), "name"),
        (json!({"name": "A", "type": "toaster"}), "type"),
        (
            json!({"name": "A", "type": "laptop", "status": "lost"}),
            "status",
        ),
        (
            json!({"name": "A", "type": "laptop", "ram_mb": -1}),
            "ram_mb",
        ),
        (
            json!({"name": "A", "type": "laptop", "ip_addresses": "10.0.0.300"}),
            "ip_addresses",
        ),
        (
            json!({"name": "A", "type": "laptop", "mac_addresses": "zz"}),
            "mac_addresses",
        ),
        (
            json!({"name": "A", "type": "laptop", "warranty_end": "2025-02-30"}),
            "warranty_end",
        ),
        (
            json!({"name": "A", "type": "laptop", "owner_id": 9999}),
            "owner_id",
        ),
        (
            json!({"name": "A", "type": "laptop", "department_id": 9999}),
            "department_id",
        ),
        (
            json!({"name": "A", "type": "laptop", "is_main": true}),
            "is_main",
        ),
        (
            json!({"name": "A", "type": "laptop", "asset_tag": "it-0001"}),
            "asset_tag",
        ),
        (json!({"name": "x".repeat(201), "type": "laptop"}), "name"),
    ] {
        let r = d.send(Method::POST, HW, &d.admin, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(fields_of(&r), [field], "{}", r.body);
    }
    for body in [
        json!({"name": "A", "type": "laptop", "colour": "red"}),
        json!({"name": "A", "type": "laptop", "ram_mb": "lots"}),
    ] {
        let r = d.send(Method::POST, HW, &d.admin, body).await;
        assert!(r.status.is_client_error(), "{}", r.body);
        assert_eq!(r.header("content-type"), "application/problem+json");
    }
    let r = d
        .send(Method::PATCH, &path, &d.admin, json!({"name": 5}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = d.send(Method::PATCH, &path, &d.admin, json!([1])).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);

    // A second main device for Budi takes the flag over.
    let other = d
        .create(
            &d.admin,
            json!({"name": "Budi's phone", "type": "phone", "owner_id": d.budi.0, "is_main": true}),
        )
        .await;
    assert_eq!(other["is_main"], true);
    assert_eq!(d.app.get(&path, &d.admin).await.json()["is_main"], false);

    let r = d.send(Method::DELETE, &path, &d.admin, json!({})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        d.app.get(&path, &d.admin).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(d.app.audit_count("hardware.delete").await, 1);
}

#[tokio::test]
async fn the_list_filters_searches_and_pages() {
    let d = desk().await;
    let (budi, it, hr) = (d.budi.0, d.it, d.hr);
    for body in [
        json!({"name": "Alpha", "type": "laptop", "serial": "SN-AAA", "owner_id": budi, "department_id": it}),
        json!({"name": "Beta", "type": "server", "hostname": "srv-beta", "status": "in_stock", "department_id": it, "ip_addresses": "192.168.7.20"}),
        json!({"name": "Gamma", "type": "printer", "asset_tag": "HR-50%", "department_id": hr, "status": "retired"}),
    ] {
        d.create(&d.admin, body).await;
    }
    let a = &d.admin;
    assert_eq!(d.names(a, "").await, ["Alpha", "Beta", "Gamma"]);
    assert_eq!(d.names(a, "type=server").await, ["Beta"]);
    assert_eq!(d.names(a, "status=retired").await, ["Gamma"]);
    assert_eq!(
        d.names(a, &format!("department={it}")).await,
        ["Alpha", "Beta"]
    );
    assert_eq!(d.names(a, &format!("owner={budi}")).await, ["Alpha"]);
    assert_eq!(d.names(a, "q=sn-aaa").await, ["Alpha"]);
    assert_eq!(d.names(a, "q=SRV-BETA").await, ["Beta"]);
    assert_eq!(d.names(a, "q=192.168.7").await, ["Beta"]);
    assert_eq!(d.names(a, "q=budi%40example").await, ["Alpha"]);
    assert_eq!(d.names(a, "q=50%25").await, ["Gamma"]);
    assert!(d.names(a, "q=%25%25").await.is_empty(), "% is literal");
    assert_eq!(d.names(a, "q=a&type=laptop").await, ["Alpha"]);

    let r = d.app.get(&format!("{HW}?limit=2"), a).await;
    let first = r.json();
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().unwrap();
    let r = d.app.get(&format!("{HW}?limit=2&cursor={cursor}"), a).await;
    assert_eq!(r.json()["items"][0]["name"], "Alpha");
    assert_eq!(r.json()["next_cursor"], Value::Null);

    for q in ["type=toaster", "status=lost", "limit=0", "cursor=abc"] {
        let r = d.app.get(&format!("{HW}?{q}"), a).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{q}: {}",
            r.body
        );
    }
    let r = d.app.get(&format!("{HW}?department=x"), a).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn departments_scope_who_sees_and_changes_hardware() {
    let d = desk().await;
    let it_pc = d
        .create(&d.admin, json!({"name": "IT desktop", "type": "desktop", "department_id": d.it, "credential": "root:toor"}))
        .await["id"]
        .as_i64()
        .unwrap();
    let hr_pc = d
        .create(
            &d.admin,
            json!({"name": "HR desktop", "type": "desktop", "department_id": d.hr}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let budi_pc = d
        .create(&d.admin, json!({"name": "Budi laptop", "type": "laptop", "owner_id": d.budi.0, "department_id": d.hr}))
        .await["id"]
        .as_i64()
        .unwrap();

    // The IT technician sees IT's devices only; HR's are "not found".
    assert_eq!(d.names(&d.tech.1, "").await, ["IT desktop"]);
    let r = d.app.get(&format!("{HW}/{hr_pc}"), &d.tech.1).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = d
        .send(
            Method::PATCH,
            &format!("{HW}/{hr_pc}"),
            &d.tech.1,
            json!({"name": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = d
        .send(
            Method::DELETE,
            &format!("{HW}/{hr_pc}"),
            &d.tech.1,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        d.names(&d.hr_tech.1, "").await,
        ["Budi laptop", "HR desktop"]
    );
    // They may create in their own department only.
    let r = d
        .send(
            Method::POST,
            HW,
            &d.tech.1,
            json!({"name": "X", "type": "phone", "department_id": d.hr}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = d
        .send(
            Method::POST,
            HW,
            &d.tech.1,
            json!({"name": "X", "type": "phone"}),
        )
        .await;
    assert_eq!(fields_of(&r), ["department_id"]);
    d.create(
        &d.tech.1,
        json!({"name": "IT phone", "type": "phone", "department_id": d.it}),
    )
    .await;
    let r = d
        .send(
            Method::PATCH,
            &format!("{HW}/{it_pc}"),
            &d.tech.1,
            json!({"department_id": d.hr}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "moving out of reach: {}",
        r.body
    );

    // Budi (a requester) sees only the device he owns, and cannot change it.
    assert_eq!(d.names(&d.budi.1, "").await, ["Budi laptop"]);
    let r = d.app.get(&format!("{HW}/{budi_pc}"), &d.budi.1).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = d.app.get(&format!("{HW}/{it_pc}"), &d.budi.1).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = d
        .send(
            Method::PATCH,
            &format!("{HW}/{budi_pc}"),
            &d.budi.1,
            json!({"name": "Mine"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = d
        .send(
            Method::POST,
            HW,
            &d.budi.1,
            json!({"name": "Mine", "type": "phone"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = d
        .send(
            Method::POST,
            &format!("{HW}/{budi_pc}/reveal"),
            &d.budi.1,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn credentials_stay_masked_until_revealed_by_someone_allowed_and_each_reveal_is_audited() {
    let d = desk().await;
    let secret = "Adm1n-P@ss-unique-7788";
    let id = d
        .create(&d.admin, json!({"name": "Server", "type": "server", "department_id": d.it, "credential": secret}))
        .await["id"]
        .as_i64()
        .unwrap();
    for (path, key) in [
        (format!("{HW}/{id}"), &d.admin),
        (HW.to_string(), &d.admin),
        (format!("{HW}/{id}"), &d.tech.1),
        (format!("{HW}/{id}/history"), &d.admin),
    ] {
        let r = d.app.get(&path, key).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(!r.body.contains(secret), "{path} leaks the credential");
    }
    let audit = d.app.get("/api/v1/audit", &d.admin).await;
    assert!(!audit.body.contains(secret), "the audit log leaks it");

    // The technician reads the asset but lacks inventory.credentials.reveal.
    let reveal = format!("{HW}/{id}/reveal");
    let r = d.send(Method::POST, &reveal, &d.tech.1, json!({})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = d.send(Method::POST, &reveal, &d.hr_tech.1, json!({})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(d.app.audit_count("hardware.credential_reveal").await, 0);
    let r = d.send(Method::POST, &reveal, &d.admin, json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json(), json!({"credential": secret}));
    assert_eq!(d.app.audit_count("hardware.credential_reveal").await, 1);
    let audit = d.app.get("/api/v1/audit", &d.admin).await;
    assert!(
        !audit.body.contains(secret),
        "the reveal's audit entry holds no secret"
    );

    // An empty string clears it.
    let r = d
        .send(
            Method::PATCH,
            &format!("{HW}/{id}"),
            &d.admin,
            json!({"credential": ""}),
        )
        .await;
    assert_eq!(r.json()["credential_set"], false);
    let r = d.send(Method::POST, &reveal, &d.admin, json!({})).await;
    assert_eq!(r.json(), json!({"credential": ""}));
}

#[tokio::test]
async fn every_change_leaves_field_history() {
    let d = desk().await;
    let id = d
        .create(
            &d.admin,
            json!({"name": "PC-7", "type": "desktop", "ram_mb": 8192, "department_id": d.it}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let path = format!("{HW}/{id}");
    d.send(
        Method::PATCH,
        &path,
        &d.admin,
        json!({"ram_mb": 16384, "owner_id": d.budi.0}),
    )
    .await;
    d.send(Method::PATCH, &path, &d.admin, json!({"credential": "x"}))
        .await;
    d.send(Method::PATCH, &path, &d.admin, json!({"name": "PC-7"}))
        .await;
    let h = d.history(id).await;
    assert_eq!(
        h,
        [
            ("credential".into(), "".into(), "••••••".into()),
            ("owner".into(), "".into(), "budi <budi@example.com>".into()),
            ("ram".into(), "8192".into(), "16384".into()),
            ("created".into(), "".into(), "PC-7".into()),
        ],
        "newest first; an unchanged save adds nothing"
    );
    let r = d.app.get(&format!("{path}/history"), &d.admin).await;
    assert_eq!(r.json()["items"][0]["actor_label"], "root@example.com");
    assert_eq!(r.json()["items"][0]["source"], "user");
    // Out of reach is out of reach for its history too.
    let r = d.app.get(&format!("{path}/history"), &d.hr_tech.1).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The owner of a main device is deleted: the device stays, and can still be edited.
    let r = d
        .send(Method::PATCH, &path, &d.admin, json!({"is_main": true}))
        .await;
    assert_eq!(r.json()["is_main"], true);
    let r = d
        .send(
            Method::DELETE,
            &format!("/api/v1/users/{}", d.budi.0),
            &d.admin,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = d
        .send(
            Method::PATCH,
            &path,
            &d.admin,
            json!({"location": "Gudang"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["owner_id"], Value::Null);
    assert_eq!(r.json()["is_main"], false);
}

const REPORT: &str = r#"{"email":"budi@example.com","data":{"manufaktur":"Windows","cpu":"Intel Core i5","ram":"16.0 GB","os":"Windows-10-10.0.19041-SP0","ipaddress":"192.168.1.100","hostname":"DESKTOP-ABC123","storage":"500.0 GB","jenis":null,"lisensi_windows":null,"credential":null,"office":null,"lisensi_office":null}}"#;

#[tokio::test]
async fn the_collector_contract_holds_byte_for_byte() {
    // The protocol's type (what `piket-agent collect` sends) writes this body byte for byte.
    let text = |v: &str| Some(v.to_string());
    let sent = piket_protocol::CollectorRequest {
        email: "budi@example.com".into(),
        data: piket_protocol::CollectorData {
            manufaktur: text("Windows"),
            cpu: text("Intel Core i5"),
            ram: text("16.0 GB"),
            os: text("Windows-10-10.0.19041-SP0"),
            ipaddress: text("192.168.1.100"),
            hostname: text("DESKTOP-ABC123"),
            storage: text("500.0 GB"),
            ..Default::default()
        },
    };
    assert_eq!(serde_json::to_string(&sent).unwrap(), REPORT);
    let d = desk().await;
    // No main device yet: one is created for the user, in their department.
    let r = d.collect(REPORT, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.header("content-type"), "application/json");
    let main_id = r.json()["main_id"].as_i64().unwrap();
    assert_eq!(
        r.body,
        format!(
            r#"{{"status":"success","message":"Main device data updated successfully","main_id":{main_id}}}"#
        )
    );
    let h = d.app.get(&format!("{HW}/{main_id}"), &d.admin).await.json();
    assert_eq!(h["name"], "DESKTOP-ABC123");
    assert_eq!(h["ram_mb"], 16384);
    assert_eq!(h["storage"], "500.0 GB");
    assert_eq!(h["manufacturer"], "Windows");
    assert_eq!(h["ip_addresses"], "192.168.1.100");
    assert_eq!(h["owner_id"], d.budi.0);
    assert_eq!(h["department_id"], d.it);
    assert_eq!(h["is_main"], true);
    assert_eq!(d.app.audit_count("hardware.create").await, 1);

    // The admin fills in the manual fields; a report with nulls (or without them) keeps them.
    let path = format!("{HW}/{main_id}");
    d.send(
        Method::PATCH,
        &path,
        &d.admin,
        json!({"jenis": "PC", "lisensi_windows": "W10-PRO-KEY", "credential": "budi:rahasia",
               "office": "Office 2019", "lisensi_office": "OFF-KEY", "asset_tag": "IT-77"}),
    )
    .await;
    let upgraded = REPORT.replace("16.0 GB", "32.0 GB");
    let r = d.collect(&upgraded, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["main_id"], main_id, "the same main device");
    let r = d
        .collect(
            r#"{"email":"BUDI@example.com","data":{"os":"Windows-11"}}"#,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let h = d.app.get(&path, &d.admin).await.json();
    assert_eq!(h["ram_mb"], 32768);
    assert_eq!(h["os"], "Windows-11");
    assert_eq!(h["cpu"], "Intel Core i5");
    assert_eq!(h["jenis"], "PC");
    assert_eq!(h["lisensi_windows"], "W10-PRO-KEY");
    assert_eq!(h["office"], "Office 2019");
    assert_eq!(h["lisensi_office"], "OFF-KEY");
    assert_eq!(h["asset_tag"], "IT-77");
    let r = d
        .send(Method::POST, &format!("{path}/reveal"), &d.admin, json!({}))
        .await;
    assert_eq!(r.json()["credential"], "budi:rahasia");
    let history = d.history(main_id).await;
    assert!(
        history.contains(&("ram".into(), "16384".into(), "32768".into())),
        "{history:?}"
    );
    let r = d.app.get(&format!("{path}/history"), &d.admin).await;
    assert_eq!(r.json()["items"][0]["source"], "collector");
    assert_eq!(
        r.json()["items"][0]["actor_label"],
        "collector (budi@example.com)"
    );
    assert_eq!(d.app.audit_count("hardware.update").await, 3);

    // Unknown email.
    let r = d
        .collect(r#"{"email":"nobody@example.com","data":{"cpu":"x"}}"#, None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body, r#"{"status":"error","message":"User not found"}"#);
    assert_eq!(r.header("content-type"), "application/json");

    // Malformed requests: 400 with a plain JSON error saying what is wrong.
    for (body, message) in [
        ("{not json", "Invalid JSON body"),
        ("", "Invalid JSON body"),
        ("[1,2]", "The body must be a JSON object"),
        (r#"{"data":{}}"#, "Email is required"),
        (r#"{"email":42,"data":{}}"#, "Email must be a string"),
        (
            r#"{"email":"not-an-email","data":{}}"#,
            "Invalid email format",
        ),
        (r#"{"email":"budi@example.com"}"#, "Data is required"),
        (
            r#"{"email":"budi@example.com","data":"x"}"#,
            "Data must be an object",
        ),
        (
            r#"{"email":"budi@example.com","data":{"cpu":5}}"#,
            "data.cpu must be a string or null",
        ),
        (
            r#"{"email":"budi@example.com","data":{"ram":["16 GB"]}}"#,
            "data.ram must be a string or null",
        ),
        (
            r#"{"email":"budi@example.com","data":{"ram":"lots"}}"#,
            r#"data.ram is not a memory size such as "16.0 GB""#,
        ),
        (
            r#"{"email":"budi@example.com","data":{"ipaddress":"999.1.1.1"}}"#,
            "data.ipaddress is not an IP address",
        ),
        (
            r#"{"email":"budi@example.com","data":{"os":"a\u0000b"}}"#,
            "data.os contains control characters",
        ),
    ] {
        let r = d.collect(body, None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.body);
        assert_eq!(
            r.json(),
            json!({"status": "error", "message": message}),
            "{body}"
        );
    }
}

#[tokio::test]
async fn hostile_collector_input_is_refused_and_changes_nothing() {
    let d = desk().await;
    let r = d.collect(REPORT, None).await;
    let main_id = r.json()["main_id"].as_i64().unwrap();
    let before = d.app.get(&format!("{HW}/{main_id}"), &d.admin).await.body;
    let rows = d.count("SELECT COUNT(*) FROM hardware_history").await;
    let deep = format!(
        r#"{{"email":"budi@example.com","data":{{"cpu":{}1{}}}}}"#,
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let huge = format!(
        r#"{{"email":"budi@example.com","data":{{"hostname":"{}"}}}}"#,
        "A".repeat(201)
    );
    let very_huge = format!(
        r#"{{"email":"budi@example.com","data":{{"hostname":"{}"}}}}"#,
        "A".repeat(2_000_000)
    );
    let long_email = format!(
        r#"{{"email":"{}@example.com","data":{{}}}}"#,
        "a".repeat(300)
    );
    for body in [
        deep.as_str(),
        huge.as_str(),
        very_huge.as_str(),
        long_email.as_str(),
        r#"{"email":"budi@example.com","data":{"ram":"1e400 GB"}}"#,
        r#"{"email":"budi@example.com","data":{"credential":{"$ne":null}}}"#,
        r#"{"email":"budi@example.com' OR '1'='1","data":{}}"#,
        r#"{"email":["budi@example.com"],"data":{}}"#,
        "\u{feff}\u{0}\u{1}",
    ] {
        let r = d.collect(body, None).await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "{}",
            &body[..body.len().min(80)]
        );
        assert_eq!(r.json()["status"], "error");
    }
    assert_eq!(
        d.app.get(&format!("{HW}/{main_id}"), &d.admin).await.body,
        before
    );
    assert_eq!(d.count("SELECT COUNT(*) FROM hardware_history").await, rows);
    assert_eq!(d.count("SELECT COUNT(*) FROM hardware_assets").await, 1);
}

#[tokio::test]
async fn the_collector_allows_ten_reports_per_user_an_hour() {
    let d = desk().await;
    for i in 0..10 {
        let r = d.collect(REPORT, None).await;
        assert_eq!(r.status, StatusCode::OK, "request {}: {}", i + 1, r.body);
        d.app.clock.advance_ms(60_000);
    }
    let r = d.collect(REPORT, None).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        r.body,
        r#"{"status":"error","message":"Rate limit exceeded"}"#
    );
    // Another user is not affected.
    let tech = REPORT.replace("budi@", "tech@");
    assert_eq!(d.collect(&tech, None).await.status, StatusCode::OK);
    // An hour after the first report, one slot is free again.
    d.app.clock.advance_ms(60 * 60_000 - 10 * 60_000 + 1);
    assert_eq!(d.collect(REPORT, None).await.status, StatusCode::OK);
    assert_eq!(
        d.collect(REPORT, None).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn admins_switch_the_collector_off_or_demand_a_token() {
    let d = desk().await;
    let mut admin = signed_in(&d.app, "root@example.com").await;
    let page = admin.get("/admin/inventory/collector").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("anyone who can reach the server"),
        "the risk is stated"
    );

    // Off: 403 with the same JSON shape, and nothing written.
    let r = admin
        .post("/admin/inventory/collector", &[("token", "keep")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = d.collect(REPORT, None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        r.body,
        r#"{"status":"error","message":"Collector endpoint is disabled"}"#
    );
    assert_eq!(d.count("SELECT COUNT(*) FROM hardware_assets").await, 0);

    // On with a token: shown once, stored only hashed.
    let r = admin
        .post(
            "/admin/inventory/collector",
            &[("enabled", "on"), ("token", "generate")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let marker = "<div class=\"notice\" id=\"fresh-token\">";
    let after = r.body.split(marker).nth(1).expect("the token is shown");
    let token = after
        .split("<code>")
        .nth(1)
        .unwrap()
        .split("</code>")
        .next()
        .unwrap();
    assert_eq!(token.len(), 48);
    let mut conn = d.app.state.db.pool.acquire().await.unwrap();
    let stored: String =
        sqlx::query_scalar("SELECT value FROM settings WHERE key = 'collector.token_hash'")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    drop(conn);
    assert_ne!(stored, token);
    assert!(!admin
        .get("/admin/inventory/collector")
        .await
        .body
        .contains(token));

    for wrong in [None, Some("nope"), Some(&token[1..])] {
        let r = d.collect(REPORT, wrong).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            r.body,
            r#"{"status":"error","message":"Invalid enrollment token"}"#
        );
    }
    let r = d.collect(REPORT, Some(token)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // Dropping the token lets old scripts in again; every settings change is audited.
    admin
        .post(
            "/admin/inventory/collector",
            &[("enabled", "on"), ("token", "remove")],
        )
        .await;
    assert_eq!(d.collect(REPORT, None).await.status, StatusCode::OK);
    assert_eq!(d.app.audit_count("inventory.collector_settings").await, 3);

    // Only settings.manage reaches the page.
    let mut tech = signed_in(&d.app, "tech@example.com").await;
    assert_eq!(
        tech.get("/admin/inventory/collector").await.status,
        StatusCode::FORBIDDEN
    );
    let r = tech
        .post("/admin/inventory/collector", &[("token", "remove")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_pages_list_create_edit_reveal_and_delete() {
    let d = desk().await;
    let mut admin = signed_in(&d.app, "root@example.com").await;
    let home = admin.get("/").await;
    assert!(
        home.body.contains("href=\"/inventory\""),
        "linked in the navigation"
    );
    let form = admin.get("/inventory/new").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.body.contains("budi@example.com"),
        "owners to choose from"
    );

    let it = d.it.to_string();
    let budi = d.budi.0.to_string();
    let r = admin
        .post(
            "/inventory",
            &[
                ("name", ""),
                ("type", "laptop"),
                ("ram_mb", "lots"),
                ("status", "in_use"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = admin
        .post(
            "/inventory",
            &[
                ("name", ""),
                ("type", "laptop"),
                ("status", "in_use"),
                ("ip_addresses", "nope"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("must be IP addresses separated by commas"));
    let r = admin
        .post(
            "/inventory",
            &[
                ("name", "Laptop Budi"),
                ("type", "laptop"),
                ("status", "in_use"),
                ("serial", "SN-PAGE-1"),
                ("owner_id", &budi),
                ("department_id", &it),
                ("ram_mb", "8192"),
                ("credential", "page-secret-1"),
                ("is_main", "on"),
                ("purchase_date", "2025-03-01"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let location = r.header("location");
    let id: i64 = location
        .trim_start_matches("/inventory/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let list = admin
        .get("/inventory?q=SN-PAGE&type=&status=&department=")
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("Laptop Budi"));
    let show = admin.get(&format!("/inventory/{id}")).await;
    assert!(!show.body.contains("page-secret-1"));
    assert!(show.body.contains("id=\"reveal-form\""));
    let r = admin.post(&format!("/inventory/{id}/reveal"), &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r
        .body
        .contains("<code id=\"credential-value\">page-secret-1</code>"));
    assert_eq!(r.header("cache-control"), "no-store");

    // Saving the form without a credential keeps it; the history shows the change.
    let r = admin
        .post(
            &format!("/inventory/{id}"),
            &[
                ("name", "Laptop Budi"),
                ("type", "laptop"),
                ("status", "in_repair"),
                ("serial", "SN-PAGE-1"),
                ("owner_id", &budi),
                ("department_id", &it),
                ("ram_mb", "16384"),
                ("is_main", "on"),
                ("purchase_date", "2025-03-01"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let show = admin.get(&format!("/inventory/{id}?msg=saved")).await;
    assert!(show.body.contains("id=\"credential-masked\""));
    assert!(show
        .body
        .contains("<span class=\"old\">8192</span> → <span class=\"new\">16384</span>"));

    // Budi sees his device read-only, without a reveal button or a form.
    let mut budi_web = signed_in(&d.app, "budi@example.com").await;
    let r = budi_web.get(&format!("/inventory/{id}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.body.contains("id=\"asset-form\"") && !r.body.contains("reveal-form"));
    assert!(r.body.contains("SN-PAGE-1"));
    assert_eq!(
        budi_web.get("/inventory/new").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        budi_web
            .post(&format!("/inventory/{id}/reveal"), &[])
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    let r = admin.post(&format!("/inventory/{id}/delete"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        admin.get(&format!("/inventory/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_first_reports_end_with_one_main_device() {
    let d = desk().await;
    // Eight at once, each on its own task: on PostgreSQL a racer that read "no main device
    // yet" before another's commit used to clear that device and create its own (seen in CI
    // as ids [3, 3, 1] and two assets).
    let racers: Vec<_> = (0..8)
        .map(|_| {
            let router = d.app.router.clone();
            tokio::spawn(async move {
                let req = axum::http::Request::post("/api/update-main-device")
                    .header("content-type", "application/json")
                    .body(Body::from(REPORT))
                    .unwrap();
                let resp = tower::ServiceExt::oneshot(router, req).await.unwrap();
                let status = resp.status();
                let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
                    .await
                    .unwrap();
                (status, serde_json::from_slice::<Value>(&body).unwrap())
            })
        })
        .collect();
    let mut ids = Vec::new();
    for racer in racers {
        let (status, body) = racer.await.unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
        ids.push(body["main_id"].clone());
    }
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_eq!(d.count("SELECT COUNT(*) FROM hardware_assets").await, 1);
}

/// Today's hole: the collector wrote `credential`, `lisensi_windows` and the other fields seed
/// 000 says an admin fills by hand (and the admin could then reveal a planted `credential` as
/// if they had typed it). The collector accepts them as the contract sends them and writes none.
#[tokio::test]
async fn the_collector_never_writes_the_fields_an_admin_fills_by_hand() {
    let d = desk().await;
    let planted = r#"{"email":"budi@example.com","data":{"cpu":"Intel Core i7","jenis":"Server","lisensi_windows":"PLANTED-KEY","credential":"attacker:planted","office":"Planted Office","lisensi_office":"PLANTED-OFF"}}"#;
    // A device the collector creates: none of them set.
    let r = d.collect(planted, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let main_id = r.json()["main_id"].as_i64().unwrap();
    let path = format!("{HW}/{main_id}");
    let h = d.app.get(&path, &d.admin).await.json();
    assert_eq!(h["cpu"], "Intel Core i7");
    for field in ["jenis", "lisensi_windows", "office", "lisensi_office"] {
        assert_eq!(h[field], "", "{field}");
    }
    assert_eq!(h["credential_set"], false);

    // What the admin typed stays, whatever a report says.
    let r = d
        .send(
            Method::PATCH,
            &path,
            &d.admin,
            json!({"jenis": "PC", "lisensi_windows": "W10-PRO-KEY", "credential": "budi:rahasia",
                   "office": "Office 2019", "lisensi_office": "OFF-KEY"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = d.collect(&planted.replace("i7", "i9"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let h = d.app.get(&path, &d.admin).await.json();
    assert_eq!(h["cpu"], "Intel Core i9");
    assert_eq!(h["jenis"], "PC");
    assert_eq!(h["lisensi_windows"], "W10-PRO-KEY");
    assert_eq!(h["office"], "Office 2019");
    assert_eq!(h["lisensi_office"], "OFF-KEY");
    let r = d
        .send(Method::POST, &format!("{path}/reveal"), &d.admin, json!({}))
        .await;
    assert_eq!(r.json()["credential"], "budi:rahasia");
    // Still checked like the others: a non-string is the contract's 400.
    let r = d
        .collect(
            r#"{"email":"budi@example.com","data":{"credential":5}}"#,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.body,
        r#"{"status":"error","message":"data.credential must be a string or null"}"#
    );
}

/// Today's hole: the collector answered 200 or 404 for a thousand guessed emails in under a
/// second, telling which users exist. Past a few unknown emails per client address, every
/// answer to that address is the contract's 429 (a known email too, or it would still tell).
#[tokio::test]
async fn unknown_emails_are_limited_per_client_address() {
    let d = desk().await;
    let limit = piket_server::inventory::collector::UNKNOWN_PER_WINDOW;
    for i in 0..limit {
        let r = d
            .collect(
                &format!(r#"{{"email":"guess{i}@example.com","data":{{"cpu":"x"}}}}"#),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "guess {i}");
        assert_eq!(r.body, r#"{"status":"error","message":"User not found"}"#);
    }
    for email in ["guess-more@example.com", "budi@example.com"] {
        let r = d
            .collect(
                &format!(r#"{{"email":"{email}","data":{{"cpu":"x"}}}}"#),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{email}");
        assert_eq!(
            r.body,
            r#"{"status":"error","message":"Rate limit exceeded"}"#
        );
        assert_eq!(r.header("content-type"), "application/json");
    }
    assert_eq!(d.count("SELECT COUNT(*) FROM hardware_assets").await, 0);
    // The window ends: answers as before.
    d.app
        .clock
        .advance_ms(piket_server::inventory::collector::UNKNOWN_WINDOW_MS);
    assert_eq!(d.collect(REPORT, None).await.status, StatusCode::OK);
}

/// Parallel guesses all passed a limit checked before any of them was counted (review
/// finding): each request now takes its place in the count before the lookup.
#[tokio::test]
async fn parallel_unknown_emails_cannot_pass_the_limit_together() {
    let d = desk().await;
    let limit = piket_server::inventory::collector::UNKNOWN_PER_WINDOW as usize;
    let bodies: Vec<String> = (0..3 * limit)
        .map(|i| format!(r#"{{"email":"guess{i}@example.com","data":{{"cpu":"x"}}}}"#))
        .collect();
    let replies = futures_util::future::join_all(bodies.iter().map(|b| d.collect(b, None))).await;
    let answered = replies
        .iter()
        .filter(|r| r.status == StatusCode::NOT_FOUND)
        .count();
    assert!(answered <= limit, "{answered} answers for {limit} allowed");
    assert!(replies
        .iter()
        .all(|r| r.status == StatusCode::NOT_FOUND || r.status == StatusCode::TOO_MANY_REQUESTS));
}

/// Today's hole: naming any user's email, a collector report adopted an unowned asset of any
/// department by its hostname, rewrote it and made it that user's main device. It adopts only
/// within the user's department (or an asset without one); otherwise it makes a new device.
#[tokio::test]
async fn the_collector_adopts_a_hostname_match_only_in_the_users_department() {
    let d = desk().await;
    let hr_pc = d
        .create(
            &d.admin,
            json!({"name": "HR server", "type": "server", "department_id": d.hr,
                   "hostname": "DESKTOP-ABC123", "os": "Windows Server 2019"}),
        )
        .await;
    let hr_path = format!("{HW}/{}", hr_pc["id"]);
    let before = d.app.get(&hr_path, &d.admin).await.json();
    let r = d.collect(REPORT, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_ne!(r.json()["main_id"], hr_pc["id"]);
    assert_eq!(d.app.get(&hr_path, &d.admin).await.json(), before);
    // In Budi's own department the same match is adopted.
    let it_pc = d
        .create(
            &d.admin,
            json!({"name": "IT desk", "type": "desktop", "department_id": d.it,
                   "hostname": "PC-IT-9"}),
        )
        .await;
    d.app
        .user("rina@example.com", "requester", vec![d.it])
        .await;
    let mine = REPORT
        .replace("budi@", "rina@")
        .replace("DESKTOP-ABC123", "PC-IT-9");
    let r = d.collect(&mine, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["main_id"], it_pc["id"]);
    // An unowned asset of no department is nobody's to take by naming a user (review finding).
    let global = d
        .create(
            &d.admin,
            json!({"name": "DB server", "type": "server", "hostname": "DB-01"}),
        )
        .await;
    let global_path = format!("{HW}/{}", global["id"]);
    let before = d.app.get(&global_path, &d.admin).await.json();
    d.app
        .user("tono@example.com", "requester", vec![d.it])
        .await;
    let taker = REPORT
        .replace("budi@", "tono@")
        .replace("DESKTOP-ABC123", "DB-01");
    let r = d.collect(&taker, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_ne!(r.json()["main_id"], global["id"]);
    assert_eq!(d.app.get(&global_path, &d.admin).await.json(), before);
}
