//! Privilege escalation: a department-scoped admin (a custom role holding `users.manage`,
//! `roles.manage` and `apikeys.manage`) must not reach beyond their own rights or departments.
//! Every case here worked on the code before issue #17 and made such an admin global.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::http::{Method, StatusCode};
use common::{signed_in, Browser, TestApp};
use serde_json::json;

struct World {
    app: TestApp,
    root: String,
    a: i64,
    b: i64,
    /// The department admin's key (department A).
    lead: String,
    lead_id: i64,
    lead_role: i64,
    /// A global Admin who is a member of department A.
    boss_id: i64,
}

async fn world() -> World {
    let app = TestApp::new().await;
    let (_, root) = app.admin().await;
    let a = app.department(&root, "A").await;
    let b = app.department(&root, "B").await;
    let r = app
        .json(
            Method::POST,
            "/api/v1/roles",
            &root,
            json!({"name": "Dept admin", "scope": "department", "permissions": [
                "users.read", "users.manage", "roles.manage", "apikeys.manage", "tickets.read",
                "tickets.create", "knowledge.read", "settings.manage", "departments.manage"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let lead_role = r.json()["id"].as_i64().unwrap();
    let lead = app.user("lead@example.com", "dept admin", vec![a]).await;
    let lead_key = app.key_for(lead.id).await;
    let boss = app.user("boss@example.com", "Admin", vec![a]).await;
    World {
        app,
        root,
        a,
        b,
        lead: lead_key,
        lead_id: lead.id,
        lead_role,
        boss_id: boss.id,
    }
}

#[tokio::test]
async fn a_department_admin_cannot_make_or_widen_a_role_to_all_scope() {
    let w = world().await;
    let app = &w.app;
    // A new role of scope `all`, even with fewer permissions than their own.
    let r = app
        .json(
            Method::POST,
            "/api/v1/roles",
            &w.lead,
            json!({"name": "Wide", "scope": "all", "permissions": ["tickets.read"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("scope"), "{}", r.body);
    // Their own role, patched to `all`.
    let path = format!("/api/v1/roles/{}", w.lead_role);
    let r = app
        .json(Method::PATCH, &path, &w.lead, json!({"scope": "all"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(app.get(&path, &w.root).await.json()["scope"], "department");
    // A narrower role of their own making is still fine.
    let r = app
        .json(
            Method::POST,
            "/api/v1/roles",
            &w.lead,
            json!({"name": "Narrow", "scope": "own", "permissions": ["tickets.read"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

#[tokio::test]
async fn a_department_admin_cannot_edit_or_delete_a_wider_role_or_one_held_outside_their_departments(
) {
    let w = world().await;
    let app = &w.app;
    let r = app
        .json(
            Method::POST,
            "/api/v1/roles",
            &w.root,
            json!({"name": "Global reader", "scope": "all", "permissions": ["tickets.read"]}),
        )
        .await;
    let wide = r.json()["id"].as_i64().unwrap();
    let r = app
        .json(
            Method::PATCH,
            &format!("/api/v1/roles/{wide}"),
            &w.lead,
            json!({"scope": "own"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = app
        .send(
            Method::DELETE,
            &format!("/api/v1/roles/{wide}"),
            &[("x-api-key", &w.lead)],
            axum::body::Body::empty(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // A narrow role held by someone in department B: editing it would change B's rights.
    let r = app
        .json(
            Method::POST,
            "/api/v1/roles",
            &w.root,
            json!({"name": "Reader", "scope": "own", "permissions": ["tickets.read"]}),
        )
        .await;
    let reader = r.json()["id"].as_i64().unwrap();
    app.user("far@example.com", "reader", vec![w.b]).await;
    let r = app
        .json(
            Method::PATCH,
            &format!("/api/v1/roles/{reader}"),
            &w.lead,
            json!({"permissions": ["tickets.read", "users.read"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let perms = app
        .get(&format!("/api/v1/roles/{reader}"), &w.root)
        .await
        .json()["permissions"]
        .clone();
    assert_eq!(perms, json!(["tickets.read"]));
}

#[tokio::test]
async fn a_department_admin_cannot_give_a_new_user_an_all_scope_role() {
    let w = world().await;
    let app = &w.app;
    let r = app
        .json(
            Method::POST,
            "/api/v1/roles",
            &w.root,
            json!({"name": "Global reader", "scope": "all", "permissions": ["tickets.read"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = app
        .json(
            Method::POST,
            "/api/v1/users",
            &w.lead,
            json!({"email": "sock@example.com", "name": "Sock", "role": "global reader", "departments": [w.a]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // Only root, the lead and the admin were ever created.
    assert_eq!(app.audit_count("user.create").await, 3);
}

#[tokio::test]
async fn a_department_admin_cannot_take_over_a_global_admin_in_their_department() {
    let w = world().await;
    let app = &w.app;
    let path = format!("/api/v1/users/{}", w.boss_id);
    // They can see the admin (a member of their department)...
    assert_eq!(app.get(&path, &w.lead).await.status, StatusCode::OK);
    // ...but not set their password, email, state, or delete them.
    for patch in [
        json!({"password": "a-new-password-of-mine"}),
        json!({"email": "lead+boss@example.com"}),
        json!({"disabled": true}),
        json!({"name": "Renamed"}),
    ] {
        let r = app.json(Method::PATCH, &path, &w.lead, patch.clone()).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{patch}: {}", r.body);
    }
    let r = app
        .send(
            Method::DELETE,
            &path,
            &[("x-api-key", &w.lead)],
            axum::body::Body::empty(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Nor make an API key that acts as them.
    let r = app
        .json(
            Method::POST,
            "/api/v1/api-keys",
            &w.lead,
            json!({"name": "mine now", "user_id": w.boss_id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // Nothing changed: the admin still signs in with their own password, same email, enabled.
    let boss = app.get(&path, &w.root).await.json();
    assert_eq!(boss["email"], "boss@example.com");
    assert_eq!(boss["disabled"], false);
    assert_eq!(boss["name"], "boss");
    signed_in(app, "boss@example.com").await;
    let mut b = Browser::new(app);
    b.get("/login").await;
    let r = b
        .post(
            "/login",
            &[
                ("email", "boss@example.com"),
                ("password", "a-new-password-of-mine"),
            ],
        )
        .await;
    assert_ne!(r.status, StatusCode::SEE_OTHER);
    // Only root's and the lead's keys exist.
    assert_eq!(app.audit_count("apikey.create").await, 2);
}

#[tokio::test]
async fn a_department_admin_cannot_manage_a_peer_who_reaches_another_department() {
    let w = world().await;
    let app = &w.app;
    let both = app
        .user("both@example.com", "Technician", vec![w.a, w.b])
        .await;
    let only_a = app.user("onlya@example.com", "Technician", vec![w.a]).await;
    let r = app
        .json(
            Method::PATCH,
            &format!("/api/v1/users/{}", both.id),
            &w.lead,
            json!({"password": "a-new-password-of-mine"}),
        )
        .await;
    // A technician holds permissions the lead lacks (tickets.write, ...): refused either way.
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = app
        .json(
            Method::PATCH,
            &format!("/api/v1/users/{}", only_a.id),
            &w.lead,
            json!({"name": "Renamed"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // A requester in A and B: narrower rights, but the lead does not reach B.
    let ab = app
        .user("ab@example.com", "Requester", vec![w.a, w.b])
        .await;
    let r = app
        .json(
            Method::PATCH,
            &format!("/api/v1/users/{}", ab.id),
            &w.lead,
            json!({"email": "mine@example.com"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // A requester only in A is theirs to manage.
    let mine = app.user("mine@example.com", "Requester", vec![w.a]).await;
    let r = app
        .json(
            Method::PATCH,
            &format!("/api/v1/users/{}", mine.id),
            &w.lead,
            json!({"name": "Renamed"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .json(
            Method::POST,
            "/api/v1/api-keys",
            &w.lead,
            json!({"name": "helper", "user_id": mine.id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(w.lead_id, app.get("/api/v1/me", &w.lead).await.json()["id"]);
}

#[tokio::test]
async fn a_department_admin_cannot_revoke_a_wider_accounts_keys() {
    let w = world().await;
    let app = &w.app;
    let boss_key = app.key_for(w.boss_id).await;
    let keys = app.get("/api/v1/api-keys?all=true", &w.root).await.json();
    let id = keys["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["user_id"] == w.boss_id)
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let r = app
        .send(
            Method::DELETE,
            &format!("/api/v1/api-keys/{id}"),
            &[("x-api-key", &w.lead)],
            axum::body::Body::empty(),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert_eq!(
        app.get("/api/v1/me", &boss_key).await.status,
        StatusCode::OK
    );
    // Nor list or read them (review finding: `all=true` listed every department's keys).
    let listed = app.get("/api/v1/api-keys?all=true", &w.lead).await.json();
    let owners: Vec<i64> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["user_id"].as_i64().unwrap())
        .collect();
    assert_eq!(owners, [w.lead_id]);
    let r = app.get(&format!("/api/v1/api-keys/{id}"), &w.lead).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// Review findings: a department-scoped holder of `settings.manage` made enrollment tokens for
/// other departments (or none), whose agents then adopted those departments' assets; one with
/// `departments.manage` deleted another department, dropping its memberships.
#[tokio::test]
async fn a_department_admin_makes_tokens_and_changes_departments_only_within_reach() {
    let w = world().await;
    let app = &w.app;
    for department in [json!(w.b), json!(null)] {
        let r = app
            .json(
                Method::POST,
                "/api/v1/agent/enrollment-tokens",
                &w.lead,
                json!({"name": "theirs", "department_id": department}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{department}: {}",
            r.body
        );
    }
    let r = app
        .json(
            Method::POST,
            "/api/v1/agent/enrollment-tokens",
            &w.lead,
            json!({"name": "ours", "department_id": w.a}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    for id in [w.a, w.b] {
        let r = app
            .send(
                Method::DELETE,
                &format!("/api/v1/departments/{id}"),
                &[("x-api-key", &w.lead)],
                axum::body::Body::empty(),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "delete {id}");
    }
    for (id, status) in [(w.b, StatusCode::FORBIDDEN), (w.a, StatusCode::OK)] {
        let r = app
            .json(
                Method::PATCH,
                &format!("/api/v1/departments/{id}"),
                &w.lead,
                json!({"name": format!("Renamed {id}")}),
            )
            .await;
        assert_eq!(r.status, status, "rename {id}: {}", r.body);
    }
    let r = app
        .json(
            Method::POST,
            "/api/v1/departments",
            &w.lead,
            json!({"name": "C"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let all = app.get("/api/v1/departments", &w.root).await.json();
    assert_eq!(all["items"].as_array().unwrap().len(), 2, "{all}");
}

#[tokio::test]
async fn the_users_page_refuses_the_same_takeover() {
    let w = world().await;
    let app = &w.app;
    let mut lead = signed_in(app, "lead@example.com").await;
    let r = lead
        .post(
            &format!("/admin/users/{}", w.boss_id),
            &[
                ("name", "boss"),
                ("email", "boss@example.com"),
                ("role_id", "2"),
                ("password", "a-new-password-of-mine"),
            ],
        )
        .await;
    assert!(
        r.status == StatusCode::FORBIDDEN || r.status == StatusCode::NOT_FOUND,
        "{}: {}",
        r.status,
        r.body
    );
    signed_in(app, "boss@example.com").await;
}

#[tokio::test]
async fn the_user_form_offers_only_roles_the_admin_may_give() {
    let w = world().await;
    let mut lead = signed_in(&w.app, "lead@example.com").await;
    let r = lead.get("/admin/users/new").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains(">Requester<"), "{}", r.body);
    for wider in [">Admin<", ">Superadmin<", ">Technician<"] {
        assert!(!r.body.contains(wider), "{wider} offered");
    }
    let mut root = signed_in(&w.app, "root@example.com").await;
    assert!(root.get("/admin/users/new").await.body.contains(">Admin<"));
}
