//! Request extractors: the client's IP (trusting X-Forwarded-For only from configured proxies),
//! the API caller (API key), and the web caller (session, set up by the web middleware).

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};

use super::actor::Actor;
use crate::error::AppError;
use crate::state::{App, AppState};
use crate::web::context::WebCtx;

/// The client address: the peer, or, when the peer is a trusted proxy, the right-most address in
/// X-Forwarded-For that is not itself a trusted proxy.
pub fn client_ip(headers: &HeaderMap, peer: Option<IpAddr>, app: &App) -> String {
    let Some(peer) = peer else {
        return "unknown".to_string();
    };
    let trusted = |ip: &IpAddr| {
        app.config
            .trusted_proxies
            .iter()
            .any(|net| net.contains(ip))
    };
    if !trusted(&peer) {
        return peer.to_string();
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    let mut hops: Vec<IpAddr> = forwarded
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    while let Some(ip) = hops.pop() {
        if !trusted(&ip) {
            return ip.to_string();
        }
    }
    peer.to_string()
}

pub fn peer_of(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

pub struct ClientIp(pub String);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        Ok(ClientIp(client_ip(&parts.headers, peer_of(parts), state)))
    }
}

/// The caller of a JSON API endpoint, authenticated by `X-API-Key` or `Authorization: Bearer`.
pub struct ApiActor(pub Actor);

pub fn api_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(v) = headers.get("x-api-key") {
        return v.to_str().ok();
    }
    let auth = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = auth.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(rest.trim())
}

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let key = api_key(&parts.headers).ok_or(AppError::Unauthorized)?;
        let ip = client_ip(&parts.headers, peer_of(parts), state);
        Ok(ApiActor(
            crate::apikeys::service::authenticate(state, key, &ip).await?,
        ))
    }
}

/// A signed-in web user; without a session the web layer redirects to the login page.
pub struct WebActor(pub Actor);

impl FromRequestParts<AppState> for WebActor {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, AppError> {
        parts
            .extensions
            .get::<WebCtx>()
            .and_then(|c| c.actor.clone())
            .map(WebActor)
            .ok_or(AppError::Unauthorized)
    }
}
