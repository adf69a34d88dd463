//! Reading a multipart upload: every file part is streamed to a staging file while it is hashed,
//! counted against the size limit and sniffed; text parts are kept as form fields. Nothing is kept
//! in memory beyond the sniffing window, and a staging file is removed whenever it is not used.

use std::path::PathBuf;

use axum::extract::multipart::{Field, Multipart, MultipartError};
use axum::http::{header, HeaderMap};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::kind;
use crate::error::{AppError, AppResult, FieldError};
use crate::state::AppState;
use crate::storage::staging_path;

/// Room for multipart framing and the text fields of a form beyond the files themselves.
pub const FORM_SLACK: u64 = 256 * 1024;
/// Files per request.
pub const MAX_FILES: usize = 20;

/// An accepted file waiting in the staging directory; removed from disk when dropped unless it
/// was moved into the store first.
pub struct Staged {
    pub path: PathBuf,
    pub file_name: String,
    pub kind: &'static str,
    pub size: u64,
    pub sha256: String,
}

impl Drop for Staged {
    fn drop(&mut self) {
        // After a move into the store the path is gone and this is a no-op.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// What a multipart request carried.
#[derive(Default)]
pub struct Upload {
    pub fields: Vec<(String, String)>,
    pub files: Vec<Staged>,
    /// Files refused for their kind or for being empty (the request itself was fine).
    pub errors: Vec<FieldError>,
}

/// The body length a request declares, if it does.
pub fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
}

/// Refuse a declared body larger than the limit before any of it is read.
pub fn check_length(state: &AppState, headers: &HeaderMap) -> AppResult<()> {
    match declared_length(headers) {
        Some(n) if n > state.config.attachment_max_bytes.saturating_add(FORM_SLACK) => {
            Err(AppError::PayloadTooLarge)
        }
        _ => Ok(()),
    }
}

fn multipart_error(e: MultipartError) -> AppError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        AppError::PayloadTooLarge
    } else {
        AppError::BadRequest(format!("malformed upload: {}", e.body_text()))
    }
}

/// Read the whole request. `file_field` names the file parts (`file` on the API, `files` on the
/// pages); a body growing past the limit stops with 413 and leaves nothing behind.
pub async fn read(state: &AppState, mut mp: Multipart, file_field: &str) -> AppResult<Upload> {
    let max = state.config.attachment_max_bytes;
    let mut total: u64 = 0;
    let mut text_bytes: u64 = 0;
    let mut out = Upload::default();
    let mut file_parts = 0;
    while let Some(field) = mp.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_string();
        if field.file_name().is_none() {
            let value = field_text(field, &mut text_bytes).await?;
            out.fields.push((name, value));
            continue;
        }
        if name != file_field {
            return Err(AppError::BadRequest(format!(
                "files go in the multipart field `{file_field}`"
            )));
        }
        file_parts += 1;
        if file_parts > MAX_FILES {
            return Err(AppError::invalid(
                file_field,
                format!("at most {MAX_FILES} files at once"),
            ));
        }
        let raw_name = field.file_name().unwrap_or_default().to_string();
        let staged = stream_file(state, field, &mut total, max, &raw_name).await?;
        let Some(staged) = staged else { continue };
        let name = &staged.file_name;
        match refusal(state, &staged) {
            Some(EMPTY) => out.errors.push(FieldError::new(
                file_field,
                format!("{name}: the file is empty"),
            )),
            Some(_) => out.errors.push(FieldError::new(
                file_field,
                format!("{name}: this kind of file is not accepted"),
            )),
            None => out.files.push(staged),
        }
    }
    Ok(out)
}

const EMPTY: &str = "the file is empty";

/// Why a staged file is not accepted (empty, or a kind the administrator does not allow).
pub fn refusal(state: &AppState, staged: &Staged) -> Option<&'static str> {
    if staged.size == 0 {
        Some(EMPTY)
    } else if !state
        .config
        .attachment_types
        .iter()
        .any(|t| t == staged.kind)
    {
        Some("this kind of file is not accepted")
    } else {
        None
    }
}

/// Stage a file that arrived whole (a mail's attachment) through the same checks as an upload:
/// the size limit, the content sniffing, the free-space floor. `Ok(None)` past the size limit.
pub async fn stage_bytes(state: &AppState, name: &str, bytes: &[u8]) -> AppResult<Option<Staged>> {
    if bytes.len() as u64 > state.config.attachment_max_bytes {
        return Ok(None);
    }
    super::quota::ensure_free_space(state)?;
    let staged = Staged {
        path: staging_path(state.blobs.staging_dir()),
        file_name: kind::sanitize_name(name),
        kind: kind::sniff(
            &bytes[..bytes.len().min(kind::SNIFF_BYTES)],
            bytes.len() <= kind::SNIFF_BYTES,
        ),
        size: bytes.len() as u64,
        sha256: hex::encode(Sha256::digest(bytes)),
    };
    tokio::fs::write(&staged.path, bytes)
        .await
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::StorageFull => AppError::from(e),
            _ => AppError::Internal(format!("staging a file: {e}")),
        })?;
    Ok(Some(staged))
}

async fn field_text(mut field: Field<'_>, used: &mut u64) -> AppResult<String> {
    let mut buf = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        *used += chunk.len() as u64;
        if *used > FORM_SLACK {
            return Err(AppError::PayloadTooLarge);
        }
        buf.extend_from_slice(&chunk);
    }
    String::from_utf8(buf).map_err(|_| AppError::BadRequest("a form field is not UTF-8".into()))
}

/// How often (in bytes of one request) staging looks at the disk's free space again.
const CHECK_SPACE_EVERY: u64 = 4 * 1024 * 1024;

/// Stream one file part to staging. `None` for the empty part a browser sends when no file was
/// chosen.
async fn stream_file(
    state: &AppState,
    mut field: Field<'_>,
    total: &mut u64,
    max: u64,
    raw_name: &str,
) -> AppResult<Option<Staged>> {
    let io = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::StorageFull => AppError::from(e),
        _ => AppError::Internal(format!("staging an upload: {e}")),
    };
    let mut staged = Staged {
        path: staging_path(state.blobs.staging_dir()),
        file_name: kind::sanitize_name(raw_name),
        kind: "binary",
        size: 0,
        sha256: String::new(),
    };
    let mut file = tokio::fs::File::create(&staged.path).await.map_err(io)?;
    let mut hasher = Sha256::new();
    let mut head: Vec<u8> = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        let before = *total;
        *total += chunk.len() as u64;
        if *total > max {
            // Dropping `staged` removes the partial file.
            return Err(AppError::PayloadTooLarge);
        }
        // Many uploads staged at once can still fill the disk: look again every 4 MiB.
        if before / CHECK_SPACE_EVERY != *total / CHECK_SPACE_EVERY {
            super::quota::ensure_free_space(state)?;
        }
        staged.size += chunk.len() as u64;
        hasher.update(&chunk);
        if head.len() < kind::SNIFF_BYTES {
            let take = (kind::SNIFF_BYTES - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
        }
        file.write_all(&chunk).await.map_err(io)?;
    }
    if raw_name.is_empty() && staged.size == 0 {
        return Ok(None);
    }
    file.flush().await.map_err(io)?;
    file.sync_all().await.map_err(io)?;
    staged.kind = kind::sniff(&head, staged.size as usize <= head.len());
    staged.sha256 = hex::encode(hasher.finalize());
    Ok(Some(staged))
}
