//! The JSON API through the real router: auth, CRUD, audit, scoping, and hostile input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::TestApp;
use serde_json::json;

#[tokio::test]
async fn status_and_openapi_need_no_auth_and_the_spec_matches_its_snapshot() {
    let app = TestApp::new().await;
    let r = app
        .send(Method::GET, "/api/v1/status", &[], Body::empty())
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["status"], "ok");
    let r = app
        .send(Method::GET, "/api/v1/openapi.json", &[], Body::empty())
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let spec = r.json();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/api/v1/users",
        "/api/v1/roles",
        "/api/v1/departments",
        "/api/v1/api-keys",
        "/api/v1/audit",
        "/api/v1/me",
    ] {
        assert!(
            spec["paths"][path].is_object(),
            "{path} missing from the spec"
        );
    }
    // Client generators need every operationId to be unique.
    let mut ids = std::collections::BTreeMap::<String, usize>::new();
    for (_, ops) in spec["paths"].as_object().unwrap() {
        for (_, op) in ops.as_object().unwrap() {
            if let Some(id) = op["operationId"].as_str() {
                *ids.entry(id.to_string()).or_default() += 1;
            }
        }
    }
    assert!(ids.len() > 40, "{ids:?}");
    let repeated: Vec<_> = ids.iter().filter(|(_, n)| **n > 1).collect();
    assert!(repeated.is_empty(), "repeated operationIds: {repeated:?}");
    let snapshot_path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots/openapi.json");
    let current = piket_server::api::openapi_json();
    if std::env::var("PIKET_UPDATE_SNAPSHOTS").is_ok() {
        std::fs::write(snapshot_path, &current).unwrap();
    }
    let stored = std::fs::read_to_string(snapshot_path)
        .expect("run with PIKET_UPDATE_SNAPSHOTS=1 to create the snapshot");
    assert_eq!(
        stored, current,
        "the OpenAPI document changed: review it, then rerun with PIKET_UPDATE_SNAPSHOTS=1"
    );
}

#[tokio::test]
async fn missing_malformed_unknown_and_revoked_keys_all_get_the_same_401() {
    let app = TestApp::new().await;
    let (_, key) = app.admin().await;
    assert_eq!(app.get("/api/v1/me", &key).await.status, StatusCode::OK);
    let bearer = app
        .send(
            Method::GET,
            "/api/v1/me",
            &[("authorization", &format!("Bearer {key}"))],
            Body::empty(),
        )
        .await;
    assert_eq!(bearer.status, StatusCode::OK);
    let revoke_id = app
        .json(
            Method::POST,
            "/api/v1/api-keys",
            &key,
            json!({"name": "short-lived"}),
        )
        .await
        .json();
    let revoked = revoke_id["secret"].as_str().unwrap().to_string();
    assert_eq!(app.get("/api/v1/me", &revoked).await.status, StatusCode::OK);
    let r = app
        .send(
            Method::DELETE,
            &format!("/api/v1/api-keys/{}", revoke_id["id"]),
            &[("x-api-key", &key)],
            Body::empty(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.json()["revoked_at"].is_string());
    let wrong_secret = format!(
        "{}{}",
        &key[..key.len() - 1],
        if key.ends_with('A') { "B" } else { "A" }
    );
    let mut bodies = Vec::new();
    for k in [
        "",
        "nonsense",
        "pk_abcdefgh_short",
        wrong_secret.as_str(),
        revoked.as_str(),
    ] {
        let r = app.get("/api/v1/me", k).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "key {k:?}");
        assert_eq!(r.header("content-type"), "application/problem+json");
        bodies.push(r.body);
    }
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "401 bodies differ: {bodies:?}"
    );
    let none = app
        .send(Method::GET, "/api/v1/users", &[], Body::empty())
        .await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn departments_crud_with_pagination_and_audit() {
    let app = TestApp::new().await;
    let (_, key) = app.admin().await;
    for i in 0..5 {
        app.department(&key, &format!("Dept {i}")).await;
    }
    let dup = app
        .json(
            Method::POST,
            "/api/v1/departments",
            &key,
            json!({"name": "dept 0"}),
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT, "{}", dup.body);
    let page1 = app.get("/api/v1/departments?limit=2", &key).await.json();
    assert_eq!(page1["items"].as_array().unwrap().len(), 2);
    let cursor = page1["next_cursor"].as_str().unwrap();
    let page2 = app
        .get(
            &format!("/api/v1/departments?limit=2&cursor={cursor}"),
            &key,
        )
        .await
        .json();
    assert_eq!(page2["items"][0]["name"], "Dept 2");
    let id = page2["items"][0]["id"].as_i64().unwrap();
    let r = app
        .json(
            Method::PATCH,
            &format!("/api/v1/departments/{id}"),
            &key,
            json!({"description": "Network team"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["description"], "Network team");
    let r = app
        .send(
            Method::DELETE,
            &format!("/api/v1/departments/{id}"),
            &[("x-api-key", &key)],
            Body::empty(),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&format!("/api/v1/departments/{id}"), &key)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.audit_count("department.create").await, 5);
    let audit = app
        .get(
            &format!("/api/v1/audit?object_kind=department&object_id={id}"),
            &key,
        )
        .await
        .json();
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "department.delete",
            "department.update",
            "department.create"
        ]
    );
    let update = &audit["items"][1];
    assert_eq!(update["before"]["description"], "");
    assert_eq!(update["after"]["description"], "Network team");
    assert_eq!(update["actor_kind"], "api_key");
}

#[tokio::test]
async fn hostile_bodies_get_clear_4xx_problems_and_change_nothing() {
    let app = TestApp::new().await;
    let (admin, key) = app.admin().await;
    let send = |body: Vec<u8>, ct: &'static str| {
        let key = key.clone();
        let app = &app;
        async move {
            app.send(
                Method::POST,
                "/api/v1/departments",
                &[("x-api-key", &key), ("content-type", ct)],
                Body::from(body),
            )
            .await
        }
    };
    let cases: Vec<(Vec<u8>, &str, u16)> = vec![
        (b"{not json".to_vec(), "application/json", 400),
        (br#"{"name": 42}"#.to_vec(), "application/json", 422),
        (
            br#"{"name": "x", "extra": true}"#.to_vec(),
            "application/json",
            422,
        ),
        (
            vec![b'{', b'"', 0xff, 0xfe, b'"', b':', b'1', b'}'],
            "application/json",
            400,
        ),
        (
            format!(r#"{{"name": "{}"}}"#, "a".repeat(101)).into_bytes(),
            "application/json",
            422,
        ),
        (
            format!(r#"{{"name": "{}"}}"#, "a".repeat(2 * 1024 * 1024)).into_bytes(),
            "application/json",
            413,
        ),
        (br#"{"name": "ok"}"#.to_vec(), "text/plain", 415),
    ];
    for (body, ct, want) in cases {
        let r = send(body, ct).await;
        assert_eq!(r.status.as_u16(), want, "{}", r.body);
        assert_eq!(r.header("content-type"), "application/problem+json");
        let p = r.json();
        assert_eq!(p["status"], want);
        assert!(p["code"].is_string() && p["detail"].is_string());
    }
    let long = app
        .json(
            Method::POST,
            "/api/v1/departments",
            &key,
            json!({"name": "a".repeat(101)}),
        )
        .await
        .json();
    assert_eq!(long["code"], "validation_failed");
    assert_eq!(long["errors"][0]["field"], "name");
    // Sneaking a role into a profile update is refused, and the role stays.
    let r = app
        .json(
            Method::PATCH,
            "/api/v1/me",
            &key,
            json!({"name": "Root", "role": "Requester"}),
        )
        .await;
    assert!(r.status.is_client_error());
    assert!(r.body.contains("unknown field"), "{}", r.body);
    let me = app.get("/api/v1/me", &key).await.json();
    assert_eq!(me["role_name"], "Superadmin");
    assert_eq!(me["name"], admin.name);
    let list = app.get("/api/v1/departments", &key).await.json();
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    for (path, want) in [
        ("/api/v1/departments/abc", 400),
        ("/api/v1/nothing", 404),
        ("/api/v1/departments?limit=0", 422),
        ("/api/v1/departments?cursor=zz", 422),
    ] {
        let r = app.get(path, &key).await;
        assert_eq!(r.status.as_u16(), want, "{path}: {}", r.body);
        assert_eq!(r.header("content-type"), "application/problem+json");
    }
    let r = app
        .send(Method::PUT, "/api/v1/status", &[], Body::empty())
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn users_are_scoped_to_departments_and_nobody_grants_more_than_they_hold() {
    let app = TestApp::new().await;
    let (_, root) = app.admin().await;
    let a = app.department(&root, "A").await;
    let b = app.department(&root, "B").await;
    let tech = app.user("tech@example.com", "Technician", vec![a]).await;
    let in_a = app.user("alice@example.com", "Requester", vec![a]).await;
    let in_b = app.user("bob@example.com", "Requester", vec![b]).await;
    let tech_key = app.key_for(tech.id).await;
    let listed = app.get("/api/v1/users", &tech_key).await.json();
    let emails: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["tech@example.com", "alice@example.com"]);
    assert_eq!(
        app.get(&format!("/api/v1/users/{}", in_a.id), &tech_key)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.get(&format!("/api/v1/users/{}", in_b.id), &tech_key)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Technicians cannot manage users at all.
    let r = app
        .json(
            Method::POST,
            "/api/v1/users",
            &tech_key,
            json!({"email": "x@example.com", "name": "X", "role": "requester"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // An admin cannot mint superadmins; role names are case-insensitive.
    let admin = app.user("admin@example.com", "ADMIN", vec![]).await;
    let admin_key = app.key_for(admin.id).await;
    let r = app
        .json(
            Method::POST,
            "/api/v1/users",
            &admin_key,
            json!({"email": "boss@example.com", "name": "Boss", "role": "superadmin"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = app
        .json(
            Method::PATCH,
            &format!("/api/v1/users/{}", in_b.id),
            &admin_key,
            json!({"role": "Superadmin"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A custom role with only some permissions cannot grant more.
    let r = app.json(Method::POST, "/api/v1/roles", &root, json!({"name": "Helpdesk lead", "scope": "department", "permissions": ["users.read", "users.manage", "tickets.read", "tickets.create", "knowledge.read"]})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let lead = app.user("lead@example.com", "helpdesk lead", vec![a]).await;
    let lead_key = app.key_for(lead.id).await;
    let r = app.json(Method::POST, "/api/v1/users", &lead_key, json!({"email": "t2@example.com", "name": "T2", "role": "technician", "departments": [a]})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = app.json(Method::POST, "/api/v1/users", &lead_key, json!({"email": "r2@example.com", "name": "R2", "role": "requester", "departments": [b]})).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "outside own departments: {}",
        r.body
    );
    let r = app.json(Method::POST, "/api/v1/users", &lead_key, json!({"email": "r3@example.com", "name": "R3", "role": "requester", "departments": [a]})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // Built-in roles are fixed.
    let roles = app.get("/api/v1/roles", &root).await.json();
    let names: Vec<&str> = roles["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    for n in [
        "Superadmin",
        "Admin",
        "Manager",
        "Technician",
        "CS",
        "Warehouse",
        "Requester",
    ] {
        assert!(names.contains(&n), "{n} missing");
    }
    let builtin_id = roles["items"][0]["id"].as_i64().unwrap();
    let r = app
        .json(
            Method::PATCH,
            &format!("/api/v1/roles/{builtin_id}"),
            &root,
            json!({"permissions": []}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn disabling_a_user_stops_their_keys_and_the_last_superadmin_stays() {
    let app = TestApp::new().await;
    let (root, root_key) = app.admin().await;
    let u = app.user("worker@example.com", "Technician", vec![]).await;
    let k = app.key_for(u.id).await;
    assert_eq!(app.get("/api/v1/me", &k).await.status, StatusCode::OK);
    let r = app
        .json(
            Method::PATCH,
            &format!("/api/v1/users/{}", u.id),
            &root_key,
            json!({"disabled": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        app.get("/api/v1/me", &k).await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = app
        .json(
            Method::PATCH,
            &format!("/api/v1/users/{}", root.id),
            &root_key,
            json!({"disabled": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .send(
            Method::DELETE,
            &format!("/api/v1/users/{}", root.id),
            &[("x-api-key", &root_key)],
            Body::empty(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = app
        .send(
            Method::DELETE,
            &format!("/api/v1/users/{}", u.id),
            &[("x-api-key", &root_key)],
            Body::empty(),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(app.audit_count("user.delete").await, 1);
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_a_request_id() {
    let app = TestApp::new().await;
    for path in ["/api/v1/status", "/login", "/nope", "/static/app.css"] {
        let r = app.send(Method::GET, path, &[], Body::empty()).await;
        let csp = r.header("content-security-policy");
        assert!(
            csp.contains("script-src 'self'")
                && csp.contains("frame-ancestors 'none'")
                && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert_eq!(r.header("x-content-type-options"), "nosniff");
        assert!(!r.header("referrer-policy").is_empty());
        assert_eq!(r.header("x-request-id").len(), 16);
    }
    let r = app
        .send(
            Method::GET,
            "/healthz",
            &[("x-request-id", "trace-abc-123")],
            Body::empty(),
        )
        .await;
    assert_eq!(r.header("x-request-id"), "trace-abc-123");
    assert_eq!(
        app.send(Method::GET, "/readyz", &[], Body::empty())
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn metrics_need_the_permission() {
    let app = TestApp::new().await;
    let (_, root) = app.admin().await;
    let r = app.get("/metrics", &root).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("piket_http_responses_total"));
    let u = app.user("req@example.com", "Requester", vec![]).await;
    let k = app.key_for(u.id).await;
    assert_eq!(app.get("/metrics", &k).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.send(Method::GET, "/metrics", &[], Body::empty())
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

/// Every operation in the served document reaches a handler of the real router: anonymous, each
/// answers its own 401 (or 400 for a bad body, 200 for the status), never the 404 of the
/// `/api/v1` catch-all, a 405 for a method nobody routed, or the HTML of the pages (whose guard
/// or fallback answers whatever no other router took).
#[tokio::test]
async fn every_documented_operation_is_routed() {
    let app = TestApp::new().await;
    // The probe tells routing's answers apart: these are what an unrouted request gets.
    let r = app
        .send(Method::GET, "/api/v1/no-such-route", &[], Body::empty())
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .send(Method::PATCH, "/api/v1/tickets/bulk", &[], Body::empty())
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    let r = app
        .send(
            Method::POST,
            "/api/update-main-device/x",
            &[],
            Body::empty(),
        )
        .await;
    assert!(
        r.header("content-type").starts_with("text/html"),
        "{} {}",
        r.status,
        r.body
    );

    let spec = app
        .send(Method::GET, "/api/v1/openapi.json", &[], Body::empty())
        .await
        .json();
    let mut probed = 0;
    for (method, path, concrete) in common::operations(&spec) {
        let r = app
            .send(
                method.clone(),
                &concrete,
                &[("content-type", "application/json")],
                Body::empty(),
            )
            .await;
        let fallback = [
            StatusCode::NOT_FOUND,
            StatusCode::METHOD_NOT_ALLOWED,
            StatusCode::TOO_MANY_REQUESTS,
        ]
        .contains(&r.status)
            || r.header("content-type").starts_with("text/html");
        assert!(
            !fallback,
            "{method} {path} is documented but not routed: {} {}",
            r.status, r.body
        );
        probed += 1;
    }
    assert!(probed > 90, "only {probed} operations in the document");
}

/// The source files of the server, with their paths relative to `src/`.
fn server_sources() -> Vec<(String, String)> {
    fn walk(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let name = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((name, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src"));
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out
}

/// The first argument of each call to `method(` in `text`, whitespace removed.
fn first_arguments(text: &str, method: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices(method) {
        let rest = &text[at + method.len()..];
        let mut depth = 0;
        let end = rest
            .char_indices()
            .find(|&(_, c)| {
                match c {
                    '(' | '[' | '{' => depth += 1,
                    ')' | ']' | '}' if depth > 0 => depth -= 1,
                    ',' | ')' if depth == 0 => return true,
                    _ => {}
                }
                false
            })
            .map(|(i, _)| i)
            .unwrap_or(rest.len());
        out.push(rest[..end].split_whitespace().collect());
    }
    out
}

/// The other direction: a route can reach `/api/v1` without a document entry only through a
/// plain `.route(…)` (or `nest`, `route_service`), since `routes!` documents what it routes. So no
/// such call may name an `/api/v1` path (or a path this test cannot read) beyond the two known
/// ones, and every `#[utoipa::path]` in the source must be in the served document — which also
/// catches a domain router that `api/mod.rs` forgot to merge.
#[tokio::test]
async fn every_api_route_is_declared_with_its_document_entry() {
    // (file, first argument) of the plain route calls that may stay outside the document.
    let allowed: &[(&str, &str)] = &[
        ("api/mod.rs", "\"/api/v1/openapi.json\""),
        ("api/mod.rs", "\"/api/v1/{*rest}\""),
        ("inventory/protocols/mod.rs", "path"),
    ];
    let sources = server_sources();
    let mut plain = 0;
    let mut offending = Vec::new();
    for (file, text) in &sources {
        for method in [".route(", ".route_service(", ".nest(", ".nest_service("] {
            for arg in first_arguments(text, method) {
                plain += 1;
                let literal = arg.starts_with('"') && arg.ends_with('"');
                let api = arg.starts_with("\"/api/");
                if (api || !literal) && !allowed.contains(&(file.as_str(), arg.as_str())) {
                    offending.push(format!("{file}: {method}{arg}"));
                }
            }
        }
    }
    assert!(
        plain > 80,
        "found only {plain} route calls: is the scan broken?"
    );
    assert!(
        offending.is_empty(),
        "declare these with `routes!` in the domain's api.rs router() so they are documented: {offending:#?}"
    );

    let app = TestApp::new().await;
    let spec = app
        .send(Method::GET, "/api/v1/openapi.json", &[], Body::empty())
        .await
        .json();
    let mut declared = 0;
    let mut missing = Vec::new();
    for (file, text) in &sources {
        let attributes = text.matches("#[utoipa::path(").count();
        let mut read = 0;
        for (at, _) in text.match_indices("#[utoipa::path(") {
            // `get, path = "/api/v1/…"`: the method first, then the path.
            let head: String = text[at + "#[utoipa::path(".len()..]
                .chars()
                .take(300)
                .filter(|c| !c.is_whitespace())
                .collect();
            let Some((method, path)) = head.split_once(",path=\"") else {
                continue;
            };
            let path = path.split('"').next().unwrap();
            read += 1;
            if !spec["paths"][path][method].is_object() {
                missing.push(format!("{file}: {method} {path}"));
            }
        }
        assert_eq!(
            read, attributes,
            "{file}: write `method, path = \"…\"` first"
        );
        declared += read;
    }
    assert!(
        declared > 90,
        "found only {declared} #[utoipa::path] attributes"
    );
    assert!(
        missing.is_empty(),
        "handlers documented but not merged into the API document: {missing:?}"
    );
}
