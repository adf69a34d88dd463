//! JSON handlers for attachments, and the one place a stored file becomes a download response.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use super::{upload, Attachment};
use crate::auth::extract::ApiActor;
use crate::error::{AppError, AppResult, Problem};
use crate::state::AppState;
use crate::storage::Blob;
use crate::tickets::api::Items;
use crate::tickets::service::files as service;

/// The multipart body of an upload (for the OpenAPI document).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// One or more files (repeat the field).
    #[schema(value_type = Vec<String>, format = Binary)]
    file: Vec<Vec<u8>>,
    /// Attach to this reply of yours instead of the ticket itself.
    comment_id: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/attachments", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 200, body = Items<Attachment>), (status = 404, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> AppResult<Json<Items<Attachment>>> {
    Ok(Json(Items {
        items: service::list(&state, &actor, id).await?,
    }))
}

/// Upload files as multipart field `file`. The kind is judged from the content against the
/// server's allow-list; a body over the size limit is refused with 413 (by Content-Length before
/// it is read, or as soon as it grows past the limit). Over the uploader's daily quota is 413
/// too (code `upload_quota_exceeded`), and while the server's disk is nearly full 507; either way
/// nothing is stored.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/attachments", tag = "tickets", params(("id" = i64, Path)),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = Items<Attachment>), (status = 404, body = Problem),
        (status = 413, body = Problem), (status = 422, body = Problem),
        (status = 507, body = Problem)))]
pub async fn upload(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    req: Request,
) -> AppResult<(StatusCode, Json<Items<Attachment>>)> {
    upload::check_length(&state, req.headers())?;
    service::ensure_visible(&state, &actor, id).await?;
    super::service::before_upload(&state, &actor, upload::declared_length(req.headers())).await?;
    let mp = Multipart::from_request(req, &state)
        .await
        .map_err(|e| AppError::BadRequest(e.body_text()))?;
    let up = upload::read(&state, mp, "file").await?;
    let comment_id = match up.fields.iter().find(|(k, _)| k == "comment_id") {
        None => None,
        Some((_, v)) if v.trim().is_empty() => None,
        Some((_, v)) => Some(
            v.trim()
                .parse::<i64>()
                .map_err(|_| AppError::invalid("comment_id", "is not a number"))?,
        ),
    };
    let items = service::upload(&state, &actor, id, comment_id, up.files, up.errors).await?;
    Ok((StatusCode::CREATED, Json(Items { items })))
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/attachments/{attachment_id}", tag = "tickets",
    params(("id" = i64, Path), ("attachment_id" = i64, Path)),
    responses((status = 200, description = "The file: images inline, everything else as a download", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 404, body = Problem)))]
pub async fn download(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((id, attachment_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let (att, blob) = service::open(&state, &actor, id, attachment_id).await?;
    Ok(file_response(&att, blob))
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/attachments/{attachment_id}/thumbnail", tag = "tickets",
    params(("id" = i64, Path), ("attachment_id" = i64, Path)),
    responses((status = 200, description = "A PNG of at most 256 px", content_type = "image/png", body = Vec<u8>),
        (status = 404, body = Problem)))]
pub async fn thumbnail(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((id, attachment_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let png = service::thumbnail(&state, &actor, id, attachment_id).await?;
    Ok(thumbnail_response(png))
}

#[utoipa::path(delete, path = "/api/v1/tickets/{id}/attachments/{attachment_id}", tag = "tickets",
    params(("id" = i64, Path), ("attachment_id" = i64, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((id, attachment_id)): Path<(i64, i64)>,
) -> AppResult<StatusCode> {
    service::delete(&state, &actor, id, attachment_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// RFC 5987 encoding of a file name for `filename*`.
fn encode_name(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An ASCII stand-in for old clients: no quotes, backslashes or non-ASCII.
fn ascii_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if (c.is_ascii_graphic() && c != '"' && c != '\\') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Safe raster images inline, everything else as a download; never sniffed by the browser.
pub fn file_response(att: &Attachment, blob: Blob) -> Response {
    let disposition = format!(
        "{}; filename=\"{}\"; filename*=UTF-8''{}",
        if att.image { "inline" } else { "attachment" },
        ascii_name(&att.file_name),
        encode_name(&att.file_name)
    );
    let mut response = blob.body.into_response();
    let h = response.headers_mut();
    let content_type = HeaderValue::from_str(&att.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    h.insert(header::CONTENT_TYPE, content_type);
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(blob.len));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    response
}

pub fn thumbnail_response(png: Bytes) -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CONTENT_DISPOSITION, "inline"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "private, max-age=86400"),
        ],
        png,
    )
        .into_response()
}

/// This module's JSON routes, each with its OpenAPI entry.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .routes(routes!(list, upload).layer(DefaultBodyLimit::disable()))
        .routes(routes!(download, delete))
        .routes(routes!(thumbnail))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_encoded_for_headers() {
        assert_eq!(encode_name("laporan bulan.pdf"), "laporan%20bulan.pdf");
        assert_eq!(encode_name("café\".txt"), "caf%C3%A9%22.txt");
        assert_eq!(ascii_name("café\".txt"), "caf__.txt");
    }
}
