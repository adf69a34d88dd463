//! Operations: status, health and readiness probes, Prometheus metrics, and the request observer.

pub mod api;
pub mod health;
pub mod logs;
pub mod metrics;
pub mod observe;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;

use crate::auth::extract::{ApiActor, WebActor};
use crate::error::AppResult;
use crate::state::AppState;

/// The process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// The process can serve: the database answers and the disk was not found full in the last
/// seconds (`health`).
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if state.health.disk_recently_full(state.now()) {
        return (StatusCode::SERVICE_UNAVAILABLE, "disk full");
    }
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}

fn exposition(state: &AppState) -> impl IntoResponse {
    let body = state
        .metrics
        .render(state.db.pool.size(), state.db.pool.num_idle());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}

/// `/metrics` on the main address: an API key with `metrics.read`.
pub async fn metrics_api(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
) -> AppResult<impl IntoResponse> {
    actor.require("metrics.read")?;
    Ok(exposition(&state))
}

/// `/admin/metrics` for a signed-in admin in the browser.
pub async fn metrics_web(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
) -> AppResult<impl IntoResponse> {
    actor.require("metrics.read")?;
    Ok(exposition(&state))
}

/// `/metrics` on the separate, internal metrics address: no authentication.
pub async fn metrics_open(State(state): State<AppState>) -> impl IntoResponse {
    exposition(&state)
}

/// The metrics page.
pub fn pages() -> axum::Router<AppState> {
    axum::Router::new().route("/admin/metrics", axum::routing::get(metrics_web))
}
