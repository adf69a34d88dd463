//! The JSON API's request budget, per API key and per client address (429 with `Retry-After`
//! beyond it), and its CORS allow-list (none by default).

use axum::extract::{Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::auth::extract::{api_key, client_ip};
use crate::auth::ratelimit::RateLimiter;
use crate::auth::token::hash_token;
use crate::config::Config;
use crate::error::AppError;
use crate::state::AppState;

/// Budgets for `/api/v1`, counted per node over one minute.
pub struct ApiLimits {
    per_key: RateLimiter,
    per_address: RateLimiter,
}

impl ApiLimits {
    pub fn new(config: &Config) -> Self {
        ApiLimits {
            per_key: RateLimiter::new(config.api_rate_per_minute, 60_000),
            per_address: RateLimiter::new(config.api_ip_rate_per_minute, 60_000),
        }
    }
}

/// Count the request against its client address and, when it carries one, its API key (by
/// the key's hash, so nobody can spend another key's budget without holding it). CORS
/// preflights are not counted.
pub async fn rate_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::OPTIONS {
        let now = state.now();
        let peer = req
            .extensions()
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        let ip = client_ip(req.headers(), peer, &state);
        let by_key = api_key(req.headers()).map(hash_token);
        let verdict = state
            .api_limits
            .per_address
            .hit(&ip, now)
            .and_then(|()| match &by_key {
                Some(k) => state.api_limits.per_key.hit(k, now),
                None => Ok(()),
            });
        if let Err(retry_after_secs) = verdict {
            return AppError::RateLimited { retry_after_secs }.into_response();
        }
    }
    next.run(req).await
}

/// The CORS layer for the API: only the configured origins, only the API's methods and
/// headers; no cookies (the API authenticates by key, never by session).
pub fn cors(config: &Config) -> Option<CorsLayer> {
    if config.cors_origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(config.cors_origins.clone()))
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::HeaderName::from_static("x-api-key"),
            ])
            .expose_headers([header::RETRY_AFTER, header::LOCATION])
            .max_age(std::time::Duration::from_secs(600)),
    )
}
