//! What went wrong in a command: a message for the person at the terminal and an exit code.

use std::fmt;

/// Exit codes, documented in `docs/agent.md`.
pub mod exit_code {
    /// Anything not listed below (bad config file, unreadable input, …).
    pub const GENERAL: u8 = 1;
    /// The server could not be reached (DNS, refused connection, TLS, timeout).
    pub const UNREACHABLE: u8 = 3;
    /// The server refused the credentials (401) or the endpoint (403).
    pub const REFUSED: u8 = 4;
    /// The server rejected the request itself (400, 404, 413, …).
    pub const REJECTED: u8 = 5;
    /// Rate-limited (429).
    pub const RATE_LIMITED: u8 = 6;
    /// The server failed (5xx).
    pub const SERVER_ERROR: u8 = 7;
}

/// A failed command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub message: String,
    pub exit_code: u8,
    /// Worth trying again later unchanged (server away, 5xx, 429).
    pub retryable: bool,
    /// Seconds the server asked us to wait (`Retry-After`), if any.
    pub retry_after_seconds: Option<u64>,
}

impl Failure {
    /// A failure that is not about the server.
    pub fn general(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            exit_code: exit_code::GENERAL,
            retryable: false,
            retry_after_seconds: None,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
