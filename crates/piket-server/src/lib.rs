//! Piket server: build the application from a configuration. `main.rs` and the tests both use this.

pub mod agents;
pub mod api;
pub mod apikeys;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod canned;
pub mod categories;
pub mod clock;
pub mod config;
pub mod db;
pub mod departments;
pub mod error;
pub mod events;
pub mod i18n;
pub mod inventory;
pub mod jobs;
pub mod listen;
pub mod notifications;
pub mod notify;
pub mod ops;
pub mod refcache;
pub mod roles;
pub mod secrets;
pub mod seed;
pub mod sla;
pub mod state;
pub mod storage;
pub mod tickets;
pub mod users;
pub mod validate;
pub mod web;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{get, post};
use axum::Router;

use crate::auth::ratelimit::RateLimiter;
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::state::{App, AppState};

/// Largest request body accepted anywhere but the upload routes (see `attachments::upload`).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Open the database, migrate, make sure the built-in roles exist, load the secret key (sealing
/// what an older version stored in the clear), and load the catalog.
pub async fn build_state(config: Config, clock: Arc<dyn Clock>) -> Result<AppState, String> {
    if config.is_sqlite() {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            format!(
                "cannot create data directory {}: {e}",
                config.data_dir.display()
            )
        })?;
    }
    let db = Db::connect(&config.database_url, config.database_pool)
        .await
        .map_err(|e| e.to_string())?;
    db.migrate().await.map_err(|e| e.to_string())?;
    roles::service::ensure_builtin(&db, clock.now_ms())
        .await
        .map_err(|e| format!("seeding roles: {e}"))?;
    let blobs =
        storage::local::LocalStore::open(&config.data_dir.join("attachments")).map_err(|e| {
            format!(
                "cannot create the attachment directory under {}: {e}",
                config.data_dir.display()
            )
        })?;
    let key_dir = (config.secret_key_file.parent() == Some(config.data_dir.as_path()))
        .then_some(config.data_dir.as_path());
    let secrets = secrets::startup::prepare(&db, &config.secret_key_file, key_dir).await?;
    let login_rate = config.login_rate_per_minute;
    let unread = Arc::new(notifications::unread::UnreadCounts::default());
    Ok(Arc::new(App {
        catalog: i18n::Catalog::load()?,
        metrics: Default::default(),
        health: Default::default(),
        api_limits: api::limits::ApiLimits::new(&config),
        login_limiter: RateLimiter::new(login_rate, 60_000),
        reset_limiter: RateLimiter::new(10, 60_000),
        enroll_limiter: RateLimiter::new(
            agents::enroll::FAILURES_PER_WINDOW,
            agents::enroll::WINDOW_MS,
        ),
        collector_limiter: RateLimiter::new(
            inventory::collector::UNKNOWN_PER_WINDOW,
            inventory::collector::UNKNOWN_WINDOW_MS,
        ),
        categories: Default::default(),
        canned: Default::default(),
        assignees: Default::default(),
        index_stats: Default::default(),
        actor_cache: Default::default(),
        departments: Default::default(),
        events: events::Events::new(db.backend, unread.clone()),
        unread,
        blobs: Arc::new(blobs),
        secrets,
        thumbnails: Default::default(),
        password_permits: auth::password::permits(),
        blob_gate: storage::BlobGate::default(),
        config,
        db,
        clock,
    }))
}

fn pages() -> Router<AppState> {
    use crate::auth::pages as a;
    Router::new()
        .route("/", get(a::home))
        .route("/login", get(a::login_form).post(a::login))
        .route("/logout", post(a::logout))
        .route("/setup", get(a::setup_form).post(a::setup))
        .route("/password/forgot", get(a::forgot_form).post(a::forgot))
        .route("/password/reset", get(a::reset_form).post(a::reset))
        .route("/profile", get(a::profile).post(a::save_profile))
        .route("/profile/password", post(a::change_password))
        .route("/language", post(a::set_language))
        .route(
            "/apikeys",
            get(apikeys::pages::list).post(apikeys::pages::create),
        )
        .route("/apikeys/{id}/revoke", post(apikeys::pages::revoke))
        .route(
            "/admin/users",
            get(users::pages::list).post(users::pages::create),
        )
        .route("/admin/users/new", get(users::pages::new))
        .route(
            "/admin/users/{id}",
            get(users::pages::edit).post(users::pages::update),
        )
        .route("/admin/users/{id}/delete", post(users::pages::delete))
        .route(
            "/admin/roles",
            get(roles::pages::list).post(roles::pages::create),
        )
        .route("/admin/roles/new", get(roles::pages::new))
        .route(
            "/admin/roles/{id}",
            get(roles::pages::edit).post(roles::pages::update),
        )
        .route("/admin/roles/{id}/delete", post(roles::pages::delete))
        .route(
            "/admin/departments",
            get(departments::pages::list).post(departments::pages::create),
        )
        .route("/admin/departments/new", get(departments::pages::new))
        .route(
            "/admin/departments/{id}",
            get(departments::pages::edit).post(departments::pages::update),
        )
        .route(
            "/admin/departments/{id}/delete",
            post(departments::pages::delete),
        )
        .route("/admin/audit", get(audit::pages::list))
        .route(
            "/admin/categories",
            get(categories::pages::list).post(categories::pages::create),
        )
        .route(
            "/admin/categories/{id}",
            get(categories::pages::edit).post(categories::pages::update),
        )
        .route(
            "/admin/categories/{id}/delete",
            post(categories::pages::delete),
        )
        .route(
            "/admin/canned",
            get(canned::pages::list).post(canned::pages::create),
        )
        .route(
            "/admin/canned/{id}",
            get(canned::pages::edit).post(canned::pages::update),
        )
        .route("/admin/canned/{id}/delete", post(canned::pages::delete))
        .route(
            "/tickets",
            get(tickets::pages::list)
                .post(tickets::pages::create)
                .layer(DefaultBodyLimit::disable()),
        )
        .route("/tickets/views", post(tickets::views::pages::create))
        .route(
            "/tickets/views/{id}/delete",
            post(tickets::views::pages::delete),
        )
        .route("/tickets/new", get(tickets::pages::new))
        .route("/events/tickets", get(tickets::live::stream))
        .route("/tickets/bulk", post(tickets::pages::bulk))
        .route("/tickets/export.csv", get(tickets::pages::export))
        .route(
            "/tickets/{id}",
            get(tickets::pages::show).post(tickets::pages::update),
        )
        .route(
            "/tickets/{id}/comments",
            post(tickets::pages::reply).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/tickets/{id}/attachments/{attachment_id}",
            get(attachments::pages::download),
        )
        .route(
            "/tickets/{id}/attachments/{attachment_id}/thumbnail",
            get(attachments::pages::thumbnail),
        )
        .route(
            "/tickets/{id}/attachments/{attachment_id}/delete",
            post(attachments::pages::delete),
        )
        .route("/tickets/{id}/delete", post(tickets::pages::delete))
        .route("/tickets/{id}/assets", post(tickets::pages::link_asset))
        .route("/tickets/{id}/watch", post(tickets::pages::watch))
        .route(
            "/tickets/{id}/assets/{asset_id}/delete",
            post(tickets::pages::unlink_asset),
        )
        .route("/notifications", get(notifications::pages::list))
        .route(
            "/notifications/read-all",
            post(notifications::pages::read_all),
        )
        .route(
            "/notifications/settings",
            post(notifications::pages::save_settings),
        )
        .route("/notifications/{id}/open", post(notifications::pages::open))
        .route("/tickets/{id}/canned/{canned_id}", get(canned::pages::text))
        .route("/admin/metrics", get(ops::metrics_web))
        .route("/admin/sla", get(sla::pages::show))
        .route("/admin/sla/policies", post(sla::pages::save_policies))
        .route("/admin/sla/calendar", post(sla::pages::save_calendar))
        .merge(inventory_pages())
        .fallback(|| async { error::AppError::NotFound })
}

fn inventory_pages() -> Router<AppState> {
    use crate::inventory::software::pages as sw;
    use crate::inventory::{admin, pages as p};
    Router::new()
        .route("/inventory", get(p::list).post(p::create))
        .route("/inventory/new", get(p::new))
        .route("/inventory/suggest", get(p::suggest))
        .route("/inventory/software", get(sw::catalog))
        .route(
            "/inventory/licenses",
            get(sw::licenses_page).post(sw::license_create),
        )
        .route(
            "/inventory/licenses/{id}",
            get(sw::license_page).post(sw::license_update),
        )
        .route("/inventory/licenses/{id}/reveal", post(sw::license_reveal))
        .route("/inventory/licenses/{id}/delete", post(sw::license_delete))
        .route("/inventory/{id}/software", post(sw::replace_device))
        .route("/inventory/{id}", get(p::show).post(p::update))
        .route("/inventory/{id}/reveal", post(p::reveal))
        .route("/inventory/{id}/delete", post(p::delete))
        .route("/inventory/{id}/merge", post(p::merge))
        .route(
            "/inventory/{id}/suggestions/{sid}/dismiss",
            post(p::dismiss_suggestion),
        )
        .route(
            "/admin/inventory/collector",
            get(admin::show).post(admin::save),
        )
        .route(
            "/admin/inventory/agents",
            get(agents::pages::show).post(agents::pages::create),
        )
        .route(
            "/admin/inventory/agents/tokens/{id}/revoke",
            post(agents::pages::revoke_token),
        )
        .route(
            "/admin/inventory/agents/devices/{id}/revoke",
            post(agents::pages::revoke_device),
        )
        .route("/agent", get(agents::portal::show))
        .route("/agent/command", post(agents::portal::create_command))
        .route("/agent/download/{name}", get(agents::portal::download))
}

/// FusionInventory/OCS and GLPI agents, at the URLs they are usually pointed at.
fn agent_endpoints() -> Router<AppState> {
    use crate::inventory::protocols::handlers as h;
    let mut r = Router::new();
    for path in [
        "/ocsinventory",
        "/ocsinventory/",
        "/plugins/fusioninventory",
        "/plugins/fusioninventory/",
        "/front/inventory.php",
    ] {
        r = r.route(path, get(h::info).post(h::receive));
    }
    r
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let web = pages().layer(middleware::from_fn_with_state(
        state.clone(),
        web::middleware::guard,
    ));
    let mut api = api::router().layer(middleware::from_fn_with_state(
        state.clone(),
        api::limits::rate_limit,
    ));
    if let Some(cors) = api::limits::cors(&state.config) {
        api = api.layer(cors);
    }
    let body_timeout = state.config.connections.body_timeout;
    Router::new()
        .merge(api)
        .route(
            "/api/update-main-device",
            post(inventory::collector::update_main_device),
        )
        .route(piket_protocol::ENROLL_PATH, post(agents::enroll::handler))
        .route(
            piket_protocol::INVENTORY_PATH,
            post(agents::report::handler),
        )
        .merge(agent_endpoints())
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics_api))
        .route("/static/app.css", get(web::assets::css))
        .route("/static/app.js", get(web::assets::js))
        .merge(web)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // A body that sends nothing for this long ends its request (slow clients, issue #17).
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            body_timeout,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            ops::observe::observe,
        ))
        .with_state(state)
}

/// The router for the separate metrics address (no authentication; bind it to an internal network).
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(ops::metrics_open))
        .with_state(state)
}
