//! The agent endpoints' answers: JSON bodies and `AgentError` (`{"error", "message"}`) with a
//! status, never problem+json, so an agent parses one shape.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use piket_protocol::AgentError;
use serde::Serialize;

pub fn json<T: Serialize>(status: StatusCode, body: &T) -> Response {
    let text = serde_json::to_string(body).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, "application/json")], text).into_response()
}

pub fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    json(
        status,
        &AgentError {
            error: code.to_string(),
            message: message.into(),
        },
    )
}

pub fn invalid_token() -> Response {
    error(
        StatusCode::UNAUTHORIZED,
        "invalid_token",
        "The enrollment token is unknown, expired, revoked or used up",
    )
}

pub fn invalid_credentials() -> Response {
    error(
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "Unknown or revoked device credentials",
    )
}

pub fn bad_request(message: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, "bad_request", message)
}

pub fn too_large(message: impl Into<String>) -> Response {
    error(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message)
}

pub fn rate_limited(retry_after_secs: u64) -> Response {
    let mut r = error(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "Too many failed attempts; try again later",
    );
    if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

pub fn internal() -> Response {
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "Internal server error",
    )
}

pub fn unavailable() -> Response {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "The server is busy; try again later",
    )
}
