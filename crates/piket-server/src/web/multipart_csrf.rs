//! CSRF for `multipart/form-data` forms (uploads): the token must be the form's *first* field,
//! `_csrf`, which browsers send first because it is the first input of the form. Only that first
//! part is read (a few hundred bytes); the body is then handed on, unread, as a stream. A declared
//! body over the upload limit is refused before anything is read.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::header;
use futures_util::StreamExt;

use crate::auth::token;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The first part must fit in this much.
const MAX_PREFIX: usize = 4096;

pub fn is_multipart(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"))
}

fn boundary(req: &Request) -> Option<String> {
    let ct = req.headers().get(header::CONTENT_TYPE)?.to_str().ok()?;
    ct.split(';').skip(1).find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

/// `Some(token)` once `buf` holds the whole first part and it is `_csrf`; `Some("")` when the
/// first part is something else; `None` while more bytes are needed.
fn first_field(buf: &[u8], boundary: &str) -> Option<String> {
    let opener = format!("--{boundary}\r\n");
    if buf.len() < opener.len() {
        return None;
    }
    if !buf.starts_with(opener.as_bytes()) {
        return Some(String::new());
    }
    let rest = &buf[opener.len()..];
    let head_end = find(rest, b"\r\n\r\n")?;
    let headers = String::from_utf8_lossy(&rest[..head_end]).to_ascii_lowercase();
    let named_csrf = headers.lines().any(|l| {
        l.starts_with("content-disposition:")
            && l.contains("form-data")
            && l.contains("name=\"_csrf\"")
            && !l.contains("filename")
    });
    if !named_csrf {
        return Some(String::new());
    }
    let value = &rest[head_end + 4..];
    let end = find(value, format!("\r\n--{boundary}").as_bytes())?;
    Some(String::from_utf8_lossy(&value[..end]).to_string())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

pub async fn check(state: &AppState, req: Request, expected: &str) -> AppResult<Request> {
    crate::attachments::upload::check_length(state, req.headers())?;
    let boundary =
        boundary(&req).ok_or_else(|| AppError::BadRequest("multipart without boundary".into()))?;
    let (parts, body) = req.into_parts();
    let mut stream = body.into_data_stream();
    let mut prefix: Vec<u8> = Vec::new();
    let found = loop {
        if let Some(t) = first_field(&prefix, &boundary) {
            break t;
        }
        if prefix.len() > MAX_PREFIX {
            break String::new();
        }
        match stream.next().await {
            Some(Ok(chunk)) => prefix.extend_from_slice(&chunk),
            Some(Err(_)) => return Err(AppError::BadRequest("broken request body".into())),
            None => break String::new(),
        }
    };
    if found.is_empty() || !token::constant_time_eq(&found, expected) {
        return Err(AppError::Forbidden);
    }
    let head =
        futures_util::stream::once(async move { Ok::<Bytes, axum::Error>(Bytes::from(prefix)) });
    let body = Body::from_stream(head.chain(stream));
    Ok(Request::from_parts(parts, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_part_must_be_the_token() {
        let b = "XyZ";
        let ok = b"--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\nabc\r\n--XyZ\r\n";
        assert_eq!(first_field(ok, b).as_deref(), Some("abc"));
        assert_eq!(first_field(&ok[..40], b), None);
        let other = b"--XyZ\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\nabc\r\n--XyZ";
        assert_eq!(first_field(other, b).as_deref(), Some(""));
        let file = b"--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"; filename=\"x\"\r\n\r\nabc\r\n--XyZ";
        assert_eq!(first_field(file, b).as_deref(), Some(""));
        assert_eq!(first_field(b"preamble--XyZ\r\n", b).as_deref(), Some(""));
    }
}
