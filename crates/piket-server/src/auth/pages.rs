//! Sign-in pages: setup, login, logout, password reset, profile and password change, language.

use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::HeaderMap;
use axum::response::{AppendHeaders, IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

use super::extract::WebActor;
use super::login::{SignedIn, DEVICE_TTL_MS};
use super::service::{self, SetupForm};
use super::views::{ForgotPage, LoginPage, ProfilePage, ResetPage, SetupPage};
use crate::error::{AppError, AppResult};
use crate::i18n::Locale;
use crate::state::AppState;
use crate::users::{service as users, ProfilePatch};
use crate::web::context::WebCtx;
use crate::web::cookies;
use crate::web::form_flow::{form_page, see_other, submitted, Submitted};
use crate::web::layout::Shell;
use crate::web::redirect::is_local_path;
use crate::web::render::{flash, html, translated_field_errors};

#[derive(Deserialize, Default)]
pub struct Msg {
    pub msg: Option<String>,
}

/// The login page's query: a flash message and the page to go back to.
#[derive(Deserialize, Default)]
pub struct LoginQuery {
    pub msg: Option<String>,
    pub next: Option<String>,
}

/// Longest `next` path kept through the login page.
const MAX_NEXT: usize = 500;

/// `next` when it is a local path of a sane length, else empty (so the login goes home).
fn local_next(next: Option<&str>) -> &str {
    next.filter(|n| n.len() <= MAX_NEXT && crate::web::redirect::is_local_path(n))
        .unwrap_or_default()
}

fn session_cookie(state: &AppState, token: &str) -> String {
    cookies::set(
        &state.config,
        cookies::SESSION,
        token,
        Some(state.config.session_hours * 3600),
    )
}

fn with_session(state: &AppState, token: &str, to: &str) -> AppResult<Response> {
    let cookie = [(SET_COOKIE, session_cookie(state, token))];
    Ok((cookie, see_other(to)?).into_response())
}

/// `to` (home, or the page that sent the visitor to sign in), with the new session's cookie and
/// the browser's device cookie (see `auth::login`).
fn signed_in_response(state: &AppState, signed_in: &SignedIn, to: &str) -> AppResult<Response> {
    let device_cookie = cookies::set(
        &state.config,
        cookies::DEVICE,
        &signed_in.device,
        Some((DEVICE_TTL_MS / 1000) as u64),
    );
    let cookies = AppendHeaders([
        (SET_COOKIE, session_cookie(state, &signed_in.session.token)),
        (SET_COOKIE, device_cookie),
    ]);
    Ok((cookies, see_other(to)?).into_response())
}

pub async fn login_form(
    State(state): State<AppState>,
    ctx: WebCtx,
    Query(q): Query<LoginQuery>,
) -> AppResult<Response> {
    let next = local_next(q.next.as_deref());
    if ctx.actor.is_some() {
        return see_other(if next.is_empty() { "/" } else { next });
    }
    Ok(html(&LoginPage {
        shell: Shell::new(&state, &ctx, "").with_flash(flash(q.msg.as_deref())),
        email: "",
        failed: false,
        next,
    })?
    .into_response())
}

#[derive(Deserialize)]
pub struct LoginForm {
    pub email: String,
    pub password: String,
    #[serde(default)]
    pub next: String,
}

pub async fn login(
    State(state): State<AppState>,
    ctx: WebCtx,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    let device = cookies::get(&headers, &cookies::name(&state.config, cookies::DEVICE));
    match super::login::login(
        &state,
        &form.email,
        &form.password,
        &ctx.ip,
        ctx.session_token.as_deref(),
        device.as_deref(),
    )
    .await
    {
        Ok(signed_in) => {
            let next = local_next(Some(&form.next));
            signed_in_response(&state, &signed_in, if next.is_empty() { "/" } else { next })
        }
        Err(AppError::Unauthorized) => {
            let page = html(&LoginPage {
                shell: Shell::new(&state, &ctx, ""),
                email: &form.email,
                failed: true,
                next: local_next(Some(&form.next)),
            })?;
            Ok((axum::http::StatusCode::UNAUTHORIZED, page).into_response())
        }
        Err(e) => Err(e),
    }
}

pub async fn logout(State(state): State<AppState>, ctx: WebCtx) -> AppResult<Response> {
    if let Some(token) = &ctx.session_token {
        service::logout(&state, token).await?;
    }
    let cookie = [(SET_COOKIE, cookies::clear(&state.config, cookies::SESSION))];
    Ok((cookie, see_other("/login")?).into_response())
}

#[derive(Deserialize)]
pub struct TokenQuery {
    pub token: Option<String>,
}

pub async fn setup_form(
    State(state): State<AppState>,
    ctx: WebCtx,
    Query(q): Query<TokenQuery>,
) -> AppResult<Response> {
    let token = q.token.unwrap_or_default();
    if !service::setup_token_valid(&state, &token).await? {
        return Err(AppError::NotFound);
    }
    Ok(html(&SetupPage {
        shell: Shell::new(&state, &ctx, ""),
        token: &token,
        name: "",
        email: "",
        errors: Default::default(),
    })?
    .into_response())
}

#[derive(Deserialize)]
pub struct SetupFields {
    pub token: String,
    pub name: String,
    pub email: String,
    pub password: String,
    pub password_confirm: String,
}

pub async fn setup(
    State(state): State<AppState>,
    ctx: WebCtx,
    Form(f): Form<SetupFields>,
) -> AppResult<Response> {
    let form = SetupForm {
        token: &f.token,
        name: &f.name,
        email: &f.email,
        password: &f.password,
        password_confirm: &f.password_confirm,
        locale: Some(ctx.locale),
    };
    match submitted(service::complete_setup(&state, form, &ctx.ip).await)? {
        Submitted::Done(signed_in) => signed_in_response(&state, &signed_in, "/"),
        Submitted::Again(e) => {
            let page = SetupPage {
                shell: Shell::new(&state, &ctx, ""),
                token: &f.token,
                name: &f.name,
                email: &f.email,
                errors: translated_field_errors(&state, &ctx, Some(&e)),
            };
            form_page(&page, Some(&e))
        }
    }
}

pub async fn forgot_form(State(state): State<AppState>, ctx: WebCtx) -> AppResult<Response> {
    Ok(html(&ForgotPage {
        shell: Shell::new(&state, &ctx, ""),
    })?
    .into_response())
}

#[derive(Deserialize)]
pub struct ForgotFields {
    pub email: String,
}

pub async fn forgot(
    State(state): State<AppState>,
    ctx: WebCtx,
    Form(f): Form<ForgotFields>,
) -> AppResult<Response> {
    service::request_reset(&state, &f.email, &ctx.ip).await?;
    see_other("/login?msg=reset_sent")
}

pub async fn reset_form(
    State(state): State<AppState>,
    ctx: WebCtx,
    Query(q): Query<TokenQuery>,
) -> AppResult<Response> {
    let token = q.token.unwrap_or_default();
    let valid = service::reset_token_valid(&state, &token).await?;
    Ok(html(&ResetPage {
        shell: Shell::new(&state, &ctx, ""),
        token: &token,
        valid,
        errors: Default::default(),
    })?
    .into_response())
}

#[derive(Deserialize)]
pub struct ResetFields {
    pub token: String,
    pub password: String,
    pub password_confirm: String,
}

pub async fn reset(
    State(state): State<AppState>,
    ctx: WebCtx,
    Form(f): Form<ResetFields>,
) -> AppResult<Response> {
    let result =
        service::complete_reset(&state, &f.token, &f.password, &f.password_confirm, &ctx.ip).await;
    match submitted(result) {
        Ok(Submitted::Done(())) => see_other("/login?msg=reset_done"),
        Ok(Submitted::Again(e)) => {
            // The token was used by the failed attempt's transaction only if it committed; it did not.
            let page = ResetPage {
                shell: Shell::new(&state, &ctx, ""),
                token: &f.token,
                valid: true,
                errors: translated_field_errors(&state, &ctx, Some(&e)),
            };
            form_page(&page, Some(&e))
        }
        // An unknown or spent link: the page that says so, not the error page.
        Err(AppError::NotFound) => {
            let page = html(&ResetPage {
                shell: Shell::new(&state, &ctx, ""),
                token: "",
                valid: false,
                errors: Default::default(),
            })?;
            Ok((axum::http::StatusCode::NOT_FOUND, page).into_response())
        }
        Err(e) => Err(e),
    }
}

pub async fn profile(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Query(q): Query<Msg>,
) -> AppResult<Response> {
    let user = users::get(&state, &actor, actor.user_id).await?;
    Ok(html(&ProfilePage {
        shell: Shell::new(&state, &ctx, "profile").with_flash(flash(q.msg.as_deref())),
        user: &user,
        errors: Default::default(),
        keep_keys: false,
    })?
    .into_response())
}

#[derive(Deserialize)]
pub struct ZoneChoice {
    #[serde(default)]
    pub time_zone: String,
    #[serde(default)]
    pub back: String,
}

/// The one-time offer of the browser's zone: the zone it names, or "" to keep the organisation's;
/// either way the offer is not made again. Back to the page it was made on.
pub async fn choose_zone(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Form(f): Form<ZoneChoice>,
) -> AppResult<Response> {
    let patch = ProfilePatch {
        time_zone: Some(f.time_zone),
        ..ProfilePatch::default()
    };
    users::update_profile(&state, &actor, patch).await?;
    let back = if crate::web::redirect::is_local_path(&f.back) {
        f.back.as_str()
    } else {
        "/"
    };
    see_other(back)
}

#[derive(Deserialize)]
pub struct ProfileFields {
    pub name: String,
    pub locale: String,
    /// Absent on forms without the field (the zone offer posts to its own route).
    pub time_zone: Option<String>,
    pub phone: Option<String>,
}

pub async fn save_profile(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Form(f): Form<ProfileFields>,
) -> AppResult<Response> {
    let patch = ProfilePatch {
        name: Some(f.name),
        locale: Some(f.locale),
        time_zone: f.time_zone,
        phone: f.phone,
    };
    match submitted(users::update_profile(&state, &actor, patch).await)? {
        Submitted::Done(_) => see_other("/profile?msg=saved"),
        Submitted::Again(e) => {
            let user = users::get(&state, &actor, actor.user_id).await?;
            let page = ProfilePage {
                shell: Shell::new(&state, &ctx, "profile"),
                user: &user,
                errors: translated_field_errors(&state, &ctx, Some(&e)),
                keep_keys: false,
            };
            form_page(&page, Some(&e))
        }
    }
}

#[derive(Deserialize)]
pub struct PasswordFields {
    pub current_password: String,
    pub password: String,
    pub password_confirm: String,
    /// The "also revoke my API keys" box (checked by default); absent when unchecked.
    pub revoke_api_keys: Option<String>,
}

pub async fn change_password(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Form(f): Form<PasswordFields>,
) -> AppResult<Response> {
    let revoke_keys = f.revoke_api_keys.is_some();
    let result = service::change_password(
        &state,
        &actor,
        &f.current_password,
        &f.password,
        &f.password_confirm,
        revoke_keys,
    )
    .await;
    match submitted(result)? {
        Submitted::Done(session) => {
            let to = if revoke_keys {
                "/profile?msg=password_changed_keys_revoked"
            } else {
                "/profile?msg=password_changed"
            };
            with_session(&state, &session.token, to)
        }
        Submitted::Again(e) => {
            let user = users::get(&state, &actor, actor.user_id).await?;
            let page = ProfilePage {
                shell: Shell::new(&state, &ctx, "profile"),
                user: &user,
                errors: translated_field_errors(&state, &ctx, Some(&e)),
                keep_keys: !revoke_keys,
            };
            form_page(&page, Some(&e))
        }
    }
}

#[derive(Deserialize)]
pub struct LangFields {
    pub lang: String,
    pub back: Option<String>,
}

/// Language choice for visitors who are not signed in (signed-in users keep theirs in the profile).
pub async fn set_language(
    State(state): State<AppState>,
    Form(f): Form<LangFields>,
) -> AppResult<Response> {
    let locale =
        Locale::parse(&f.lang).ok_or_else(|| AppError::invalid("lang", "must be en, id or el"))?;
    let back = f
        .back
        .filter(|b| is_local_path(b))
        .unwrap_or_else(|| "/".into());
    let cookie = cookies::set(
        &state.config,
        cookies::LANG,
        locale.code(),
        Some(365 * 24 * 3600),
    );
    Ok(([(SET_COOKIE, cookie)], see_other(&back)?).into_response())
}

/// This module's pages.
pub fn pages() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/setup", get(setup_form).post(setup))
        .route("/password/forgot", get(forgot_form).post(forgot))
        .route("/password/reset", get(reset_form).post(reset))
        .route("/profile", get(profile).post(save_profile))
        .route("/profile/password", post(change_password))
        .route("/profile/time-zone", post(choose_zone))
        .route("/language", post(set_language))
}
