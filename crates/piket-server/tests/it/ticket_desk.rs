//! The agent's ticket page (issue #19, part 1): one Update that replies and changes fields in one
//! transaction, drafts kept per ticket and user, the requester's context beside the conversation,
//! "Assign to me", and history in words; plus a timed loop over the page.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::http::{Method, StatusCode};
use common::desk::{new_desk, Dept, Desk};
use common::signed_in;
use serde_json::json;

/// IT with a technician `tech`, requesters `alice` (who filed the desk's ticket) and `bob`, and
/// an HR technician `hrtech`.
async fn desk() -> Desk {
    new_desk()
        .hr()
        .keyed("tech", "technician", Dept::It)
        .named("Tono Tech")
        .keyed("alice", "requester", Dept::It)
        .named("Alice Requester")
        .keyed("bob", "requester", Dept::It)
        .keyed("hrtech", "technician", Dept::Hr)
        .ticket("alice", "Printer jams")
        .build()
        .await
}

/// The reply box's text as the page renders it.
fn reply_box(page: &str) -> String {
    let start = page.find("<textarea id=\"f-body\"").expect("a reply box");
    let open = start + page[start..].find('>').unwrap() + 1;
    let close = open + page[open..].find("</textarea>").unwrap();
    page[open..close].to_string()
}

async fn ticket_json(d: &Desk, key: &str) -> serde_json::Value {
    let r = d
        .app
        .get(&format!("/api/v1/tickets/{}", d.ticket), key)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

async fn reply_count(d: &Desk) -> usize {
    let r = d
        .app
        .get(&format!("/api/v1/tickets/{}/comments", d.ticket), &d.admin)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["items"].as_array().unwrap().len()
}

#[tokio::test]
async fn one_update_sends_the_reply_and_the_field_changes_in_one_transaction() {
    let d = desk().await;
    let t = d.ticket;
    let mut tech = signed_in(&d.app, "tech@example.com").await;
    let page = tech.get(&format!("/tickets/{t}")).await;
    assert!(page.body.contains("id=\"update\""), "{}", page.body);
    // The side panel's fields belong to the reply form.
    assert!(page.body.contains("<select id=\"f-status\" form=\"reply\""));
    let it = d.it.to_string();
    // The Update button: the reply and a status, as the page sends them.
    let r = tech
        .post(
            &format!("/tickets/{t}/comments"),
            &[
                ("body", "Ordered a new roller"),
                ("status", "pending"),
                ("priority", "normal"),
                ("department", it.as_str()),
                ("category", ""),
                ("assignee", ""),
                ("tags", "printer"),
                ("due_at", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(
        r.header("location").contains("#c"),
        "{}",
        r.header("location")
    );
    let ticket = ticket_json(&d, &d.admin).await;
    assert_eq!(
        ticket["status"], "pending",
        "the Update's status wins over a reply opening it"
    );
    assert_eq!(ticket["tags"], json!(["printer"]));
    assert_eq!(reply_count(&d).await, 1);

    // A refused field change sends no reply and changes nothing; the text comes back.
    let r = tech
        .post(
            &format!("/tickets/{t}/comments"),
            &[
                ("body", "This must not be sent"),
                ("status", "open"),
                ("tags", "bad tag!"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(reply_box(&r.body), "This must not be sent");
    assert_eq!(reply_count(&d).await, 1);
    assert_eq!(ticket_json(&d, &d.admin).await["status"], "pending");

    // A refused reply (a requester's empty one) changes nothing either; with fields and no
    // text, Update is a field save.
    let r = tech
        .post(
            &format!("/tickets/{t}/comments"),
            &[("body", "  "), ("status", "open")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.header("location").ends_with("?msg=saved"));
    assert_eq!(ticket_json(&d, &d.admin).await["status"], "open");
    assert_eq!(reply_count(&d).await, 1);

    // A requester's reply form has no fields: an empty reply is still refused.
    let mut alice = signed_in(&d.app, "alice@example.com").await;
    let r = alice
        .post(&format!("/tickets/{t}/comments"), &[("body", "")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // … and a requester cannot slip a field change into the Update.
    let r = alice
        .post(
            &format!("/tickets/{t}/comments"),
            &[("body", "Thanks"), ("priority", "urgent")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(reply_count(&d).await, 1);
}

#[tokio::test]
async fn the_side_panel_save_keeps_the_text_as_a_draft_until_it_is_sent() {
    let d = desk().await;
    let t = d.ticket;
    let mut tech = signed_in(&d.app, "tech@example.com").await;
    let r = tech
        .post(
            &format!("/tickets/{t}"),
            &[("status", "open"), ("body", "Half written for now")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(ticket_json(&d, &d.admin).await["status"], "open");
    assert_eq!(reply_count(&d).await, 0);
    let page = tech.get(&format!("/tickets/{t}")).await;
    assert_eq!(reply_box(&page.body), "Half written for now");
    assert!(!page.body.contains("data-draft-at=\"0\""));
    // Another person's page does not show it.
    let mut alice = signed_in(&d.app, "alice@example.com").await;
    assert_eq!(
        reply_box(&alice.get(&format!("/tickets/{t}")).await.body),
        ""
    );
    // Sent, it is gone.
    let r = tech
        .post(
            &format!("/tickets/{t}/comments"),
            &[("body", "Half written, now whole")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        reply_box(&tech.get(&format!("/tickets/{t}")).await.body),
        ""
    );
    // "Assign to me" is the side panel's save too.
    let page = tech.get(&format!("/tickets/{t}")).await;
    assert!(page.body.contains("id=\"assign-me\""), "{}", page.body);
    let r = tech
        .post(
            &format!("/tickets/{t}"),
            &[("assign_me", "1"), ("assignee", ""), ("body", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        ticket_json(&d, &d.admin).await["assignee_id"],
        json!(d.id("tech"))
    );
    let page = tech.get(&format!("/tickets/{t}")).await;
    assert!(!page.body.contains("id=\"assign-me\""), "already mine");
    // A requester is not offered it, and cannot use it.
    assert!(!alice
        .get(&format!("/tickets/{t}"))
        .await
        .body
        .contains("assign-me"));
    let r = alice
        .post(&format!("/tickets/{t}"), &[("assign_me", "1")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
}

#[tokio::test]
async fn drafts_belong_to_their_writer_on_tickets_they_see() {
    let d = desk().await;
    let t = d.ticket;
    let path = format!("/tickets/{t}/draft");
    let mut tech = signed_in(&d.app, "tech@example.com").await;
    let r = tech.post(&path, &[("body", "Checking the fuser")]).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(
        reply_box(&tech.get(&format!("/tickets/{t}")).await.body),
        "Checking the fuser"
    );
    // The requester writes a draft of their own; neither sees the other's.
    let mut alice = signed_in(&d.app, "alice@example.com").await;
    assert_eq!(
        reply_box(&alice.get(&format!("/tickets/{t}")).await.body),
        ""
    );
    let r = alice.post(&path, &[("body", "It jams on A3")]).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(
        reply_box(&alice.get(&format!("/tickets/{t}")).await.body),
        "It jams on A3"
    );
    assert_eq!(
        reply_box(&tech.get(&format!("/tickets/{t}")).await.body),
        "Checking the fuser"
    );
    // Nobody writes a draft on a ticket they cannot see (the same answer as no ticket).
    let mut bob = signed_in(&d.app, "bob@example.com").await;
    assert_eq!(
        bob.post(&path, &[("body", "x")]).await.status,
        StatusCode::NOT_FOUND
    );
    let mut hrtech = signed_in(&d.app, "hrtech@example.com").await;
    assert_eq!(
        hrtech.post(&path, &[("body", "x")]).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        tech.post("/tickets/999999/draft", &[("body", "x")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // At most as long as a reply.
    let long = "a".repeat(20_001);
    let r = tech.post(&path, &[("body", long.as_str())]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // Without the CSRF token, nothing is kept.
    let r = tech.post_raw(&path, &[("body", "forged")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(
        reply_box(&tech.get(&format!("/tickets/{t}")).await.body),
        "Checking the fuser"
    );
    // An empty text forgets it.
    assert_eq!(
        tech.post(&path, &[("body", "")]).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        reply_box(&tech.get(&format!("/tickets/{t}")).await.body),
        ""
    );
    // Signed out, there is no draft to write.
    let mut nobody = common::Browser::new(&d.app);
    let r = nobody.post(&path, &[("body", "x")]).await;
    assert!(
        r.status.is_redirection() || r.status == StatusCode::UNAUTHORIZED,
        "{}",
        r.status
    );
}

#[tokio::test]
async fn the_requester_context_shows_only_what_the_reader_may_see() {
    let d = desk().await;
    let t = d.ticket;
    let alice = d.key("alice");
    let file = |title: &'static str, dept: i64| {
        let alice = alice.clone();
        let app = &d.app;
        async move {
            let r = app
                .json(
                    Method::POST,
                    "/api/v1/tickets",
                    &alice,
                    json!({"title": title, "department": dept}),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            r.json()["id"].as_i64().unwrap()
        }
    };
    let other = file("Mouse broken", d.it).await;
    let hr_ticket = file("Payslip question", d.hr).await;
    let device = |name: &'static str, dept: i64| {
        let app = &d.app;
        let admin = d.admin.clone();
        let owner = d.id("alice");
        async move {
            let r = app
                .json(
                    Method::POST,
                    "/api/v1/inventory/hardware",
                    &admin,
                    json!({"name": name, "type": "laptop", "owner_id": owner, "department_id": dept}),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            r.json()["id"].as_i64().unwrap()
        }
    };
    let laptop = device("Alice laptop", d.it).await;
    let hr_laptop = device("Alice HR laptop", d.hr).await;

    // Her phone, as an admin keeps it; nonsense is refused and changes nothing.
    let alice_id = d.id("alice");
    for (phone, status) in [
        ("call me maybe", StatusCode::UNPROCESSABLE_ENTITY),
        ("+62 812-555-0101", StatusCode::OK),
    ] {
        let r = d
            .app
            .json(
                Method::PATCH,
                &format!("/api/v1/users/{alice_id}"),
                &d.admin,
                json!({ "phone": phone }),
            )
            .await;
        assert_eq!(r.status, status, "{}", r.body);
    }
    let mut tech = signed_in(&d.app, "tech@example.com").await;
    // The page itself makes no reads for it: it names where the script fetches it from.
    let page = tech.get(&format!("/tickets/{t}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .body
        .contains(&format!("data-context=\"/tickets/{t}/context\"")));
    assert!(!page.body.contains("alice@example.com"));
    // The script's fragment, and the page with it (the link without the script), say the same.
    for path in [
        format!("/tickets/{t}/context"),
        format!("/tickets/{t}?context=1"),
    ] {
        let page = tech.get(&path).await;
        assert_eq!(page.status, StatusCode::OK);
        let ctx = &page.body[page.body.find("id=\"requester-context\"").expect("context")..];
        let ctx = &ctx[..ctx.find("</section>").unwrap()];
        assert!(ctx.contains("alice@example.com"), "{ctx}");
        assert!(
            ctx.contains("href=\"tel:+62812-555-0101\">+62 812-555-0101</a>"),
            "{ctx}"
        );
        assert!(ctx.contains(">IT<"), "{ctx}");
        assert!(ctx.contains(&format!("href=\"/tickets/{other}\"")), "{ctx}");
        assert!(
            !ctx.contains(&format!("href=\"/tickets/{t}\"")),
            "not the ticket itself"
        );
        assert!(
            !ctx.contains(&format!("href=\"/tickets/{hr_ticket}\"")),
            "out of scope: {ctx}"
        );
        assert!(
            ctx.contains(&format!("href=\"/inventory/{laptop}\"")),
            "{ctx}"
        );
        assert!(
            !ctx.contains(&format!("href=\"/inventory/{hr_laptop}\"")),
            "out of scope: {ctx}"
        );
    }

    // The requester sees no such panel on their own ticket, and cannot fetch it.
    let mut alice_page = signed_in(&d.app, "alice@example.com").await;
    let page = alice_page.get(&format!("/tickets/{t}?context=1")).await;
    assert!(!page.body.contains("requester-context"));
    let r = alice_page.get(&format!("/tickets/{t}/context")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Nor does staff for a ticket out of their reach.
    let r = tech.get(&format!("/tickets/{hr_ticket}/context")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn history_names_things_in_words_and_spares_requesters_the_watchers() {
    let d = desk().await;
    let t = d.ticket;
    let mut tech = signed_in(&d.app, "tech@example.com").await;
    let r = tech
        .post(
            &format!("/tickets/{t}"),
            &[("status", "open"), ("priority", "high")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = tech
        .post(&format!("/tickets/{t}/watch"), &[("watch", "1")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = tech.get(&format!("/tickets/{t}")).await;
    let history = &page.body[page.body.find("id=\"history\"").unwrap()..];
    assert!(history.contains("New → Open"), "{history}");
    assert!(history.contains("Normal → High"), "{history}");
    assert!(
        history.contains("changed the watchers"),
        "staff see who watches"
    );
    let mut alice = signed_in(&d.app, "alice@example.com").await;
    let page = alice.get(&format!("/tickets/{t}")).await;
    let history = &page.body[page.body.find("id=\"history\"").unwrap()..];
    assert!(history.contains("New → Open"), "{history}");
    assert!(!history.contains("watchers"), "{history}");
    let api = d
        .app
        .get(&format!("/api/v1/tickets/{t}/history"), &d.key("alice"))
        .await;
    assert!(!api.body.contains("watchers"), "{}", api.body);
    // Replies from the requester and from staff look different.
    d.app
        .json(
            Method::POST,
            &format!("/api/v1/tickets/{t}/comments"),
            &d.key("alice"),
            json!({"body": "Still jams"}),
        )
        .await;
    d.app
        .json(
            Method::POST,
            &format!("/api/v1/tickets/{t}/comments"),
            &d.key("tech"),
            json!({"body": "On my way"}),
        )
        .await;
    let page = tech.get(&format!("/tickets/{t}")).await;
    assert!(
        page.body.contains("class=\"comment from-requester\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("class=\"comment from-staff\""));
}
