//! HTTP Basic credentials (`Authorization: Basic base64(user:password)`), as FusionInventory and
//! GLPI agents send them after a `401` with `WWW-Authenticate: Basic`. Only the legacy agent
//! endpoints use this; base64 comes from the `base64` crate (also used by `secrets`).

use axum::http::{header, HeaderMap};

/// The challenge agents answer with their user and password.
pub const CHALLENGE: &str = "Basic realm=\"piket\"";

/// What the `Authorization` header holds, as far as Basic authentication goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Basic {
    /// No `Authorization` header.
    Absent,
    /// A header that is not valid Basic credentials (another scheme, bad base64, no colon).
    Malformed,
    Given {
        user: String,
        password: String,
    },
}

/// Read the Basic credentials of a request.
pub fn credentials(headers: &HeaderMap) -> Basic {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Basic::Absent;
    };
    let Some((scheme, rest)) = value.to_str().unwrap_or_default().split_once(' ') else {
        return Basic::Malformed;
    };
    if !scheme.eq_ignore_ascii_case("basic") || rest.len() > 1024 {
        return Basic::Malformed;
    }
    let Some(text) = decode(rest.trim()).and_then(|b| String::from_utf8(b).ok()) else {
        return Basic::Malformed;
    };
    match text.split_once(':') {
        Some((user, password)) => Basic::Given {
            user: user.to_string(),
            password: password.to_string(),
        },
        None => Basic::Malformed,
    }
}

/// Standard base64 with or without padding; `None` for anything else.
pub fn decode(s: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
    use base64::engine::DecodePaddingMode;
    use base64::Engine;
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    LENIENT.decode(s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn decodes_standard_base64_with_and_without_padding() {
        assert_eq!(decode("YWdlbnQ6ZW5yX3g=").unwrap(), b"agent:enr_x");
        assert_eq!(decode("YWdlbnQ6ZW5yX3g").unwrap(), b"agent:enr_x");
        assert_eq!(decode("YQ==").unwrap(), b"a");
        assert_eq!(decode("YWI=").unwrap(), b"ab");
        assert_eq!(decode("").unwrap(), b"");
        assert_eq!(decode("Y"), None);
        assert_eq!(decode("YW!="), None);
    }

    #[test]
    fn reads_the_header() {
        let mut h = HeaderMap::new();
        assert_eq!(credentials(&h), Basic::Absent);
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("basic YWdlbnQ6ZW5yOng="),
        );
        assert_eq!(
            credentials(&h),
            Basic::Given {
                user: "agent".into(),
                password: "enr:x".into()
            }
        );
        for bad in ["Bearer abc", "Basic !!!", "Basic YWdlbnQ=", "Basic"] {
            h.insert(header::AUTHORIZATION, HeaderValue::from_static(bad));
            assert_eq!(credentials(&h), Basic::Malformed, "{bad}");
        }
    }
}
