//! Merging a duplicate hardware asset into another by hand: everything that hangs off the
//! duplicate moves (software without duplicates, licences, ticket links, identities, agents,
//! history, the newer last report), empty fields are filled and filled ones kept, the main-device
//! flag follows its owner, the duplicate is gone and the merge audited; and who may do it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::http::{Method, StatusCode};
use common::desk::{new_desk, Dept};
use common::{signed_in, Reply, TestApp};
use serde_json::{json, Value};

const HW: &str = "/api/v1/inventory/hardware";

struct Desk {
    app: TestApp,
    admin: String,
    it: i64,
    hr: i64,
    budi: i64,
}

async fn desk() -> Desk {
    let d = new_desk()
        .hr()
        .member("tech", "technician", Dept::It)
        .member("manager", "manager", Dept::It)
        .member("budi", "requester", Dept::It)
        .build()
        .await;
    Desk {
        budi: d.id("budi"),
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
    async fn software(&self, device: i64, items: Value) {
        let r = self
            .send(
                Method::PUT,
                &format!("{HW}/{device}/software"),
                &self.admin,
                items,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
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
    async fn merge(&self, into: i64, from: i64, key: &str) -> Reply {
        self.send(
            Method::POST,
            &format!("{HW}/{into}/merge"),
            key,
            json!({ "from": from }),
        )
        .await
    }
    async fn exec(&self, sql: &str, a: i64, b: i64) {
        let mut conn = self.app.state.db.pool.acquire().await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .bind(a)
            .bind(b)
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    async fn scalar(&self, sql: &str, a: i64) -> i64 {
        let mut conn = self.app.state.db.pool.acquire().await.unwrap();
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
            .bind(a)
            .fetch_one(&mut *conn)
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn merging_moves_everything_and_fills_only_empty_fields() {
    let d = desk().await;
    let keep = d
        .asset(
            json!({"name": "PC-7 (agent)", "type": "desktop", "hostname": "pc-7", "serial": "",
            "os": "Windows 11", "department_id": d.it, "credential": ""}),
        )
        .await;
    let dup = d
        .asset(json!({"name": "PC-7 (collector)", "type": "laptop", "hostname": "PC-7-OLD", "serial": "SN-77",
            "manufacturer": "Dell", "os": "Windows 10", "asset_tag": "IT-777", "owner_id": d.budi,
            "department_id": d.hr, "is_main": true, "credential": "hunter2", "ram_mb": 8192}))
        .await;
    d.software(
        keep,
        json!([{"name": "Firefox", "vendor": "Mozilla", "version": "128.0"},
               {"name": "7-Zip", "version": "24.08"}]),
    )
    .await;
    d.software(
        dup,
        json!([{"name": "Firefox", "vendor": "Mozilla", "version": "128.0"},
               {"name": "LibreOffice", "vendor": "TDF", "version": "24.2"}]),
    )
    .await;
    // A ticket about the duplicate, and one about both.
    let t1 = d
        .send(
            Method::POST,
            "/api/v1/tickets",
            &d.admin,
            json!({"title": "Slow", "asset_ids": [dup]}),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let t2 = d
        .send(
            Method::POST,
            "/api/v1/tickets",
            &d.admin,
            json!({"title": "Both", "asset_ids": [keep, dup]}),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    // The duplicate's agent identity, agent device and a newer last report.
    d.exec(
        "INSERT INTO asset_identities (kind, value, asset_id, last_seen_at) VALUES ('fusion', 'PC-7-2024', $1, $2)",
        dup,
        1,
    )
    .await;
    d.exec(
        "INSERT INTO agent_devices (device_key, secret_hash, asset_id, enrolled_at) VALUES ('dev_abc', 'x', $1, $2)",
        dup,
        1,
    )
    .await;
    d.exec(
        "INSERT INTO asset_reports (asset_id, source, fingerprint, received_at, inventory) VALUES ($1, 'old', 'f1', $2, '{}')",
        keep,
        100,
    )
    .await;
    d.exec(
        "INSERT INTO asset_reports (asset_id, source, fingerprint, received_at, inventory) VALUES ($1, 'new', 'f2', $2, '{}')",
        dup,
        200,
    )
    .await;
    let dup_history = d
        .scalar(
            "SELECT COUNT(*) FROM hardware_history WHERE asset_id = $1",
            dup,
        )
        .await;
    assert!(dup_history > 0);
    let keep_history = d
        .scalar(
            "SELECT COUNT(*) FROM hardware_history WHERE asset_id = $1",
            keep,
        )
        .await;

    let r = d.merge(keep, dup, &d.admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let h = r.json();
    assert_eq!(h["id"], keep);
    // Filled ones kept.
    assert_eq!(h["name"], "PC-7 (agent)");
    assert_eq!(h["type"], "desktop");
    assert_eq!(h["hostname"], "pc-7");
    assert_eq!(h["os"], "Windows 11");
    assert_eq!(h["department_id"], d.it);
    // Empty ones filled.
    assert_eq!(h["serial"], "SN-77");
    assert_eq!(h["manufacturer"], "Dell");
    assert_eq!(h["asset_tag"], "IT-777");
    assert_eq!(h["ram_mb"], 8192);
    assert_eq!(h["owner_id"], d.budi);
    assert_eq!(h["credential_set"], true);
    // The duplicate was Budi's main device; the survivor, now his, takes the flag.
    assert_eq!(h["is_main"], true);

    assert_eq!(
        d.app.get(&format!("{HW}/{dup}"), &d.admin).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        d.installed(keep).await,
        vec!["7-Zip 24.08", "Firefox 128.0", "LibreOffice 24.2"]
    );
    for t in [t1, t2] {
        let got = d
            .app
            .get(&format!("/api/v1/tickets/{t}"), &d.admin)
            .await
            .json();
        let linked: Vec<i64> = got["assets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_i64().unwrap())
            .collect();
        assert_eq!(linked, vec![keep], "ticket {t}");
    }
    assert_eq!(
        d.scalar("SELECT asset_id FROM asset_identities WHERE value = 'PC-7-2024' AND kind = 'fusion' AND $1 = $1", 0)
            .await,
        keep
    );
    assert_eq!(
        d.scalar(
            "SELECT asset_id FROM agent_devices WHERE device_key = 'dev_abc' AND $1 = $1",
            0
        )
        .await,
        keep
    );
    assert_eq!(
        d.scalar(
            "SELECT received_at FROM asset_reports WHERE asset_id = $1",
            keep
        )
        .await,
        200
    );
    assert_eq!(
        d.scalar(
            "SELECT COUNT(*) FROM asset_reports WHERE asset_id = $1",
            keep
        )
        .await,
        1
    );
    let history = d
        .app
        .get(&format!("{HW}/{keep}/history"), &d.admin)
        .await
        .json();
    let items = history["items"].as_array().unwrap();
    assert!(items.len() as i64 > dup_history + keep_history, "{history}");
    assert!(
        items
            .iter()
            .any(|e| e["field"] == "merged"
                && e["new_value"] == format!("#{dup} (PC-7 (collector))")),
        "{history}"
    );
    assert!(
        items
            .iter()
            .any(|e| e["field"] == "serial" && e["new_value"] == "SN-77"),
        "{history}"
    );
    assert_eq!(d.app.audit_count("hardware.merge").await, 1);
    let mut conn = d.app.state.db.pool.acquire().await.unwrap();
    let (object, before): (i64, String) = sqlx::query_as(
        "SELECT object_id, before_json FROM audit_log WHERE action = 'hardware.merge'",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(object, keep);
    let before: Value = serde_json::from_str(&before).unwrap();
    assert_eq!(before["from"]["id"], dup);
    assert_eq!(before["into"]["id"], keep);
}

#[tokio::test]
async fn a_merge_keeps_the_survivors_main_flag_and_other_owners_alone() {
    let d = desk().await;
    let sari = d
        .app
        .user("sari@example.com", "requester", vec![d.it])
        .await
        .id;
    let keep = d
        .asset(
            json!({"name": "Sari PC", "type": "desktop", "owner_id": sari, "department_id": d.it}),
        )
        .await;
    let dup = d
        .asset(json!({"name": "Budi PC", "type": "desktop", "owner_id": d.budi, "is_main": true, "department_id": d.it}))
        .await;
    let h = d.merge(keep, dup, &d.admin).await.json();
    assert_eq!(h["owner_id"], sari);
    assert_eq!(h["is_main"], false);
}

#[tokio::test]
async fn merges_are_refused_when_they_make_no_sense_or_are_out_of_reach() {
    let d = desk().await;
    let it_pc = d
        .asset(json!({"name": "IT PC", "type": "desktop", "department_id": d.it}))
        .await;
    let it_pc2 = d
        .asset(json!({"name": "IT PC again", "type": "desktop", "department_id": d.it}))
        .await;
    let hr_pc = d
        .asset(json!({"name": "HR PC", "type": "desktop", "department_id": d.hr}))
        .await;
    let r = d.merge(it_pc, it_pc, &d.admin).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = d.merge(it_pc, 999_999, &d.admin).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = d.merge(999_999, it_pc, &d.admin).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);

    let tech = d
        .app
        .key_for(
            d.scalar(
                "SELECT id FROM users WHERE email = 'tech@example.com' AND $1 = $1",
                0,
            )
            .await,
        )
        .await;
    // The IT technician does not reach HR's asset, either way round.
    let r = d.merge(hr_pc, it_pc, &tech).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = d.merge(it_pc, hr_pc, &tech).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // A manager reads inventory but may not change it.
    let manager = d
        .app
        .key_for(
            d.scalar(
                "SELECT id FROM users WHERE email = 'manager@example.com' AND $1 = $1",
                0,
            )
            .await,
        )
        .await;
    let r = d.merge(it_pc, it_pc2, &manager).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // Nothing was merged.
    for id in [it_pc, it_pc2, hr_pc] {
        assert_eq!(
            d.app.get(&format!("{HW}/{id}"), &d.admin).await.status,
            StatusCode::OK
        );
    }
    assert_eq!(d.app.audit_count("hardware.merge").await, 0);
    // Within reach, the technician may.
    let r = d.merge(it_pc, it_pc2, &tech).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn the_asset_page_merges_by_number_or_tag() {
    let d = desk().await;
    let keep = d
        .asset(json!({"name": "Keeper", "type": "desktop", "department_id": d.it}))
        .await;
    let dup = d
        .asset(json!({"name": "Dupe", "type": "desktop", "asset_tag": "IT-900", "department_id": d.it}))
        .await;
    let mut admin = signed_in(&d.app, "root@example.com").await;
    // The merge form is on the asset's edit page, behind its Edit button.
    let r = admin.get(&format!("/inventory/{keep}")).await;
    assert!(
        r.body.contains(&format!("href=\"/inventory/{keep}/edit\"")),
        "{}",
        r.body
    );
    let r = admin.get(&format!("/inventory/{keep}/edit")).await;
    assert!(r.body.contains("id=\"merge-form\""), "{}", r.body);
    let r = admin
        .post(&format!("/inventory/{keep}/merge"), &[("from", "no-such")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("no such asset"), "{}", r.body);
    let r = admin
        .post(&format!("/inventory/{keep}/merge"), &[("from", "it-900")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        r.header("location"),
        format!("/inventory/{keep}?msg=merged")
    );
    let r = admin.get(&format!("/inventory/{keep}?msg=merged")).await;
    assert!(r.body.contains("The assets are merged."), "{}", r.body);
    assert!(r.body.contains("IT-900"), "{}", r.body);
    assert_eq!(
        admin.get(&format!("/inventory/{dup}")).await.status,
        StatusCode::NOT_FOUND
    );
    // A manager reads the page but gets no merge form, and may not post one.
    let mut manager = signed_in(&d.app, "manager@example.com").await;
    let r = manager.get(&format!("/inventory/{keep}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(!r.body.contains("id=\"merge-form\""), "{}", r.body);
    assert!(!r.body.contains("/edit\""), "{}", r.body);
    assert_eq!(
        manager.get(&format!("/inventory/{keep}/edit")).await.status,
        StatusCode::FORBIDDEN
    );
    let r = manager
        .post(&format!("/inventory/{keep}/merge"), &[("from", "1")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
}
