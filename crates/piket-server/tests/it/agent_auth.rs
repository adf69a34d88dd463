//! Who may write to which asset through the FusionInventory/OCS and GLPI endpoints: agents sign
//! in with an enrollment token as their HTTP Basic password (401 with a Basic challenge
//! otherwise); an admin switch lets anonymous reports in, and those only ever update an asset
//! their own device id created; a token adopts only an asset in its department that no other
//! agent owns. A report that may not write to the asset it resembles makes a new asset and a
//! merge suggestion, which the asset page shows with a merge and a dismiss button.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::{agent_switches, agent_token, basic, signed_in, Reply, TestApp};
use serde_json::{json, Value};

const FIXTURE: &str = include_str!("../fixtures/fusioninventory-inventory.xml");
const DEVICEID: &str = "pc-finance-07-2026-11-25-02-09-20";
const HW: &str = "/api/v1/inventory/hardware";
const PROLOG: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<REQUEST><DEVICEID>pc-1</DEVICEID><QUERY>PROLOG</QUERY></REQUEST>";

async fn fusion(app: &TestApp, auth: Option<&str>, xml: &str) -> Reply {
    let mut headers = vec![("content-type", "application/xml")];
    if let Some(a) = auth {
        headers.push(("authorization", a));
    }
    app.send(
        Method::POST,
        "/ocsinventory",
        &headers,
        Body::from(xml.to_string()),
    )
    .await
}

async fn glpi(app: &TestApp, auth: Option<&str>, body: &Value) -> Reply {
    let mut headers = vec![("content-type", "application/json")];
    if let Some(a) = auth {
        headers.push(("authorization", a));
    }
    app.send(
        Method::POST,
        "/front/inventory.php",
        &headers,
        Body::from(body.to_string()),
    )
    .await
}

/// The fixture as another agent (device id) on a machine with this serial and hostname.
fn machine(deviceid: &str, serial: &str, hostname: &str) -> String {
    FIXTURE
        .replace(DEVICEID, deviceid)
        .replace("PF3ABCD1", serial)
        .replace("<MSN>L1HF16Q00HA</MSN>", "")
        .replace(
            "<NAME>pc-finance-07</NAME>",
            &format!("<NAME>{hostname}</NAME>"),
        )
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&mut *conn)
        .await
        .unwrap()
}

async fn hw(app: &TestApp, key: &str, id: i64) -> Value {
    let r = app.get(&format!("{HW}/{id}"), key).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

async fn create(app: &TestApp, key: &str, body: Value) -> i64 {
    let r = app.json(Method::POST, HW, key, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["id"].as_i64().unwrap()
}

/// The asset a FusionInventory device id reports into.
async fn asset_of(app: &TestApp, deviceid: &str) -> i64 {
    count(
        app,
        &format!("SELECT asset_id FROM asset_identities WHERE value = '{deviceid}'"),
    )
    .await
}

fn assert_challenge(r: &Reply) {
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    assert_eq!(r.header("www-authenticate"), "Basic realm=\"piket\"");
}

/// Today's attack: anyone POSTing to /ocsinventory or /front/inventory.php rewrote assets.
/// Without credentials (the default) or with wrong ones, every request gets 401 with the Basic
/// challenge agents answer, in the protocol's own form, and nothing is stored.
#[tokio::test]
async fn agents_without_a_valid_password_get_a_basic_challenge_and_store_nothing() {
    let app = TestApp::new().await;
    let (_, key) = app.admin().await;
    let token = agent_token(&app, None).await;
    let r = fusion(&app, None, PROLOG).await;
    assert_challenge(&r);
    assert!(r.body.contains("<RESPONSE>ERROR</RESPONSE>"), "{}", r.body);
    assert_challenge(&fusion(&app, None, FIXTURE).await);
    let contact = json!({"action": "contact", "deviceid": "pc-1"});
    let r = glpi(&app, None, &contact).await;
    assert_challenge(&r);
    assert_eq!(r.json()["status"], "error");
    for wrong in [
        basic("agent", "enr_not-a-token"),
        basic("agent", ""),
        basic(&token, "agent"),
        "Basic !!!".to_string(),
        format!("Bearer {token}"),
    ] {
        assert_challenge(&fusion(&app, Some(&wrong), FIXTURE).await);
    }
    // A revoked token no longer signs in.
    let revoked = agent_token(&app, None).await;
    let id = count(&app, "SELECT MAX(id) FROM enrollment_tokens").await;
    let r = app
        .send(
            Method::DELETE,
            &format!("/api/v1/agent/enrollment-tokens/{id}"),
            &[("x-api-key", &key)],
            Body::empty(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_challenge(&fusion(&app, Some(&basic("agent", &revoked)), FIXTURE).await);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM hardware_assets").await, 0);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM asset_identities").await,
        0
    );

    // The right password: the PROLOG is answered and the inventory stored.
    let auth = basic("agent", &token);
    let r = fusion(&app, Some(&auth), PROLOG).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = fusion(&app, Some(&auth), FIXTURE).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM hardware_assets").await, 1);
    let bound = count(
        &app,
        "SELECT COUNT(*) FROM asset_identities WHERE token_id IS NOT NULL",
    )
    .await;
    assert_eq!(bound, 1);
}

/// Today's attack: an anonymous report with a known serial and manufacturer rewrote an
/// admin-created asset in any department. With the anonymous switch on, such a report makes a
/// new asset and a merge suggestion; the anonymous agent then updates only the asset it made.
#[tokio::test]
async fn an_anonymous_report_never_overwrites_an_asset_it_did_not_create() {
    let app = TestApp::new().await;
    let (_, key) = app.admin().await;
    let hr = app.department(&key, "HR").await;
    let payroll = create(
        &app,
        &key,
        json!({"name": "Payroll PC", "type": "desktop", "department_id": hr,
               "manufacturer": "LENOVO", "serial": "PF3ABCD1", "hostname": "payroll-01",
               "os": "Windows 10 Pro", "ip_addresses": "10.1.1.10", "ram_mb": 8192}),
    )
    .await;
    let before = hw(&app, &key, payroll).await;
    agent_switches(&app, true, true).await;

    let r = fusion(&app, None, FIXTURE).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let after = hw(&app, &key, payroll).await;
    assert_eq!(after, before, "the admin's asset is untouched");
    let software = count(
        &app,
        &format!("SELECT COUNT(*) FROM software_installations WHERE device_id = {payroll}"),
    )
    .await;
    assert_eq!(software, 0);
    let mine = asset_of(&app, DEVICEID).await;
    assert_ne!(mine, payroll);
    assert_eq!(hw(&app, &key, mine).await["department_id"], Value::Null);
    let suggested = format!(
        "SELECT COUNT(*) FROM asset_merge_suggestions WHERE asset_id = {mine} \
         AND other_id = {payroll} AND reason = 'serial'"
    );
    assert_eq!(count(&app, &suggested).await, 1);

    // The same anonymous agent again, with changes: its own asset is updated, nothing else.
    let changed = FIXTURE.replace("<MEMORY>24105</MEMORY>", "<MEMORY>32768</MEMORY>");
    assert_eq!(fusion(&app, None, &changed).await.status, StatusCode::OK);
    assert_eq!(hw(&app, &key, mine).await["ram_mb"], 32768);
    assert_eq!(hw(&app, &key, payroll).await, before);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM hardware_assets").await, 2);

    // Another anonymous device id with the payroll PC's hostname: a third asset, a suggestion.
    let spoof = machine("evil-1", "", "payroll-01");
    assert_eq!(fusion(&app, None, &spoof).await.status, StatusCode::OK);
    assert_eq!(hw(&app, &key, payroll).await, before);
    let evil = asset_of(&app, "evil-1").await;
    assert!(evil != mine && evil != payroll);
    let by_host = format!(
        "SELECT COUNT(*) FROM asset_merge_suggestions WHERE asset_id = {evil} \
         AND other_id = {payroll} AND reason = 'hostname'"
    );
    assert_eq!(count(&app, &by_host).await, 1);

    // The admin sees the suggestions on the payroll PC's page, dismisses one, merges the other.
    let mut admin = signed_in(&app, "root@example.com").await;
    let page = admin.get(&format!("/inventory/{payroll}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("id=\"merge-suggestions\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("same serial number"), "{}", page.body);
    assert!(page.body.contains("same host name"));
    let sid = count(
        &app,
        &format!("SELECT id FROM asset_merge_suggestions WHERE asset_id = {evil}"),
    )
    .await;
    let r = admin
        .post(
            &format!("/inventory/{payroll}/suggestions/{sid}/dismiss"),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(count(&app, &by_host).await, 0);
    assert_eq!(app.audit_count("hardware.merge_dismissed").await, 1);
    let r = admin
        .post(
            &format!("/inventory/{payroll}/merge"),
            &[("from", &mine.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(asset_of(&app, DEVICEID).await, payroll);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM asset_merge_suggestions").await,
        0
    );
}

/// Today's attack, with a token: a department's token adopted another department's asset by
/// its serial or hostname. A token adopts only an asset in its own department that no other
/// agent reports for; an agent bound to a token cannot report without it.
#[tokio::test]
async fn a_token_adopts_only_unowned_assets_in_its_own_department() {
    let app = TestApp::new().await;
    let (_, key) = app.admin().await;
    let it = app.department(&key, "IT").await;
    let hr = app.department(&key, "HR").await;
    let it_token = basic("agent", &agent_token(&app, Some(it)).await);
    let hr_pc = create(
        &app,
        &key,
        json!({"name": "HR PC", "type": "desktop", "department_id": hr,
               "manufacturer": "LENOVO", "serial": "PF3ABCD1", "os": "Windows 10 Pro"}),
    )
    .await;
    let it_pc = create(
        &app,
        &key,
        json!({"name": "IT PC", "type": "desktop", "department_id": it,
               "manufacturer": "LENOVO", "serial": "IT-SERIAL", "os": "Windows 10 Pro"}),
    )
    .await;
    let hr_before = hw(&app, &key, hr_pc).await;

    // The HR PC's serial with IT's token: a new IT asset and a suggestion.
    let r = fusion(&app, Some(&it_token), FIXTURE).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(hw(&app, &key, hr_pc).await, hr_before);
    let made = asset_of(&app, DEVICEID).await;
    assert_ne!(made, hr_pc);
    assert_eq!(hw(&app, &key, made).await["department_id"], it);
    let suggested = format!(
        "SELECT COUNT(*) FROM asset_merge_suggestions WHERE asset_id = {made} AND other_id = {hr_pc}"
    );
    assert_eq!(count(&app, &suggested).await, 1);

    // The IT PC (made by an admin, no agent yet): adopted.
    let it_machine = machine("it-agent", "IT-SERIAL", "it-01");
    assert_eq!(
        fusion(&app, Some(&it_token), &it_machine).await.status,
        StatusCode::OK
    );
    assert_eq!(asset_of(&app, "it-agent").await, it_pc);
    assert!(hw(&app, &key, it_pc).await["os"]
        .as_str()
        .unwrap()
        .starts_with("Debian"));

    // Another agent with the same token and the IT PC's serial: the IT PC is owned now.
    let second = machine("it-agent-2", "IT-SERIAL", "it-01");
    assert_eq!(
        fusion(&app, Some(&it_token), &second).await.status,
        StatusCode::OK
    );
    let other = asset_of(&app, "it-agent-2").await;
    assert_ne!(other, it_pc);
    let owned = format!(
        "SELECT COUNT(*) FROM asset_merge_suggestions WHERE asset_id = {other} AND other_id = {it_pc}"
    );
    assert_eq!(count(&app, &owned).await, 1);

    // An agent bound to a token cannot be spoken for anonymously, even with the switch on.
    agent_switches(&app, true, true).await;
    let before = hw(&app, &key, it_pc).await;
    let spoof = it_machine.replace("<MEMORY>24105</MEMORY>", "<MEMORY>1</MEMORY>");
    assert_challenge(&fusion(&app, None, &spoof).await);
    let glpi_spoof = json!({"action": "inventory", "deviceid": "it-agent", "itemtype": "Computer",
        "content": {"hardware": {"name": "it-01", "memory": 1}}});
    let r = glpi(&app, None, &glpi_spoof).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "another protocol is another identity: {}",
        r.body
    );
    assert_eq!(hw(&app, &key, it_pc).await, before);
}

/// An expired or used-up token keeps working for the agents bound to it, but brings in no new
/// agent; a token's uses count agents, not reports.
#[tokio::test]
async fn expired_and_used_up_tokens_keep_their_agents_and_admit_no_new_ones() {
    let app = TestApp::new().await;
    let (_, key) = app.admin().await;
    let r = app
        .json(
            Method::POST,
            "/api/v1/agent/enrollment-tokens",
            &key,
            json!({"name": "two", "max_uses": 2, "expires_in_days": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let auth = basic("agent", r.json()["secret"].as_str().unwrap());
    for _ in 0..3 {
        let r = fusion(&app, Some(&auth), &machine("a-1", "S-1", "h-1")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    assert_eq!(
        fusion(&app, Some(&auth), &machine("a-2", "S-2", "h-2"))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        count(&app, "SELECT uses FROM enrollment_tokens").await,
        2,
        "two agents, four reports"
    );
    assert_challenge(&fusion(&app, Some(&auth), &machine("a-3", "S-3", "h-3")).await);
    app.clock.advance_ms(2 * 24 * 60 * 60 * 1000);
    let later =
        machine("a-1", "S-1", "h-1").replace("<MEMORY>24105</MEMORY>", "<MEMORY>4096</MEMORY>");
    assert_eq!(
        fusion(&app, Some(&auth), &later).await.status,
        StatusCode::OK
    );
    assert_eq!(
        hw(&app, &key, asset_of(&app, "a-1").await).await["ram_mb"],
        4096
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM hardware_assets").await, 2);
}

/// The anonymous switch is on the settings page with its risk stated, off by default; ticking
/// it lets an agent without a password report, and unticking it closes the door again.
#[tokio::test]
async fn admins_open_the_agent_endpoints_to_anonymous_reports_on_the_settings_page() {
    let app = TestApp::new().await;
    app.admin().await;
    let mut admin = signed_in(&app, "root@example.com").await;
    let page = admin.get("/admin/inventory/collector").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"anonymous-risk\""), "{}", page.body);
    assert!(page
        .body
        .contains("can change a device that an anonymous agent created"));
    let anonymous_box = page.body.split("id=\"f-anonymous-agents\"").nth(1).unwrap();
    assert!(
        !anonymous_box.starts_with(" value=\"on\" checked"),
        "off by default"
    );
    assert_challenge(&fusion(&app, None, FIXTURE).await);

    let on = [
        ("enabled", "on"),
        ("legacy_agents", "on"),
        ("anonymous_agents", "on"),
        ("token", "keep"),
    ];
    let r = admin.post("/admin/inventory/collector", &on).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r
        .body
        .contains("id=\"f-anonymous-agents\" value=\"on\" checked"));
    assert_eq!(fusion(&app, None, FIXTURE).await.status, StatusCode::OK);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM hardware_assets").await, 1);

    let off = [
        ("enabled", "on"),
        ("legacy_agents", "on"),
        ("token", "keep"),
    ];
    assert_eq!(
        admin.post("/admin/inventory/collector", &off).await.status,
        StatusCode::OK
    );
    let r = fusion(&app, None, FIXTURE).await;
    assert_challenge(&r);
    assert!(app.audit_count("inventory.collector_settings").await >= 2);
}

/// Review finding: the holder of any token, knowing another agent's device id, reported under
/// it. The identity moved to a new asset in the holder's department and was rebound to their
/// token (the real agent, whose token had expired, got 401 for good). An identity another
/// token vouched for is refused to a token that does not reach its asset, and nothing moves.
/// (A GLPI partial report now asks the same question before it copies anything from the
/// identity's last report: `protocols::partial::complete`.)
#[tokio::test]
async fn a_token_cannot_take_over_another_tokens_agent() {
    let app = TestApp::new().await;
    let (_, key) = app.admin().await;
    let it = app.department(&key, "IT").await;
    let hr = app.department(&key, "HR").await;
    let hr_token = basic("agent", &agent_token(&app, Some(hr)).await);
    let it_token = basic("agent", &agent_token(&app, Some(it)).await);
    // The HR agent reports with its token: a new HR asset bound to it.
    let r = fusion(&app, Some(&hr_token), FIXTURE).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let victim = asset_of(&app, DEVICEID).await;
    let before = hw(&app, &key, victim).await;
    let assets = count(&app, "SELECT COUNT(*) FROM hardware_assets").await;
    // The IT token holder reports under the HR agent's device id.
    assert_challenge(&fusion(&app, Some(&it_token), FIXTURE).await);
    assert_eq!(asset_of(&app, DEVICEID).await, victim);
    assert_eq!(hw(&app, &key, victim).await, before);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM hardware_assets").await,
        assets
    );
    // The HR agent still reports.
    assert_eq!(
        fusion(&app, Some(&hr_token), FIXTURE).await.status,
        StatusCode::OK
    );
}
