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
    for hidden in ["fleet.read", "stock.write", "knowledge.read", "field.write", "reports.read"] {
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
            &[("name", ""), ("scope", "department"), ("permissions", "tickets.read")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("id=\"kept-permissions\""));
    assert_eq!(
        role_permissions(&app, &root, id).await,
        ["fleet.read", "stock.write", "tickets.create"]
    );

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
    assert!(row.contains("<strong>Tickets:</strong> See tickets"), "{row}");
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
    let admin = r.body.split(">Admin<").nth(1).unwrap().split("</tr>").next().unwrap();
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
    assert!(r.body.contains("name=\"back\" value=\"/tickets\""), "{}", r.body);
    // Only for those who could set email up.
    let mut requester = signed_in(&app, "tech@example.com").await;
    assert!(!requester.get("/").await.body.contains("id=\"smtp-missing\""));

    // No CSRF token, no dismissal.
    let r = root
        .post_raw("/notices/smtp_missing/dismiss", &[("back", "/tickets")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(root.get("/").await.body.contains("id=\"smtp-missing\""));
    // An unknown notice is not found; a target elsewhere goes home.
    let r = root.post("/notices/no_such/dismiss", &[("back", "/")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(app.audit_count("notice.dismiss").await, 0);

    let r = root
        .post("/notices/smtp_missing/dismiss", &[("back", "/tickets?status=open")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.header("location"), "/tickets?status=open");
    assert!(!root.get("/tickets").await.body.contains("id=\"smtp-missing\""));
    // Pressed twice (another tab): still fine, logged once.
    let r = root
        .post("/notices/smtp_missing/dismiss", &[("back", "//elsewhere.test/")])
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
