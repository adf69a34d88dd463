//! Small things a day at the desk trips over (issue #19, part 8): the tab icon, the "High"
//! badge's contrast, the British spelling of the licences path, and a typed credential kept
//! when the asset form comes back with errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use axum::http::StatusCode;
use common::{signed_in, Browser, TestApp};

#[tokio::test]
async fn the_tab_icon_is_served_and_every_page_names_it() {
    let app = TestApp::new().await;
    let mut b = Browser::new(&app);
    for path in ["/favicon.ico", "/static/favicon.svg"] {
        let r = b.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert_eq!(r.header("content-type"), "image/svg+xml", "{path}");
        assert!(r.body.starts_with("<svg"), "{path}");
    }
    let login = b.get("/login").await;
    assert!(
        login
            .body
            .contains(r#"<link rel="icon" href="/static/favicon.svg""#),
        "{}",
        login.body
    );
}

/// WCAG relative luminance of `#rrggbb` or `#rgb`.
fn luminance(hex: &str) -> f64 {
    let hex = hex.trim_start_matches('#');
    let hex: String = if hex.len() == 3 {
        hex.chars().flat_map(|c| [c, c]).collect()
    } else {
        hex.to_string()
    };
    let channel = |i: usize| {
        let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap()) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4)
}

fn contrast(a: &str, b: &str) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// The value of `--name` in the first (light) `:root` block of the stylesheet.
fn light_var(css: &str, name: &str) -> String {
    let root = css.split("@media").next().unwrap();
    let at = root
        .find(&format!("--{name}:"))
        .unwrap_or_else(|| panic!("--{name}"));
    root[at..]
        .split(':')
        .nth(1)
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .trim()
        .to_string()
}

#[test]
fn the_high_badge_reads_at_four_and_a_half_to_one_in_light_mode() {
    let css = piket_server::web::assets::CSS;
    assert!(
        css.contains(".prio-high { border-color: var(--warn); color: var(--warn); }"),
        "the High badge takes its colour from --warn"
    );
    let warn = light_var(css, "warn");
    for background in ["bg", "card"] {
        let bg = light_var(css, background);
        let ratio = contrast(&warn, &bg);
        assert!(
            ratio >= 4.5,
            "--warn {warn} on --{background} {bg}: {ratio:.2}:1"
        );
    }
    // The check itself can fail: the old colour did not reach it.
    assert!(contrast("#c77700", "#f6f7f9") < 4.5);
}

#[tokio::test]
async fn the_licences_path_in_british_spelling_leads_to_the_licences_page() {
    let app = TestApp::new().await;
    app.user("boss@example.com", "admin", vec![]).await;
    let mut b = signed_in(&app, "boss@example.com").await;
    let r = b.get("/inventory/licences").await;
    assert_eq!(r.status, StatusCode::PERMANENT_REDIRECT, "{}", r.body);
    assert_eq!(r.header("location"), "/inventory/licenses");
    assert_eq!(b.get("/inventory/licenses").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_typed_credential_survives_a_validation_error_and_nothing_is_stored() {
    let app = TestApp::new().await;
    app.user("boss@example.com", "admin", vec![]).await;
    let mut b = signed_in(&app, "boss@example.com").await;
    b.get("/inventory/new").await;
    let r = b
        .post(
            "/inventory",
            &[
                ("name", ""),
                ("kind", "desktop"),
                ("status", "in_use"),
                ("credential", "admin:Typed-Once"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body
            .contains(r#"name="credential" type="password" value="admin:Typed-Once""#),
        "the credential field keeps what was typed"
    );
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM hardware_assets")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(n, 0, "nothing was stored");
    drop(conn);
    // Shown again later (not after an error), the field is empty: it stays write-only.
    let fresh = b.get("/inventory/new").await;
    assert!(fresh
        .body
        .contains(r#"name="credential" type="password" value="""#));
}

#[tokio::test]
async fn a_new_account_starts_on_the_least_privileged_role_with_a_create_hint() {
    let app = TestApp::new().await;
    app.user("boss@example.com", "admin", vec![]).await;
    let mut b = signed_in(&app, "boss@example.com").await;
    let form = b.get("/admin/users/new").await;
    assert_eq!(form.status, StatusCode::OK);
    let roles = form.body.split("id=\"f-role\"").nth(1).unwrap();
    let roles = roles.split("</select>").next().unwrap();
    let selected = roles
        .split("<option")
        .find(|o| o.contains("selected"))
        .unwrap_or_else(|| panic!("a role is chosen: {roles}"));
    assert!(selected.contains(">Requester<"), "{selected}");
    assert!(form
        .body
        .contains("Leave empty to let the user choose one through a reset link."));
    assert!(!form
        .body
        .contains("Leave empty to keep the current password"));
    // Editing keeps the "keep the current password" hint.
    let (id, _) = {
        let u = app.user("ana@example.com", "requester", vec![]).await;
        (u.id, ())
    };
    let edit = b.get(&format!("/admin/users/{id}")).await;
    assert!(edit
        .body
        .contains("Leave empty to keep the current password"));
}
