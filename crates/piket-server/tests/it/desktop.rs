//! The desktop helper's server side (issue #20): a link asked for by the helper and confirmed in
//! the browser, reports filed once per client id with the screenshot, the machine block and the
//! device, and a credential that opens nothing but its three routes.

use crate::common;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::{multipart, multipart_type, signed_in, Browser, Reply, TestApp};
use serde_json::{json, Value};

const PASSWORD: &str = "a-long-test-password";

/// A helper asks to be linked: (credential value for `Authorization`, confirm path, code).
async fn start_link(app: &TestApp, device_id: &str) -> (String, String, String) {
    let body = json!({"hostname": "PC-FINANCE-07", "os_user": "budi", "device_id": device_id});
    let r = post_anonymous(app, "/api/v1/desktop/links", &body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let j = r.json();
    let bearer = format!(
        "Bearer {}.{}",
        j["link_key"].as_str().unwrap(),
        j["secret"].as_str().unwrap()
    );
    (
        bearer,
        j["confirm_path"].as_str().unwrap().to_string(),
        j["code"].as_str().unwrap().to_string(),
    )
}

/// POST JSON without any credential (the helper asking for a link, an agent enrolling).
async fn post_anonymous(app: &TestApp, path: &str, body: &Value) -> Reply {
    app.send(
        Method::POST,
        path,
        &[("content-type", "application/json")],
        Body::from(body.to_string()),
    )
    .await
}

async fn helper_get(app: &TestApp, bearer: &str, path: &str) -> Reply {
    app.send(
        Method::GET,
        path,
        &[("authorization", bearer)],
        Body::empty(),
    )
    .await
}

fn report_json(client_id: &str, title: &str) -> Value {
    json!({
        "client_id": client_id,
        "title": title,
        "description": "Excel freezes when I open the budget",
        "priority": "high",
        "machine": {
            "hostname": "PC-FINANCE-07",
            "local_ips": ["192.168.10.57"],
            "macs": ["3c:52:82:aa:bb:cc"],
            "cpu_percent": 93.5,
            "ram_percent": 71.0,
            "ram_total_bytes": 17_179_869_184u64,
            "disks": [{"mount": "C:\\", "total_bytes": 255_000_000_000u64, "used_bytes": 190_000_000_000u64}],
            "logical_processors": 8,
            "uptime_seconds": 273_600,
            "battery_percent": 64,
            "battery_charging": false,
            "os": "Windows 11 Pro 23H2 (build 22631)",
            "active_window": "Budget 2027.xlsx - Excel",
            "os_user": "budi",
            "agent_version": "0.1.0"
        }
    })
}

/// A small real PNG (what the helper sends when the screen fits the limit).
fn png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 40, |x, y| image::Rgb([x as u8 * 4, y as u8 * 6, 90]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn file_report(app: &TestApp, bearer: &str, report: &Value, shot: Option<&[u8]>) -> Reply {
    let text = report.to_string();
    let mut parts: Vec<(&str, Option<&str>, &[u8])> = vec![("report", None, text.as_bytes())];
    if let Some(bytes) = shot {
        parts.push(("screenshot", Some("screen.png"), bytes));
    }
    post_report_body(app, bearer, multipart(&parts)).await
}

/// POST a multipart body, as built, to the reports route.
async fn post_report_body(app: &TestApp, bearer: &str, body: impl Into<Body>) -> Reply {
    let ct = multipart_type();
    app.send(
        Method::POST,
        "/api/v1/desktop/reports",
        &[("authorization", bearer), ("content-type", &ct)],
        body.into(),
    )
    .await
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    sqlx::query_scalar(sql).fetch_one(&mut *conn).await.unwrap()
}

/// A linked helper for `email` (a requester made here), confirmed through the page: its
/// `Authorization` value and the user's id.
async fn linked(app: &TestApp, email: &str) -> (String, i64) {
    let user = app.user(email, "requester", vec![]).await;
    let (bearer, path, code) = start_link(app, "").await;
    let mut b = signed_in(app, email).await;
    let r = b.post(&path, &[("code", &code)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("id=\"link-done\""), "{}", r.body);
    (bearer, user.id)
}

#[tokio::test]
async fn a_report_files_one_ticket_as_the_linked_user_with_screen_machine_and_device() {
    let app = TestApp::new().await;
    let (_, admin_key) = app.admin().await;
    let budi = app.user("budi@example.com", "requester", vec![]).await;
    // The PC is enrolled as usual; the helper names its device.
    let token = common::agent_token(&app, None).await;
    let enroll = json!({"token": token, "hostname": "PC-FINANCE-07", "serial": "SN-77",
        "manufacturer": "Dell", "agent_version": "0.1.0"});
    let r = post_anonymous(&app, "/api/v1/agent/enroll", &enroll).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let device_id = r.json()["device_id"].as_str().unwrap().to_string();
    let asset_id = r.json()["asset_id"].as_i64().unwrap();

    let (bearer, path, code) = start_link(&app, &device_id).await;
    assert!(path.starts_with("/desktop/link/dsk_"), "{path}");
    assert_eq!(code.len(), 9, "{code}");
    // Before the user confirms, the credential only says it waits.
    let me = helper_get(&app, &bearer, "/api/v1/desktop/me").await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["status"], "pending");
    let early = file_report(
        &app,
        &bearer,
        &report_json("early-report-1", "Too early"),
        None,
    )
    .await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.body);

    // The page shows the PC and the device but never the code: the user types what the
    // helper shows (a link someone sent them cannot be confirmed by a click).
    let mut b = signed_in(&app, "budi@example.com").await;
    let page = b.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("PC-FINANCE-07") && page.body.contains("id=\"link-from\""));
    assert!(
        !page.body.contains(&code),
        "the page must not show the code"
    );
    assert!(page.body.contains("data-status=\"pending\""));
    let clicked = b.post(&path, &[]).await;
    assert!(
        clicked.body.contains("id=\"code-error\""),
        "{}",
        clicked.body
    );
    // Typed as people type: lower case, without the dash.
    let typed = code.replace('-', "").to_lowercase();
    let done = b.post(&path, &[("code", &typed)]).await;
    assert!(
        done.body.contains("data-status=\"linked\""),
        "{}",
        done.body
    );
    let me = helper_get(&app, &bearer, "/api/v1/desktop/me").await.json();
    assert_eq!(me["status"], "linked");
    assert_eq!(me["email"], "budi@example.com");
    assert_eq!(me["priorities"][0], "low");

    let shot = png();
    let report = report_json("a1b2c3d4-0001", "Excel freezes");
    let r = file_report(&app, &bearer, &report, Some(&shot)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["ticket_id"].as_i64().unwrap();
    assert_eq!(r.json()["path"], format!("/tickets/{id}"));

    let t = app
        .get(&format!("/api/v1/tickets/{id}"), &admin_key)
        .await
        .json();
    assert_eq!(t["requester_id"], budi.id);
    assert_eq!(t["source"], "desktop");
    assert_eq!(t["priority"], "high");
    assert_eq!(t["assets"][0]["id"], asset_id, "{t}");
    let files = app
        .get(&format!("/api/v1/tickets/{id}/attachments"), &admin_key)
        .await
        .json();
    assert_eq!(files["items"].as_array().unwrap().len(), 1, "{files}");
    assert_eq!(files["items"][0]["size"], shot.len());

    // Staff read the machine as a table; the requester does not see it.
    let mut tech_browser = signed_in(&app, "root@example.com").await;
    let staff_page = tech_browser.get(&format!("/tickets/{id}")).await;
    assert!(
        staff_page.body.contains("id=\"machine\""),
        "{}",
        staff_page.body
    );
    for shown in [
        "Budget 2027.xlsx - Excel",
        "192.168.10.57",
        "Windows 11 Pro",
        "64 %",
        "16.0 GiB",
    ] {
        assert!(staff_page.body.contains(shown), "{shown} missing");
    }
    let own_page = b.get(&format!("/tickets/{id}")).await;
    assert_eq!(own_page.status, StatusCode::OK);
    assert!(!own_page.body.contains("id=\"machine\""));

    // Staff find it by the machine's values; the requester's search does not look there.
    let found = app
        .get("/api/v1/tickets?q=PC-FINANCE-07", &admin_key)
        .await
        .json();
    assert_eq!(found["items"][0]["id"], id, "{found}");
    let budi_key = app.key_for(budi.id).await;
    let theirs = app
        .get("/api/v1/tickets?q=3c:52:82:aa:bb:cc", &budi_key)
        .await
        .json();
    assert_eq!(theirs["items"].as_array().unwrap().len(), 0, "{theirs}");

    // The helper's list holds the user's own tickets.
    let mine = helper_get(&app, &bearer, "/api/v1/desktop/tickets").await;
    assert_eq!(mine.status, StatusCode::OK);
    assert_eq!(mine.json()["items"][0]["id"], id);
}

/// The offline queue sends a report again when it is not sure it arrived: the same client id
/// answers with the first ticket, whatever else the retry carries.
#[tokio::test]
async fn a_report_sent_again_files_nothing_twice() {
    let app = TestApp::new().await;
    let (bearer, _) = linked(&app, "sari@example.com").await;
    let report = report_json("queue-item-42", "Printer jams");
    let shot = png();
    let first = file_report(&app, &bearer, &report, Some(&shot)).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let again = file_report(&app, &bearer, &report, Some(&shot)).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.json()["created"], false);
    assert_eq!(again.json()["ticket_id"], first.json()["ticket_id"]);
    // Sent twice at once (a retry racing the first try): still one ticket.
    let racing = report_json("queue-item-43", "Scanner");
    let (a, b) = tokio::join!(
        file_report(&app, &bearer, &racing, None),
        file_report(&app, &bearer, &racing, None)
    );
    assert!(
        a.status.is_success() && b.status.is_success(),
        "{} {}",
        a.body,
        b.body
    );
    assert_eq!(a.json()["ticket_id"], b.json()["ticket_id"]);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM tickets").await, 2);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM ticket_attachments").await,
        1
    );
}

/// Hostile or broken reports get a clear 4xx and change nothing.
#[tokio::test]
async fn a_bad_report_is_refused_and_files_nothing() {
    let app = TestApp::new().await;
    let (bearer, _) = linked(&app, "sari@example.com").await;
    let mut long_window = report_json("bad-report-0001", "Long");
    long_window["machine"]["active_window"] = json!("x".repeat(301));
    let mut bad_percent = report_json("bad-report-0002", "Percent");
    bad_percent["machine"]["cpu_percent"] = json!(250);
    let mut unknown = report_json("bad-report-0003", "Unknown");
    unknown["machine"]["surprise"] = json!(1);
    let mut short_id = report_json("x", "Short id");
    short_id["client_id"] = json!("abc");
    let mut empty_title = report_json("bad-report-0004", "");
    empty_title["title"] = json!("");
    for bad in [long_window, bad_percent, unknown, short_id, empty_title] {
        let r = file_report(&app, &bearer, &bad, None).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.body
        );
    }
    // Not JSON at all, no report part, and a screenshot that is not an image.
    let r = post_report_body(&app, &bearer, multipart(&[("report", None, b"{not json")])).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = post_report_body(&app, &bearer, multipart(&[("other", None, b"x")])).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00 not a picture";
    let r = file_report(
        &app,
        &bearer,
        &report_json("bad-report-0005", "Exe"),
        Some(exe),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM tickets").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM ticket_requests").await, 0);
    // A link request with a hostile name is refused too.
    for body in [
        json!({"hostname": "x".repeat(101), "os_user": "budi"}),
        json!({"hostname": "pc\u{7}", "os_user": "budi"}),
        json!({"hostname": "pc", "os_user": ""}),
        json!({"hostname": "pc", "os_user": "budi", "extra": true}),
    ] {
        let r = post_anonymous(&app, "/api/v1/desktop/links", &body).await;
        assert!(r.status.is_client_error(), "{body}: {}", r.status);
    }
}

/// The helper's credential files tickets and reads its user's own list; every other route, of
/// the API and of the pages, treats it as no credential at all. An API key does not open the
/// helper's routes either.
#[tokio::test]
async fn the_helper_credential_opens_nothing_else() {
    let app = TestApp::new().await;
    let (bearer, _) = linked(&app, "sari@example.com").await;
    let spec = app
        .send(Method::GET, "/api/v1/openapi.json", &[], Body::empty())
        .await
        .json();
    let mut walked = 0;
    for (method, path, concrete) in common::operations(&spec) {
        if path.starts_with("/api/v1/desktop/") {
            continue;
        }
        let anonymous = app
            .send(
                method.clone(),
                &concrete,
                &[("content-type", "application/json")],
                Body::from("{}"),
            )
            .await;
        let r = app
            .send(
                method.clone(),
                &concrete,
                &[
                    ("authorization", &bearer),
                    ("content-type", "application/json"),
                ],
                Body::from("{}"),
            )
            .await;
        // Public routes (the status, the document) answer anyone; nothing answers more.
        assert!(
            !r.status.is_success() || anonymous.status.is_success(),
            "{method} {path} answered {} to the helper: {}",
            r.status,
            r.body
        );
        walked += 1;
    }
    assert!(walked > 90, "only {walked} operations walked");
    for page in [
        "/",
        "/tickets",
        "/tickets/new",
        "/profile",
        "/agent",
        "/admin/users",
    ] {
        let r = app
            .send(
                Method::GET,
                page,
                &[("authorization", &bearer)],
                Body::empty(),
            )
            .await;
        assert!(
            r.status.is_redirection() && r.header("location").starts_with("/login"),
            "{page}: {}",
            r.status
        );
    }
    let sari = app.user("api-user@example.com", "requester", vec![]).await;
    let key = app.key_for(sari.id).await;
    let r = app.get("/api/v1/desktop/me", &key).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = helper_get(&app, &format!("Bearer {key}"), "/api/v1/desktop/tickets").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

/// A link is the user's to end; a disabled user's helper is told so (403), not retried as if
/// the server were away; someone else's link page shows nothing of the other PC.
#[tokio::test]
async fn unlinked_disabled_and_foreign_links_are_refused_plainly() {
    let app = TestApp::new().await;
    let (_, admin_key) = app.admin().await;
    let (bearer, sari_id) = linked(&app, "sari@example.com").await;
    let mut sari = signed_in(&app, "sari@example.com").await;
    let agent = sari.get("/agent").await;
    assert!(agent.body.contains("id=\"desktop-links\"") && agent.body.contains("PC-FINANCE-07"));

    // Another user opening (or confirming) Sari's link learns nothing and changes nothing.
    let (other_bearer, path, code) = start_link(&app, "").await;
    sari.post(&path, &[("code", &code)]).await;
    app.user("eko@example.com", "requester", vec![]).await;
    let mut eko = signed_in(&app, "eko@example.com").await;
    let seen = eko.get(&path).await;
    assert!(seen.body.contains("data-status=\"taken\""), "{}", seen.body);
    assert!(!seen.body.contains(&code) && !seen.body.contains("PC-FINANCE-07"));
    let r = eko.post(&path, &[("code", &code)]).await;
    assert!(r.body.contains("data-status=\"taken\""));
    let me = helper_get(&app, &other_bearer, "/api/v1/desktop/me")
        .await
        .json();
    assert_eq!(me["email"], "sari@example.com");

    // Disabled: 403 with a message, the link kept.
    let r = app
        .json(
            Method::PATCH,
            &format!("/api/v1/users/{sari_id}"),
            &admin_key,
            json!({"disabled": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = file_report(
        &app,
        &bearer,
        &report_json("after-disable-1", "Still there?"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = app
        .json(
            Method::PATCH,
            &format!("/api/v1/users/{sari_id}"),
            &admin_key,
            json!({"disabled": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);

    // Unlinked from the agent page (the newest link is listed first): that credential is
    // dead, the other one still works.
    let mut sari = signed_in(&app, "sari@example.com").await;
    let agent = sari.get("/agent").await;
    let id_at = agent.body.find("/desktop/links/").unwrap() + "/desktop/links/".len();
    let id: String = agent.body[id_at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let r = sari.post(&format!("/desktop/links/{id}/unlink"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = helper_get(&app, &other_bearer, "/api/v1/desktop/me").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = helper_get(&app, &bearer, "/api/v1/desktop/me").await;
    assert_eq!(r.status, StatusCode::OK);
    // Nobody unlinks someone else's computer.
    let r = eko.post(&format!("/desktop/links/{id}/unlink"), &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// Opening a link signed out goes through the login page and back to the link.
#[tokio::test]
async fn signing_in_from_a_link_comes_back_to_it() {
    let app = TestApp::new().await;
    app.user("sari@example.com", "requester", vec![]).await;
    let (_, path, _) = start_link(&app, "").await;
    let mut b = Browser::new(&app);
    let r = b.get(&path).await;
    assert!(r.status.is_redirection());
    let to = r.header("location");
    assert!(
        to.starts_with("/login?next=%2Fdesktop%2Flink%2Fdsk_"),
        "{to}"
    );
    let login = b.get(&to).await;
    assert!(
        login
            .body
            .contains(&format!("name=\"next\" value=\"{path}\"")),
        "{}",
        login.body
    );
    let r = b
        .post(
            "/login",
            &[
                ("email", "sari@example.com"),
                ("password", PASSWORD),
                ("next", &path),
            ],
        )
        .await;
    assert_eq!(r.header("location"), path);
    // Only local paths: anything else goes home.
    let mut c = Browser::new(&app);
    c.get("/login").await;
    let r = c
        .post(
            "/login",
            &[
                ("email", "sari@example.com"),
                ("password", PASSWORD),
                ("next", "//evil.example/x"),
            ],
        )
        .await;
    assert_eq!(r.header("location"), "/");
}

/// Five wrong codes void a pending link (the code is 8 characters of 31, and each try costs a
/// signed-in request; this keeps a phished user from being walked through guesses).
#[tokio::test]
async fn wrong_codes_void_a_link_and_a_password_set_ends_every_link() {
    let app = TestApp::new().await;
    let (_, admin_key) = app.admin().await;
    let (linked_bearer, sari_id) = linked(&app, "sari@example.com").await;
    let (bearer, path, code) = start_link(&app, "").await;
    let mut sari = signed_in(&app, "sari@example.com").await;
    for n in 1..=5 {
        let r = sari.post(&path, &[("code", "WRNG-CODE")]).await;
        if n < 5 {
            assert!(r.body.contains("id=\"code-error\""), "try {n}: {}", r.body);
        } else {
            assert!(r.body.contains("data-status=\"expired\""), "{}", r.body);
        }
    }
    let r = sari.post(&path, &[("code", &code)]).await;
    assert!(r.body.contains("data-status=\"expired\""), "{}", r.body);
    assert_eq!(
        helper_get(&app, &bearer, "/api/v1/desktop/me").await.status,
        StatusCode::UNAUTHORIZED
    );

    // An admin sets Sari's password (she may have lost it to someone): her helpers stop.
    assert_eq!(
        helper_get(&app, &linked_bearer, "/api/v1/desktop/me")
            .await
            .status,
        StatusCode::OK
    );
    let r = app
        .json(
            Method::PATCH,
            &format!("/api/v1/users/{sari_id}"),
            &admin_key,
            json!({"password": "another-long-password-42"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = helper_get(&app, &linked_bearer, "/api/v1/desktop/me").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

/// A pending link is anyone's to ask for: its credential gets 409 before the body is read, so
/// it cannot stream uploads into the server's staging directory. (The old code read the whole
/// multipart first: a malformed body answered 400.)
#[tokio::test]
async fn a_pending_link_is_refused_before_its_body_is_read() {
    let app = TestApp::new().await;
    let (bearer, _, _) = start_link(&app, "").await;
    let r = post_report_body(&app, &bearer, "--not-the-boundary\r\ngarbage").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
}
