//! Names unique whatever their case, beyond ASCII too: SQLite's `lower()` folds only ASCII, so
//! before migration 0019 "ÉQUIPE" and "équipe" were two departments on SQLite and one on
//! PostgreSQL. Both backends now refuse the second like any other case variant.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::http::{Method, StatusCode};
use common::TestApp;
use serde_json::{json, Value};

/// A request body carrying a name.
type Body = fn(&str) -> Value;

/// Each kind of named thing: where it is created, and a body for a name.
fn kinds() -> Vec<(&'static str, Body)> {
    vec![
        ("/api/v1/departments", |n| json!({ "name": n })),
        ("/api/v1/categories", |n| json!({ "name": n })),
        (
            "/api/v1/canned-responses",
            |n| json!({ "name": n, "body": "x" }),
        ),
        (
            "/api/v1/roles",
            |n| json!({ "name": n, "scope": "department", "permissions": ["tickets.read"] }),
        ),
        (
            "/api/v1/inventory/hardware",
            |n| json!({ "name": "PC", "type": "laptop", "asset_tag": n }),
        ),
    ]
}

#[tokio::test]
async fn names_that_differ_only_in_the_case_of_accented_letters_are_the_same_name() {
    let app = TestApp::new().await;
    let (_, root) = app.admin().await;
    for (path, body) in kinds() {
        let post = |name: &str| app.json(Method::POST, path, &root, body(name));
        // The reference: an ASCII case variant is refused (409, or 422 naming the field).
        let r = post("Support").await;
        assert_eq!(r.status, StatusCode::CREATED, "{path}: {}", r.body);
        let ascii = post("SUPPORT").await;
        assert_ne!(ascii.status, StatusCode::CREATED, "{path}: {}", ascii.body);
        // The same for letters beyond ASCII, in both directions.
        let r = post("ÉQUIPE ÉTÉ").await;
        assert_eq!(r.status, StatusCode::CREATED, "{path}: {}", r.body);
        for variant in ["équipe été", "Équipe Été"] {
            let r = post(variant).await;
            assert_eq!(r.status, ascii.status, "{path} {variant}: {}", r.body);
        }
    }
    // Renaming into another's name is refused the same way.
    let other = app.department(&root, "Lain").await;
    let r = app
        .json(
            Method::PATCH,
            &format!("/api/v1/departments/{other}"),
            &root,
            json!({"name": "équipe été"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
}

/// Keys that a migration filled with SQLite's `lower()` (which leaves `É` alone) are folded
/// again when the server starts.
#[tokio::test]
async fn keys_filled_by_the_databases_lower_are_refolded_at_start() {
    let app = TestApp::new().await;
    let (_, root) = app.admin().await;
    let id = app.department(&root, "ÉQUIPE").await;
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    sqlx::query("UPDATE departments SET name_key = 'Équipe' WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await
        .unwrap();
    piket_server::db::fold::refold_keys(&mut conn)
        .await
        .unwrap();
    let key: String = sqlx::query_scalar("SELECT name_key FROM departments WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(key, "équipe");
    drop(conn);
    let r = app
        .json(
            Method::POST,
            "/api/v1/departments",
            &root,
            json!({"name": "équipe"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
}
