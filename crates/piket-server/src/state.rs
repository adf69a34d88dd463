//! Everything a handler needs, travelling in one cheap-to-clone value (no globals).

use std::sync::Arc;

use crate::auth::cache::ActorCache;
use crate::auth::ratelimit::RateLimiter;
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::i18n::Catalog;
use crate::ops::metrics::Metrics;
use crate::storage::BlobStore;

pub struct App {
    pub config: Config,
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub catalog: Catalog,
    pub metrics: Metrics,
    /// What `/readyz` knows beyond a ping (a full disk).
    pub health: crate::ops::health::Health,
    /// The JSON API's request budget (see `api::limits`).
    pub api_limits: crate::api::limits::ApiLimits,
    /// Login attempts per client IP.
    pub login_limiter: RateLimiter,
    /// Desktop helpers asking to be linked, per client IP (apart from logins: an office behind
    /// one address starting its helpers must not lock people out of the web).
    pub desktop_link_limiter: RateLimiter,
    /// Password-reset and setup requests per client IP.
    pub reset_limiter: RateLimiter,
    /// Failed agent enrollments (and wrong legacy-agent passwords) per client IP.
    pub enroll_limiter: RateLimiter,
    /// The collector's "User not found" answers per client IP (guessing emails).
    pub collector_limiter: RateLimiter,
    /// API-key callers, briefly (see `auth::cache`).
    pub actor_cache: ActorCache,
    /// Live ticket events for this node's open pages (see `events`).
    pub events: crate::events::Events,
    /// Each domain's caches and counters, found by type (see `parts`).
    pub parts: crate::parts::Parts,
    /// Attachment bytes (a local directory by default).
    pub blobs: Arc<dyn BlobStore>,
    /// Orders blob removals against uploads of the same content (see `storage::BlobGate`).
    pub blob_gate: crate::storage::BlobGate,
    /// Seals and opens stored secrets (see `secrets`).
    pub secrets: crate::secrets::SecretBox,
    /// One permit per core for argon2 hashing on blocking threads (see `auth::password`).
    pub password_permits: Arc<tokio::sync::Semaphore>,
}

pub type AppState = Arc<App>;

impl App {
    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }
}
