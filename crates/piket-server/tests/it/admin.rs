//! Issue #19 part 5, admin pages a person can use: the role editor's permission areas (modules
//! not built are hidden, and a save keeps what a role holds of them), the licence picker, the
//! asset's read view, and dismissing the "email is not set up" notice.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::http::{Method, StatusCode};
use common::{signed_in, TestApp};
use serde_json::json;

/// The permissions a role holds, through the API.
async fn role_permissions(app: &TestApp, key: &str, id: i64) -> Vec<String> {
    let r = app.get(&format!("/api/v1/roles/{id}"), key).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    serde_json::from_value(r.json()["permissions"].clone()).unwrap()
}

#[tokio::test]
async fn the_role_editor_groups_permissions_by_area_and_hides_modules_not_built() {
    let app = TestApp::new().await;
    app.admin().await;
    let mut web = signed_in(&app, "root@example.com").await;
    let r = web.get("/admin/roles/new").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for heading in ["Tickets", "Inventory", "Users and access", "Settings"] {
        assert!(
            r.body.contains(&format!("<legend>{heading}</legend>")),
            "{heading}: {}",
            r.body
        );
    }
    // A plain name with its line of explanation, in its area.
    let tickets = r
        .body
        .split("id=\"perm-area-tickets\"")
        .nth(1)
        .unwrap()
        .split("</fieldset>")
        .next()
        .unwrap();
    assert!(tickets.contains("value=\"tickets.assign\""), "{tickets}");
    assert!(tickets.contains("Assign tickets"), "{tickets}");
    assert!(tickets.contains("Choose who works a ticket"), "{tickets}");
    assert!(!tickets.contains("users.manage"), "{tickets}");
    // Modules not built: neither their checkboxes nor their areas.
    for hidden in [
        "fleet.read",
        "stock.write",
        "knowledge.read",
        "field.write",
        "reports.read",
    ] {
        assert!(!r.body.contains(&format!("value=\"{hidden}\"")), "{hidden}");
    }
    assert!(!r.body.contains("Knowledge base") && !r.body.contains("See the fleet"));
    // Raw keys are no longer what a person reads.
    assert!(!r.body.contains("<code>tickets.read</code>"));
}

#[tokio::test]
async fn saving_the_role_editor_keeps_hidden_permissions_the_role_holds() {
    let app = TestApp::new().await;
    let (_, root) = app.admin().await;
    let r = app
        .json(
            Method::POST,
            "/api/v1/roles",
            &root,
            json!({"name": "Field desk", "scope": "department",
                   "permissions": ["tickets.read", "fleet.read", "stock.write"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["id"].as_i64().unwrap();

    let mut web = signed_in(&app, "root@example.com").await;
    let page = web.get(&format!("/admin/roles/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let kept = page
        .body
        .split("id=\"kept-permissions\"")
        .nth(1)
        .expect("the kept permissions are named")
        .split("</p>")
        .next()
        .unwrap();
    assert!(
        kept.contains("See the fleet") && kept.contains("Change stock"),
        "{kept}"
    );
    assert!(!page.body.contains("value=\"fleet.read\""));

    // The form sends only what it shows: tickets.read unticked, tickets.create ticked. A hidden
    // permission posted by hand is not the form's to add.
    let r = web
        .post(
            &format!("/admin/roles/{id}"),
            &[
                ("name", "Field desk"),
                ("description", ""),
                ("scope", "department"),
                ("permissions", "tickets.create"),
                ("permissions", "knowledge.write"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        role_permissions(&app, &root, id).await,
        ["fleet.read", "stock.write", "tickets.create"]
    );

    // A save that fails shows the kept ones again and changes nothing.
    let r = web
        .post(
            &format!("/admin/roles/{id}"),
            &[
                ("name", ""),
                ("scope", "department"),
                ("permissions", "tickets.read"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("id=\"kept-permissions\""));
    assert_eq!(
        role_permissions(&app, &root, id).await,
        ["fleet.read", "stock.write", "tickets.create"]
    );

    // A new role from the editor holds only what the editor offers.
    let r = web
        .post(
            "/admin/roles",
            &[
                ("name", "Desk two"),
                ("scope", "department"),
                ("permissions", "tickets.read"),
                ("permissions", "fleet.act"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let roles = app.get("/api/v1/roles", &root).await.json();
    let two = roles["items"]
        .as_array()
        .or(roles.as_array())
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Desk two")
        .cloned()
        .unwrap();
    assert_eq!(two["permissions"], json!(["tickets.read"]));

    // The API still sets exactly the list it is given.
    let r = app
        .json(
            Method::PATCH,
            &format!("/api/v1/roles/{id}"),
            &root,
            json!({"permissions": ["tickets.read"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(role_permissions(&app, &root, id).await, ["tickets.read"]);
}

#[tokio::test]
async fn the_role_list_names_permissions_plainly_by_area() {
    let app = TestApp::new().await;
    let (_, root) = app.admin().await;
    let r = app
        .json(
            Method::POST,
            "/api/v1/roles",
            &root,
            json!({"name": "Auditor", "scope": "all",
                   "permissions": ["audit.read", "tickets.read", "reports.read"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let mut web = signed_in(&app, "root@example.com").await;
    let r = web.get("/admin/roles").await;
    assert_eq!(r.status, StatusCode::OK);
    let row = r
        .body
        .split(">Auditor</a>")
        .nth(1)
        .unwrap()
        .split("</tr>")
        .next()
        .unwrap();
    assert!(
        row.contains("<strong>Tickets:</strong> See tickets"),
        "{row}"
    );
    assert!(
        row.contains("<strong>Audit and monitoring:</strong> Read the audit log"),
        "{row}"
    );
    assert!(!row.contains("Read reports"), "hidden module: {row}");
    // Built-in roles too: the Requester's two, the Admin's all.
    let requester = r.body.split(">Requester<").nth(1).unwrap();
    let requester = requester.split("</tr>").next().unwrap();
    assert!(
        requester.contains("See tickets, Create tickets") && !requester.contains("knowledge"),
        "{requester}"
    );
    let admin = r
        .body
        .split(">Admin<")
        .nth(1)
        .unwrap()
        .split("</tr>")
        .next()
        .unwrap();
    assert!(admin.contains("All permissions"), "{admin}");
}

#[tokio::test]
async fn dismissing_the_email_notice_hides_it_for_that_admin_only_and_for_good() {
    let app = TestApp::new().await;
    app.admin().await;
    app.user("other-admin@example.com", "Admin", vec![]).await;
    app.user("tech@example.com", "Requester", vec![]).await;
    let mut root = signed_in(&app, "root@example.com").await;
    let r = root.get("/tickets").await;
    assert!(r.body.contains("id=\"smtp-missing\""), "{}", r.body);
    assert!(
        r.body.contains("name=\"back\" value=\"/tickets\""),
        "{}",
        r.body
    );
    // Only for those who could set email up.
    let mut requester = signed_in(&app, "tech@example.com").await;
    assert!(!requester
        .get("/")
        .await
        .body
        .contains("id=\"smtp-missing\""));

    // No CSRF token, no dismissal.
    let r = root
        .post_raw("/notices/smtp_missing/dismiss", &[("back", "/tickets")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(root.get("/").await.body.contains("id=\"smtp-missing\""));
    // An unknown notice is not found; a target elsewhere goes home.
    let r = root
        .post("/notices/no_such/dismiss", &[("back", "/")])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(app.audit_count("notice.dismiss").await, 0);

    let r = root
        .post(
            "/notices/smtp_missing/dismiss",
            &[("back", "/tickets?status=open")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.header("location"), "/tickets?status=open");
    assert!(!root
        .get("/tickets")
        .await
        .body
        .contains("id=\"smtp-missing\""));
    // Pressed twice (another tab): still fine, logged once.
    let r = root
        .post(
            "/notices/smtp_missing/dismiss",
            &[("back", "//elsewhere.test/")],
        )
        .await;
    assert_eq!(r.header("location"), "/");
    assert_eq!(app.audit_count("notice.dismiss").await, 1);

    // Another admin still sees it; the same admin in a new session (another device) does not.
    let mut other = signed_in(&app, "other-admin@example.com").await;
    assert!(other.get("/").await.body.contains("id=\"smtp-missing\""));
    let mut again = signed_in(&app, "root@example.com").await;
    let r = again.get("/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.body.contains("id=\"smtp-missing\""), "{}", r.body);
    // Held in the database, not only in this server's memory.
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notice_dismissals")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(rows, 1);
}

/// An asset made through the API by `key`: its id.
async fn asset(app: &TestApp, key: &str, body: serde_json::Value) -> i64 {
    let r = app
        .json(Method::POST, "/api/v1/inventory/hardware", key, body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["id"].as_i64().unwrap()
}

/// A licence's (device ids, user ids), through the API.
async fn assignments(app: &TestApp, key: &str, id: i64) -> (Vec<i64>, Vec<i64>) {
    let r = app
        .get(&format!("/api/v1/inventory/licenses/{id}"), key)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let l = r.json();
    (
        serde_json::from_value(l["device_ids"].clone()).unwrap(),
        serde_json::from_value(l["user_ids"].clone()).unwrap(),
    )
}

#[tokio::test]
async fn the_licence_picker_searches_within_reach_and_assigns_one_at_a_time() {
    use common::desk::{new_desk, Dept};
    let d = new_desk()
        .hr()
        .member("tech", "Technician", Dept::It)
        .member("budi", "Requester", Dept::It)
        .named("Budi Santoso")
        .member("siti", "Requester", Dept::Hr)
        .named("Siti Rahma")
        .member("boss", "Manager", Dept::It)
        .build()
        .await;
    let app = &d.app;
    let it_pc = asset(app, &d.admin, json!({"name": "Laptop IT-7", "type": "laptop", "asset_tag": "IT-0007", "department_id": d.it})).await;
    let hr_pc = asset(
        app,
        &d.admin,
        json!({"name": "Laptop HR-3", "type": "laptop", "department_id": d.hr}),
    )
    .await;
    let r = app
        .json(
            Method::POST,
            "/api/v1/inventory/licenses",
            &d.admin,
            json!({"product": "Office", "seats": 10, "device_ids": [hr_pc], "user_ids": [d.id("siti")]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let lic = r.json()["id"].as_i64().unwrap();
    let page = format!("/inventory/licenses/{lic}");

    let mut tech = signed_in(app, "tech@example.com").await;
    let r = tech.get(&page).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // No id boxes any more; what is out of reach is counted, not named.
    assert!(!r.body.contains("name=\"device_ids\"") && !r.body.contains("name=\"user_ids\""));
    assert!(!r.body.contains("Laptop HR-3") && !r.body.contains("Siti Rahma"));
    assert!(
        r.body.contains("id=\"license-devices-hidden\""),
        "{}",
        r.body
    );
    assert!(r.body.contains("id=\"license-users-hidden\""), "{}", r.body);

    // The search box (GET) lists matches within reach, each with an Assign button.
    let r = tech.get(&format!("{page}?dq=laptop")).await;
    let found = r
        .body
        .split("id=\"license-devices-found\"")
        .nth(1)
        .unwrap()
        .split("</ul>")
        .next()
        .unwrap();
    assert!(
        found.contains("Laptop IT-7") && found.contains("IT-0007"),
        "{found}"
    );
    assert!(!found.contains("Laptop HR-3"), "{found}");
    assert!(
        found.contains(&format!("name=\"target\" value=\"{it_pc}\"")),
        "{found}"
    );
    let r = tech.get(&format!("{page}?uq=a")).await;
    let found = r
        .body
        .split("id=\"license-users-found\"")
        .nth(1)
        .unwrap()
        .split("</ul>")
        .next()
        .unwrap();
    assert!(found.contains("Budi Santoso"), "{found}");
    assert!(!found.contains("Siti Rahma"), "{found}");

    // The type-ahead's JSON is the same search in the same reach.
    let r = tech
        .get(&format!("{page}/devices/candidates?q=laptop"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let names: Vec<String> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["Laptop IT-7"]);
    assert_eq!(
        tech.get(&format!("{page}/gadgets/candidates?q=a"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Assign: back to the same search; what was assigned before stays.
    let r = tech
        .post(
            &format!("{page}/devices"),
            &[("target", &it_pc.to_string()), ("dq", "laptop")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        r.header("location"),
        format!("{page}?dq=laptop&uq=&msg=assigned#license-devices")
    );
    let mut both = vec![it_pc, hr_pc];
    both.sort_unstable();
    assert_eq!(
        assignments(app, &d.admin, lic).await,
        (both, vec![d.id("siti")])
    );
    let r = tech.get(&format!("{page}?dq=laptop")).await;
    let assigned = r
        .body
        .split("id=\"license-devices-assigned\"")
        .nth(1)
        .unwrap()
        .split("</ul>")
        .next()
        .unwrap();
    assert!(assigned.contains("Laptop IT-7"), "{assigned}");
    assert!(r
        .body
        .split("id=\"license-devices-found\"")
        .nth(1)
        .unwrap()
        .split("</ul>")
        .next()
        .unwrap()
        .contains("Assigned"));
    let r = tech
        .post(
            &format!("{page}/users"),
            &[("target", &d.id("budi").to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    // Out of reach (or unknown): not found, nothing changes.
    let before = assignments(app, &d.admin, lic).await;
    for (path, target) in [
        (format!("{page}/devices"), hr_pc),
        (format!("{page}/devices"), 999_999),
        (format!("{page}/users"), d.id("siti")),
    ] {
        let r = tech.post(&path, &[("target", &target.to_string())]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path} {target}");
    }
    let r = tech
        .post(&format!("{page}/devices/{hr_pc}/remove"), &[])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = tech
        .post(&format!("{page}/devices"), &[("target", "x")])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // No CSRF token, no change.
    let r = tech
        .post_raw(&format!("{page}/devices/{it_pc}/remove"), &[])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(assignments(app, &d.admin, lic).await, before);

    // Saving the licence's own fields keeps every assignment, those out of reach too.
    let r = tech
        .post(
            &page,
            &[
                ("product", "Office"),
                ("vendor", ""),
                ("key", ""),
                ("seats", "12"),
                ("expires_on", ""),
                ("notes", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(assignments(app, &d.admin, lic).await, before);

    // Remove.
    let r = tech
        .post(&format!("{page}/devices/{it_pc}/remove"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(assignments(app, &d.admin, lic).await.0, vec![hr_pc]);

    // A reader who may not change the inventory gets no search box and no assigning.
    let mut boss = signed_in(app, "boss@example.com").await;
    let r = boss.get(&format!("{page}?dq=laptop")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        !r.body.contains("id=\"f-dq\"") && !r.body.contains("Laptop IT-7"),
        "{}",
        r.body
    );
    let r = boss
        .post(
            &format!("{page}/devices"),
            &[("target", &it_pc.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = boss
        .get(&format!("{page}/devices/candidates?q=laptop"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

/// The part of `body` from the element with `id` to the end of its first `</{tag}>`.
fn section<'a>(body: &'a str, id: &str, tag: &str) -> &'a str {
    let from = body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {body}"));
    let rest = &body[from..];
    let end = rest.find(&format!("</{tag}>")).unwrap_or(rest.len());
    &rest[..end]
}

#[tokio::test]
async fn the_asset_page_reads_in_sections_with_the_warranty_flagged_and_people_named() {
    use axum::body::Body;
    use common::desk::{new_desk, Dept};
    let d = new_desk()
        .member("budi", "Requester", Dept::It)
        .named("Budi Santoso")
        .member("boss", "Manager", Dept::It)
        .build()
        .await;
    let app = &d.app;
    let budi = d.id("budi").to_string();
    let it = d.it.to_string();
    // The test clock stands at 2026-09-21.
    let mut root = signed_in(app, "root@example.com").await;
    let r = root
        .post(
            "/inventory",
            &[
                ("name", "Budi's laptop"),
                ("type", "laptop"),
                ("status", "in_use"),
                ("department_id", &it),
                ("serial", "SN-READ-1"),
                ("cpu", "Intel Core i7"),
                ("warranty_end", "2026-10-01"),
                ("credential", "read-view-secret"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = r.header("location").split('?').next().unwrap().to_string();
    let id: i64 = page.trim_start_matches("/inventory/").parse().unwrap();
    let lic = app
        .json(
            Method::POST,
            "/api/v1/inventory/licenses",
            &d.admin,
            json!({"product": "Office 2024", "seats": 5, "expires_on": "2026-09-01", "device_ids": [id]}),
        )
        .await;
    assert_eq!(lic.status, StatusCode::CREATED, "{}", lic.body);
    // An owner set by hand, then a collector report for her.
    let r = root
        .post(
            &page,
            &[
                ("name", "Budi's laptop"),
                ("type", "laptop"),
                ("status", "in_use"),
                ("department_id", &it),
                ("owner_id", &budi),
                ("is_main", "on"),
                ("serial", "SN-READ-1"),
                ("cpu", "Intel Core i7"),
                ("warranty_end", "2026-10-01"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.header("location"), format!("{page}?msg=saved"));
    let r = app
        .send(
            Method::POST,
            "/api/update-main-device",
            &[("content-type", "application/json")],
            Body::from(r#"{"email":"budi@example.com","data":{"ram":"16.0 GB"}}"#),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    let r = root.get(&page).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // A read view in sections, not a form.
    assert!(!r.body.contains("id=\"asset-form\""));
    for id in [
        "asset-summary",
        "asset-hardware",
        "software",
        "asset-licenses",
        "asset-tickets",
        "asset-history",
    ] {
        assert!(r.body.contains(&format!("id=\"{id}\"")), "{id}");
    }
    let summary = section(&r.body, "asset-summary", "section");
    assert!(summary.contains("data-warranty=\"expiring\""), "{summary}");
    assert!(
        summary.contains("Warranty ends within 30 days"),
        "{summary}"
    );
    assert!(summary.contains("Budi Santoso"), "{summary}");
    assert!(summary.contains("id=\"credential-masked\"") && !r.body.contains("read-view-secret"));
    assert!(section(&r.body, "asset-hardware", "section").contains("Intel Core i7"));
    let licences = section(&r.body, "asset-licenses", "section");
    assert!(
        licences.contains("Office 2024") && licences.contains("data-flag=\"expired\""),
        "{licences}"
    );
    // The history names people, never by address.
    let history = section(&r.body, "asset-history", "ul");
    assert!(
        history.contains("<span class=\"who\">root</span>"),
        "{history}"
    );
    assert!(
        history.contains("Collector script (Budi Santoso)"),
        "{history}"
    );
    assert!(
        history.contains("<span class=\"new\">Budi Santoso</span>"),
        "{history}"
    );
    assert!(!history.contains('@'), "{history}");

    // Edit leads to the form; the credential field there is write-only.
    assert!(
        summary.contains(&format!("href=\"{page}/edit\"")),
        "{summary}"
    );
    let form = root.get(&format!("{page}/edit")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("id=\"asset-form\"") && form.body.contains("name=\"credential\""));
    assert!(!form.body.contains("read-view-secret"));
    // A failed save shows the form again, not the read view.
    let r = root.post(&page, &[("name", ""), ("type", "laptop")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"asset-form\""));

    // Warranty states: expired and fine.
    for (end, flag) in [
        ("2026-01-31", "expired"),
        ("2027-12-31", "ok"),
        ("", "unknown"),
    ] {
        let r = app
            .json(
                Method::PATCH,
                &format!("/api/v1/inventory/hardware/{id}"),
                &d.admin,
                json!({"warranty_end": if end.is_empty() { None } else { Some(end) }}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = root.get(&page).await;
        assert!(
            r.body.contains(&format!("data-warranty=\"{flag}\"")),
            "{end}: {flag}"
        );
    }

    // Without the right to change it: the read view, no Edit, and no form behind it.
    let mut boss = signed_in(app, "boss@example.com").await;
    let r = boss.get(&page).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.body.contains("id=\"edit-asset\""));
    assert_eq!(
        boss.get(&format!("{page}/edit")).await.status,
        StatusCode::FORBIDDEN
    );
    // A removed account is named as such, not by the address it had.
    let r = app
        .json(
            Method::DELETE,
            &format!("/api/v1/users/{budi}"),
            &d.admin,
            json!({}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    let r = root.get(&page).await;
    let history = section(&r.body, "asset-history", "ul");
    assert!(
        history.contains("Collector script") && !history.contains('@'),
        "{history}"
    );
}
