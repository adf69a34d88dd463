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
pub mod desktop;
pub mod error;
pub mod events;
pub mod home;
pub mod i18n;
pub mod inventory;
pub mod jobs;
pub mod listen;
pub mod local_time;
pub mod mail;
pub mod notices;
pub mod notifications;
pub mod notify;
pub mod ops;
pub mod org;
pub mod parts;
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
use axum::routing::get;
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
    let parts = parts::Parts::default();
    let unread = parts.get::<notifications::unread::UnreadCounts>();
    Ok(Arc::new(App {
        catalog: i18n::Catalog::load()?,
        metrics: Default::default(),
        health: Default::default(),
        api_limits: api::limits::ApiLimits::new(&config),
        login_limiter: RateLimiter::new(login_rate, 60_000),
        reset_limiter: RateLimiter::new(10, 60_000),
        desktop_link_limiter: RateLimiter::new(desktop::LINKS_PER_MINUTE, 60_000),
        enroll_limiter: RateLimiter::new(
            agents::enroll::FAILURES_PER_WINDOW,
            agents::enroll::WINDOW_MS,
        ),
        collector_limiter: RateLimiter::new(
            inventory::collector::UNKNOWN_PER_WINDOW,
            inventory::collector::UNKNOWN_WINDOW_MS,
        ),
        actor_cache: Default::default(),
        events: events::Events::new(db.backend, unread),
        parts,
        blobs: Arc::new(blobs),
        secrets,
        password_permits: auth::password::permits(),
        blob_gate: storage::BlobGate::default(),
        config,
        db,
        clock,
    }))
}

/// Every domain's pages, behind the session guard (see `router`).
/// Every periodic job the server runs (see `jobs`): each domain offers its work, and the list
/// is kept here, where the server is assembled.
pub fn periodic_jobs() -> Vec<jobs::Job> {
    fn sla_escalate(state: AppState, now: i64) -> jobs::JobFuture {
        Box::pin(async move { sla::escalate::run(&state, now).await.map(|_| ()) })
    }
    fn attachments_sweep(state: AppState, now: i64) -> jobs::JobFuture {
        Box::pin(async move { attachments::sweep::run(&state, now).await.map(|_| ()) })
    }
    fn auth_sweep(state: AppState, now: i64) -> jobs::JobFuture {
        Box::pin(async move { auth::service::sweep(&state, now).await })
    }
    vec![
        jobs::Job {
            name: "sla.escalate",
            every_ms: 60_000,
            work: sla_escalate,
        },
        // Leftovers must be an hour old to go, so a quarter-hour period removes them within
        // 75 minutes of a crash while listing the store only four times an hour.
        jobs::Job {
            name: "attachments.sweep",
            every_ms: 15 * 60_000,
            work: attachments_sweep,
        },
        // Expired sessions and old sign-in throttling state.
        jobs::Job {
            name: "auth.sweep",
            every_ms: 60 * 60_000,
            work: auth_sweep,
        },
    ]
}

fn pages() -> Router<AppState> {
    Router::new()
        .merge(auth::pages::pages())
        .merge(apikeys::pages::pages())
        .merge(users::pages::pages())
        .merge(roles::pages::pages())
        .merge(departments::pages::pages())
        .merge(home::pages::pages())
        .merge(audit::pages::pages())
        .merge(categories::pages::pages())
        .merge(canned::pages::pages())
        .merge(tickets::pages::pages())
        .merge(attachments::pages::pages())
        .merge(notifications::pages::pages())
        .merge(notices::pages::pages())
        .merge(ops::pages())
        .merge(sla::pages::pages())
        .merge(org::pages::pages())
        .merge(inventory::pages::pages())
        .merge(agents::pages::pages())
        .merge(desktop::pages::pages())
        .merge(mail::pages::pages())
        .fallback(|| async { error::AppError::NotFound })
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
        .merge(Router::from(api::device_routes()))
        .merge(inventory::protocols::router())
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics_api))
        .route("/static/app.css", get(web::assets::css))
        .route("/static/app.js", get(web::assets::js))
        .route("/static/favicon.svg", get(web::assets::favicon))
        .route("/favicon.ico", get(web::assets::favicon))
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
