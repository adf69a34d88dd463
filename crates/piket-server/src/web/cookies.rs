//! Reading the Cookie header and writing our cookies with the right flags.

use axum::http::HeaderMap;

use crate::config::Config;

pub fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Cookie names get the `__Host-` prefix behind https, which pins them to this exact origin.
pub fn name(config: &Config, base: &str) -> String {
    if config.https() {
        format!("__Host-{base}")
    } else {
        base.to_string()
    }
}

/// A Set-Cookie value: HttpOnly, SameSite=Lax, Path=/, and Secure behind https.
pub fn set(config: &Config, base: &str, value: &str, max_age_secs: Option<u64>) -> String {
    let mut c = format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Lax",
        name(config, base)
    );
    if let Some(age) = max_age_secs {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if config.https() {
        c.push_str("; Secure");
    }
    c
}

pub fn clear(config: &Config, base: &str) -> String {
    set(config, base, "", Some(0))
}

pub const SESSION: &str = "piket_session";
pub const CSRF: &str = "piket_csrf";
pub const LANG: &str = "piket_lang";
/// A browser that signed in to an account before (see `auth::login`).
pub const DEVICE: &str = "piket_device";
