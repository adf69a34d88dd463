//! What every page handler knows about the request: language, CSRF token, the signed-in user.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::auth::actor::Actor;
use crate::error::AppError;
use crate::i18n::Locale;
use crate::state::AppState;

#[derive(Clone)]
pub struct WebCtx {
    pub locale: Locale,
    pub csrf: String,
    pub actor: Option<Actor>,
    /// The raw session cookie value, when there is one.
    pub session_token: Option<String>,
    pub ip: String,
    /// The signed-in user's unread notifications (looked up for page views only).
    pub unread_notifications: i64,
    /// The zone the reader sees times in (theirs, else the organisation's).
    pub zone: std::sync::Arc<crate::local_time::Zone>,
    /// The request's path and query (where a notice's form returns to).
    pub path: String,
    /// The page notices to show the signed-in user (`notices::service::shown`; page views only).
    pub notices: Vec<&'static str>,
}

impl FromRequestParts<AppState> for WebCtx {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, AppError> {
        parts
            .extensions
            .get::<WebCtx>()
            .cloned()
            .ok_or(AppError::Internal("web context missing".into()))
    }
}
