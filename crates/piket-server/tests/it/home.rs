//! The start page (issue #19, part 6): a requester sees their own open tickets and a "New ticket"
//! button and no API keys; staff see their queue counts and what is assigned to them; the agent
//! page links each system's download where an admin placed one, with no build instructions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::http::{Method, StatusCode};
use common::desk::{new_desk, Dept};
use common::signed_in;

#[tokio::test]
async fn each_role_starts_on_what_it_works_with() {
    let d = new_desk()
        .keyed("ana", "requester", Dept::It)
        .keyed("budi", "requester", Dept::It)
        .keyed("tech", "Technician", Dept::It)
        .build()
        .await;
    let file = |key: String, title: &'static str| {
        let app = &d.app;
        async move {
            let r = app
                .json(
                    Method::POST,
                    "/api/v1/tickets",
                    &key,
                    serde_json::json!({"title": title, "description": "x"}),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            r.json()["id"].as_i64().unwrap()
        }
    };
    let printer = file(d.key("ana"), "Printer jammed").await;
    let done = file(d.key("ana"), "Old and solved").await;
    file(d.key("budi"), "Budi's laptop").await;
    let r = d
        .app
        .json(
            Method::PATCH,
            &format!("/api/v1/tickets/{done}"),
            &d.admin,
            serde_json::json!({"status": "closed"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (tech, _) = d.person("tech");
    let r = d
        .app
        .json(
            Method::PATCH,
            &format!("/api/v1/tickets/{printer}"),
            &d.admin,
            serde_json::json!({"assignee": tech}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    let mut ana = signed_in(&d.app, "ana@example.com").await;
    let home = ana.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    let body = &home.body;
    assert!(body.contains("id=\"home-mine\""), "{body}");
    assert!(
        body.contains(&format!("href=\"/tickets/{printer}\"")),
        "her open ticket"
    );
    assert!(
        !body.contains(&format!("href=\"/tickets/{done}\"")),
        "not the closed one"
    );
    assert!(
        !body.contains("Budi&#39;s laptop") && !body.contains("Budi's laptop"),
        "not another's"
    );
    assert!(body.contains("id=\"home-new-ticket\""));
    assert!(
        !body.contains("href=\"/apikeys\""),
        "neither the start page nor the user menu offers a requester API keys"
    );
    assert!(!body.contains("id=\"home-counts\""));

    let mut t = signed_in(&d.app, "tech@example.com").await;
    let home = t.get("/").await;
    let body = &home.body;
    assert!(body.contains("id=\"home-counts\""), "{body}");
    // Three tickets in IT: two open (new), one closed; the tiles show new/open/pending/resolved.
    assert!(
        body.contains("href=\"/tickets?status=new\"") && body.contains("<strong>2</strong>"),
        "{body}"
    );
    let assigned = body.split("id=\"home_assigned\"").nth(1).unwrap();
    let assigned = assigned.split("</section>").next().unwrap();
    assert!(
        assigned.contains(&format!("href=\"/tickets/{printer}\"")),
        "{assigned}"
    );
    assert!(!assigned.contains("Budi"), "only what is assigned to them");
    assert!(body
        .split("<main")
        .nth(1)
        .unwrap()
        .contains("href=\"/apikeys\""));
    assert!(!body.contains("id=\"home-mine\""));
}

#[tokio::test]
async fn the_agent_page_links_each_systems_download_and_has_no_build_steps() {
    let d = new_desk()
        .member("ana", "requester", Dept::It)
        .build()
        .await;
    let folder = d.app.state.config.data_dir.join("downloads");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("piket-agent.exe"), b"MZ").unwrap();
    std::fs::write(folder.join("piket-agent-linux-x86_64"), b"\x7fELF").unwrap();
    let mut ana = signed_in(&d.app, "ana@example.com").await;
    let page = ana.get("/agent").await;
    assert_eq!(page.status, StatusCode::OK);
    let body = &page.body;
    assert!(
        !body.contains("cargo"),
        "no build instructions for a requester"
    );
    let steps = |os: &str| {
        body.split(&format!("id=\"steps-{os}\""))
            .nth(1)
            .unwrap()
            .split("</ol>")
            .next()
            .unwrap()
            .to_string()
    };
    assert!(steps("windows").contains("href=\"/agent/download/piket-agent.exe\""));
    assert!(steps("linux").contains("href=\"/agent/download/piket-agent-linux-x86_64\""));
    assert!(
        !steps("macos").contains("/agent/download/"),
        "none placed for macOS"
    );
    // Each step is one item: download, install and enroll, run in the background (and on
    // Linux, start the desktop helper; the Windows installer does that itself).
    assert_eq!(steps("linux").matches("<li>").count(), 4);
    assert_eq!(steps("macos").matches("<li>").count(), 3);
}

#[tokio::test]
async fn a_requesters_list_has_no_staff_tools() {
    let d = new_desk()
        .keyed("ana", "requester", Dept::It)
        .keyed("tech", "Technician", Dept::It)
        .build()
        .await;
    let r = d
        .app
        .json(
            Method::POST,
            "/api/v1/tickets",
            &d.key("ana"),
            serde_json::json!({"title": "Monitor flickers", "description": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let staff_tools = [
        "id=\"export\"",
        "id=\"f-created_from\"",
        "data-label=\"Requester\"",
    ];

    let mut ana = signed_in(&d.app, "ana@example.com").await;
    let list = ana.get("/tickets").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("Monitor flickers"));
    for tool in staff_tools {
        assert!(
            !list.body.contains(tool),
            "a requester is not offered {tool}"
        );
    }
    let mut tech = signed_in(&d.app, "tech@example.com").await;
    let list = tech.get("/tickets").await;
    for tool in staff_tools {
        assert!(list.body.contains(tool), "staff keep {tool}");
    }
}
