//! Piket's own agent, server side: enrollment tokens, enrollment, inventory reports, the limits
//! on what an agent may send, and that an agent credential opens nothing else.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::io::Write;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::desk::new_desk;
use common::{signed_in, Reply, TestApp};
use serde_json::{json, Value};

const TOKENS: &str = "/api/v1/agent/enrollment-tokens";
const ENROLL: &str = "/api/v1/agent/enroll";
const INVENTORY: &str = "/api/v1/agent/inventory";

struct Desk {
    app: TestApp,
    admin: String,
    it: i64,
}

async fn desk() -> Desk {
    let d = new_desk().build().await;
    Desk {
        admin: d.admin,
        it: d.it,
        app: d.app,
    }
}

impl Desk {
    async fn token(&self, body: Value) -> String {
        let r = self.app.json(Method::POST, TOKENS, &self.admin, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let j = r.json();
        let secret = j["secret"].as_str().unwrap().to_string();
        assert!(j["command"]
            .as_str()
            .unwrap()
            .ends_with(&format!("--token {secret}")));
        secret
    }
    async fn enroll(&self, token: &str, hostname: &str, serial: &str) -> Reply {
        let body = json!({"token": token, "hostname": hostname, "serial": serial,
            "manufacturer": "Dell", "agent_version": "0.1.0"});
        self.app
            .send(
                Method::POST,
                ENROLL,
                &[("content-type", "application/json")],
                Body::from(body.to_string()),
            )
            .await
    }
    async fn enrolled(&self, token: &str, hostname: &str, serial: &str) -> (String, String, i64) {
        let r = self.enroll(token, hostname, serial).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let j = r.json();
        (
            j["device_id"].as_str().unwrap().to_string(),
            j["secret"].as_str().unwrap().to_string(),
            j["asset_id"].as_i64().unwrap(),
        )
    }
    async fn report(&self, auth: &str, body: Vec<u8>, gzip: bool) -> Reply {
        let bearer = format!("Bearer {auth}");
        let mut headers = vec![
            ("content-type", "application/json"),
            ("authorization", bearer.as_str()),
        ];
        if gzip {
            headers.push(("content-encoding", "gzip"));
        }
        self.app
            .send(Method::POST, INVENTORY, &headers, Body::from(body))
            .await
    }
    async fn count(&self, sql: &'static str) -> i64 {
        let mut conn = self.app.state.db.pool.acquire().await.unwrap();
        sqlx::query_scalar(sql).fetch_one(&mut *conn).await.unwrap()
    }
    async fn rows(&self) -> (i64, i64, i64) {
        (
            self.count("SELECT COUNT(*) FROM hardware_assets").await,
            self.count("SELECT COUNT(*) FROM agent_devices").await,
            self.count("SELECT COUNT(*) FROM asset_identities").await,
        )
    }
}

fn report_json(ram_gb: u64, software: &[&str]) -> Vec<u8> {
    let sw: Vec<Value> = software
        .iter()
        .map(|n| json!({"name": n, "version": "1.0"}))
        .collect();
    json!({"protocol": 1, "agent_version": "0.1.1", "inventory": {
        "hostname": "pc-01", "os": {"name": "Ubuntu", "version": "24.04"},
        "hardware": {"manufacturer": "Dell", "model": "OptiPlex", "serial": "SN1"},
        "cpu": {"model": "i5", "cores": 4, "threads": 8},
        "memory_bytes": ram_gb * 1024 * 1024 * 1024, "software": sw}})
    .to_string()
    .into_bytes()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// Page text with HTML escapes undone.
fn text(r: &Reply) -> String {
    r.body
        .replace("&#x2f;", "/")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&#34;", "\"")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#38;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[tokio::test]
async fn admins_create_list_and_revoke_tokens_technicians_may_not() {
    let d = desk().await;
    let secret = d
        .token(json!({"name": "Lab", "department_id": d.it, "max_uses": 5}))
        .await;
    assert!(secret.starts_with("enr_"));
    let r = d.app.get(TOKENS, &d.admin).await;
    assert_eq!(r.status, StatusCode::OK);
    let list = r.json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    let t = &list[0];
    assert_eq!(t["status"], "active");
    assert_eq!(t["department_id"], d.it);
    assert_eq!(t["max_uses"], 5);
    assert!(t.get("secret").is_none(), "the secret is shown once only");
    assert!(!text(&r).contains(&secret));
    // Stored hashed.
    let plain = d
        .count("SELECT COUNT(*) FROM enrollment_tokens WHERE token_hash LIKE 'enr_%'")
        .await;
    assert_eq!(plain, 0);
    assert_eq!(d.app.audit_count("agent.token_create").await, 1);

    let bad = d
        .app
        .json(
            Method::POST,
            TOKENS,
            &d.admin,
            json!({"name": "x", "expires_in_days": 400}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);

    let tech = d
        .app
        .user("tech@example.com", "technician", vec![d.it])
        .await;
    let tk = d.app.key_for(tech.id).await;
    assert_eq!(d.app.get(TOKENS, &tk).await.status, StatusCode::FORBIDDEN);
    let r = d
        .app
        .json(Method::POST, TOKENS, &tk, json!({"name": "mine"}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let id = t["id"].as_i64().unwrap();
    let path = format!("{TOKENS}/{id}");
    let r = d
        .app
        .send(Method::DELETE, &path, &[("x-api-key", &tk)], Body::empty())
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let r = d
        .app
        .send(
            Method::DELETE,
            &path,
            &[("x-api-key", &d.admin)],
            Body::empty(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "revoked");
    assert_eq!(d.app.audit_count("agent.token_revoke").await, 1);
    assert_eq!(
        d.enroll(&secret, "pc", "").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn enrollment_creates_a_device_and_an_asset_in_the_tokens_department() {
    let d = desk().await;
    let secret = d.token(json!({"name": "IT", "department_id": d.it})).await;
    let r = d.enroll(&secret, "pc-01", "SN1").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let j = r.json();
    let device = j["device_id"].as_str().unwrap();
    assert!(device.starts_with("dev_"));
    assert_eq!(j["report_interval_hours"], 24);
    let asset = j["asset_id"].as_i64().unwrap();
    let hw = d
        .app
        .get(&format!("/api/v1/inventory/hardware/{asset}"), &d.admin)
        .await
        .json();
    assert_eq!(hw["department_id"], d.it);
    assert_eq!(hw["serial"], "SN1");
    assert_eq!(hw["hostname"], "pc-01");
    let mut conn = d.app.state.db.pool.acquire().await.unwrap();
    let (kind, mapped): (String, i64) =
        sqlx::query_as("SELECT kind, asset_id FROM asset_identities WHERE value = $1")
            .bind(device)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert_eq!((kind.as_str(), mapped), ("piket", asset));
    let hash: String =
        sqlx::query_scalar("SELECT secret_hash FROM agent_devices WHERE device_key = $1")
            .bind(device)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert_ne!(hash, j["secret"].as_str().unwrap());
    drop(conn);
    assert_eq!(d.app.audit_count("agent.enroll").await, 1);
    let listed = d.app.get(TOKENS, &d.admin).await.json();
    assert_eq!(listed[0]["uses"], 1);

    // The same machine again (same serial): the asset is the first device's, so the second
    // device gets a new asset and the admin a merge suggestion.
    let (_, _, again) = d.enrolled(&secret, "pc-01-renamed", "sn1").await;
    assert_ne!(again, asset);
    assert_eq!(d.rows().await.0, 2);
    assert_eq!(d.rows().await.1, 2);
    let devices = d.app.get("/api/v1/agent/devices", &d.admin).await.json();
    assert_eq!(devices.as_array().unwrap().len(), 2);
    assert_eq!(
        d.count("SELECT COUNT(*) FROM asset_merge_suggestions WHERE reason = 'serial'")
            .await,
        1
    );
}

/// Today's attack: a department's enrollment token enrolled as another department's asset by
/// sending its serial or hostname, and the agent then rewrote that asset. A token adopts only
/// an asset in its own department that no other device owns; otherwise it makes a new asset
/// and a merge suggestion.
#[tokio::test]
async fn a_token_never_enrolls_into_another_departments_asset() {
    let d = desk().await;
    let hr = d.app.department(&d.admin, "HR").await;
    let mk = |name: &str, dept: i64, serial: &str, host: &str| {
        json!({"name": name, "type": "desktop", "department_id": dept,
               "manufacturer": "Dell", "serial": serial, "hostname": host})
    };
    let mut ids = Vec::new();
    for body in [
        mk("HR by serial", hr, "HR-SN", ""),
        mk("HR by host", hr, "", "hr-host"),
        mk("IT PC", d.it, "IT-SN", ""),
    ] {
        let r = d
            .app
            .json(Method::POST, "/api/v1/inventory/hardware", &d.admin, body)
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        ids.push(r.json()["id"].as_i64().unwrap());
    }
    let secret = d.token(json!({"name": "IT", "department_id": d.it})).await;
    for (host, serial, target) in [("x", "HR-SN", ids[0]), ("hr-host", "", ids[1])] {
        let (_, _, got) = d.enrolled(&secret, host, serial).await;
        assert_ne!(got, target, "{host} {serial}");
        let hw = d
            .app
            .get(&format!("/api/v1/inventory/hardware/{got}"), &d.admin)
            .await
            .json();
        assert_eq!(hw["department_id"], d.it);
        let mut conn = d.app.state.db.pool.acquire().await.unwrap();
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM asset_merge_suggestions WHERE asset_id = $1 AND other_id = $2",
        )
        .bind(got)
        .bind(target)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert_eq!(n, 1);
    }
    let hr_ids = d
        .count("SELECT COUNT(*) FROM asset_identities i JOIN hardware_assets a ON a.id = i.asset_id WHERE a.department_id IS NOT NULL AND a.name LIKE 'HR %'")
        .await;
    assert_eq!(hr_ids, 0, "no agent reports into HR's assets");
    // Its own department's asset, no agent yet: adopted.
    let (_, _, got) = d.enrolled(&secret, "it-pc", "IT-SN").await;
    assert_eq!(got, ids[2]);
}

#[tokio::test]
async fn bad_expired_revoked_and_used_up_tokens_get_401_and_create_nothing() {
    let d = desk().await;
    let once = d.token(json!({"name": "once", "max_uses": 1})).await;
    let short = d
        .token(json!({"name": "short", "expires_in_days": 1}))
        .await;
    let revoked = d.token(json!({"name": "revoked"})).await;
    let id = d.app.get(TOKENS, &d.admin).await.json()[0]["id"]
        .as_i64()
        .unwrap();
    let r = d
        .app
        .send(
            Method::POST,
            &format!("{TOKENS}/{id}/revoke"),
            &[("x-api-key", &d.admin)],
            Body::empty(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    d.enrolled(&once, "first", "").await;
    let before = d.rows().await;
    d.app.clock.advance_ms(2 * 24 * 60 * 60 * 1000);
    for t in ["enr_nonsense", "", &short, &revoked, &once] {
        let r = d.enroll(t, "pc-x", "SNX").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{t}: {}", r.body);
        assert_eq!(r.json()["error"], "invalid_token");
        assert_eq!(r.header("content-type"), "application/json");
    }
    assert_eq!(d.rows().await, before);
    let statuses: Vec<String> = d
        .app
        .get(TOKENS, &d.admin)
        .await
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(statuses, ["revoked", "expired", "used_up"]);
    // Unknown fields are refused.
    let r = d
        .app
        .send(
            Method::POST,
            ENROLL,
            &[],
            Body::from(r#"{"token":"x","admin":true}"#),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn failed_enrollments_are_rate_limited() {
    let d = desk().await;
    let good = d.token(json!({"name": "ok"})).await;
    for i in 0..10 {
        let r = d.enroll("enr_wrong", "pc", "").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let r = d.enroll("enr_wrong", "pc", "").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.json()["error"], "rate_limited");
    assert!(r.header("retry-after").parse::<u64>().unwrap() > 0);
    // Even a good token waits for the window to end.
    assert_eq!(
        d.enroll(&good, "pc", "").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    d.app.clock.advance_ms(11 * 60 * 1000);
    assert_eq!(d.enroll(&good, "pc", "").await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn reports_plain_and_gzip_unchanged_is_cheap_and_changes_are_history() {
    let d = desk().await;
    let t = d.token(json!({"name": "t"})).await;
    let (dev, secret, asset) = d.enrolled(&t, "pc-01", "SN1").await;
    let auth = format!("{dev}.{secret}");
    let r = d
        .report(&auth, report_json(16, &["Firefox", "Vim"]), false)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let j = r.json();
    assert_eq!(j["status"], "updated");
    assert_eq!(j["asset_id"], asset);
    assert_eq!(j["report_interval_hours"], 24);
    let history = d.count("SELECT COUNT(*) FROM hardware_history").await;
    let installs = d.count("SELECT COUNT(*) FROM software_installations").await;
    assert_eq!(installs, 2);

    // The same report again, gzipped: unchanged, nothing written.
    let r = d
        .report(&auth, gzip(&report_json(16, &["Firefox", "Vim"])), true)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "unchanged");
    assert_eq!(r.json()["fingerprint"], j["fingerprint"]);
    assert_eq!(
        d.count("SELECT COUNT(*) FROM hardware_history").await,
        history
    );
    assert_eq!(
        d.count("SELECT COUNT(*) FROM software_installations").await,
        installs
    );

    // More RAM: a history row for "ram".
    let r = d
        .report(&auth, gzip(&report_json(32, &["Firefox", "Vim"])), true)
        .await;
    assert_eq!(r.json()["status"], "updated");
    let mut conn = d.app.state.db.pool.acquire().await.unwrap();
    let ram: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM hardware_history WHERE asset_id = $1 AND field = 'ram'",
    )
    .bind(asset)
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert!(ram >= 1);
    let (version, seen): (String, Option<i64>) = sqlx::query_as(
        "SELECT agent_version, last_seen_at FROM agent_devices WHERE device_key = $1",
    )
    .bind(&dev)
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(version, "0.1.1");
    assert!(seen.is_some());
}

/// A report with an `x-piket-fingerprint` claim.
async fn claimed(d: &Desk, bearer: &str, fingerprint: &str, body: &'static str) -> Reply {
    d.app
        .send(
            Method::POST,
            INVENTORY,
            &[
                ("content-type", "application/json"),
                ("authorization", bearer),
                ("x-piket-fingerprint", fingerprint),
            ],
            Body::from(body),
        )
        .await
}

#[tokio::test]
async fn a_fingerprint_header_matching_the_last_report_skips_the_body() {
    let d = desk().await;
    let t = d.token(json!({"name": "t"})).await;
    let (dev, secret, _) = d.enrolled(&t, "pc-02", "SN2").await;
    let bearer = format!("Bearer {dev}.{secret}");
    let r = d
        .report(&format!("{dev}.{secret}"), report_json(16, &["Vim"]), false)
        .await;
    let fingerprint = r.json()["fingerprint"].as_str().unwrap().to_string();
    // The claimed fingerprint is the stored one: answered without parsing the (bad) body.
    let r = claimed(&d, &bearer, &fingerprint, "not json").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "unchanged");
    assert_eq!(r.json()["fingerprint"], fingerprint.as_str());
    // Another fingerprint: the body is read (and this one is refused).
    let r = claimed(&d, &bearer, &"0".repeat(32), "not json").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    // A wrong credential never reaches the shortcut.
    let r = d
        .app
        .send(
            Method::POST,
            INVENTORY,
            &[
                ("authorization", format!("Bearer {dev}.wrong").as_str()),
                ("x-piket-fingerprint", fingerprint.as_str()),
            ],
            Body::from("{}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
}

#[tokio::test]
async fn untrusted_reports_are_refused_without_writing() {
    let d = desk().await;
    let t = d.token(json!({"name": "t"})).await;
    let (dev, secret, _) = d.enrolled(&t, "pc-01", "SN1").await;
    let auth = format!("{dev}.{secret}");
    let before = d.count("SELECT COUNT(*) FROM asset_reports WHERE source = 'piket' AND inventory LIKE '%OptiPlex%'").await;
    assert_eq!(before, 0);

    // A zip bomb: 20 MiB of zeros in ~20 KiB.
    let bomb = gzip(&vec![b' '; 20 * 1024 * 1024]);
    assert!(bomb.len() < 100 * 1024);
    let r = d.report(&auth, bomb, true).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert_eq!(r.json()["error"], "too_large");
    // More than 4 MiB sent.
    let r = d.report(&auth, vec![b' '; 5 * 1024 * 1024], false).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    // Bad JSON, unknown fields, a wrong protocol, too many software entries.
    let r = d.report(&auth, b"{not json".to_vec(), false).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["error"], "bad_request");
    let r = d
        .report(
            &auth,
            br#"{"protocol":1,"inventory":{"hostname":"a"},"asset_id":5}"#.to_vec(),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = d
        .report(
            &auth,
            br#"{"protocol":9,"inventory":{"hostname":"a"}}"#.to_vec(),
            false,
        )
        .await;
    assert_eq!(r.json()["error"], "unsupported_protocol");
    let names: Vec<String> = (0..10_001).map(|i| format!("app{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let r = d.report(&auth, gzip(&report_json(8, &refs)), true).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    let r = d.report(&auth, b"not gzip".to_vec(), true).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Nesting deeper than serde_json's limit is a 400, not a crash.
    let deep = format!("{}{}", "[".repeat(200_000), "]".repeat(200_000));
    let r = d.report(&auth, deep.into_bytes(), false).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        d.count("SELECT COUNT(*) FROM software_installations").await,
        0
    );
    assert_eq!(
        d.count("SELECT COUNT(*) FROM asset_reports WHERE inventory LIKE '%OptiPlex%'")
            .await,
        0
    );

    // Wrong secret, unknown device, not a device credential.
    for bad in [
        format!("{dev}.wrong"),
        "dev_nobody.secret".to_string(),
        "pk_x_y".to_string(),
    ] {
        let r = d.report(&bad, report_json(8, &[]), false).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{bad}");
        assert_eq!(r.json()["error"], "invalid_credentials");
    }
    // A revoked device.
    let devices = d.app.get("/api/v1/agent/devices", &d.admin).await.json();
    let id = devices[0]["id"].as_i64().unwrap();
    let r = d
        .app
        .send(
            Method::DELETE,
            &format!("/api/v1/agent/devices/{id}"),
            &[("x-api-key", &d.admin)],
            Body::empty(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = d.report(&auth, report_json(8, &[]), false).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn agent_credentials_open_nothing_else() {
    let d = desk().await;
    let t = d.token(json!({"name": "t"})).await;
    let (dev, secret, asset) = d.enrolled(&t, "pc-01", "SN1").await;
    let other = d.enrolled(&t, "pc-02", "SN2").await.2;
    assert_ne!(asset, other);
    let bearer = format!("Bearer {dev}.{secret}");
    for path in [
        "/api/v1/tickets",
        "/api/v1/inventory/hardware",
        "/api/v1/me",
        TOKENS,
    ] {
        let r = d
            .app
            .send(
                Method::GET,
                path,
                &[("authorization", &bearer)],
                Body::empty(),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    // Its reports land on its own asset, whatever the report says.
    let mut body: Value = serde_json::from_slice(&report_json(8, &[])).unwrap();
    body["inventory"]["hostname"] = json!("pc-02");
    body["inventory"]["hardware"]["serial"] = json!("SN2");
    let r = d
        .report(
            &format!("{dev}.{secret}"),
            body.to_string().into_bytes(),
            false,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["asset_id"], asset);
}

#[tokio::test]
async fn the_collector_accepts_an_enrollment_token_when_tokens_are_required() {
    let d = desk().await;
    d.app
        .user("budi@example.com", "requester", vec![d.it])
        .await;
    let mut admin = signed_in(&d.app, "root@example.com").await;
    let r = admin
        .post(
            "/admin/inventory/collector",
            &[("enabled", "on"), ("token", "generate")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let t = d.token(json!({"name": "t"})).await;
    let body = r#"{"email":"budi@example.com","data":{"hostname":"budi-pc"}}"#;
    let send = |token: Option<String>| {
        let app = &d.app;
        async move {
            let mut headers = vec![("content-type", "application/json".to_string())];
            if let Some(t) = token {
                headers.push(("x-enrollment-token", t));
            }
            let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.send(
                Method::POST,
                "/api/update-main-device",
                &h,
                Body::from(body),
            )
            .await
        }
    };
    assert_eq!(send(None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        send(Some("enr_wrong".into())).await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = send(Some(t.clone())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["status"], "success");
    d.app.clock.advance_ms(8 * 24 * 60 * 60 * 1000);
    assert_eq!(send(Some(t)).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn admin_page_shows_a_token_once_and_revokes_it() {
    let d = desk().await;
    let mut admin = signed_in(&d.app, "root@example.com").await;
    let r = admin
        .post(
            "/admin/inventory/agents",
            &[
                ("name", "Floor 2"),
                ("department_id", &d.it.to_string()),
                ("expires_in_days", "7"),
                ("max_uses", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(text(&r).contains("piket-agent enroll --server http://piket.test --token enr_"));
    let secret = text(&r).split("--token ").nth(1).unwrap()[..44].to_string();
    let page = admin.get("/admin/inventory/agents").await;
    assert!(text(&page).contains("Floor 2"));
    assert!(!text(&page).contains(&secret), "shown once only");
    let (dev, _, _) = d.enrolled(&secret, "pc-9", "").await;
    assert!(text(&admin.get("/admin/inventory/agents").await).contains(&dev));
    // Revoke the device from the page: its reports get 401.
    let device_row = d.app.get("/api/v1/agent/devices", &d.admin).await.json()[0]["id"]
        .as_i64()
        .unwrap();
    let r = admin
        .post(
            &format!("/admin/inventory/agents/devices/{device_row}/revoke"),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let devices = d.app.get("/api/v1/agent/devices", &d.admin).await.json();
    assert!(devices[0]["revoked_at"].is_string());
    assert_eq!(d.app.audit_count("agent.device_revoke").await, 1);
    let id = d.app.get(TOKENS, &d.admin).await.json()[0]["id"]
        .as_i64()
        .unwrap();
    let r = admin
        .post(&format!("/admin/inventory/agents/tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(text(&admin.get("/admin/inventory/agents").await).contains("Revoked"));
    let r = admin
        .post(
            "/admin/inventory/agents",
            &[("name", "x"), ("expires_in_days", "999")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(text(&r).contains("between 1 and 365"));

    let tech = d
        .app
        .user("tech@example.com", "technician", vec![d.it])
        .await;
    let _ = tech;
    let mut t = signed_in(&d.app, "tech@example.com").await;
    assert_eq!(
        t.get("/admin/inventory/agents").await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn requesters_make_a_personal_command_that_makes_them_the_owner() {
    let d = desk().await;
    let budi = d
        .app
        .user("budi@example.com", "requester", vec![d.it])
        .await;
    let mut b = signed_in(&d.app, "budi@example.com").await;
    let page = b.get("/agent").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(text(&page)
        .contains("piket-agent collect --server http://piket.test --email budi@example.com"));
    assert!(text(&page).contains("systemctl enable --now piket-agent"));
    assert!(text(&page).contains("install.cmd http://piket.test <TOKEN>"));
    assert!(text(&page).contains("piket-agent desktop --server http://piket.test"));
    assert!(text(&page).contains("id=\"no-downloads\""));
    let r = b.post("/agent/command", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let body = text(&r);
    let line = body
        .split("piket-agent enroll --server http://piket.test --token ")
        .nth(1)
        .unwrap();
    let secret = line[..44].to_string();
    assert!(secret.starts_with("enr_"));
    let (_, _, asset) = d.enrolled(&secret, "budi-laptop", "SNB").await;
    let hw = d
        .app
        .get(&format!("/api/v1/inventory/hardware/{asset}"), &d.admin)
        .await
        .json();
    assert_eq!(hw["owner_id"], budi.id);
    assert_eq!(hw["department_id"], d.it);
    // Single use.
    assert_eq!(
        d.enroll(&secret, "other", "").await.status,
        StatusCode::UNAUTHORIZED
    );
    // A personal command never takes over somebody else's asset: same serial, a new asset.
    let r = b.post("/agent/command", &[]).await;
    let body = text(&r);
    let second = body.split("--token ").nth(1).unwrap()[..44].to_string();
    let rina = d
        .app
        .user("rina@example.com", "requester", vec![d.it])
        .await;
    let mut conn = d.app.state.db.pool.acquire().await.unwrap();
    sqlx::query("UPDATE hardware_assets SET owner_id = $1 WHERE id = $2")
        .bind(rina.id)
        .bind(asset)
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    let (_, _, other) = d.enrolled(&second, "budi-laptop", "SNB").await;
    assert_ne!(other, asset);
    let hw = d
        .app
        .get(&format!("/api/v1/inventory/hardware/{asset}"), &d.admin)
        .await
        .json();
    assert_eq!(hw["owner_id"], rina.id);
    let hw = d
        .app
        .get(&format!("/api/v1/inventory/hardware/{other}"), &d.admin)
        .await
        .json();
    assert_eq!(hw["owner_id"], budi.id);
    // Personal tokens are not in the admin list.
    assert_eq!(
        d.app
            .get(TOKENS, &d.admin)
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test]
async fn downloads_are_listed_and_served_from_the_data_folder_only() {
    let d = desk().await;
    let folder = d.app.state.config.data_dir.join("downloads");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("piket-agent-linux-x86_64"), b"ELF binary").unwrap();
    d.app
        .user("budi@example.com", "requester", vec![d.it])
        .await;
    let mut b = signed_in(&d.app, "budi@example.com").await;
    let page = b.get("/agent").await;
    assert!(text(&page).contains("/agent/download/piket-agent-linux-x86_64"));
    let r = b.get("/agent/download/piket-agent-linux-x86_64").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, "ELF binary");
    assert!(r.header("content-disposition").starts_with("attachment"));
    assert_eq!(
        b.get("/agent/download/..%2Fpiket.db").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        b.get("/agent/download/missing").await.status,
        StatusCode::NOT_FOUND
    );
}

/// Personal commands run at the same instant on one machine (a script that retried, two
/// commands pasted at once) race for the asset an admin registered for it: exactly one device
/// adopts it, every other one is a device of its own with a new asset and a merge suggestion.
/// On PostgreSQL the enrollment takes its turn before looking for the machine (`db/turns.rs`),
/// so two cannot both find it unowned.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_personal_enrollments_of_one_machine_adopt_its_asset_once() {
    let d = desk().await;
    let budi = d
        .app
        .user("budi@example.com", "requester", vec![d.it])
        .await;
    // Registered for Budi (its owner): a personal command adopts only its maker's assets.
    let r = d
        .app
        .json(
            Method::POST,
            "/api/v1/inventory/hardware",
            &d.admin,
            json!({"name": "Budi's laptop", "type": "laptop", "department_id": d.it,
                   "manufacturer": "Dell", "serial": "SN-RACE", "owner_id": budi.id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let registered = r.json()["id"].as_i64().unwrap();
    let mut b = signed_in(&d.app, "budi@example.com").await;
    let mut secrets = Vec::new();
    for _ in 0..16 {
        let r = b.post("/agent/command", &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let body = text(&r);
        secrets.push(body.split("--token ").nth(1).unwrap()[..44].to_string());
    }
    let racers: Vec<_> = secrets
        .into_iter()
        .map(|secret| {
            let router = d.app.router.clone();
            let body = json!({"token": secret, "hostname": "budi-laptop", "serial": "SN-RACE",
                "manufacturer": "Dell", "agent_version": "0.1.0"});
            tokio::spawn(async move {
                use tower::ServiceExt;
                let req = axum::http::Request::builder()
                    .method("POST")
                    .uri(ENROLL)
                    .header("content-type", "application/json")
                    .body(Body::from(body.to_string()))
                    .unwrap();
                router.oneshot(req).await.unwrap().status()
            })
        })
        .collect();
    for racer in racers {
        assert_eq!(racer.await.unwrap(), StatusCode::CREATED);
    }
    assert_eq!(d.count("SELECT COUNT(*) FROM agent_devices").await, 16);
    let mut conn = d.app.state.db.pool.acquire().await.unwrap();
    let adopted: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM agent_devices WHERE asset_id = $1")
        .bind(registered)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    assert_eq!(adopted, 1, "one device adopts the registered asset");
    assert_eq!(d.count("SELECT COUNT(*) FROM hardware_assets").await, 16);
    assert_eq!(
        d.count("SELECT COUNT(*) FROM asset_merge_suggestions")
            .await,
        15
    );
}

/// Review finding: any signed-in user (a requester too) can make a personal command, and its
/// token adopted an unowned asset of their department by serial (a shared server, a spare
/// laptop), making them its owner with an agent that rewrites it. A personal token adopts only
/// an asset its maker already owns; an unowned match is a new asset and a merge suggestion.
#[tokio::test]
async fn a_personal_command_never_takes_an_unowned_shared_asset() {
    let d = desk().await;
    let budi = d
        .app
        .user("budi@example.com", "requester", vec![d.it])
        .await;
    let r = d
        .app
        .json(
            Method::POST,
            "/api/v1/inventory/hardware",
            &d.admin,
            json!({"name": "File server", "type": "server", "department_id": d.it,
                   "manufacturer": "Dell", "serial": "SN-SHARED"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let shared = r.json()["id"].as_i64().unwrap();
    let before = d
        .app
        .get(&format!("/api/v1/inventory/hardware/{shared}"), &d.admin)
        .await
        .json();
    let mut b = signed_in(&d.app, "budi@example.com").await;
    let r = b.post("/agent/command", &[]).await;
    let secret = text(&r).split("--token ").nth(1).unwrap()[..44].to_string();
    let (_, _, asset) = d.enrolled(&secret, "file-server", "SN-SHARED").await;
    assert_ne!(asset, shared);
    let after = d
        .app
        .get(&format!("/api/v1/inventory/hardware/{shared}"), &d.admin)
        .await
        .json();
    assert_eq!(after, before);
    assert_eq!(after["owner_id"], Value::Null);
    let mine = d
        .app
        .get(&format!("/api/v1/inventory/hardware/{asset}"), &d.admin)
        .await
        .json();
    assert_eq!(mine["owner_id"], budi.id);
}
