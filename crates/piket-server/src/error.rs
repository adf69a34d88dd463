//! The one error type of the server, and the one place it becomes an HTTP response.
//!
//! API paths get `application/problem+json`; the web layer turns the same [`Problem`] into an HTML
//! page (see `web::errors`). Internals are logged, never shown.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// One field that failed validation, with a message a person can act on.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

#[derive(Debug)]
pub enum AppError {
    /// The thing does not exist, or the caller may not know it exists.
    NotFound,
    /// No valid credentials.
    Unauthorized,
    /// Known caller, not allowed.
    Forbidden,
    /// The request is understood but clashes with the current state (duplicate name, in use).
    Conflict(String),
    /// Field-level validation errors.
    Invalid(Vec<FieldError>),
    /// The request itself is malformed (bad JSON, wrong type, unknown field).
    BadRequest(String),
    PayloadTooLarge,
    /// An upload would pass the uploader's daily allowance (bytes per UTC day).
    QuotaExceeded {
        limit_bytes: u64,
    },
    /// The disk is below its free-space floor: uploads are refused until room is made (507);
    /// the rest of the server still works. [`AppError::StorageFull`] is the disk actually full.
    InsufficientStorage,
    RateLimited {
        retry_after_secs: u64,
    },
    /// A dependency (the database) is down; the client may retry.
    Unavailable,
    /// The disk under the database or the files is full: nothing was written; the client may
    /// retry once space is freed (507).
    StorageFull,
    /// A bug or an unexpected failure; the message is logged, not shown.
    Internal(String),
}

/// What a client is told about an error; the web layer renders it as a page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// Stable, machine-readable code, e.g. `not_found`, `validation_failed`.
    pub code: String,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid(vec![FieldError::new(field, message)])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::PayloadTooLarge | AppError::QuotaExceeded { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            AppError::InsufficientStorage => StatusCode::INSUFFICIENT_STORAGE,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::StorageFull => StatusCode::INSUFFICIENT_STORAGE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound => "not_found",
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden => "forbidden",
            AppError::Conflict(_) => "conflict",
            AppError::Invalid(_) => "validation_failed",
            AppError::BadRequest(_) => "bad_request",
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::QuotaExceeded { .. } => "upload_quota_exceeded",
            AppError::InsufficientStorage => "insufficient_storage",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::Unavailable => "unavailable",
            AppError::StorageFull => "storage_full",
            AppError::Internal(_) => "internal",
        }
    }

    pub fn problem(&self) -> Problem {
        let status = self.status();
        let detail = match self {
            AppError::NotFound => "The requested resource does not exist.".to_string(),
            AppError::Unauthorized => "Missing or invalid credentials.".to_string(),
            AppError::Forbidden => "You are not allowed to do this.".to_string(),
            AppError::Conflict(m) | AppError::BadRequest(m) => m.clone(),
            AppError::Invalid(_) => "Some fields are not valid.".to_string(),
            AppError::PayloadTooLarge => "The request body is too large.".to_string(),
            AppError::QuotaExceeded { limit_bytes } => format!(
                "This upload would pass your daily upload limit of {}; nothing was stored. \
                 The limit starts again at 00:00 UTC.",
                bytes_text(*limit_bytes)
            ),
            AppError::InsufficientStorage => {
                "The server is low on disk space and accepts no uploads for now; nothing was \
                 stored."
                    .to_string()
            }
            AppError::RateLimited { retry_after_secs } => {
                format!("Too many requests; try again in {retry_after_secs} s.")
            }
            AppError::Unavailable => "The service is temporarily unavailable.".to_string(),
            AppError::StorageFull => {
                "The server's disk is full; nothing was saved. Try again later.".to_string()
            }
            AppError::Internal(_) => "An internal error occurred.".to_string(),
        };
        Problem {
            kind: format!("https://piket.dev/problems/{}", self.code()),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            code: self.code().to_string(),
            detail,
            errors: match self {
                AppError::Invalid(errors) => errors.clone(),
                _ => Vec::new(),
            },
        }
    }
}

/// `200 MiB` for whole mebibytes, else a byte count.
fn bytes_text(n: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else {
        format!("{n} bytes")
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AppError::Internal(m) => write!(f, "internal: {m}"),
            other => write!(f, "{}: {}", other.code(), other.problem().detail),
        }
    }
}

impl std::error::Error for AppError {}

/// The server went away under a pooled connection: PostgreSQL's shutdown notice (class 57P),
/// a connection failure (class 08), or what the driver makes of a half-closed socket.
fn connection_lost(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Protocol(_) | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|c| c.starts_with("57P") || c.starts_with("08")),
        _ => false,
    }
}

fn is_disk_full(code: Option<&str>) -> bool {
    matches!(code, Some("13") | Some("53100"))
}

impl From<std::io::Error> for AppError {
    fn from(err: std::io::Error) -> Self {
        if err.kind() == std::io::ErrorKind::StorageFull {
            tracing::error!(error = %err, "disk full");
            AppError::StorageFull
        } else {
            AppError::Internal(err.to_string())
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::RowNotFound => AppError::NotFound,
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                tracing::warn!(error = %err, "database unavailable");
                AppError::Unavailable
            }
            // No ping before each checkout, so a dead connection fails its query; the pool
            // drops it.
            e if connection_lost(e) => {
                tracing::warn!(error = %err, "database connection lost");
                AppError::Unavailable
            }
            // SQLite's busy timeout ran out behind a long writer (SQLITE_BUSY, code 5): a
            // moment of overload, not a fault; the client may retry.
            sqlx::Error::Database(db) if db.code().as_deref() == Some("5") => {
                tracing::warn!(error = %err, "database busy");
                AppError::Unavailable
            }
            // The disk is full: SQLITE_FULL (13) or PostgreSQL's disk_full (53100). The
            // transaction was rolled back; the pool drops a connection left inside one
            // (`db::Db::connect`'s release check), so writes work again once space returns.
            sqlx::Error::Database(db) if is_disk_full(db.code().as_deref()) => {
                tracing::error!(error = %err, "disk full");
                AppError::StorageFull
            }
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                AppError::Conflict("An object with the same unique value already exists.".into())
            }
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                AppError::Conflict("The object is still referenced by other records.".into())
            }
            _ => AppError::Internal(err.to_string()),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(message) = &self {
            tracing::error!(%message, "internal error");
        }
        let problem = self.problem();
        let mut response = (self.status(), axum::Json(&problem)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let AppError::RateLimited { retry_after_secs } = self {
            headers.insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after_secs.max(1)),
            );
        }
        response.extensions_mut().insert(problem);
        response
    }
}

pub type AppResult<T> = Result<T, AppError>;

impl Problem {
    /// A problem for a response that a framework extractor produced (bad JSON, bad path, 405, 413).
    pub fn from_status(status: StatusCode, detail: String) -> Problem {
        let code = match status.as_u16() {
            400 => "bad_request",
            401 => "unauthorized",
            403 => "forbidden",
            404 => "not_found",
            405 => "method_not_allowed",
            413 => "payload_too_large",
            415 => "unsupported_media_type",
            422 => "invalid_body",
            429 => "rate_limited",
            s if s >= 500 => "internal",
            _ => "error",
        };
        Problem {
            kind: format!("https://piket.dev/problems/{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            code: code.to_string(),
            detail,
            errors: Vec::new(),
        }
    }

    pub fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, axum::Json(&self)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response.extensions_mut().insert(self);
        response
    }
}
