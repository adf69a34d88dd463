//! The JSON API's request budget (per key and per client address, 429 with Retry-After) and
//! its CORS allow-list (none by default). Before issue #17 the API had neither: a key could
//! send any number of requests, and no origin was ever named.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode};
use common::TestApp;
use tower::ServiceExt;

/// GET `path` with `key`, as a client at `ip` (the router sees the address as the accept loop
/// gives it).
async fn get_from(app: &TestApp, ip: [u8; 4], path: &str, key: &str) -> axum::response::Response {
    let mut req = Request::builder()
        .uri(path)
        .header("x-api-key", key)
        .body(Body::empty())
        .unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((ip, 40000))));
    app.router.clone().oneshot(req).await.unwrap()
}

#[tokio::test]
async fn each_key_has_its_own_budget_and_gets_429_with_retry_after_beyond_it() {
    let app = TestApp::with(|s| {
        s.api_rate_per_minute = Some(3);
        s.api_ip_rate_per_minute = Some(1000);
    })
    .await;
    let (admin, key) = app.admin().await;
    let other = app.key_for(admin.id).await;
    for _ in 0..3 {
        assert_eq!(app.get("/api/v1/me", &key).await.status, StatusCode::OK);
    }
    let r = app.get("/api/v1/me", &key).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.json()["code"], "rate_limited");
    let wait: u64 = r.header("retry-after").parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    // Another key of the same user is counted apart; a wrong key spends nobody's budget.
    assert_eq!(app.get("/api/v1/me", &other).await.status, StatusCode::OK);
    // The minute passes.
    app.clock.advance_ms(60_000);
    assert_eq!(app.get("/api/v1/me", &key).await.status, StatusCode::OK);
}

#[tokio::test]
async fn each_client_address_has_a_budget_with_or_without_a_key() {
    let app = TestApp::with(|s| {
        s.api_rate_per_minute = Some(1000);
        s.api_ip_rate_per_minute = Some(4);
    })
    .await;
    let (_, key) = app.admin().await;
    for _ in 0..2 {
        let r = get_from(&app, [10, 0, 0, 1], "/api/v1/me", &key).await;
        assert_eq!(r.status(), StatusCode::OK);
        let r = get_from(&app, [10, 0, 0, 1], "/api/v1/me", "pk_wrong").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = get_from(&app, [10, 0, 0, 1], "/api/v1/me", &key).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
    let r = get_from(&app, [10, 0, 0, 2], "/api/v1/me", &key).await;
    assert_eq!(r.status(), StatusCode::OK);
    // Pages and probes are not the API's budget.
    let r = get_from(&app, [10, 0, 0, 1], "/healthz", "").await;
    assert_eq!(r.status(), StatusCode::OK);
}

async fn preflight(app: &TestApp, origin: &str) -> axum::http::HeaderMap {
    app.send(
        Method::OPTIONS,
        "/api/v1/me",
        &[
            ("origin", origin),
            ("access-control-request-method", "GET"),
            ("access-control-request-headers", "x-api-key"),
        ],
        Body::empty(),
    )
    .await
    .headers
}

#[tokio::test]
async fn cors_names_only_the_configured_origins_and_none_by_default() {
    let closed = TestApp::new().await;
    let (_, key) = closed.admin().await;
    let h = preflight(&closed, "https://app.example").await;
    assert!(!h.contains_key("access-control-allow-origin"));
    let r = closed
        .send(
            Method::GET,
            "/api/v1/me",
            &[("x-api-key", &key), ("origin", "https://app.example")],
            Body::empty(),
        )
        .await;
    assert!(!r.headers.contains_key("access-control-allow-origin"));

    let open = TestApp::with(|s| s.cors_origins = Some(vec!["https://app.example".into()])).await;
    let (_, key) = open.admin().await;
    let h = preflight(&open, "https://app.example").await;
    assert_eq!(h["access-control-allow-origin"], "https://app.example");
    assert!(h["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .contains("x-api-key"));
    assert!(!h.contains_key("access-control-allow-credentials"));
    let h = preflight(&open, "https://evil.example").await;
    assert!(!h.contains_key("access-control-allow-origin"));
    let r = open
        .send(
            Method::GET,
            "/api/v1/me",
            &[("x-api-key", &key), ("origin", "https://app.example")],
            Body::empty(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.header("access-control-allow-origin"),
        "https://app.example"
    );
    // Pages are never opened to other origins.
    let r = open
        .send(
            Method::GET,
            "/login",
            &[("origin", "https://app.example")],
            Body::empty(),
        )
        .await;
    assert!(!r.headers.contains_key("access-control-allow-origin"));
}

/// `password_classes`: an organisation that requires a mix of character classes gets it; off
/// by default (length and the common-password list are the better defence).
#[tokio::test]
async fn an_optional_password_rule_asks_for_character_classes() {
    for (classes, expected) in [
        (None, StatusCode::CREATED),
        (Some(3), StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let app = TestApp::with(|s| s.password_classes = classes).await;
        let root = piket_server::users::NewUser {
            email: "root@example.com".into(),
            name: "Root".into(),
            role: Some("superadmin".into()),
            role_id: None,
            departments: vec![],
            locale: None,
            password: Some("A-long-test-password".into()),
            phone: None,
        };
        let system = piket_server::auth::actor::Actor::system();
        let root = piket_server::users::service::create(&app.state, &system, root)
            .await
            .unwrap();
        let key = app.key_for(root.id).await;
        let r = app
            .json(
                Method::POST,
                "/api/v1/users",
                &key,
                serde_json::json!({"email": "a@example.com", "name": "A", "role": "requester",
                                   "password": "tidak-mudah-ditebak"}),
            )
            .await;
        assert_eq!(r.status, expected, "{classes:?}: {}", r.body);
        if classes.is_some() {
            assert!(r.body.contains("lower case, upper case"), "{}", r.body);
            let r = app
                .json(
                    Method::POST,
                    "/api/v1/users",
                    &key,
                    serde_json::json!({"email": "a@example.com", "name": "A", "role": "requester",
                                       "password": "Tidak-mudah-ditebak"}),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        }
    }
}
