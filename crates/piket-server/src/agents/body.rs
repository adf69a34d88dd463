//! Reading an agent's body as untrusted input: a cap on the bytes sent (checked against
//! Content-Length first, then cut while streaming), gzip inflated through a cap of its own (a zip
//! bomb stops at the cap), and a cap on how many list entries a report may carry.

use std::io::Read;

use axum::body::Body;
use axum::http::{header, HeaderMap};
use piket_protocol::InventoryReport;

/// Largest body accepted as sent (compressed or not).
pub const MAX_COMPRESSED: usize = 4 * 1024 * 1024;
/// Largest body after inflating gzip.
pub const MAX_DECOMPRESSED: usize = 16 * 1024 * 1024;
/// Most software entries in one report.
pub const MAX_SOFTWARE: usize = 10_000;
/// Most disks, file systems or network interfaces in one report.
pub const MAX_DEVICES: usize = 256;

#[derive(Debug, PartialEq)]
pub enum BodyError {
    /// 413
    TooLarge(String),
    /// 400
    Bad(String),
}

/// Read at most `max` bytes; more (announced or sent) is `TooLarge`.
pub async fn read(headers: &HeaderMap, body: Body, max: usize) -> Result<Vec<u8>, BodyError> {
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let too_large = || BodyError::TooLarge(format!("The body is larger than {max} bytes"));
    if announced.is_some_and(|n| n > max as u64) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, max)
        .await
        .map(|b| b.to_vec())
        .map_err(|_| too_large())
}

/// The `Content-Encoding` header, lowercased (empty when absent).
pub fn encoding(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Undo a content encoding (none, `identity` or `gzip`), inflating at most `max` bytes.
pub fn decode(encoding: &str, bytes: Vec<u8>, max: usize) -> Result<Vec<u8>, BodyError> {
    match encoding {
        "" | "identity" => {
            if bytes.len() > max {
                return Err(BodyError::TooLarge(format!(
                    "The body is larger than {max} bytes"
                )));
            }
            Ok(bytes)
        }
        "gzip" | "x-gzip" => inflate(&bytes, max),
        other => Err(BodyError::Bad(format!(
            "Unsupported Content-Encoding: {other}"
        ))),
    }
}

/// Inflate gzip, refusing output beyond `max` bytes without producing more than `max + 1`.
pub fn inflate(bytes: &[u8], max: usize) -> Result<Vec<u8>, BodyError> {
    let mut out = Vec::new();
    let reader = flate2::read::MultiGzDecoder::new(bytes);
    reader
        .take(max as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| BodyError::Bad(format!("Invalid gzip body: {e}")))?;
    if out.len() > max {
        return Err(BodyError::TooLarge(format!(
            "The decompressed body is larger than {max} bytes"
        )));
    }
    Ok(out)
}

/// Parse a report (fixed shape, unknown fields refused) and check its list sizes.
pub fn report(bytes: &[u8]) -> Result<InventoryReport, BodyError> {
    let report: InventoryReport = serde_json::from_slice(bytes)
        .map_err(|e| BodyError::Bad(format!("Invalid report: {e}")))?;
    let inv = &report.inventory;
    if inv.software.len() > MAX_SOFTWARE {
        return Err(BodyError::TooLarge(format!(
            "A report may list at most {MAX_SOFTWARE} software entries"
        )));
    }
    let lists = [inv.disks.len(), inv.filesystems.len(), inv.interfaces.len()];
    if lists.iter().any(|n| *n > MAX_DEVICES) {
        return Err(BodyError::TooLarge(format!(
            "A report may list at most {MAX_DEVICES} disks, file systems or interfaces"
        )));
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(data).unwrap_or_default();
        enc.finish().unwrap_or_default()
    }

    #[test]
    fn inflate_stops_at_the_cap() {
        let bomb = gzip(&vec![0u8; 1024 * 1024]);
        assert!(bomb.len() < 10_000);
        assert!(matches!(inflate(&bomb, 1000), Err(BodyError::TooLarge(_))));
        assert_eq!(
            inflate(&bomb, 1024 * 1024).map(|v| v.len()),
            Ok(1024 * 1024)
        );
        assert!(matches!(inflate(b"not gzip", 1000), Err(BodyError::Bad(_))));
    }

    #[test]
    fn decode_knows_identity_and_gzip_only() {
        assert_eq!(decode("", b"abc".to_vec(), 3), Ok(b"abc".to_vec()));
        assert!(matches!(
            decode("identity", b"abcd".to_vec(), 3),
            Err(BodyError::TooLarge(_))
        ));
        assert!(matches!(
            decode("br", b"abc".to_vec(), 3),
            Err(BodyError::Bad(_))
        ));
        assert_eq!(decode("gzip", gzip(b"abc"), 3), Ok(b"abc".to_vec()));
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_ENCODING,
            header::HeaderValue::from_static(" GZip"),
        );
        assert_eq!(encoding(&h), "gzip");
    }

    #[test]
    fn report_refuses_unknown_fields_and_long_lists() {
        assert!(matches!(
            report(br#"{"protocol":1,"inventory":{"hostname":"a"},"x":1}"#),
            Err(BodyError::Bad(_))
        ));
        let ok = report(br#"{"protocol":1,"inventory":{"hostname":"a"}}"#);
        assert!(ok.is_ok());
        let many = format!(
            r#"{{"protocol":1,"inventory":{{"hostname":"a","disks":[{}]}}}}"#,
            vec!["{}"; MAX_DEVICES + 1].join(",")
        );
        assert!(matches!(
            report(many.as_bytes()),
            Err(BodyError::TooLarge(_))
        ));
    }
}
