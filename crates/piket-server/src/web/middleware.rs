//! The web layer's guard: the Origin check on every request, CSRF (double-submit cookie) on every
//! state-changing one, the session, the language, and turning errors into pages.

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::context::WebCtx;
use super::cookies;
use crate::auth::extract::client_ip;
use crate::auth::token;
use crate::error::{AppError, Problem};
use crate::i18n::Locale;
use crate::state::AppState;

const MAX_FORM_BYTES: usize = 256 * 1024;

#[derive(Deserialize)]
struct CsrfField {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

fn origin_ok(req: &Request, base_url: &str) -> bool {
    match req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    {
        // Browsers send Origin on every cross-site POST; requests without it are same-origin or not from a browser.
        None => true,
        Some(origin) => {
            let expected = base_url.split('/').take(3).collect::<Vec<_>>().join("/");
            let host_origin = req
                .headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(|h| format!("{}//{h}", expected.split("//").next().unwrap_or("http:")));
            origin == expected || host_origin.as_deref() == Some(origin)
        }
    }
}

async fn check_csrf(req: Request, expected: &str, state: &AppState) -> Result<Request, AppError> {
    if let Some(header_token) = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
    {
        return if token::constant_time_eq(header_token, expected) {
            Ok(req)
        } else {
            Err(AppError::Forbidden)
        };
    }
    if super::multipart_csrf::is_multipart(&req) {
        return super::multipart_csrf::check(state, req, expected).await;
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(AppError::Forbidden);
    }
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| AppError::PayloadTooLarge)?;
    let field: CsrfField = serde_urlencoded::from_bytes(&bytes)
        .map_err(|_| AppError::BadRequest("malformed form".into()))?;
    if !field
        .csrf
        .as_deref()
        .is_some_and(|t| token::constant_time_eq(t, expected))
    {
        return Err(AppError::Forbidden);
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

fn pick_locale(req: &Request, actor_locale: Option<&str>) -> Locale {
    actor_locale
        .and_then(Locale::parse)
        .or_else(|| {
            cookies::get(req.headers(), cookies::LANG)
                .as_deref()
                .and_then(Locale::parse)
        })
        .or_else(|| {
            req.headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Locale::from_accept_language)
        })
        .unwrap_or(Locale::En)
}

/// Where a visitor who must sign in goes: the login page, which sends them back to the page they
/// asked for when it was a plain local GET (a form post is not repeated).
fn login_with_next(is_get: bool, path: &str) -> String {
    let keep = is_get
        && path != "/"
        && path.len() <= 500
        && crate::web::redirect::is_local_path(path)
        && !path.starts_with("/login");
    if keep {
        match serde_urlencoded::to_string([("next", path)]) {
            Ok(query) => format!("/login?{query}"),
            Err(_) => "/login".to_string(),
        }
    } else {
        "/login".to_string()
    }
}

pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let ip = client_ip(req.headers(), peer, &state);
    let csrf_cookie = cookies::get(req.headers(), &cookies::name(&state.config, cookies::CSRF))
        .filter(|c| c.len() == 64 && c.chars().all(|ch| ch.is_ascii_hexdigit()));
    let new_csrf = csrf_cookie.is_none();
    let csrf = csrf_cookie.unwrap_or_else(|| token::random_token(32));
    let session_token = cookies::get(
        req.headers(),
        &cookies::name(&state.config, cookies::SESSION),
    )
    .filter(|s| !s.is_empty());

    let actor = match &session_token {
        Some(t) => match crate::auth::service::session_actor(&state, t, &ip).await {
            Ok(a) => a,
            Err(e) => {
                return error_page(
                    &state,
                    &req_ctx(Locale::En, &csrf, None, None, &ip),
                    e.problem(),
                )
            }
        },
        None => None,
    };
    let locale = pick_locale(&req, actor.as_ref().and_then(|a| a.locale.as_deref()));
    let mut ctx = req_ctx(locale, &csrf, actor, session_token, &ip);
    ctx.zone = crate::org::service::reader_zone(&state, ctx.actor.as_ref()).await;
    ctx.path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    if req.method() == Method::GET {
        if let Some(actor) = &ctx.actor {
            // The bell's count; a failure here must not cost the page.
            ctx.unread_notifications = crate::notifications::service::unread(&state, actor)
                .await
                .unwrap_or(0);
            ctx.notices = crate::notices::service::shown(&state, actor).await;
        }
    }

    // A foreign Origin is refused on every method, not only on forms: a page elsewhere must not
    // read the live ticket stream (`/events/tickets`) or anything else with the user's cookies.
    // Same-origin navigations send no Origin, or ours.
    if !origin_ok(&req, &state.config.base_url) {
        return error_page(&state, &ctx, AppError::Forbidden.problem());
    }
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let is_get = req.method() == Method::GET;
    let mut req = if unsafe_method {
        match check_csrf(req, &csrf, &state).await {
            Ok(r) => r,
            Err(e) => return error_page(&state, &ctx, e.problem()),
        }
    } else {
        req
    };
    req.extensions_mut().insert(ctx.clone());
    let mut response = next.run(req).await;

    let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
    if let Some(problem) = response.extensions().get::<Problem>().cloned() {
        response = if problem.status == 401 {
            Redirect::to(&login_with_next(is_get, &ctx.path)).into_response()
        } else {
            // The problem stays attached for the request observer (a full disk, `ops::health`).
            let mut page = error_page(&state, &ctx, problem.clone());
            page.extensions_mut().insert(problem);
            page
        };
    } else if (response.status().is_client_error() || response.status().is_server_error())
        && !is_html(&response)
    {
        // Framework rejections (bad form, 405) come as plain text; a page that re-renders its
        // form with errors is already HTML and passes through.
        let status = response.status();
        response = error_page(&state, &ctx, Problem::from_status(status, String::new()));
    }
    if let Some(v) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    if new_csrf {
        if let Ok(v) =
            HeaderValue::from_str(&cookies::set(&state.config, cookies::CSRF, &csrf, None))
        {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

fn req_ctx(
    locale: Locale,
    csrf: &str,
    actor: Option<crate::auth::actor::Actor>,
    session_token: Option<String>,
    ip: &str,
) -> WebCtx {
    WebCtx {
        locale,
        csrf: csrf.to_string(),
        actor,
        session_token,
        ip: ip.to_string(),
        unread_notifications: 0,
        zone: Default::default(),
        path: String::new(),
        notices: Vec::new(),
    }
}

fn is_html(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

/// The HTML face of a [`Problem`].
pub fn error_page(state: &AppState, ctx: &WebCtx, problem: Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    // A message for the problem's code where the status alone says too little (a daily upload
    // limit is not "too large"), else one for the status.
    let by_code = format!("error_{}", problem.code);
    let key = if state.catalog.get(ctx.locale, &by_code) != by_code {
        by_code
    } else {
        format!("error_{}", problem.status)
    };
    let known = state.catalog.get(ctx.locale, &key) != key;
    let message = if known {
        state.catalog.get(ctx.locale, &key).to_string()
    } else {
        state.catalog.get(ctx.locale, "error_generic").to_string()
    };
    let body = crate::web::render::html(&super::views::ErrorPage {
        shell: super::layout::Shell::new(state, ctx, ""),
        status: problem.status,
        message,
    });
    match body {
        Ok(html) => (status, html).into_response(),
        Err(_) => (status, "Error").into_response(),
    }
}
