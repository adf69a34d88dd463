//! HTTP to the server (blocking, no async runtime) and turning every answer that is not a
//! success into a clear [`Failure`].

use std::io::Write;
use std::time::Duration;

use piket_protocol::AgentError;

use crate::failure::{exit_code, Failure};

/// Longest wait for one request, connect included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Biggest answer read from the server.
const MAX_ANSWER_BYTES: u64 = 1 << 20;

/// What the server answered (any status).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub retry_after_seconds: Option<u64>,
}

/// A request body and how it is encoded.
pub struct Body<'a> {
    pub json: &'a [u8],
    pub gzip: bool,
}

/// Join the server's base URL and an API path, whatever trailing slash the user typed.
pub fn endpoint(server: &str, path: &str) -> String {
    format!("{}{path}", server.trim_end_matches('/'))
}

/// Gzip-compress a request body.
pub fn gzip(bytes: &[u8]) -> Result<Vec<u8>, Failure> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder
        .write_all(bytes)
        .and_then(|()| encoder.finish())
        .map_err(|e| Failure::general(format!("cannot compress the report: {e}")))
}

/// POST a JSON body with extra headers; `Err` only when no answer came back.
pub fn post_json(url: &str, body: Body<'_>, headers: &[(&str, String)]) -> Result<Answer, Failure> {
    let mut all: Vec<(&str, String)> = headers.to_vec();
    let compressed;
    let bytes = if body.gzip {
        compressed = gzip(body.json)?;
        all.push(("Content-Encoding", "gzip".into()));
        &compressed[..]
    } else {
        body.json
    };
    request(
        "POST",
        url,
        Some(("application/json", bytes)),
        &all,
        REQUEST_TIMEOUT,
    )
}

/// Any request: `method` on `url` with an optional body of `content_type`; `Err` only when no
/// answer came back. The agent's reports and the desktop helper's calls go through here.
pub fn request(
    method: &str,
    url: &str,
    body: Option<(&str, &[u8])>,
    headers: &[(&str, String)],
    timeout: Duration,
) -> Result<Answer, Failure> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .user_agent(format!("piket-agent/{}", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let mut builder = ureq::http::Request::builder()
        .method(method)
        .uri(url)
        .header("Accept", "application/json");
    for (name, value) in headers {
        builder = builder.header(*name, value.as_str());
    }
    if let Some((content_type, _)) = body {
        builder = builder.header("Content-Type", content_type);
    }
    let bytes = body.map_or(&[][..], |(_, b)| b).to_vec();
    let request = builder
        .body(bytes)
        .map_err(|e| Failure::general(format!("cannot build a request to {url}: {e}")))?;
    let mut response = agent.run(request).map_err(|e| unreachable(url, &e))?;
    let status = response.status().as_u16();
    let retry_after_seconds = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    let body = response
        .body_mut()
        .with_config()
        .limit(MAX_ANSWER_BYTES)
        .read_to_string()
        .unwrap_or_default();
    Ok(Answer {
        status,
        body,
        retry_after_seconds,
    })
}

/// The server could not be reached: name the URL and what the OS said.
fn unreachable(url: &str, error: &ureq::Error) -> Failure {
    let cause = match error {
        ureq::Error::Io(io) => io.to_string(),
        other => other.to_string(),
    };
    Failure {
        message: format!("cannot reach the server at {url}: {cause}"),
        exit_code: exit_code::UNREACHABLE,
        retryable: true,
        retry_after_seconds: None,
    }
}

/// What the server said in an error body: the `message` of an [`AgentError`] or of the legacy
/// `{"status":"error","message":…}`, else the body itself (shortened).
pub fn server_message(body: &str) -> String {
    if let Ok(error) = serde_json::from_str::<AgentError>(body) {
        return error.message;
    }
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(body) {
        if let Some(serde_json::Value::String(message)) = map.get("message") {
            return message.clone();
        }
        // The API's problem+json: its detail, and each field's message.
        if let Some(serde_json::Value::String(detail)) = map.get("detail") {
            let fields: Vec<String> = map
                .get("errors")
                .and_then(|e| e.as_array())
                .into_iter()
                .flatten()
                .filter_map(|e| {
                    let field = e.get("field")?.as_str()?;
                    let message = e.get("message")?.as_str()?;
                    Some(format!("{field}: {message}"))
                })
                .collect();
            return if fields.is_empty() {
                detail.clone()
            } else {
                format!("{detail} ({})", fields.join("; "))
            };
        }
    }
    let trimmed = body.trim();
    match trimmed.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &trimmed[..cut]),
        None => trimmed.to_string(),
    }
}

/// Which request failed, to word the 401 right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Enroll,
    Report,
    Collect,
}

/// A clear failure for an answer that is not 2xx.
pub fn failure_for(action: Action, url: &str, answer: &Answer) -> Failure {
    let said = server_message(&answer.body);
    let said_suffix = if said.is_empty() {
        String::new()
    } else {
        format!(" (server said: {said})")
    };
    let (message, code, retryable) = match answer.status {
        401 => {
            let message = match action {
                Action::Enroll => "the enrollment token was refused: expired, revoked or mistyped \
                     — ask your admin for a new one"
                    .to_string(),
                Action::Report => "the server refused this device's credentials: the device was \
                     removed or its secret rotated — enroll again with a new token"
                    .to_string(),
                Action::Collect => "the server requires a valid enrollment token for the \
                     collector: pass --enrollment-token (ask your admin)"
                    .to_string(),
            };
            (format!("{message}{said_suffix}"), exit_code::REFUSED, false)
        }
        403 => (
            format!("the server refused the request (403 Forbidden){said_suffix}"),
            exit_code::REFUSED,
            false,
        ),
        404 if action == Action::Collect => (
            format!("the server does not know that email address{said_suffix}"),
            exit_code::REJECTED,
            false,
        ),
        413 => (
            format!("the server refused the report as too large (413){said_suffix}"),
            exit_code::REJECTED,
            false,
        ),
        429 => {
            let when = match answer.retry_after_seconds {
                Some(s) => format!("; retry in {s} seconds"),
                None => "; retry later".to_string(),
            };
            (
                format!("rate-limited by the server (429){said_suffix}{when}"),
                exit_code::RATE_LIMITED,
                true,
            )
        }
        s if s >= 500 => (
            format!("the server failed ({s}) at {url}{said_suffix}; try again later"),
            exit_code::SERVER_ERROR,
            true,
        ),
        s => (
            format!("the server rejected the request ({s}) at {url}{said_suffix}"),
            exit_code::REJECTED,
            false,
        ),
    };
    Failure {
        message,
        exit_code: code,
        retryable,
        retry_after_seconds: answer.retry_after_seconds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str, retry_after: Option<u64>) -> Answer {
        Answer {
            status,
            body: body.into(),
            retry_after_seconds: retry_after,
        }
    }

    #[test]
    fn enroll_401_names_the_token_problem() {
        let f = failure_for(
            Action::Enroll,
            "http://x/api",
            &answer(
                401,
                r#"{"error":"invalid_token","message":"unknown token"}"#,
                None,
            ),
        );
        assert!(f
            .message
            .starts_with("the enrollment token was refused: expired, revoked or mistyped"));
        assert!(f.message.contains("server said: unknown token"));
        assert_eq!(f.exit_code, exit_code::REFUSED);
        assert!(!f.retryable);
    }

    #[test]
    fn rate_limit_says_when_to_retry() {
        let f = failure_for(
            Action::Report,
            "u",
            &answer(
                429,
                r#"{"status":"error","message":"Rate limit exceeded"}"#,
                Some(120),
            ),
        );
        assert!(f.message.contains("rate-limited"));
        assert!(f.message.contains("Rate limit exceeded"));
        assert!(f.message.contains("retry in 120 seconds"));
        assert!(f.retryable);
        assert_eq!(f.exit_code, exit_code::RATE_LIMITED);
    }

    #[test]
    fn server_errors_are_retryable_and_too_large_is_not() {
        let f = failure_for(Action::Report, "http://h/p", &answer(503, "down", None));
        assert!(f.retryable && f.message.contains("503") && f.message.contains("http://h/p"));
        let f = failure_for(Action::Report, "u", &answer(413, "", None));
        assert!(!f.retryable && f.message.contains("too large"));
    }

    #[test]
    fn endpoint_tolerates_trailing_slash() {
        assert_eq!(endpoint("http://h:8080/", "/api/x"), "http://h:8080/api/x");
        assert_eq!(endpoint("http://h", "/api/x"), "http://h/api/x");
    }

    #[test]
    fn unreachable_server_names_url_and_os_error() {
        // Port 9 on localhost: nothing listens there in a test environment.
        let err = post_json(
            "http://127.0.0.1:9/api",
            Body {
                json: b"{}",
                gzip: false,
            },
            &[],
        )
        .unwrap_err();
        assert!(
            err.message.contains("http://127.0.0.1:9/api"),
            "{}",
            err.message
        );
        assert!(err.retryable);
        assert_eq!(err.exit_code, exit_code::UNREACHABLE);
    }
}
