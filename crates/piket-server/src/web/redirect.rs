//! Redirect targets taken from forms (`back` fields): a plain local path, or nothing.

/// Whether `back` is a path on this site and nothing else. Browsers read `/\host` and
/// `/\t/host` as another host, and a control character cannot go into a `Location` header at
/// all (axum's `Redirect` panics: a 500), so only printable ASCII without a backslash, starting
/// with one `/`.
pub fn is_local_path(back: &str) -> bool {
    back.starts_with('/')
        && !back.starts_with("//")
        && back.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
}

#[cfg(test)]
mod tests {
    use super::is_local_path;

    #[test]
    fn only_plain_local_paths_are_local() {
        assert!(is_local_path("/"));
        assert!(is_local_path("/tickets?status=open&q=a%20b"));
        for bad in [
            "",
            "tickets",
            "//evil.com",
            "/\\evil.com",
            "/\t/evil.com",
            "/a\r\nSet-Cookie: x=1",
            "/a b",
            "https://evil.com",
            "/caf\u{e9}",
        ] {
            assert!(!is_local_path(bad), "{bad:?}");
        }
    }
}
