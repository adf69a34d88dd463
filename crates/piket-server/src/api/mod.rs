//! The JSON API under `/api/v1`: routes, the OpenAPI document, and problem+json for every error.

pub mod limits;
pub mod merge;
pub mod page;

use axum::body::to_bytes;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::{AppError, Problem};
use crate::state::AppState;
use crate::{
    agents, apikeys, attachments, audit, auth, canned, categories, departments, inventory,
    notifications, ops, roles, sla, tickets, users,
};

struct Security;

/// Handler names repeat across resources (`list`, `get`, …); client generators need unique
/// operation ids, so a repeated one gets its path: `list_tickets`, `history_inventory_hardware`.
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
    modifiers(&Security, &UniqueOperationIds),
    security(("api_key" = []), ("bearer" = [])),
    paths(
        ops::status,
        auth::api::me, auth::api::update_me,
        users::api::list, users::api::create, users::api::get, users::api::update, users::api::delete,
        roles::api::list, roles::api::create, roles::api::get, roles::api::update, roles::api::delete, roles::api::permissions,
        departments::api::list, departments::api::create, departments::api::get, departments::api::update, departments::api::delete,
        apikeys::api::list, apikeys::api::create, apikeys::api::get, apikeys::api::revoke,
        audit::api::list,
        tickets::api::list, tickets::api::create, tickets::api::get, tickets::api::update, tickets::api::replace, tickets::api::delete,
        tickets::api::comments, tickets::api::add_comment, tickets::api::history, tickets::api::counts, tickets::api::bulk, tickets::api::export,
        categories::api::list, categories::api::create, categories::api::get, categories::api::update, categories::api::delete,
        notifications::api::list, notifications::api::mark_read, notifications::api::mark_all_read,
        notifications::api::settings, notifications::api::save_settings,
        canned::api::list, canned::api::create, canned::api::get, canned::api::update, canned::api::delete, canned::api::expand,
        tickets::views::api::list, tickets::views::api::create, tickets::views::api::delete,
        attachments::api::list, attachments::api::upload, attachments::api::download, attachments::api::thumbnail, attachments::api::delete,
        sla::api::policies, sla::api::set_policy, sla::api::calendar, sla::api::set_calendar,
        inventory::api::list, inventory::api::create, inventory::api::get, inventory::api::replace, inventory::api::update,
        inventory::api::delete, inventory::api::reveal, inventory::api::history, inventory::api::tickets, inventory::api::merge, inventory::collector::doc,
        inventory::software::api::list, inventory::software::api::create, inventory::software::api::get,
        inventory::software::api::replace, inventory::software::api::update, inventory::software::api::delete,
        inventory::software::api::installed, inventory::software::api::replace_installed,
        inventory::software::license_api::list, inventory::software::license_api::compliance,
        inventory::software::license_api::create, inventory::software::license_api::get,
        inventory::software::license_api::replace, inventory::software::license_api::update,
        inventory::software::license_api::delete, inventory::software::license_api::reveal,
        agents::api::list, agents::api::create, agents::api::get, agents::api::revoke,
        agents::api::list_devices, agents::api::revoke_device, agents::api::enroll_doc, agents::api::inventory_doc,
    ),
    components(schemas(Problem, crate::error::FieldError))
)]
pub struct ApiDoc;

pub fn openapi_json() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_default()
}

async fn openapi() -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        openapi_json(),
    )
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

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/status", get(ops::status))
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/me", get(auth::api::me).patch(auth::api::update_me))
        .route(
            "/api/v1/users",
            get(users::api::list).post(users::api::create),
        )
        .route(
            "/api/v1/users/{id}",
            get(users::api::get)
                .patch(users::api::update)
                .delete(users::api::delete),
        )
        .route(
            "/api/v1/roles",
            get(roles::api::list).post(roles::api::create),
        )
        .route(
            "/api/v1/roles/{id}",
            get(roles::api::get)
                .patch(roles::api::update)
                .delete(roles::api::delete),
        )
        .route("/api/v1/permissions", get(roles::api::permissions))
        .route(
            "/api/v1/departments",
            get(departments::api::list).post(departments::api::create),
        )
        .route(
            "/api/v1/departments/{id}",
            get(departments::api::get)
                .patch(departments::api::update)
                .delete(departments::api::delete),
        )
        .route(
            "/api/v1/api-keys",
            get(apikeys::api::list).post(apikeys::api::create),
        )
        .route(
            "/api/v1/api-keys/{id}",
            get(apikeys::api::get).delete(apikeys::api::revoke),
        )
        .route("/api/v1/audit", get(audit::api::list))
        .route(
            "/api/v1/tickets",
            get(tickets::api::list).post(tickets::api::create),
        )
        .route("/api/v1/tickets/counts", get(tickets::api::counts))
        .route(
            "/api/v1/tickets/bulk",
            axum::routing::post(tickets::api::bulk),
        )
        .route("/api/v1/tickets/export.csv", get(tickets::api::export))
        .route(
            "/api/v1/tickets/{id}",
            get(tickets::api::get)
                .patch(tickets::api::update)
                .put(tickets::api::replace)
                .delete(tickets::api::delete),
        )
        .route(
            "/api/v1/tickets/{id}/comments",
            get(tickets::api::comments).post(tickets::api::add_comment),
        )
        .route("/api/v1/tickets/{id}/history", get(tickets::api::history))
        .route(
            "/api/v1/tickets/{id}/canned-responses/{canned_id}",
            get(canned::api::expand),
        )
        .route(
            "/api/v1/canned-responses",
            get(canned::api::list).post(canned::api::create),
        )
        .route(
            "/api/v1/canned-responses/{id}",
            get(canned::api::get)
                .put(canned::api::update)
                .delete(canned::api::delete),
        )
        .route(
            "/api/v1/ticket-views",
            get(tickets::views::api::list).post(tickets::views::api::create),
        )
        .route(
            "/api/v1/ticket-views/{id}",
            axum::routing::delete(tickets::views::api::delete),
        )
        .route(
            "/api/v1/tickets/{id}/attachments",
            get(attachments::api::list)
                .post(attachments::api::upload)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(
            "/api/v1/tickets/{id}/attachments/{attachment_id}",
            get(attachments::api::download).delete(attachments::api::delete),
        )
        .route(
            "/api/v1/tickets/{id}/attachments/{attachment_id}/thumbnail",
            get(attachments::api::thumbnail),
        )
        .route(
            "/api/v1/categories",
            get(categories::api::list).post(categories::api::create),
        )
        .route(
            "/api/v1/categories/{id}",
            get(categories::api::get)
                .put(categories::api::update)
                .delete(categories::api::delete),
        )
        .route("/api/v1/notifications", get(notifications::api::list))
        .route(
            "/api/v1/notifications/read-all",
            axum::routing::post(notifications::api::mark_all_read),
        )
        .route(
            "/api/v1/notifications/{id}/read",
            axum::routing::post(notifications::api::mark_read),
        )
        .route(
            "/api/v1/me/notification-settings",
            get(notifications::api::settings).put(notifications::api::save_settings),
        )
        .route("/api/v1/sla/policies", get(sla::api::policies))
        .route(
            "/api/v1/sla/policies/{priority}",
            axum::routing::put(sla::api::set_policy),
        )
        .route(
            "/api/v1/sla/calendar",
            get(sla::api::calendar).put(sla::api::set_calendar),
        )
        .route(
            "/api/v1/agent/enrollment-tokens",
            get(agents::api::list).post(agents::api::create),
        )
        .route(
            "/api/v1/agent/enrollment-tokens/{id}",
            get(agents::api::get).delete(agents::api::revoke),
        )
        .route(
            "/api/v1/agent/enrollment-tokens/{id}/revoke",
            axum::routing::post(agents::api::revoke),
        )
        .route("/api/v1/agent/devices", get(agents::api::list_devices))
        .route(
            "/api/v1/agent/devices/{id}",
            axum::routing::delete(agents::api::revoke_device),
        )
        .route(
            "/api/v1/inventory/hardware",
            get(inventory::api::list).post(inventory::api::create),
        )
        .route(
            "/api/v1/inventory/hardware/{id}",
            get(inventory::api::get)
                .put(inventory::api::replace)
                .patch(inventory::api::update)
                .delete(inventory::api::delete),
        )
        .route(
            "/api/v1/inventory/hardware/{id}/reveal",
            axum::routing::post(inventory::api::reveal),
        )
        .route(
            "/api/v1/inventory/hardware/{id}/history",
            get(inventory::api::history),
        )
        .route(
            "/api/v1/inventory/hardware/{id}/tickets",
            get(inventory::api::tickets),
        )
        .route(
            "/api/v1/inventory/hardware/{id}/merge",
            axum::routing::post(inventory::api::merge),
        )
        .route(
            "/api/v1/inventory/hardware/{id}/software",
            get(inventory::software::api::installed)
                .put(inventory::software::api::replace_installed),
        )
        .route(
            "/api/v1/inventory/software",
            get(inventory::software::api::list).post(inventory::software::api::create),
        )
        .route(
            "/api/v1/inventory/software/{id}",
            get(inventory::software::api::get)
                .put(inventory::software::api::replace)
                .patch(inventory::software::api::update)
                .delete(inventory::software::api::delete),
        )
        .route(
            "/api/v1/inventory/licenses",
            get(inventory::software::license_api::list)
                .post(inventory::software::license_api::create),
        )
        .route(
            "/api/v1/inventory/licenses/compliance",
            get(inventory::software::license_api::compliance),
        )
        .route(
            "/api/v1/inventory/licenses/{id}",
            get(inventory::software::license_api::get)
                .put(inventory::software::license_api::replace)
                .patch(inventory::software::license_api::update)
                .delete(inventory::software::license_api::delete),
        )
        .route(
            "/api/v1/inventory/licenses/{id}/reveal",
            axum::routing::post(inventory::software::license_api::reveal),
        )
        .route("/api/v1/{*rest}", axum::routing::any(not_found))
        .layer(middleware::from_fn(problems))
}
