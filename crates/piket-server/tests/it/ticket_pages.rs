//! Ticket pages through the real router: the portal form, the staff list with counts, filters and
//! bulk actions, the ticket page with replies and notes, scoping, escaping, and categories.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::http::StatusCode;
use common::desk::{new_desk, Dept};
use common::{signed_in, TestApp};

fn location(r: &common::Reply) -> String {
    r.header("location")
}

/// An app with an admin (and their key), an IT department and its technician `tech@`.
async fn desk_with_tech() -> (TestApp, String, i64) {
    let d = new_desk()
        .member("tech", "technician", Dept::It)
        .build()
        .await;
    (d.app, d.admin, d.it)
}

/// A ticket in department `dept`, filed through the API; its id.
async fn new_ticket(app: &TestApp, key: &str, dept: i64, title: &str) -> i64 {
    let r = app
        .json(
            axum::http::Method::POST,
            "/api/v1/tickets",
            key,
            serde_json::json!({"title": title, "description": "", "department": dept}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["id"].as_i64().unwrap()
}

#[tokio::test]
async fn a_requester_files_a_ticket_and_staff_work_it_through_the_pages() {
    let app = TestApp::new().await;
    let (_, admin_key) = app.admin().await;
    let it = app.department(&admin_key, "IT").await;
    let hr = app.department(&admin_key, "HR").await;
    let tech = app.user("tech@example.com", "technician", vec![it]).await;
    app.user("hrtech@example.com", "technician", vec![hr]).await;
    app.user("alice@example.com", "requester", vec![it]).await;
    app.user("bob@example.com", "requester", vec![it]).await;

    // The portal form suggests the requester's department.
    let mut alice = signed_in(&app, "alice@example.com").await;
    let form = alice.get("/tickets/new").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.body
            .contains(&format!("<option value=\"{it}\" selected>IT</option>")),
        "{}",
        form.body
    );
    // A missing title re-renders the form with the error and keeps what was typed.
    let r = alice
        .post(
            "/tickets",
            &[
                ("title", ""),
                ("description", "kept text"),
                ("department", &it.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("kept text") && r.body.contains("is required"),
        "{}",
        r.body
    );
    let xss = "<script>alert(1)</script>";
    let r = alice
        .post(
            "/tickets",
            &[
                ("title", &format!("Printer {xss}")),
                ("description", &format!("Jammed {xss}")),
                ("priority", "high"),
                ("department", &it.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let path = location(&r);
    let path = path.split('?').next().unwrap().to_string();
    let id: i64 = path.trim_start_matches("/tickets/").parse().unwrap();
    let page = alice.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains(xss), "text is escaped in HTML");
    assert!(page.body.contains("&lt;script&gt;"));
    assert!(
        !page.body.contains("f-internal"),
        "requesters get no internal toggle"
    );

    // The technician sees it in the list with its count, replies, and adds a note.
    let mut t = signed_in(&app, "tech@example.com").await;
    let list = t.get("/tickets?status=new").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains(&format!("href=\"/tickets/{id}\"")));
    assert!(
        list.body.contains("data-status=\"new\">1</span>"),
        "sidebar count"
    );
    let r = t
        .post(
            &format!("/tickets/{id}/comments"),
            &[("body", "Internal: toner ordered"), ("internal", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = t
        .post(
            &format!("/tickets/{id}/comments"),
            &[("body", "Fixed, please check")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = t
        .post(&format!("/tickets/{id}/comments"), &[("body", "  ")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = t
        .post(
            &format!("/tickets/{id}"),
            &[
                ("status", "resolved"),
                ("priority", "urgent"),
                ("assignee", &tech.id.to_string()),
                ("department", &it.to_string()),
                ("category", ""),
                ("tags", "printer, floor-2"),
                ("due_at", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = t.get(&path).await.body;
    assert!(page.contains("Internal: toner ordered") && page.contains("Fixed, please check"));
    assert!(page.contains("floor-2"));

    // The requester sees the reply, not the note, and confirms the resolution.
    let page = alice.get(&path).await.body;
    assert!(page.contains("Fixed, please check"));
    assert!(
        !page.contains("toner ordered"),
        "notes never reach requesters"
    );
    assert!(page.contains("id=\"confirm-resolution\""));
    let r = alice
        .post(&format!("/tickets/{id}"), &[("status", "closed")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = alice
        .post(&format!("/tickets/{id}"), &[("priority", "low")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(alice.get(&path).await.body.contains("id=\"reopen\""));

    // Another requester and another department's technician get a 404 everywhere.
    let mut bob = signed_in(&app, "bob@example.com").await;
    let mut hrtech = signed_in(&app, "hrtech@example.com").await;
    for b in [&mut bob, &mut hrtech] {
        assert_eq!(b.get(&path).await.status, StatusCode::NOT_FOUND);
        assert_eq!(
            b.post(&format!("/tickets/{id}/comments"), &[("body", "hi")])
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert!(!b
            .get("/tickets")
            .await
            .body
            .contains(&format!("/tickets/{id}\"")));
        assert!(!b.get("/tickets/export.csv").await.body.contains("Printer"));
    }
    assert_eq!(
        hrtech
            .post(&format!("/tickets/{id}"), &[("status", "open")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        hrtech
            .post(
                "/tickets/bulk",
                &[("ids", &id.to_string()), ("status", "open")]
            )
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Bulk change from the list, and the redirect stays on this site.
    let second = {
        let r = alice
            .post(
                "/tickets",
                &[("title", "Second"), ("department", &it.to_string())],
            )
            .await;
        location(&r)
            .split('?')
            .next()
            .unwrap()
            .trim_start_matches("/tickets/")
            .parse::<i64>()
            .unwrap()
    };
    let r = t
        .post(
            "/tickets/bulk",
            &[
                ("ids", &id.to_string()),
                ("ids", &second.to_string()),
                ("status", "pending"),
                ("back", "https://evil.example/"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/tickets?msg=saved");
    let list = t.get("/tickets?status=pending").await.body;
    assert!(
        list.contains(&format!("/tickets/{id}\""))
            && list.contains(&format!("/tickets/{second}\""))
    );
    // A bad filter shows the error instead of failing the page.
    let r = t.get("/tickets?status=bogus").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("unknown status"));
    // Search from the list highlights the match.
    let r = t.get("/tickets?q=jammed").await.body;
    assert!(r.contains("<mark>Jammed</mark>"), "{r}");
}

#[tokio::test]
async fn admins_manage_categories_and_staff_cannot() {
    let app = TestApp::new().await;
    let (_, admin_key) = app.admin().await;
    let it = app.department(&admin_key, "IT").await;
    app.user("tech@example.com", "technician", vec![it]).await;
    let mut admin = signed_in(&app, "root@example.com").await;
    let r = admin
        .post(
            "/admin/categories",
            &[
                ("name", "Network"),
                ("description", "Cables"),
                ("department_id", &it.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = admin
        .post(
            "/admin/categories",
            &[("name", "network"), ("department_id", "")],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "duplicates are refused on the form"
    );
    let page = admin.get("/admin/categories").await.body;
    assert!(page.contains("Network") && page.contains("Cables"));
    assert!(
        page.contains("id=\"smtp-missing\""),
        "admins are told email is not set up"
    );
    let mut tech = signed_in(&app, "tech@example.com").await;
    assert_eq!(
        tech.get("/admin/categories").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        tech.post("/admin/categories", &[("name", "Mine")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // The category is offered on the new-ticket form.
    assert!(tech
        .get("/tickets/new")
        .await
        .body
        .contains(">Network</option>"));
}

/// Many ticket pages at once, right after the department cache expired: no request may hold
/// a pool connection while it waits for another, or the pool starves and pages answer 503.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_ticket_pages_at_once_do_not_starve_the_pool() {
    let (app, admin_key, it) = desk_with_tech().await;
    let id = new_ticket(&app, &admin_key, it, "Busy page").await;
    let b = signed_in(&app, "tech@example.com").await;
    let cookie = b.cookie_header();
    for round in 0..3 {
        // Past the 2 s reference-cache lifetime, so every page has to load it again.
        app.clock.advance_ms(3_000);
        let pages = (0..32).map(|_| {
            let cookie = cookie.clone();
            let app = &app;
            async move {
                app.send(
                    axum::http::Method::GET,
                    &format!("/tickets/{id}"),
                    &[("cookie", cookie.as_str())],
                    axum::body::Body::empty(),
                )
                .await
                .status
            }
        });
        let started = std::time::Instant::now();
        let statuses = futures_util::future::join_all(pages).await;
        assert!(
            statuses.iter().all(|s| *s == StatusCode::OK),
            "round {round}: {statuses:?}"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "round {round} took {:?}: requests waited for connections",
            started.elapsed()
        );
    }
}

/// The assignee choice on the ticket page comes from a short-lived cache: staff added, renamed
/// or disabled through the users API show there on the very next page.
#[tokio::test]
async fn the_assignee_choice_follows_user_changes_at_once() {
    let (app, admin_key, it) = desk_with_tech().await;
    let path = format!(
        "/tickets/{}",
        new_ticket(&app, &admin_key, it, "Who takes it").await
    );
    let mut t = signed_in(&app, "tech@example.com").await;
    assert!(!t.get(&path).await.body.contains("newcomer"));

    let newcomer = app
        .user("newcomer@example.com", "technician", vec![it])
        .await;
    let option = format!("<option value=\"{}\"", newcomer.id);
    let page = t.get(&path).await.body;
    assert!(
        page.contains(&option),
        "a new technician is offered at once"
    );

    let users = format!("/api/v1/users/{}", newcomer.id);
    let r = app
        .json(
            axum::http::Method::PATCH,
            &users,
            &admin_key,
            serde_json::json!({"name": "Renamed Tech"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(t.get(&path).await.body.contains("Renamed Tech"));

    let r = app
        .json(
            axum::http::Method::PATCH,
            &users,
            &admin_key,
            serde_json::json!({"disabled": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let page = t.get(&path).await.body;
    assert!(!page.contains(&option) && !page.contains("Renamed Tech"));
}

/// Every text on the ticket page (a compiled template) comes back as text: title, description,
/// reply, author, assignee, department, category, tag-free history values, canned response,
/// linked asset and file name, each carrying a payload.
#[tokio::test]
async fn hostile_text_in_every_field_of_the_ticket_page_comes_back_as_text() {
    use axum::http::Method;
    use serde_json::json;
    const XSS: &str = "<script>alert(1)</script>";
    const IMG: &str = "<img src=x onerror=alert(2)>";
    let (app, admin, _) = desk_with_tech().await;
    let dept = app.department(&admin, &format!("Dept {XSS}")).await;
    let tech = app
        .user("xss-tech@example.com", "technician", vec![dept])
        .await;
    let send = |method: Method, path: String, body: serde_json::Value| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let r = app.json(method, &path, &admin, body).await;
            assert!(r.status.is_success(), "{path}: {} {}", r.status, r.body);
            r.json()
        }
    };
    send(
        Method::PATCH,
        format!("/api/v1/users/{}", tech.id),
        json!({"name": format!("Tech {XSS}")}),
    )
    .await;
    let cat = send(
        Method::POST,
        "/api/v1/categories".into(),
        json!({"name": format!("Cat {XSS}")}),
    )
    .await["id"]
        .clone();
    send(
        Method::POST,
        "/api/v1/canned-responses".into(),
        json!({"name": format!("Canned {XSS}"), "body": "Hello"}),
    )
    .await;
    let asset = send(
        Method::POST,
        "/api/v1/inventory/hardware".into(),
        json!({"name": format!("PC {XSS}"), "type": "desktop", "asset_tag": format!("T {IMG}"), "department_id": dept}),
    )
    .await["id"]
        .clone();
    let ticket = send(
        Method::POST,
        "/api/v1/tickets".into(),
        json!({"title": format!("Title {XSS}"), "description": format!("Text {XSS} {IMG}"),
               "department": dept, "category": cat, "assignee": tech.id, "asset_ids": [asset]}),
    )
    .await;
    let id = ticket["id"].as_i64().unwrap();
    let tech_key = app.key_for(tech.id).await;
    let r = app
        .json(
            Method::POST,
            &format!("/api/v1/tickets/{id}/comments"),
            &tech_key,
            json!({"body": format!("Reply {XSS}"), "internal": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // A title change puts the old and new titles in the history.
    send(
        Method::PATCH,
        format!("/api/v1/tickets/{id}"),
        json!({"title": format!("Renamed {IMG}")}),
    )
    .await;
    let boundary = "----piket-xss-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"R&D 'notes'.txt\"\r\n\
         Content-Type: text/plain\r\n\r\nplain text\r\n--{boundary}--\r\n"
    );
    let r = app
        .send(
            Method::POST,
            &format!("/api/v1/tickets/{id}/attachments"),
            &[
                ("x-api-key", admin.as_str()),
                (
                    "content-type",
                    &format!("multipart/form-data; boundary={boundary}"),
                ),
                ("content-length", &body.len().to_string()),
            ],
            axum::body::Body::from(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

    let page = signed_in(&app, "root@example.com")
        .await
        .get(&format!("/tickets/{id}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    for payload in [XSS, IMG, "<script>", "<img src=x"] {
        assert!(
            !page.body.contains(payload),
            "{payload} came back as markup:\n{}",
            page.body
        );
    }
    // Each of them is on the page, escaped (Markdown by its sanitiser, the rest by the template).
    for text in [
        "Text &lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x",
        "Reply &lt;script&gt;alert(1)&lt;/script&gt;",
        "Title &#60;script&#62;",
        "Renamed &#60;img src=x onerror=alert(2)&#62;",
        "Tech &#60;script&#62;",
        "Dept &#60;script&#62;",
        "Cat &#60;script&#62;",
        "Canned &#60;script&#62;",
        "PC &#60;script&#62;",
        "T &#60;img src=x",
        // Uploads lose `<` and `>` from their names; what is left is escaped.
        "R&#38;D &#39;notes&#39;.txt",
    ] {
        assert!(
            page.body.contains(text),
            "{text} is missing:\n{}",
            page.body
        );
    }
    // The layout (user menu, title) escapes too, for the technician with the hostile name.
    let page = signed_in(&app, "xss-tech@example.com")
        .await
        .get(&format!("/tickets/{id}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains(XSS) && !page.body.contains(IMG));
    assert!(
        page.body.contains(
            "<summary id=\"usermenu\">Tech &#60;script&#62;alert(1)&#60;/script&#62;</summary>"
        ),
        "{}",
        page.body
    );
    assert!(page.body.contains(&format!(
        "<title>#{id} Renamed &#60;img src=x onerror=alert(2)&#62; · Piket</title>"
    )));
}

/// The page routes hide a ticket out of reach the way the API does: every one is a 404 for a
/// technician of another department and for another requester, and nothing changes.
#[tokio::test]
async fn every_ticket_page_route_is_a_404_for_another_department_and_another_requester() {
    let (app, admin_key, it) = desk_with_tech().await;
    let hr = app.department(&admin_key, "HR").await;
    app.user("hrtech@example.com", "technician", vec![hr]).await;
    let alice = app.user("alice@example.com", "requester", vec![it]).await;
    app.user("bob@example.com", "requester", vec![it]).await;
    let alice_key = app.key_for(alice.id).await;
    let id = new_ticket(&app, &alice_key, it, "Badge reader broken").await;
    // A file on the ticket and a canned response, so their routes have something to hide.
    let att = app.text_attachment(&alice_key, id).await;
    let canned = app.canned_response(&admin_key).await;
    async fn snapshot(app: &TestApp, key: &str, id: i64) -> (String, String) {
        let ticket = app.get(&format!("/api/v1/tickets/{id}"), key).await.body;
        let history = app.get(&format!("/api/v1/tickets/{id}/history"), key).await;
        (ticket, history.body)
    }
    let before = snapshot(&app, &admin_key, id).await;
    for email in ["hrtech@example.com", "bob@example.com"] {
        let mut b = signed_in(&app, email).await;
        for path in [
            format!("/tickets/{id}"),
            format!("/tickets/{id}/attachments/{att}"),
            format!("/tickets/{id}/attachments/{att}/thumbnail"),
            format!("/tickets/{id}/canned/{canned}"),
        ] {
            let r = b.get(&path).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{email} GET {path}");
        }
        for (path, fields) in [
            (format!("/tickets/{id}"), vec![("status", "closed")]),
            (format!("/tickets/{id}/comments"), vec![("body", "hello")]),
            (
                format!("/tickets/{id}/comments"),
                vec![("body", "hello"), ("internal", "1")],
            ),
            (format!("/tickets/{id}/attachments/{att}/delete"), vec![]),
            (format!("/tickets/{id}/delete"), vec![]),
            (format!("/tickets/{id}/assets"), vec![("asset_id", "1")]),
            (format!("/tickets/{id}/assets/1/delete"), vec![]),
        ] {
            let r = b.post(&path, &fields).await;
            assert_eq!(
                r.status,
                StatusCode::NOT_FOUND,
                "{email} POST {path}: {}",
                r.body
            );
        }
    }
    assert_eq!(
        snapshot(&app, &admin_key, id).await,
        before,
        "nothing changed"
    );
}

/// The portal form does not preselect the category of the requester's last ticket, and the
/// list filters by category and creation date from its own form fields.
#[tokio::test]
async fn the_form_leaves_the_category_open_and_the_list_filters_by_category_and_date() {
    let (app, admin_key, it) = desk_with_tech().await;
    let r = app
        .json(
            axum::http::Method::POST,
            "/api/v1/categories",
            &admin_key,
            serde_json::json!({"name": "Printers"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let printers = r.json()["id"].as_i64().unwrap();
    let alice = app.user("alice@example.com", "requester", vec![it]).await;
    let alice_key = app.key_for(alice.id).await;
    let r = app
        .json(
            axum::http::Method::POST,
            "/api/v1/tickets",
            &alice_key,
            serde_json::json!({"title": "Toner empty", "description": "", "category": printers}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let toner = r.json()["id"].as_i64().unwrap();
    let other = new_ticket(&app, &alice_key, it, "Wi-Fi slow").await;

    let mut a = signed_in(&app, "alice@example.com").await;
    // Her last ticket's category is never preselected (issue #19: requesters took it for what
    // the form expected); its department still is.
    app.json(
        axum::http::Method::PATCH,
        &format!("/api/v1/tickets/{other}"),
        &admin_key,
        serde_json::json!({"category": printers}),
    )
    .await;
    let form = a.get("/tickets/new").await.body;
    let categories = form.split("id=\"f-category\"").nth(1).unwrap();
    let categories = categories.split("</select>").next().unwrap();
    assert!(
        categories.contains(&format!("<option value=\"{printers}\" >Printers</option>")),
        "{form}"
    );
    assert!(!categories.contains("selected"), "{form}");
    app.json(
        axum::http::Method::PATCH,
        &format!("/api/v1/tickets/{other}"),
        &admin_key,
        serde_json::json!({"category": null}),
    )
    .await;

    let mut t = signed_in(&app, "tech@example.com").await;
    let rows = |body: &str| body.matches("<tr data-id=\"").count();
    let list = t.get(&format!("/tickets?category={printers}")).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(rows(&list.body), 1, "{}", list.body);
    assert!(list.body.contains(&format!("href=\"/tickets/{toner}\"")));
    assert!(list.body.contains(&format!(
        "<option value=\"{printers}\" selected>Printers</option>"
    )));
    let today = &app
        .get(&format!("/api/v1/tickets/{toner}"), &admin_key)
        .await
        .json()["created_at"]
        .as_str()
        .unwrap()[..10]
        .to_string();
    let list = t.get(&format!("/tickets?created_from={today}")).await;
    assert_eq!(rows(&list.body), 2);
    assert!(list.body.contains(&format!("value=\"{today}\"")));
    let list = t.get(&format!("/tickets?created_to={today}")).await;
    assert_eq!(rows(&list.body), 0);
}

/// Staff start and stop watching a ticket from its page; the change is in the history.
#[tokio::test]
async fn staff_watch_and_unwatch_a_ticket_from_its_page() {
    let (app, admin_key, it) = desk_with_tech().await;
    let alice = app.user("alice@example.com", "requester", vec![it]).await;
    let alice_key = app.key_for(alice.id).await;
    let id = new_ticket(&app, &alice_key, it, "Projector flickers").await;
    let mut t = signed_in(&app, "tech@example.com").await;
    let page = t.get(&format!("/tickets/{id}")).await.body;
    assert!(
        page.contains("Watch this ticket") && page.contains("Watchers: 0"),
        "{page}"
    );
    for (on, count, button) in [("1", 1, "Stop watching"), ("0", 0, "Watch this ticket")] {
        let r = t
            .post(&format!("/tickets/{id}/watch"), &[("watch", on)])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let ticket = app
            .get(&format!("/api/v1/tickets/{id}"), &admin_key)
            .await
            .json();
        assert_eq!(ticket["watchers"].as_array().unwrap().len(), count);
        let page = t.get(&format!("/tickets/{id}")).await.body;
        assert!(page.contains(button), "{page}");
    }
    let history = app
        .get(&format!("/api/v1/tickets/{id}/history"), &admin_key)
        .await
        .body;
    assert_eq!(
        history.matches("\"field\":\"watchers\"").count(),
        2,
        "{history}"
    );
    // A requester has no such button, and the route does not let them change watchers.
    let mut a = signed_in(&app, "alice@example.com").await;
    assert!(!a
        .get(&format!("/tickets/{id}"))
        .await
        .body
        .contains("Watch this ticket"));
    let r = a
        .post(&format!("/tickets/{id}/watch"), &[("watch", "1")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
