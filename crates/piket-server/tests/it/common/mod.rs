//! TestApp: the real router on a fresh database. SQLite in a temporary directory by default;
//! a fresh PostgreSQL database when PIKET_TEST_DATABASE_URL is set.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use piket_server::auth::actor::Actor;
use piket_server::clock::ManualClock;
use piket_server::config::{Config, Settings};
use piket_server::state::AppState;
use piket_server::{apikeys, users};
use tower::ServiceExt;

pub mod child;
pub mod desk;
pub mod dovecot;

pub struct TestApp {
    pub state: AppState,
    pub router: Router,
    pub clock: ManualClock,
    /// Keeps the live-event listener (PostgreSQL) running while the app lives.
    _stop: tokio::sync::watch::Sender<bool>,
    _dir: tempfile::TempDir,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    }
    pub fn cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect()
    }
}

/// Test databases are never dropped by the test that made them (its pool lives until the
/// process ends), so each run drops those of runs older than two hours: their creation time is
/// in the name. Names from before that scheme are dropped too. Failures are ignored (another
/// process may be dropping the same one).
async fn drop_stale_databases(conn: &mut sqlx::PgConnection, now: u64) {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'piket\\_t\\_%'")
            .fetch_all(&mut *conn)
            .await
            .unwrap_or_default();
    for name in names {
        let made: Option<u64> = name
            .strip_prefix("piket_t_")
            .and_then(|rest| rest.split_once('_'))
            .and_then(|(t, _)| t.parse().ok())
            .filter(|t| *t > 1_000_000_000);
        let stale = made.is_none_or(|t| t + 2 * 3600 < now);
        let safe = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if stale && safe {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut *conn)
            .await;
        }
    }
}

/// A database URL for this test: a fresh PostgreSQL database, or None for SQLite.
async fn postgres_url() -> Option<String> {
    let base = std::env::var("PIKET_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())?;
    let url = fresh_postgres_database(&base).await;
    assert!(url.is_some(), "PIKET_TEST_DATABASE_URL must be reachable");
    url
}

/// A new, empty database on the PostgreSQL server of `base` (a URL of any database there):
/// its URL, or None when the server cannot be reached.
pub async fn fresh_postgres_database(base: &str) -> Option<String> {
    use sqlx::Connection;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let name = format!(
        "piket_t_{now}_{}",
        piket_server::auth::token::random_token(6)
    );
    let mut conn = sqlx::PgConnection::connect(base).await.ok()?;
    drop_stale_databases(&mut conn, now).await;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    let (prefix, _) = base.rsplit_once('/').unwrap();
    Some(format!("{prefix}/{name}"))
}

pub fn backend_name() -> &'static str {
    if std::env::var("PIKET_TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        "postgres"
    } else {
        "sqlite"
    }
}

impl TestApp {
    pub async fn new() -> TestApp {
        Self::with(|_| {}).await
    }

    pub async fn with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings {
            data: Some(dir.path().to_path_buf()),
            base_url: Some("http://piket.test".into()),
            database_url: postgres_url().await,
            // `PIKET_TEST_DATABASE_POOL=1` runs the suite on one connection: a request that
            // holds one while it waits for another then fails here (503), not under load.
            database_pool: std::env::var("PIKET_TEST_DATABASE_POOL")
                .ok()
                .and_then(|n| n.parse().ok()),
            // The API's request budget is tested on its own (`api_limits`); other tests make
            // hundreds of calls within one minute of the test clock.
            api_rate_per_minute: Some(1_000_000_000),
            api_ip_rate_per_minute: Some(1_000_000_000),
            // Uploads must not depend on how full the test machine's disk is (5 % of a big disk
            // is a lot); the floor is tested on its own (`attachment_limits`).
            attachment_min_free_bytes: Some(0),
            attachment_min_free_percent: Some(0),
            ..Default::default()
        };
        adjust(&mut settings);
        let config = Config::resolve(&settings).unwrap();
        let clock = ManualClock::at(1_790_000_000_000);
        let state = piket_server::build_state(config, Arc::new(clock.clone()))
            .await
            .unwrap();
        let router = piket_server::router(state.clone());
        let (stop, stop_rx) = tokio::sync::watch::channel(false);
        piket_server::events::spawn_listener(state.clone(), stop_rx).await;
        TestApp {
            state,
            router,
            clock,
            _stop: stop,
            _dir: dir,
        }
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Body,
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = self
            .router
            .clone()
            .oneshot(req.body(body).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).to_string(),
        }
    }

    pub async fn get(&self, path: &str, key: &str) -> Reply {
        self.send(Method::GET, path, &[("x-api-key", key)], Body::empty())
            .await
    }

    pub async fn json(
        &self,
        method: Method,
        path: &str,
        key: &str,
        body: serde_json::Value,
    ) -> Reply {
        self.send(
            method,
            path,
            &[("x-api-key", key), ("content-type", "application/json")],
            Body::from(body.to_string()),
        )
        .await
    }

    /// Create a user directly through the service, as the command line does.
    pub async fn user(&self, email: &str, role: &str, departments: Vec<i64>) -> users::User {
        let name = email.split('@').next().unwrap();
        self.user_named(email, name, role, departments).await
    }

    /// [`TestApp::user`] with a display name of its own.
    pub async fn user_named(
        &self,
        email: &str,
        name: &str,
        role: &str,
        departments: Vec<i64>,
    ) -> users::User {
        let input = users::NewUser {
            email: email.into(),
            name: name.into(),
            role: Some(role.into()),
            role_id: None,
            departments,
            locale: None,
            password: Some("a-long-test-password".into()),
            phone: None,
        };
        users::service::create(&self.state, &Actor::system(), input)
            .await
            .unwrap()
    }

    pub async fn key_for(&self, user_id: i64) -> String {
        let new = apikeys::NewApiKey {
            name: "test".into(),
            user_id: Some(user_id),
        };
        apikeys::service::create(&self.state, &Actor::system(), new)
            .await
            .unwrap()
            .secret
    }

    /// An admin-level (Superadmin) user and their API key.
    pub async fn admin(&self) -> (users::User, String) {
        let u = self.user("root@example.com", "superadmin", vec![]).await;
        let k = self.key_for(u.id).await;
        (u, k)
    }

    pub async fn department(&self, key: &str, name: &str) -> i64 {
        let r = self
            .json(
                Method::POST,
                "/api/v1/departments",
                key,
                serde_json::json!({"name": name}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.json()["id"].as_i64().unwrap()
    }

    /// A small text file uploaded with `key` onto ticket `id`: its attachment id.
    pub async fn text_attachment(&self, key: &str, id: i64) -> i64 {
        let body = "--XB\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\
                    Content-Type: text/plain\r\n\r\nhello\r\n--XB--\r\n";
        let r = self
            .send(
                Method::POST,
                &format!("/api/v1/tickets/{id}/attachments"),
                &[
                    ("x-api-key", key),
                    ("content-type", "multipart/form-data; boundary=XB"),
                ],
                Body::from(body),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.json()["items"][0]["id"].as_i64().unwrap()
    }

    /// A canned response for every department, made with an admin's `key`: its id.
    pub async fn canned_response(&self, key: &str) -> i64 {
        let r = self
            .json(
                Method::POST,
                "/api/v1/canned-responses",
                key,
                serde_json::json!({"name": "Hello", "body": "Hello {{requester_name}}"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.json()["id"].as_i64().unwrap()
    }

    pub async fn audit_count(&self, action: &str) -> i64 {
        let mut conn = self.state.db.pool.acquire().await.unwrap();
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = $1")
            .bind(action)
            .fetch_one(&mut *conn)
            .await
            .unwrap()
    }
}

/// A browser-like client over the router: keeps cookies, sends the CSRF token with forms.
pub struct Browser<'a> {
    pub app: &'a TestApp,
    pub cookies: std::collections::BTreeMap<String, String>,
}

/// A browser signed in as `email` (a user made by [`TestApp::user`], whose password is
/// `a-long-test-password`).
#[allow(dead_code)]
pub async fn signed_in<'a>(app: &'a TestApp, email: &str) -> Browser<'a> {
    let mut b = Browser::new(app);
    b.get("/login").await;
    let r = b
        .post(
            "/login",
            &[("email", email), ("password", "a-long-test-password")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    b
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Browser {
            app,
            cookies: Default::default(),
        }
    }

    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&mut self, r: &Reply) {
        for c in r.cookies() {
            let first = c.split(';').next().unwrap();
            let (k, v) = first.split_once('=').unwrap();
            if v.is_empty() {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.into(), v.into());
            }
        }
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        let cookie = self.cookie_header();
        let r = self
            .app
            .send(
                Method::GET,
                path,
                &[("cookie", &cookie), ("accept-language", "en")],
                Body::empty(),
            )
            .await;
        self.keep(&r);
        r
    }

    pub fn csrf(&self) -> String {
        self.cookies.get("piket_csrf").cloned().unwrap_or_default()
    }

    /// POST a form with the CSRF token, as the page would.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        if self.csrf().is_empty() {
            self.get("/login").await;
        }
        let csrf = self.csrf();
        let mut all: Vec<(&str, &str)> = vec![("_csrf", &csrf)];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let cookie = self.cookie_header();
        let r = self
            .app
            .send(
                Method::POST,
                path,
                &[
                    ("cookie", &cookie),
                    ("content-type", "application/x-www-form-urlencoded"),
                ],
                Body::from(body),
            )
            .await;
        self.keep(&r);
        r
    }
}

/// A shared enrollment token (of `department`, if any), made as an admin would; its secret.
pub async fn agent_token(app: &TestApp, department: Option<i64>) -> String {
    let input = piket_server::agents::NewEnrollmentToken {
        name: "agents".into(),
        department_id: department,
        ..Default::default()
    };
    piket_server::agents::tokens::create(&app.state, &Actor::system(), input)
        .await
        .unwrap()
        .secret
}

/// Turn the legacy agent endpoints' switches as an admin would (the collector stays on).
pub async fn agent_switches(app: &TestApp, legacy_agents: bool, anonymous_agents: bool) {
    use piket_server::inventory::settings;
    let switches = settings::AgentSwitches {
        legacy_agents,
        anonymous_agents,
    };
    settings::save(
        &app.state,
        &Actor::system(),
        true,
        switches,
        settings::TokenChange::Keep,
    )
    .await
    .unwrap();
}

/// `Authorization: Basic …` for a user and password.
pub fn basic(user: &str, password: &str) -> String {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = format!("{user}:{password}").into_bytes();
    let mut out = String::from("Basic ");
    for chunk in bytes.chunks(3) {
        let mut n = 0u32;
        for (i, b) in chunk.iter().enumerate() {
            n |= u32::from(*b) << (16 - 8 * i);
        }
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub const BOUNDARY: &str = "----piket-test-7MA4YWxkTrZu0gW";

/// A multipart body: (field, file name or none for a text field, bytes).
pub fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, file, data) in parts {
        out.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match file {
            Some(f) => out.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            ),
            None => out.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    out
}

pub fn multipart_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// Every operation of an OpenAPI document: (method, the documented path, a concrete path with
/// `1` in place of each parameter).
pub fn operations(spec: &serde_json::Value) -> Vec<(Method, String, String)> {
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().into_iter().flatten() {
        let concrete: String = path
            .split('/')
            .map(|s| if s.starts_with('{') { "1" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        for method in item.as_object().into_iter().flatten().map(|(m, _)| m) {
            if let Ok(method) = Method::from_bytes(method.to_uppercase().as_bytes()) {
                out.push((method, path.clone(), concrete.clone()));
            }
        }
    }
    out
}
