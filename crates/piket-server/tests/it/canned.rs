//! Canned responses and saved views through the real router, on SQLite (and PostgreSQL when
//! configured): CRUD with audit entries, placeholders filled in for a ticket (raw in JSON, escaped
//! in HTML), who may see them, department scoping, and saved views owned by one user each.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::http::{Method, StatusCode};
use common::desk::{new_desk, Dept};
use common::{signed_in, Reply, TestApp};
use serde_json::{json, Value};

const XSS_NAME: &str = "Alice <script>alert(1)</script>";

/// An admin, IT and HR, a technician in each, a requester in IT whose name is hostile, another.
struct Desk {
    app: TestApp,
    admin: String,
    it: i64,
    hr: i64,
    tech: (i64, String),
    hr_tech: (i64, String),
    alice: (i64, String),
    bob: (i64, String),
}

async fn desk() -> Desk {
    let d = new_desk()
        .hr()
        .keyed("tech", "technician", Dept::It)
        .keyed("hrtech", "technician", Dept::Hr)
        .keyed("alice", "requester", Dept::It)
        .named(XSS_NAME)
        .keyed("bob", "requester", Dept::It)
        .build()
        .await;
    Desk {
        tech: d.person("tech"),
        hr_tech: d.person("hrtech"),
        alice: d.person("alice"),
        bob: d.person("bob"),
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
    async fn canned(&self, body: Value) -> i64 {
        let r = self
            .send(Method::POST, "/api/v1/canned-responses", &self.admin, body)
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.json()["id"].as_i64().unwrap()
    }
    async fn ticket(&self, key: &str, body: Value) -> i64 {
        let r = self.send(Method::POST, "/api/v1/tickets", key, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.json()["id"].as_i64().unwrap()
    }
    async fn canned_names(&self, key: &str) -> Vec<String> {
        let r = self.app.get("/api/v1/canned-responses", key).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    }
}

fn problem_fields(r: &Reply) -> Vec<String> {
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
async fn admins_keep_canned_responses_through_the_api_and_every_change_is_audited() {
    let d = desk().await;
    let r = d
        .send(
            Method::POST,
            "/api/v1/canned-responses",
            &d.admin,
            json!({"name": "Printer fixed", "body": "Hi {{requester_name}}, {{ticket_number}} is fixed."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let c = r.json();
    let id = c["id"].as_i64().unwrap();
    assert_eq!(c["department_id"], Value::Null);
    assert_eq!(d.app.audit_count("canned_response.create").await, 1);

    let path = format!("/api/v1/canned-responses/{id}");
    let r = d.app.get(&path, &d.admin).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["name"], "Printer fixed");
    assert_eq!(d.canned_names(&d.admin).await, ["Printer fixed"]);

    let r = d
        .send(
            Method::PUT,
            &path,
            &d.admin,
            json!({"name": "Printer repaired", "body": "Done, {{ agent_name }}.", "department_id": d.it}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["department_id"], d.it);
    assert_eq!(r.json()["body"], "Done, {{ agent_name }}.");
    assert_eq!(d.app.audit_count("canned_response.update").await, 1);

    // Duplicate names (in any case) conflict; bad input is a 422 naming the field.
    let r = d
        .send(
            Method::POST,
            "/api/v1/canned-responses",
            &d.admin,
            json!({"name": "PRINTER REPAIRED", "body": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    for (body, field) in [
        (json!({"name": " ", "body": "text"}), "name"),
        (json!({"name": "A", "body": ""}), "body"),
        (json!({"name": "A", "body": "Hello {{requester}}"}), "body"),
        (
            json!({"name": "A", "body": "text", "department_id": 9999}),
            "department_id",
        ),
        (json!({"name": "x".repeat(101), "body": "text"}), "name"),
    ] {
        let r = d
            .send(Method::POST, "/api/v1/canned-responses", &d.admin, body)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(problem_fields(&r), [field], "{}", r.body);
    }
    let r = d
        .send(
            Method::POST,
            "/api/v1/canned-responses",
            &d.admin,
            json!({"name": "A", "body": "Hello {{requester}}"}),
        )
        .await;
    assert!(
        r.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("{{requester}}"),
        "the typo is named: {}",
        r.body
    );
    let r = d
        .send(
            Method::POST,
            "/api/v1/canned-responses",
            &d.admin,
            json!({"name": "A", "body": "x", "colour": "red"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "unknown field");
    assert_eq!(d.app.audit_count("canned_response.create").await, 1);

    // Staff use them but do not manage them.
    let r = d
        .send(
            Method::POST,
            "/api/v1/canned-responses",
            &d.tech.1,
            json!({"name": "Mine", "body": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    for (method, body) in [
        (Method::PUT, json!({"name": "B", "body": "x"})),
        (Method::DELETE, json!({})),
    ] {
        assert_eq!(
            d.send(method, &path, &d.tech.1, body).await.status,
            StatusCode::FORBIDDEN
        );
    }

    let r = d.send(Method::DELETE, &path, &d.admin, json!({})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(d.app.audit_count("canned_response.delete").await, 1);
    assert_eq!(
        d.app.get(&path, &d.admin).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        d.send(Method::DELETE, &path, &d.admin, json!({}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert!(d.canned_names(&d.admin).await.is_empty());
}

#[tokio::test]
async fn placeholders_are_filled_for_a_ticket_raw_in_json_and_escaped_in_html() {
    let d = desk().await;
    let cid = d
        .canned(json!({"name": "Fixed", "body": "Hi {{requester_name}}, about {{ticket_number}} ({{ticket_title}}): fixed. {{agent_name}}"}))
        .await;
    let id = d
        .ticket(
            &d.alice.1,
            json!({"title": "Printer jams", "department": d.it}),
        )
        .await;
    let expected = format!("Hi {XSS_NAME}, about #{id} (Printer jams): fixed. tech");

    // JSON gives the text as written.
    let r = d
        .app
        .get(
            &format!("/api/v1/tickets/{id}/canned-responses/{cid}"),
            &d.tech.1,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let e = r.json();
    assert_eq!(e["body"], expected);
    assert_eq!(e["ticket_id"], id);
    assert_eq!(e["canned_id"], cid);
    assert_eq!(e["name"], "Fixed");

    // The page offers it by the reply box and, without script, pre-fills the box, escaped (the
    // ticket page is an askama template: it escapes `<` as `&#60;`).
    let mut tech = signed_in(&d.app, "tech@example.com").await;
    let page = tech.get(&format!("/tickets/{id}")).await;
    assert!(page.body.contains("id=\"canned-insert\""), "{}", page.body);
    assert!(page
        .body
        .contains(&format!("<option value=\"{cid}\">Fixed</option>")));
    let page = tech.get(&format!("/tickets/{id}?canned={cid}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(&format!(
            ">Hi Alice &#60;script&#62;alert(1)&#60;/script&#62;, about #{id} (Printer jams): fixed. tech</textarea>"
        )),
        "{}",
        page.body
    );
    assert!(!page.body.contains("<script>alert(1)"));
    // What our script fetches: plain text, never HTML.
    let r = tech.get(&format!("/tickets/{id}/canned/{cid}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("content-type").starts_with("text/plain"));
    assert_eq!(r.body, expected);
    // A choice that no longer exists keeps the page and says so.
    let r = tech.get(&format!("/tickets/{id}?canned=99999")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("no such canned response"));
    // Sent as a reply, it shows escaped in the conversation.
    let r = tech
        .post(&format!("/tickets/{id}/comments"), &[("body", &expected)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = d
        .app
        .get(&format!("/api/v1/tickets/{id}/comments"), &d.alice.1)
        .await;
    assert_eq!(page.json()["items"][0]["body"], expected);
    let page = signed_in(&d.app, "alice@example.com")
        .await
        .get(&format!("/tickets/{id}"))
        .await;
    assert!(page
        .body
        .contains(&format!("about #{id} (Printer jams): fixed. tech")));
    assert!(!page.body.contains("<script>alert(1)"));

    // Unknown ticket or canned response: 404.
    for path in [
        format!("/api/v1/tickets/{id}/canned-responses/99999"),
        format!("/api/v1/tickets/99999/canned-responses/{cid}"),
    ] {
        assert_eq!(
            d.app.get(&path, &d.tech.1).await.status,
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn requesters_never_see_canned_responses() {
    let d = desk().await;
    let cid = d
        .canned(json!({"name": "Fixed", "body": "Hi {{requester_name}}"}))
        .await;
    let id = d
        .ticket(&d.alice.1, json!({"title": "Mouse", "department": d.it}))
        .await;
    for path in [
        "/api/v1/canned-responses".to_string(),
        format!("/api/v1/canned-responses/{cid}"),
        format!("/api/v1/tickets/{id}/canned-responses/{cid}"),
    ] {
        for key in [&d.alice.1, &d.bob.1] {
            let r = d.app.get(&path, key).await;
            // Bob may not see Alice's ticket at all: that is a 404 before anything else.
            let expected = if path.contains("/tickets/") && *key == d.bob.1 {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(r.status, expected, "{path}: {}", r.body);
            assert!(!r.body.contains("Hi {{requester_name}}"));
        }
    }
    let mut alice = signed_in(&d.app, "alice@example.com").await;
    let page = alice.get(&format!("/tickets/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("canned-insert") && !page.body.contains(">Fixed<"));
    assert!(!page.body.contains("/admin/canned"), "no admin link");
    for path in [
        format!("/tickets/{id}?canned={cid}"),
        format!("/tickets/{id}/canned/{cid}"),
        "/admin/canned".to_string(),
    ] {
        let r = alice.get(&path).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
        assert!(!r.body.contains("Hi Alice"));
    }
}

#[tokio::test]
async fn department_scope_limits_tickets_and_restricted_canned_responses() {
    let d = desk().await;
    let open = d.canned(json!({"name": "Everyone", "body": "Hello"})).await;
    let hr_only = d
        .canned(
            json!({"name": "HR only", "body": "Payroll: {{ticket_number}}", "department_id": d.hr}),
        )
        .await;
    let it_ticket = d
        .ticket(&d.alice.1, json!({"title": "VPN", "department": d.it}))
        .await;
    let hr_ticket = d
        .ticket(&d.admin, json!({"title": "Payslip", "department": d.hr}))
        .await;

    // A technician of another department: the IT ticket does not exist for them.
    let r = d
        .app
        .get(
            &format!("/api/v1/tickets/{it_ticket}/canned-responses/{open}"),
            &d.hr_tech.1,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let mut hr = signed_in(&d.app, "hrtech@example.com").await;
    assert_eq!(
        hr.get(&format!("/tickets/{it_ticket}/canned/{open}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        hr.get(&format!("/tickets/{it_ticket}?canned={open}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Their own department's ticket works, with their department's canned response too.
    let r = d
        .app
        .get(
            &format!("/api/v1/tickets/{hr_ticket}/canned-responses/{hr_only}"),
            &d.hr_tech.1,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["body"], format!("Payroll: #{hr_ticket}"));
    assert_eq!(d.canned_names(&d.hr_tech.1).await, ["Everyone", "HR only"]);

    // The IT technician is not offered HR's, and cannot fetch it by id.
    assert_eq!(d.canned_names(&d.tech.1).await, ["Everyone"]);
    for path in [
        format!("/api/v1/canned-responses/{hr_only}"),
        format!("/api/v1/tickets/{it_ticket}/canned-responses/{hr_only}"),
    ] {
        assert_eq!(
            d.app.get(&path, &d.tech.1).await.status,
            StatusCode::NOT_FOUND
        );
    }
    let page = signed_in(&d.app, "tech@example.com")
        .await
        .get(&format!("/tickets/{it_ticket}"))
        .await;
    assert!(page.body.contains(">Everyone</option>") && !page.body.contains(">HR only</option>"));
    // Admins (all scope, settings.manage) see and use everything.
    assert_eq!(d.canned_names(&d.admin).await, ["Everyone", "HR only"]);
}

#[tokio::test]
async fn admins_manage_canned_responses_on_their_page() {
    let d = desk().await;
    let mut admin = signed_in(&d.app, "root@example.com").await;
    let page = admin.get("/admin/canned").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .body
        .contains("href=\"/admin/canned\" aria-current=\"page\""));
    assert!(
        page.body.contains("<code>{{requester_name}}</code>"),
        "placeholders are listed"
    );
    let r = admin
        .post(
            "/admin/canned",
            &[
                ("name", "Reset"),
                ("body", "Hi {{ requester_nme }}"),
                ("department_id", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("unknown placeholder {{requester_nme}}"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains(">Hi {{ requester_nme }}</textarea>"),
        "what was typed is kept"
    );
    let r = admin
        .post(
            "/admin/canned",
            &[
                ("name", "Reset"),
                ("body", "Hi {{requester_name}}, your password is reset."),
                ("department_id", &d.it.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.header("location"), "/admin/canned?msg=saved");
    let id = d.app.get("/api/v1/canned-responses", &d.admin).await.json()["items"][0]["id"]
        .as_i64()
        .unwrap();
    let page = admin.get(&format!("/admin/canned/{id}")).await;
    assert!(page
        .body
        .contains(&format!("<option value=\"{}\" selected>IT</option>", d.it)));
    let r = admin
        .post(
            &format!("/admin/canned/{id}"),
            &[
                ("name", "Reset done"),
                ("body", "Done."),
                ("department_id", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let list = admin.get("/admin/canned").await.body;
    assert!(list.contains("Reset done") && list.contains("All staff"));
    assert_eq!(d.app.audit_count("canned_response.update").await, 1);

    let mut tech = signed_in(&d.app, "tech@example.com").await;
    assert!(!tech.get("/tickets").await.body.contains("/admin/canned"));
    assert_eq!(
        tech.get("/admin/canned").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        tech.post("/admin/canned", &[("name", "x"), ("body", "y")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        tech.post(&format!("/admin/canned/{id}/delete"), &[])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = admin.post(&format!("/admin/canned/{id}/delete"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(admin
        .get("/admin/canned")
        .await
        .body
        .contains("Nothing here yet."));
    assert_eq!(d.app.audit_count("canned_response.delete").await, 1);
}

#[tokio::test]
async fn saved_views_belong_to_their_owner() {
    let d = desk().await;
    let r = d
        .send(
            Method::POST,
            "/api/v1/ticket-views",
            &d.tech.1,
            json!({"name": "Urgent IT", "query": "?priority=urgent&status=new,open&cursor=5.1&limit=10"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let v = r.json();
    let id = v["id"].as_i64().unwrap();
    assert_eq!(v["name"], "Urgent IT");
    assert_eq!(
        v["query"], "status=new%2Copen&priority=urgent",
        "stored canonical, without the page position"
    );
    assert_eq!(d.app.audit_count("ticket_view.create").await, 1);
    let list = d.app.get("/api/v1/ticket-views", &d.tech.1).await.json();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["id"], id);

    // Another user neither sees nor deletes it.
    let other = d.app.get("/api/v1/ticket-views", &d.hr_tech.1).await;
    assert_eq!(other.status, StatusCode::OK);
    assert_eq!(other.json()["items"], json!([]));
    let path = format!("/api/v1/ticket-views/{id}");
    for key in [&d.hr_tech.1, &d.alice.1] {
        assert_eq!(
            d.send(Method::DELETE, &path, key, json!({})).await.status,
            StatusCode::NOT_FOUND
        );
    }

    // Garbage is refused, naming the field.
    for (body, field) in [
        (json!({"name": "x", "query": "status=bogus"}), "query"),
        (json!({"name": "x", "query": "colour=red"}), "query"),
        (
            json!({"name": "x", "query": "created_from=yesterday"}),
            "query",
        ),
        (
            json!({"name": "x", "query": "status=new&status=open"}),
            "query",
        ),
        (json!({"name": "", "query": "status=new"}), "name"),
    ] {
        let r = d
            .send(Method::POST, "/api/v1/ticket-views", &d.tech.1, body)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(problem_fields(&r), [field], "{}", r.body);
    }
    let r = d
        .send(
            Method::POST,
            "/api/v1/ticket-views",
            &d.tech.1,
            json!({"name": "urgent it", "query": "status=new"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "one name per user");
    // The same name is fine for someone else; requesters may keep views too.
    let r = d
        .send(
            Method::POST,
            "/api/v1/ticket-views",
            &d.alice.1,
            json!({"name": "Urgent IT", "query": "status=resolved"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

    let r = d.send(Method::DELETE, &path, &d.tech.1, json!({})).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(d.app.audit_count("ticket_view.delete").await, 1);
    assert_eq!(
        d.send(Method::DELETE, &path, &d.tech.1, json!({}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        d.app.get("/api/v1/ticket-views", &d.tech.1).await.json()["items"],
        json!([])
    );
    assert_eq!(
        d.app.get("/api/v1/ticket-views", &d.alice.1).await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_saved_view_is_a_link_that_filters_the_list_page() {
    let d = desk().await;
    let urgent = d
        .ticket(
            &d.alice.1,
            json!({"title": "Server down", "priority": "urgent", "department": d.it}),
        )
        .await;
    let low = d
        .ticket(
            &d.alice.1,
            json!({"title": "New mousepad", "priority": "low", "department": d.it}),
        )
        .await;
    let mut tech = signed_in(&d.app, "tech@example.com").await;

    // The unfiltered list has nothing to save; a filtered one offers its filters.
    assert!(!tech.get("/tickets").await.body.contains("id=\"save-view\""));
    let page = tech.get("/tickets?priority=urgent&sort=&q=").await.body;
    assert!(page.contains("id=\"save-view\""), "{page}");
    assert!(
        page.contains("name=\"query\" value=\"priority=urgent\""),
        "{page}"
    );

    let r = tech
        .post(
            "/tickets/views",
            &[("name", "Fires"), ("query", "priority=urgent")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.header("location"), "/tickets?priority=urgent&msg=saved");

    // It is listed beside the built-in views, and following it filters the list.
    let page = tech.get("/tickets").await.body;
    assert!(page.contains("id=\"saved-views\""));
    assert!(
        page.contains(
            "<a href=\"/tickets?priority=urgent\" data-view=\"priority=urgent\" >Fires <span class=\"count\" hidden></span></a>"
        ),
        "{page}"
    );
    assert!(page.contains(
        "href=\"/tickets/{urgent}\""
            .replace("{urgent}", &urgent.to_string())
            .as_str()
    ));
    let page = tech.get("/tickets?priority=urgent").await.body;
    assert!(page.contains(
        "<a href=\"/tickets?priority=urgent\" data-view=\"priority=urgent\" aria-current=\"page\">Fires <span"
    ));
    assert!(page.contains(&format!("href=\"/tickets/{urgent}\"")));
    assert!(
        !page.contains(&format!("href=\"/tickets/{low}\"")),
        "the view filters"
    );

    // Errors come back on the list with what was typed; other users do not see the view.
    let r = tech
        .post(
            "/tickets/views",
            &[("name", "fires"), ("query", "priority=low")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("you have a view named fires"), "{}", r.body);
    assert!(
        r.body.contains(&format!("href=\"/tickets/{low}\"")),
        "the list it came from"
    );
    let r = tech
        .post(
            "/tickets/views",
            &[("name", "Odd"), ("query", "colour=red")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("is not a ticket list query"), "{}", r.body);
    let mut hr = signed_in(&d.app, "hrtech@example.com").await;
    assert!(!hr.get("/tickets").await.body.contains("Fires"));
    let id = d.app.get("/api/v1/ticket-views", &d.tech.1).await.json()["items"][0]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        hr.post(&format!("/tickets/views/{id}/delete"), &[])
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Its delete button removes it.
    let r = tech.post(&format!("/tickets/views/{id}/delete"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.header("location"), "/tickets?msg=deleted");
    assert!(!tech.get("/tickets").await.body.contains("Fires"));
}
