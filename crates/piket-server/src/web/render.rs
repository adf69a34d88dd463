//! What page handlers share for answering with a page: rendering a typed askama page (each
//! extends `templates/base.html`, see `web::layout`), field errors in the reader's language,
//! the one-time notices a link may name, and `no_store` for pages that show a secret.

use axum::response::Html;

use super::context::WebCtx;
use crate::error::{AppError, AppResult};
use crate::state::App;

/// A page (an askama template that extends `base.html`) as the response body.
pub fn html<T: askama::Template>(page: &T) -> AppResult<Html<String>> {
    page.render()
        .map(Html)
        .map_err(|e| AppError::Internal(format!("rendering a page: {e}")))
}

/// The field errors of `err` in the reader's language (services write them in English).
pub fn translated_field_errors(
    app: &App,
    ctx: &WebCtx,
    err: Option<&AppError>,
) -> std::collections::BTreeMap<String, String> {
    let Some(err) = err else {
        return Default::default();
    };
    field_errors(err)
        .into_iter()
        .map(|(field, message)| {
            let text = app.catalog.fields.translate(ctx.locale, &message);
            (field, text.into_owned())
        })
        .collect()
}

/// A page that shows a secret (a revealed credential, a fresh token) must not be cached.
pub fn no_store(mut response: axum::response::Response) -> axum::response::Response {
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}

/// Field errors of a failed form, by field name, as the service wrote them.
pub fn field_errors(err: &AppError) -> std::collections::BTreeMap<String, String> {
    match err {
        AppError::Invalid(errors) => errors
            .iter()
            .map(|e| (e.field.clone(), e.message.clone()))
            .collect(),
        _ => Default::default(),
    }
}

/// Only known flash keys are shown, so a link cannot put arbitrary text on a page.
pub fn flash(key: Option<&str>) -> Option<String> {
    const KNOWN: &[&str] = &[
        "saved",
        "created",
        "deleted",
        "revoked",
        "password_changed",
        "password_changed_keys_revoked",
        "reset_sent",
        "reset_done",
        "merged",
        "secret_unreadable",
        "dismissed",
        "assigned",
        "unassigned",
        "fetched",
        "retried",
    ];
    key.filter(|k| KNOWN.contains(k))
        .map(|k| format!("flash_{k}"))
}
