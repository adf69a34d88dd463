//! The JSON status endpoint: liveness and version, without authentication.

use axum::Json;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Status {
    pub status: String,
    pub version: String,
}

/// Liveness and version, without authentication.
#[utoipa::path(get, path = "/api/v1/status", tag = "ops", responses((status = 200, body = Status)))]
pub async fn status() -> Json<Status> {
    Json(Status {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

/// The status route with its OpenAPI entry.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default().routes(routes!(status))
}
