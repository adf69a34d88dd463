//! Request bodies of legacy agents: zlib, gzip or plain (by Content-Type, else by magic bytes),
//! decompressed through a hard limit so a zip bomb costs nothing; XML or JSON by Content-Type,
//! else by the first byte. Replies are compressed the way the request was.

use std::io::{Read, Write};

use flate2::read::{GzDecoder, ZlibDecoder};
use flate2::write::{GzEncoder, ZlibEncoder};
use flate2::Compression;

use super::{Refusal, MAX_DECOMPRESSED};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Zlib,
    Gzip,
    Plain,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xml,
    Json,
}

fn first_byte(data: &[u8]) -> Option<u8> {
    data.iter().copied().find(|b| !b.is_ascii_whitespace())
}

fn is_zlib(data: &[u8]) -> bool {
    matches!(data, [0x78, b, ..] if (0x7800u16 | u16::from(*b)).is_multiple_of(31))
}

fn is_gzip(data: &[u8]) -> bool {
    data.starts_with(&[0x1f, 0x8b])
}

/// How the body is compressed: the Content-Type says so, else its magic bytes do. A body that
/// plainly starts with `<` or `{` is plain whatever the header claims.
pub fn encoding_of(content_type: &str, body: &[u8]) -> Encoding {
    if matches!(first_byte(body), Some(b'<' | b'{')) {
        return Encoding::Plain;
    }
    let ct = content_type.to_ascii_lowercase();
    if ct.contains("gzip") {
        Encoding::Gzip
    } else if ct.contains("zlib") || ct.contains("x-compress") || ct.contains("deflate") {
        Encoding::Zlib
    } else if is_gzip(body) {
        Encoding::Gzip
    } else if is_zlib(body) {
        Encoding::Zlib
    } else {
        Encoding::Plain
    }
}

fn bounded(mut reader: impl Read) -> Result<Vec<u8>, Refusal> {
    let mut out = Vec::new();
    let limit = u64::try_from(MAX_DECOMPRESSED).unwrap_or(u64::MAX);
    reader
        .by_ref()
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|_| Refusal::bad("The body is not valid compressed data"))?;
    if out.len() > MAX_DECOMPRESSED {
        return Err(Refusal::TooLarge("The decompressed body is too large"));
    }
    Ok(out)
}

/// The body decompressed, refused with 413 beyond `MAX_DECOMPRESSED` bytes.
pub fn decompress(encoding: Encoding, body: &[u8]) -> Result<Vec<u8>, Refusal> {
    match encoding {
        Encoding::Zlib => bounded(ZlibDecoder::new(body)),
        Encoding::Gzip => bounded(GzDecoder::new(body)),
        Encoding::Plain => Ok(body.to_vec()),
    }
}

/// XML or JSON: the Content-Type when it names one, else the first non-blank byte.
pub fn format_of(content_type: &str, data: &[u8]) -> Option<Format> {
    let ct = content_type.to_ascii_lowercase();
    match first_byte(data) {
        Some(b'<') => Some(Format::Xml),
        Some(b'{') => Some(Format::Json),
        _ if ct.contains("json") => Some(Format::Json),
        _ if ct.contains("xml") => Some(Format::Xml),
        _ => None,
    }
}

/// `data` compressed like the request was.
pub fn compress(encoding: Encoding, data: &[u8]) -> Vec<u8> {
    let written = match encoding {
        Encoding::Plain => return data.to_vec(),
        Encoding::Zlib => {
            let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
            e.write_all(data).and_then(|_| e.finish())
        }
        Encoding::Gzip => {
            let mut e = GzEncoder::new(Vec::new(), Compression::default());
            e.write_all(data).and_then(|_| e.finish())
        }
    };
    // Writing into memory cannot fail; answer plainly if it ever does.
    written.unwrap_or_else(|_| data.to_vec())
}

/// The Content-Type of a reply in `format` compressed with `encoding`.
pub fn content_type(encoding: Encoding, format: Format) -> &'static str {
    match (encoding, format) {
        (Encoding::Zlib, _) => "application/x-compress-zlib",
        (Encoding::Gzip, _) => "application/x-compress-gzip",
        (Encoding::Plain, Format::Xml) => "application/xml",
        (Encoding::Plain, Format::Json) => "application/json",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_detection() {
        let xml = b"<REQUEST/>";
        for enc in [Encoding::Zlib, Encoding::Gzip, Encoding::Plain] {
            let packed = compress(enc, xml);
            assert_eq!(encoding_of("", &packed), enc, "magic bytes of {enc:?}");
            assert_eq!(decompress(enc, &packed).ok().as_deref(), Some(&xml[..]));
        }
        let zlib = compress(Encoding::Zlib, xml);
        assert_eq!(&zlib[..2], &[0x78, 0x9c], "the agent looks for 78 9C");
        assert_eq!(
            encoding_of("application/x-compress-gzip", &zlib),
            Encoding::Gzip
        );
        assert_eq!(
            encoding_of("application/x-compress-zlib", b" <x/>"),
            Encoding::Plain
        );
        assert_eq!(format_of("", b"\n <REQUEST>"), Some(Format::Xml));
        assert_eq!(format_of("application/xml", b"{}"), Some(Format::Json));
        assert_eq!(format_of("application/json", b"\x00"), Some(Format::Json));
        assert_eq!(format_of("", b"garbage"), None);
    }

    #[test]
    fn a_zip_bomb_is_refused() {
        let bomb = compress(Encoding::Zlib, &vec![b' '; MAX_DECOMPRESSED + 1]);
        assert!(bomb.len() < 100_000);
        assert!(matches!(
            decompress(Encoding::Zlib, &bomb),
            Err(Refusal::TooLarge(_))
        ));
        assert!(matches!(
            decompress(Encoding::Gzip, b"\x1f\x8bnot gzip"),
            Err(Refusal::Bad(_))
        ));
    }
}
