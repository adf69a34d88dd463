//! What a reveal page shows when the stored secret does not open: the page itself with a
//! message (status 409), rather than an error page that would hide the record.

use axum::http::StatusCode;

use crate::error::AppResult;

/// The flash key (`flash_secret_unreadable` in the catalog).
pub const UNREADABLE_FLASH: &str = "secret_unreadable";

/// A reveal's outcome for a page: the secret and 200, nothing and 409 when it does not open,
/// or the error for anything else.
pub fn revealed(result: AppResult<String>) -> AppResult<(Option<String>, StatusCode)> {
    match result {
        Ok(secret) => Ok((Some(secret), StatusCode::OK)),
        Err(e) if super::is_unreadable(&e) => Ok((None, StatusCode::CONFLICT)),
        Err(e) => Err(e),
    }
}
