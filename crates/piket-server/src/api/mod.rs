//! The JSON API under `/api/v1`: the domains' routers merged, the OpenAPI document built from
//! them, and problem+json for every error.

pub mod limits;
pub mod merge;
pub mod page;

use axum::body::{to_bytes, Bytes};
use axum::extract::Request;
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::error::{AppError, Problem};
use crate::state::AppState;
use crate::{
    agents, apikeys, attachments, audit, auth, canned, categories, departments, inventory,
    notifications, ops, roles, sla, tickets, users,
};

struct Security;

/// Handler names repeat across resources (`list`, `get`, …); client generators need unique
/// operation ids, so a repeated one gets its path: `list_tickets`, `history_inventory_hardware`.
/// Applied in `document`, once every domain's paths are in.
struct UniqueOperationIds;

impl Modify for UniqueOperationIds {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let mut seen = std::collections::HashMap::<String, usize>::new();
        for item in api.paths.paths.values() {
            for op in operations(item) {
                *seen
                    .entry(op.operation_id.clone().unwrap_or_default())
                    .or_default() += 1;
            }
        }
        for (path, item) in api.paths.paths.iter_mut() {
            let segments: Vec<String> = path
                .trim_start_matches("/api/v1")
                .split('/')
                .filter(|s| !s.is_empty() && !s.starts_with('{'))
                .map(|s| s.replace('-', "_"))
                .collect();
            for op in operations_mut(item) {
                let id = op.operation_id.clone().unwrap_or_default();
                if seen.get(&id).copied().unwrap_or(0) > 1 {
                    let mut parts: Vec<&str> = segments.iter().map(String::as_str).collect();
                    if parts.last() == Some(&id.as_str()) {
                        parts.pop();
                    }
                    op.operation_id = Some(format!("{id}_{}", parts.join("_")));
                }
            }
        }
    }
}

fn operations(item: &utoipa::openapi::PathItem) -> Vec<&utoipa::openapi::path::Operation> {
    [&item.get, &item.put, &item.post, &item.delete, &item.patch]
        .into_iter()
        .flatten()
        .collect()
}

fn operations_mut(
    item: &mut utoipa::openapi::PathItem,
) -> Vec<&mut utoipa::openapi::path::Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
    ]
    .into_iter()
    .flatten()
    .collect()
}

impl Modify for Security {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Piket API", description = "Piket service desk JSON API. Authenticate with `X-API-Key: pk_…` or `Authorization: Bearer pk_…`. Errors are application/problem+json."),
    modifiers(&Security),
    security(("api_key" = []), ("bearer" = [])),
    components(schemas(Problem, crate::error::FieldError))
)]
pub struct ApiDoc;

/// Every domain's JSON routes under `/api/v1`, each carrying its OpenAPI entry (`routes!`).
fn v1_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .merge(ops::api::router())
        .merge(auth::api::router())
        .merge(users::api::router())
        .merge(roles::api::router())
        .merge(departments::api::router())
        .merge(apikeys::api::router())
        .merge(audit::api::router())
        .merge(tickets::api::router())
        .merge(categories::api::router())
        .merge(notifications::api::router())
        .merge(canned::api::router())
        .merge(attachments::api::router())
        .merge(sla::api::router())
        .merge(inventory::api::router())
        .merge(agents::api::router())
        .merge(crate::desktop::api::router())
        .merge(crate::mail::api::router())
}

/// Documented routes that answer in their own formats with their own limits, so `lib.rs` serves
/// them outside the `/api/v1` layers: the agent's enrollment and reports, the legacy collector.
pub fn device_routes() -> OpenApiRouter<AppState> {
    agents::api::agent_protocol().merge(inventory::api::legacy_collector())
}

/// The whole document: top-level info and security from `ApiDoc`, then every path the two route
/// sets carry.
fn document(v1: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(v1);
    doc.merge(device_routes().into_openapi());
    UniqueOperationIds.modify(&mut doc);
    doc
}

/// The OpenAPI document as served at `/api/v1/openapi.json`.
pub fn openapi_json() -> String {
    document(v1_routes().into_openapi())
        .to_pretty_json()
        .unwrap_or_default()
}

/// Turn framework rejections (bad JSON, unknown field, bad path, 405, 413) into problem+json.
async fn problems(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error())
        || response.extensions().get::<Problem>().is_some()
    {
        return response;
    }
    let retry_after = response
        .headers()
        .get(axum::http::header::RETRY_AFTER)
        .cloned();
    let body = to_bytes(response.into_body(), 16 * 1024)
        .await
        .unwrap_or_default();
    let detail = String::from_utf8_lossy(&body).trim().to_string();
    let detail = if detail.is_empty() {
        status.canonical_reason().unwrap_or("Error").to_string()
    } else {
        detail
    };
    let mut out = Problem::from_status(status, detail).into_response();
    if let Some(v) = retry_after {
        out.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
    }
    out
}

async fn not_found() -> AppError {
    AppError::NotFound
}

/// The `/api/v1` router: the domains' routes, the document, and a problem+json 404 for the rest.
pub fn router() -> Router<AppState> {
    let (routes, v1) = v1_routes().split_for_parts();
    let spec = Bytes::from(document(v1).to_pretty_json().unwrap_or_default());
    let openapi = move || async move { ([(header::CONTENT_TYPE, "application/json")], spec) };
    routes
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/{*rest}", axum::routing::any(not_found))
        .layer(middleware::from_fn(problems))
}
