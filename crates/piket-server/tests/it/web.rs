//! The web UI through the real router: setup, login, lockout, CSRF, logout, reset, pages in both languages.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::http::StatusCode;
use common::{Browser, TestApp};

async fn setup_admin(app: &TestApp) -> Browser<'_> {
    let token = piket_server::auth::service::ensure_setup_token(&app.state)
        .await
        .unwrap()
        .unwrap();
    let mut b = Browser::new(app);
    assert_eq!(
        b.get(&format!("/setup?token={token}")).await.status,
        StatusCode::OK
    );
    let r = b
        .post(
            "/setup",
            &[
                ("token", &token),
                ("name", "Budi"),
                ("email", "budi@example.com"),
                ("password", "kopi-tubruk-pagi"),
                ("password_confirm", "kopi-tubruk-pagi"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // The token works once.
    let mut other = Browser::new(app);
    assert_eq!(
        other.get(&format!("/setup?token={token}")).await.status,
        StatusCode::NOT_FOUND
    );
    b
}

#[tokio::test]
async fn setup_creates_a_superadmin_and_signs_in_then_every_page_renders_in_every_language() {
    let app = TestApp::new().await;
    let mut b = setup_admin(&app).await;
    let home = b.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Budi"));
    let session = b.cookies.get("piket_session").unwrap().clone();
    assert!(session.len() >= 32);
    let set = home.cookies().join(" ");
    assert!(
        !set.contains("Secure"),
        "plain http base URL: no Secure flag"
    );
    for lang in ["en", "el", "id"] {
        let r = b
            .post("/profile", &[("name", "Budi"), ("locale", lang)])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        for path in [
            "/",
            "/profile",
            "/apikeys",
            "/admin/users",
            "/admin/users/new",
            "/admin/roles",
            "/admin/roles/new",
            "/admin/departments",
            "/admin/departments/new",
            "/admin/audit",
            "/admin/users/1",
        ] {
            let r = b.get(path).await;
            assert_eq!(r.status, StatusCode::OK, "{path} in {lang}: {}", r.body);
            assert!(
                r.body.contains(&format!("<html lang=\"{lang}\">")),
                "{path}"
            );
        }
    }
    let r = b.get("/").await;
    assert!(r.body.contains("Keluar"), "Indonesian navigation");

    // Field errors are shown in the reader's language too (the API keeps the English text).
    let r = b
        .post("/admin/departments", &[("name", ""), ("description", "")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("wajib diisi"), "{}", r.body);
    assert!(!r.body.contains("is required"), "{}", r.body);
    let long = "x".repeat(101);
    let r = b
        .post(
            "/admin/departments",
            &[("name", &long), ("description", "")],
        )
        .await;
    assert!(r.body.contains("maksimal 100 karakter"), "{}", r.body);
    b.post("/profile", &[("name", "Budi"), ("locale", "el")])
        .await;
    let r = b
        .post("/admin/departments", &[("name", ""), ("description", "")])
        .await;
    assert!(r.body.contains("είναι υποχρεωτικό"), "{}", r.body);
    assert!(r.body.contains("Αποσύνδεση"), "Greek navigation");
    b.post("/profile", &[("name", "Budi"), ("locale", "en")])
        .await;
    let r = b
        .post("/admin/departments", &[("name", ""), ("description", "")])
        .await;
    assert!(r.body.contains("is required"), "{}", r.body);
}

#[tokio::test]
async fn forms_without_the_csrf_token_or_from_another_origin_are_refused() {
    let app = TestApp::new().await;
    let mut b = setup_admin(&app).await;
    let r = b
        .post_raw("/admin/departments", &[("name", "Sneaky")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = b
        .post_raw(
            "/admin/departments",
            &[("_csrf", "0".repeat(64).as_str()), ("name", "Sneaky")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let csrf = b.csrf();
    let cookie = b
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let body = format!("_csrf={csrf}&name=Sneaky");
    let r = app
        .send(
            axum::http::Method::POST,
            "/admin/departments",
            &[
                ("cookie", &cookie),
                ("origin", "https://evil.example"),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            axum::body::Body::from(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = b.post("/admin/departments", &[("name", "Jaringan")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(app.audit_count("department.create").await, 1);
}

#[tokio::test]
async fn login_answers_the_same_for_unknown_and_wrong_then_locks_and_rotates_the_session() {
    let app = TestApp::new().await;
    let mut admin = setup_admin(&app).await;
    let old_session = admin.cookies.get("piket_session").unwrap().clone();
    let mut b = Browser::new(&app);
    let unknown = b
        .post(
            "/login",
            &[
                ("email", "nobody@example.com"),
                ("password", "whatever-it-is"),
            ],
        )
        .await;
    let wrong = b
        .post(
            "/login",
            &[
                ("email", "budi@example.com"),
                ("password", "whatever-it-is"),
            ],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        unknown.body.replace("nobody@example.com", "X"),
        wrong.body.replace("budi@example.com", "X")
    );
    let ok = b
        .post(
            "/login",
            &[
                ("email", "BUDI@example.com"),
                ("password", "kopi-tubruk-pagi"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let new_session = b.cookies.get("piket_session").unwrap().clone();
    assert_ne!(new_session, old_session);
    assert!(ok
        .cookies()
        .iter()
        .any(|c| c.contains("HttpOnly") && c.contains("SameSite=Lax")));
    // Logout revokes the server-side session: replaying the cookie does not work.
    let r = b.post("/logout", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let mut replay = Browser::new(&app);
    replay.cookies.insert("piket_session".into(), new_session);
    assert_eq!(replay.get("/profile").await.status, StatusCode::SEE_OTHER);
    // Five failures in a row lock the account for a while, even with the right password.
    for _ in 0..5 {
        b.post(
            "/login",
            &[
                ("email", "budi@example.com"),
                ("password", "nope-nope-nope"),
            ],
        )
        .await;
    }
    let locked = b
        .post(
            "/login",
            &[
                ("email", "budi@example.com"),
                ("password", "kopi-tubruk-pagi"),
            ],
        )
        .await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.header("retry-after").parse::<u64>().unwrap() > 0);
    app.clock.advance_ms(16 * 60 * 1000);
    let again = b
        .post(
            "/login",
            &[
                ("email", "budi@example.com"),
                ("password", "kopi-tubruk-pagi"),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert_eq!(
        admin.get("/profile").await.status,
        StatusCode::OK,
        "other sessions are untouched by a login"
    );
}

#[tokio::test]
async fn password_reset_link_works_once_and_signs_out_every_session() {
    let app = TestApp::new().await;
    let mut admin = setup_admin(&app).await;
    let mut b = Browser::new(&app);
    let r = b
        .post("/password/forgot", &[("email", "budi@example.com")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r2 = b
        .post("/password/forgot", &[("email", "nobody@example.com")])
        .await;
    assert_eq!(r2.header("location"), r.header("location"));
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    let bodies: Vec<String> = sqlx::query_scalar("SELECT body FROM outbox")
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    assert_eq!(bodies.len(), 1, "one email, only for the existing account");
    let link = bodies[0]
        .split_whitespace()
        .find(|w| w.starts_with("http://piket.test/password/reset?token="))
        .unwrap();
    let token = link.rsplit('=').next().unwrap();
    let r = b
        .post(
            "/password/reset",
            &[
                ("token", token),
                ("password", "short"),
                ("password_confirm", "short"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = b
        .post(
            "/password/reset",
            &[
                ("token", token),
                ("password", "es-teh-manis-dingin"),
                ("password_confirm", "es-teh-manis-dingin"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = b
        .post(
            "/password/reset",
            &[
                ("token", token),
                ("password", "another-new-password"),
                ("password_confirm", "another-new-password"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "single use");
    assert_eq!(
        admin.get("/profile").await.status,
        StatusCode::SEE_OTHER,
        "sessions revoked"
    );
    let ok = b
        .post(
            "/login",
            &[
                ("email", "budi@example.com"),
                ("password", "es-teh-manis-dingin"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    // Expired links do not work.
    b.post("/password/forgot", &[("email", "budi@example.com")])
        .await;
    app.clock.advance_ms(61 * 60 * 1000);
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM one_time_tokens WHERE purpose = 'reset' AND used_at IS NULL",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(n, 1);
    drop(conn);
    assert!(
        !piket_server::auth::service::reset_token_valid(&app.state, token)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_keeps_only_this_session() {
    let app = TestApp::new().await;
    let mut a = setup_admin(&app).await;
    let mut other = Browser::new(&app);
    other
        .post(
            "/login",
            &[
                ("email", "budi@example.com"),
                ("password", "kopi-tubruk-pagi"),
            ],
        )
        .await;
    let r = a
        .post(
            "/profile/password",
            &[
                ("current_password", "wrong-wrong-wrong"),
                ("password", "nasi-goreng-pedas"),
                ("password_confirm", "nasi-goreng-pedas"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = a
        .post(
            "/profile/password",
            &[
                ("current_password", "kopi-tubruk-pagi"),
                ("password", "nasi-goreng-pedas"),
                ("password_confirm", "nasi-goreng-pedas"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(a.get("/profile").await.status, StatusCode::OK);
    assert_eq!(other.get("/profile").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn xss_in_names_comes_back_escaped_and_pages_need_a_session() {
    let app = TestApp::new().await;
    let mut b = setup_admin(&app).await;
    let r = b
        .post(
            "/admin/departments",
            &[("name", "<script>alert(1)</script>")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = b.get("/admin/departments").await;
    assert!(page.body.contains("&#60;script&#62;alert(1)&#60;"));
    assert!(!page.body.contains("<script>alert(1)"));
    let mut anon = Browser::new(&app);
    let r = anon.get("/admin/users").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // The login page sends them back once they are signed in.
    assert_eq!(r.header("location"), "/login?next=%2Fadmin%2Fusers");
}
