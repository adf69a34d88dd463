//! A page form that may carry files: `application/x-www-form-urlencoded` as before, or
//! `multipart/form-data` with files in the field `files` (the web guard has already checked the
//! CSRF token, which such a form sends as its first field).

use axum::body::to_bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;

use super::service;
use super::upload::{self, Staged};
use crate::auth::actor::Actor;
use crate::error::{AppError, AppResult, FieldError};
use crate::state::AppState;
use crate::web::form::FormPairs;

/// A form without files is small.
const MAX_PLAIN_FORM: usize = 256 * 1024;

/// The file input's name on every page form.
pub const FILES_FIELD: &str = "files";

pub struct PageForm {
    pub fields: FormPairs,
    pub files: Vec<Staged>,
    /// Files refused for their kind or emptiness, keyed `files`.
    pub errors: Vec<FieldError>,
}

pub async fn read(state: &AppState, actor: &Actor, req: Request) -> AppResult<PageForm> {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        // Upload routes have no default body limit, so a plain form gets the guard's own cap
        // here too (a script sending the token as a header skips the guard's buffering).
        let body = to_bytes(req.into_body(), MAX_PLAIN_FORM)
            .await
            .map_err(|_| AppError::PayloadTooLarge)?;
        return Ok(PageForm {
            fields: FormPairs::parse(&body)?,
            files: Vec::new(),
            errors: Vec::new(),
        });
    }
    upload::check_length(state, req.headers())?;
    service::before_upload(state, actor, upload::declared_length(req.headers())).await?;
    let mp = Multipart::from_request(req, state)
        .await
        .map_err(|e| AppError::BadRequest(e.body_text()))?;
    let up = upload::read(state, mp, FILES_FIELD).await?;
    Ok(PageForm {
        fields: FormPairs::from_pairs(up.fields),
        files: up.files,
        errors: up.errors,
    })
}
