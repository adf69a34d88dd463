//! FusionInventory/OCS (XML) and GLPI (JSON) agents reporting into Piket: the protocols' answers,
//! compressed like the requests; inventories landing in one asset per machine; and hostile
//! bodies (zip bombs, entities, deep nesting, huge strings, garbage) refused with nothing stored.
//! Agents sign in with HTTP Basic (an enrollment token as the password); `agent_auth.rs` holds
//! the tests of who may write to which asset.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::io::{Read, Write};

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use common::{Browser, TestApp};
use flate2::read::{GzDecoder, ZlibDecoder};
use flate2::write::{GzEncoder, ZlibEncoder};
use flate2::Compression;
use serde_json::{json, Value};
use tower::ServiceExt;

const FIXTURE: &str = include_str!("../fixtures/fusioninventory-inventory.xml");
const HW: &str = "/api/v1/inventory/hardware";
const URLS: &[&str] = &[
    "/ocsinventory",
    "/ocsinventory/",
    "/plugins/fusioninventory/",
    "/front/inventory.php",
];
const PROLOG: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<REQUEST>\n  <DEVICEID>pc-finance-07-2026-11-25-02-09-20</DEVICEID>\n  <QUERY>PROLOG</QUERY>\n  <TOKEN>12345678</TOKEN>\n</REQUEST>\n";
const AGENT_ID: &str = "3a609a2e-947f-4e6a-9af9-32c024ac3944";

/// A test server with an enrollment token (no department) that the helpers sign in with.
struct Lab {
    app: TestApp,
    /// `Authorization` header value; empty sends none.
    auth: String,
}

impl std::ops::Deref for Lab {
    type Target = TestApp;
    fn deref(&self) -> &TestApp {
        &self.app
    }
}

async fn lab() -> Lab {
    let app = TestApp::new().await;
    let token = common::agent_token(&app, None).await;
    Lab {
        auth: common::basic("agent", &token),
        app,
    }
}

struct Out {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
    raw: Vec<u8>,
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// The reply body, decompressed the way the agents do it (by magic bytes).
fn unpack(raw: &[u8]) -> String {
    let mut out = String::new();
    if raw.starts_with(&[0x78, 0x9c]) {
        ZlibDecoder::new(raw).read_to_string(&mut out).unwrap();
    } else if raw.starts_with(&[0x1f, 0x8b]) {
        GzDecoder::new(raw).read_to_string(&mut out).unwrap();
    } else {
        out = String::from_utf8_lossy(raw).to_string();
    }
    out
}

async fn post(app: &Lab, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Out {
    let mut req = Request::builder().method("POST").uri(path);
    if !app.auth.is_empty() {
        req = req.header("authorization", app.auth.as_str());
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = app
        .router
        .clone()
        .oneshot(req.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let raw = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    Out {
        status,
        headers,
        body: unpack(&raw),
        raw,
    }
}

async fn fusion(app: &Lab, xml: &str) -> Out {
    post(
        app,
        "/ocsinventory",
        &[("content-type", "application/x-compress-zlib")],
        zlib(xml.as_bytes()),
    )
    .await
}

async fn glpi(app: &Lab, body: &Value, ct: &str) -> Out {
    let text = body.to_string().into_bytes();
    let bytes = match ct {
        "application/x-compress-zlib" => zlib(&text),
        "application/x-compress-gzip" => gzip(&text),
        _ => text,
    };
    post(
        app,
        "/front/inventory.php",
        &[("content-type", ct), ("glpi-agent-id", AGENT_ID)],
        bytes,
    )
    .await
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&mut *conn)
        .await
        .unwrap()
}

async fn assets(app: &TestApp, key: &str) -> Vec<Value> {
    let r = app.get(HW, key).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["items"].as_array().unwrap().clone()
}

async fn software_count(app: &TestApp, key: &str, id: i64) -> usize {
    let r = app.get(&format!("{HW}/{id}/software"), key).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["items"].as_array().unwrap().len()
}

/// A GLPI agent inventory in the published format (glpi-project/inventory_format).
fn glpi_inventory(deviceid: &str, hostname: &str, serial: &str) -> Value {
    json!({
        "action": "inventory",
        "deviceid": deviceid,
        "itemtype": "Computer",
        "partial": false,
        "content": {
            "versionclient": "GLPI-Agent_v1.7",
            "hardware": {"name": hostname, "memory": 16_384, "uuid": "4c4c4544-0044", "chassis_type": "Laptop"},
            "bios": {
                "smanufacturer": "LENOVO", "smodel": "20XW00A1US", "ssn": serial,
                "bmanufacturer": "LENOVO", "bversion": "N32ET86W (1.62 )", "bdate": "2023-06-01"
            },
            "cpus": [{"name": "11th Gen Intel(R) Core(TM) i5-1135G7 @ 2.40GHz", "core": 4, "thread": 8,
                      "manufacturer": "Intel", "speed": 2400}],
            "memories": [{"capacity": 8192, "type": "DDR4"}, {"capacity": 8192, "type": "DDR4"}],
            "storages": [{"name": "nvme0n1", "model": "SAMSUNG MZVL2512", "disksize": 512_110, "serial": "S6X"}],
            "drives": [{"letter": "C:", "filesystem": "NTFS", "total": 487_000, "free": 120_000}],
            "networks": [{"description": "Intel(R) Wi-Fi 6 AX201", "macaddr": "a4:c3:f0:11:22:33",
                          "ipaddress": "10.20.30.40", "status": "up", "virtualdev": false}],
            "operatingsystem": {"full_name": "Microsoft Windows 11 Pro", "version": "23H2",
                                "kernel_version": "10.0.22631", "arch": "64-bit"},
            "softwares": [
                {"name": "Mozilla Firefox", "version": "128.0", "publisher": "Mozilla"},
                {"name": "7-Zip 23.01 (x64)", "version": "23.01", "publisher": "Igor Pavlov"},
                {"name": "LibreOffice", "version": "24.2.4.2", "publisher": "The Document Foundation"}
            ],
            "users": [{"login": "budi"}]
        }
    })
}

#[tokio::test]
async fn prolog_is_answered_with_its_frequency_and_send_compressed_like_the_request() {
    let app = lab().await;
    for url in URLS {
        for (ct, body, magic) in [
            ("application/xml", PROLOG.as_bytes().to_vec(), &b"<?"[..]),
            (
                "application/x-compress-zlib",
                zlib(PROLOG.as_bytes()),
                &[0x78, 0x9c][..],
            ),
            (
                "application/x-compress-gzip",
                gzip(PROLOG.as_bytes()),
                &[0x1f, 0x8b][..],
            ),
            (
                "application/x-compress",
                zlib(PROLOG.as_bytes()),
                &[0x78, 0x9c][..],
            ),
            ("", gzip(PROLOG.as_bytes()), &[0x1f, 0x8b][..]),
        ] {
            let r = post(&app, url, &[("content-type", ct)], body).await;
            assert_eq!(r.status, StatusCode::OK, "{url} {ct}: {}", r.body);
            assert!(
                r.raw.starts_with(magic),
                "{url} {ct}: compressed like the request"
            );
            assert!(
                r.body.contains(
                    "<REPLY><PROLOG_FREQ>24</PROLOG_FREQ><RESPONSE>SEND</RESPONSE></REPLY>"
                ),
                "{url} {ct}: {}",
                r.body
            );
        }
    }
    // Uncompressed bodies above the API's 1 MiB limit are fine here (up to 8 MiB).
    let big = PROLOG.replacen("<QUERY>", &format!("{}<QUERY>", " ".repeat(3 << 20)), 1);
    let r = post(
        &app,
        "/ocsinventory",
        &[("content-type", "application/xml")],
        big.into_bytes(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM hardware_assets").await, 0);
}

#[tokio::test]
async fn a_fusioninventory_report_creates_one_asset_and_the_same_report_changes_nothing() {
    let app = lab().await;
    let (_, key) = app.admin().await;
    let r = fusion(&app, FIXTURE).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("<RESPONSE>no_account_update</RESPONSE>"),
        "{}",
        r.body
    );

    let list = assets(&app, &key).await;
    assert_eq!(list.len(), 1);
    let a = &list[0];
    assert_eq!(a["hostname"], "pc-finance-07");
    assert_eq!(a["name"], "pc-finance-07");
    assert_eq!(a["serial"], "PF3ABCD1");
    assert_eq!(a["manufacturer"], "LENOVO");
    assert_eq!(a["model"], "20XW00A1US");
    assert_eq!(a["type"], "laptop", "CHASSIS_TYPE Notebook");
    assert_eq!(a["cpu"], "AMD EPYC (2 cores, 2 threads)");
    assert_eq!(a["ram_mb"], 24105);
    assert!(
        a["os"]
            .as_str()
            .unwrap()
            .starts_with("Debian GNU/Linux 12 (bookworm)"),
        "{}",
        a["os"]
    );
    assert!(
        a["ip_addresses"].as_str().unwrap().contains("192.0.2.2"),
        "{}",
        a["ip_addresses"]
    );
    assert!(!a["ip_addresses"].as_str().unwrap().contains("127.0.0.1"));
    let id = a["id"].as_i64().unwrap();
    assert_eq!(
        software_count(&app, &key, id).await,
        FIXTURE.matches("<SOFTWARES>").count()
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM asset_identities WHERE kind = 'fusioninventory' AND value = 'pc-finance-07-2026-11-25-02-09-20'").await,
        1
    );
    let updated = a["updated_at"].clone();
    let history = count(&app, "SELECT COUNT(*) FROM hardware_history").await;

    // The same report later: no second asset, no field written, only the report time moves.
    app.clock.advance_ms(60_000);
    let r = fusion(&app, FIXTURE).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let list = assets(&app, &key).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["updated_at"], updated);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM hardware_history").await,
        history
    );
    let received: i64 = count(
        &app,
        &format!("SELECT received_at FROM asset_reports WHERE asset_id = {id}"),
    )
    .await;
    assert_eq!(received, 1_790_000_060_000);
    assert_eq!(count(&app, &format!("SELECT COUNT(*) FROM asset_reports WHERE asset_id = {id} AND source = 'fusioninventory'")).await, 1);
}

#[tokio::test]
async fn glpi_contact_is_answered_ok_with_expiration_and_the_agent_id_echoed() {
    let app = lab().await;
    let contact = json!({
        "action": "contact", "deviceid": "pc-07-2024-01-01-00-00-00", "name": "GLPI-Agent",
        "version": "1.7", "installed-tasks": ["inventory"], "enabled-tasks": ["inventory"],
        "httpd-port": 62354, "httpd-plugins": {}, "tag": ""
    });
    for ct in [
        "application/json",
        "application/x-compress-zlib",
        "application/x-compress-gzip",
    ] {
        let r = glpi(&app, &contact, ct).await;
        assert_eq!(r.status, StatusCode::OK, "{ct}: {}", r.body);
        assert_eq!(r.headers.get("glpi-agent-id").unwrap(), AGENT_ID, "{ct}");
        assert_eq!(r.headers.get("content-type").unwrap(), ct);
        let v: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(v["status"], "ok");
        assert_eq!(v["expiration"], 24);
        assert!(v["tasks"]["inventory"].is_object(), "{v}");
    }
    // An action the server does not know: an error in the protocol's form.
    let r = glpi(
        &app,
        &json!({"action": "netdiscovery", "deviceid": "x"}),
        "application/json",
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["status"], "error");
    assert!(v["message"].as_str().unwrap().contains("action"), "{v}");
    assert_eq!(r.headers.get("glpi-agent-id").unwrap(), AGENT_ID);
}

#[tokio::test]
async fn a_glpi_inventory_creates_then_updates_the_asset() {
    let app = lab().await;
    let (_, key) = app.admin().await;
    let mut inv = glpi_inventory("pc-07-2024-01-01-00-00-00", "PC-07", "SN-GLPI-1");
    let r = glpi(&app, &inv, "application/x-compress-zlib").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.raw.starts_with(&[0x78, 0x9c]));
    assert_eq!(
        serde_json::from_str::<Value>(&r.body).unwrap(),
        json!({"status": "ok", "expiration": 24})
    );
    let list = assets(&app, &key).await;
    assert_eq!(list.len(), 1);
    let a = &list[0];
    assert_eq!(a["hostname"], "PC-07");
    assert_eq!(a["serial"], "SN-GLPI-1");
    assert_eq!(a["ram_mb"], 16_384);
    assert_eq!(a["type"], "laptop");
    assert_eq!(
        a["cpu"],
        "11th Gen Intel(R) Core(TM) i5-1135G7 @ 2.40GHz (4 cores, 8 threads)"
    );
    assert_eq!(a["os"], "Microsoft Windows 11 Pro 23H2");
    assert_eq!(a["mac_addresses"], "a4:c3:f0:11:22:33");
    let id = a["id"].as_i64().unwrap();
    assert_eq!(software_count(&app, &key, id).await, 3);

    // Memory upgraded and one program removed: the same asset is updated.
    inv["content"]["hardware"]["memory"] = json!(32_768);
    inv["content"]["softwares"].as_array_mut().unwrap().pop();
    let r = glpi(&app, &inv, "application/x-compress-gzip").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let list = assets(&app, &key).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["ram_mb"], 32_768);
    assert_eq!(software_count(&app, &key, id).await, 2);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM asset_identities WHERE kind = 'glpi'"
        )
        .await,
        1
    );
}

/// A second agent on one machine (here: migrated from FusionInventory to the GLPI agent) is a
/// new device identity: the machine's asset is owned by the first, so the second gets its own
/// asset and the admin a merge suggestion; once merged, both agents report into one asset.
#[tokio::test]
async fn a_second_agent_on_one_machine_is_suggested_for_merging_then_reports_into_one_asset() {
    let app = lab().await;
    let (_, key) = app.admin().await;
    assert_eq!(fusion(&app, FIXTURE).await.status, StatusCode::OK);
    let first = assets(&app, &key).await[0]["id"].as_i64().unwrap();
    // Migrated to the GLPI agent: new device id, same serial and manufacturer.
    let inv = glpi_inventory(
        "pc-finance-07-2025-02-01-10-00-00",
        "pc-finance-07",
        "PF3ABCD1",
    );
    let r = glpi(&app, &inv, "application/json").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let list = assets(&app, &key).await;
    assert_eq!(list.len(), 2, "another agent's asset is not taken over");
    let second = list
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .find(|id| *id != first)
        .unwrap();
    assert_eq!(
        count(&app, &format!("SELECT COUNT(*) FROM asset_merge_suggestions WHERE asset_id = {second} AND other_id = {first} AND reason = 'serial'")).await,
        1
    );
    assert_eq!(app.audit_count("hardware.merge_suggested").await, 1);

    // The admin merges the new asset into the old one: both identities now report there.
    let r = app
        .json(
            axum::http::Method::POST,
            &format!("{HW}/{first}/merge"),
            &key,
            json!({"from": second}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM asset_merge_suggestions").await,
        0
    );
    let mut newer = inv.clone();
    newer["content"]["hardware"]["memory"] = json!(65_536);
    assert_eq!(
        glpi(&app, &newer, "application/json").await.status,
        StatusCode::OK
    );
    let list = assets(&app, &key).await;
    assert_eq!(list.len(), 1, "one device, one asset");
    assert_eq!(list[0]["id"], first);
    assert_eq!(list[0]["ram_mb"], 65_536, "the newer report wins");
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM asset_identities WHERE asset_id = {first}")
        )
        .await,
        2
    );
}

#[tokio::test]
async fn hostile_bodies_are_refused_and_store_nothing() {
    let app = lab().await;
    // A zip bomb: 40 MiB of blanks in a few KiB.
    let inner = format!(
        "<REQUEST><QUERY>INVENTORY</QUERY>{}</REQUEST>",
        " ".repeat(40 << 20)
    );
    let bomb = zlib(inner.as_bytes());
    assert!(bomb.len() < 200_000);
    let r = post(
        &app,
        "/ocsinventory",
        &[("content-type", "application/x-compress-zlib")],
        bomb,
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert!(r.body.contains("<RESPONSE>ERROR</RESPONSE>"), "{}", r.body);
    let json_bomb = gzip(
        format!(
            "{{\"action\":\"inventory\",\"x\":\"{}\"}}",
            "a".repeat(40 << 20)
        )
        .as_bytes(),
    );
    let r = post(
        &app,
        "/front/inventory.php",
        &[
            ("content-type", "application/x-compress-gzip"),
            ("glpi-agent-id", AGENT_ID),
        ],
        json_bomb,
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        serde_json::from_str::<Value>(&r.body).unwrap()["status"],
        "error"
    );
    // Over 8 MiB as sent.
    let r = post(
        &app,
        "/ocsinventory",
        &[("content-type", "application/xml")],
        vec![b' '; 9 << 20],
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);

    // Entities are never expanded: a DOCTYPE is refused outright.
    let billion = FIXTURE.replacen(
        "<REQUEST>",
        "<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]>\n<REQUEST>",
        1,
    );
    let billion = billion.replacen("<NAME>pc-finance-07</NAME>", "<NAME>&lol2;</NAME>", 1);
    assert_eq!(fusion(&app, &billion).await.status, StatusCode::BAD_REQUEST);
    let external = FIXTURE.replacen(
        "<REQUEST>",
        "<!DOCTYPE r [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n<REQUEST>",
        1,
    );
    assert_eq!(
        fusion(&app, &external).await.status,
        StatusCode::BAD_REQUEST
    );
    let undeclared = FIXTURE.replacen("<NAME>pc-finance-07</NAME>", "<NAME>&xxe;</NAME>", 1);
    assert_eq!(
        fusion(&app, &undeclared).await.status,
        StatusCode::BAD_REQUEST
    );

    // Deep nesting, XML and JSON.
    let deep = FIXTURE.replacen(
        "<HARDWARE>",
        &format!("<HARDWARE>{}{}", "<X>".repeat(100), "</X>".repeat(100)),
        1,
    );
    assert_eq!(fusion(&app, &deep).await.status, StatusCode::BAD_REQUEST);
    let mut deep_json = glpi_inventory("d", "h", "s");
    let mut nested = json!(1);
    for _ in 0..60 {
        nested = json!([nested]);
    }
    deep_json["content"]["hardware"]["x"] = nested;
    let r = glpi(&app, &deep_json, "application/json").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let too_deep_for_serde = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let r = post(
        &app,
        "/ocsinventory",
        &[("content-type", "application/json")],
        too_deep_for_serde.into_bytes(),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // Garbage, compressed garbage, truncated XML.
    for (ct, body) in [
        ("application/octet-stream", b"\x00\x01garbage".to_vec()),
        (
            "application/x-compress-zlib",
            b"\x78\x9cnot really zlib".to_vec(),
        ),
        ("application/xml", b"<REQUEST><QUERY>INVENTORY".to_vec()),
        ("application/xml", b"<HTML></HTML>".to_vec()),
        ("", Vec::new()),
    ] {
        let r = post(&app, "/ocsinventory", &[("content-type", ct)], body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{ct}: {}", r.body);
    }
    // An inventory without a device id.
    let anonymous = FIXTURE.replacen(
        "<DEVICEID>pc-finance-07-2026-11-25-02-09-20</DEVICEID>",
        "",
        1,
    );
    assert_eq!(
        fusion(&app, &anonymous).await.status,
        StatusCode::BAD_REQUEST
    );

    assert_eq!(count(&app, "SELECT COUNT(*) FROM hardware_assets").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM asset_reports").await, 0);
}

#[tokio::test]
async fn huge_strings_are_stored_cut() {
    let app = lab().await;
    let (_, key) = app.admin().await;
    let long = "M".repeat(100_000);
    let xml = FIXTURE
        .replacen(
            "<SMODEL>20XW00A1US</SMODEL>",
            &format!("<SMODEL>{long}</SMODEL>"),
            1,
        )
        .replacen("<NAME>adduser</NAME>", &format!("<NAME>{long}</NAME>"), 1);
    let r = fusion(&app, &xml).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let list = assets(&app, &key).await;
    let model = list[0]["model"].as_str().unwrap();
    assert!(
        model.starts_with("MMMM") && model.chars().count() <= 200,
        "{}",
        model.len()
    );
    let id = list[0]["id"].as_i64().unwrap();
    let r = app.get(&format!("{HW}/{id}/software"), &key).await;
    let items = r.json()["items"].as_array().unwrap().clone();
    assert!(items
        .iter()
        .all(|s| s["name"].as_str().unwrap().chars().count() <= 200));
    assert!(items
        .iter()
        .any(|s| s["name"].as_str().unwrap().starts_with("MMMM")));
}

#[tokio::test]
async fn admins_switch_agent_endpoints_off_and_agents_get_403() {
    let app = lab().await;
    app.admin().await;
    let mut b = Browser::new(&app);
    b.get("/login").await;
    let r = b
        .post(
            "/login",
            &[
                ("email", "root@example.com"),
                ("password", "a-long-test-password"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = b.get("/admin/inventory/collector").await;
    assert!(
        page.body.contains("id=\"f-legacy-agents\""),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("piket.test/ocsinventory</code>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("checked"), "on by default");

    // Off (the collector stays on).
    let r = b
        .post(
            "/admin/inventory/collector",
            &[("enabled", "on"), ("token", "keep")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = post(
        &app,
        "/ocsinventory",
        &[("content-type", "application/x-compress-zlib")],
        zlib(PROLOG.as_bytes()),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("<RESPONSE>ERROR</RESPONSE>"), "{}", r.body);
    let r = fusion(&app, FIXTURE).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = glpi(&app, &glpi_inventory("d", "h", "s"), "application/json").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        serde_json::from_str::<Value>(&r.body).unwrap()["status"],
        "error"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM hardware_assets").await, 0);

    // On again.
    let r = b
        .post(
            "/admin/inventory/collector",
            &[
                ("enabled", "on"),
                ("legacy_agents", "on"),
                ("token", "keep"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(fusion(&app, FIXTURE).await.status, StatusCode::OK);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM hardware_assets").await, 1);
    assert!(app.audit_count("inventory.collector_settings").await >= 2);
}

#[tokio::test]
async fn the_asset_page_shows_the_last_report_and_escapes_agent_strings() {
    let app = lab().await;
    let (_, key) = app.admin().await;
    let xml = FIXTURE.replacen(
        "<SMODEL>20XW00A1US</SMODEL>",
        "<SMODEL>&lt;script&gt;alert(1)&lt;/script&gt;</SMODEL>",
        1,
    );
    assert_eq!(fusion(&app, &xml).await.status, StatusCode::OK);
    let id = assets(&app, &key).await[0]["id"].as_i64().unwrap();
    let mut b = Browser::new(&app);
    b.get("/login").await;
    b.post(
        "/login",
        &[
            ("email", "root@example.com"),
            ("password", "a-long-test-password"),
        ],
    )
    .await;
    let page = b.get(&format!("/inventory/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.body.contains("<script>alert(1)"),
        "agent data is escaped"
    );
    assert!(page.body.contains("&#60;script&#62;alert(1)"));
    let line = page
        .body
        .split("id=\"last-report\">")
        .nth(1)
        .expect("the last report is shown");
    assert!(line.starts_with("fusioninventory · <time"), "{line}");
}

#[tokio::test]
async fn a_partial_glpi_report_keeps_the_sections_it_left_out() {
    let app = lab().await;
    let (_, key) = app.admin().await;
    let full = glpi_inventory("pc-07-2024-01-01-00-00-00", "PC-07", "SN-GLPI-1");
    assert_eq!(
        glpi(&app, &full, "application/json").await.status,
        StatusCode::OK
    );
    let partial = json!({
        "action": "inventory", "deviceid": "pc-07-2024-01-01-00-00-00", "itemtype": "Computer",
        "partial": true,
        "content": {"hardware": {"name": "PC-07", "memory": 32_768}, "versionclient": "GLPI-Agent_v1.7"}
    });
    let r = glpi(&app, &partial, "application/x-compress-zlib").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let list = assets(&app, &key).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["ram_mb"], 32_768);
    assert!(list[0]["cpu"]
        .as_str()
        .unwrap()
        .starts_with("11th Gen Intel"));
    let id = list[0]["id"].as_i64().unwrap();
    assert_eq!(
        software_count(&app, &key, id).await,
        3,
        "software not sent is kept"
    );
}

/// An agent's first report and its retries can arrive at the same moment: on PostgreSQL each
/// used to find no asset and create its own. Sixteen at once, each on its own task, end with one
/// asset. (Different agents on one machine are different identities: see the test above.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_first_reports_of_one_agent_make_one_asset() {
    let app = lab().await;
    let (_, key) = app.admin().await;
    let racers: Vec<_> = (0..16)
        .map(|i| {
            // One agent (device id) sending its first report again and again.
            let mut inv = glpi_inventory("pc-race", "PC-RACE", "SN-RACE-1");
            inv["content"]["hardware"]["memory"] = json!(1024 * (i % 2 + 1));
            let body = inv.to_string().into_bytes();
            let router = app.router.clone();
            let auth = app.auth.clone();
            tokio::spawn(async move {
                let req = Request::builder()
                    .method("POST")
                    .uri("/front/inventory.php")
                    .header("content-type", "application/json")
                    .header("authorization", auth)
                    .body(Body::from(body))
                    .unwrap();
                router.oneshot(req).await.unwrap().status()
            })
        })
        .collect();
    for racer in racers {
        assert_eq!(racer.await.unwrap(), StatusCode::OK);
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM hardware_assets").await, 1);
    assert_eq!(assets(&app, &key).await.len(), 1);
}
