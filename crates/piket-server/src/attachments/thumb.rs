//! Thumbnails of raster images: at most [`SIZE`] pixels on the long side, PNG. The canvas size is
//! read from the header and refused above [`MAX_PIXELS`] before anything is decoded, and the
//! decode runs under allocation limits, so a small file claiming a huge canvas cannot exhaust
//! memory. `thumbnails` decides when and how many of these run.

use std::io::Cursor;

use image::{ImageFormat, ImageReader, Limits};

pub const SIZE: u32 = 256;

/// The largest canvas given a thumbnail: 40 megapixels. That covers every screenshot (an 8K
/// screen is 33 MP) and the photos phones and most cameras save (12 to 24 MP by default, a
/// full-frame 36 MP camera too), while an 8000×8000 canvas (64 MP, 256 MB as RGBA, in a
/// 258 KiB file) is refused. Decoded as 8-bit RGBA a 40 MP image takes 160 MB; larger images
/// keep their download and only go without a preview.
pub const MAX_PIXELS: u64 = 40_000_000;

/// What one decode may allocate: a 40 MP RGBA image and some room. A 16-bit image of that size
/// needs twice as much and is refused.
pub const MAX_ALLOC: u64 = 192 * 1024 * 1024;

/// The store key of a blob's thumbnail.
pub fn key(sha256: &str) -> String {
    format!("{sha256}.thumb{SIZE}")
}

/// The store key of an empty object that remembers that this image gets no thumbnail, so it is
/// not decoded again on every request (and across restarts and nodes).
pub fn refused_key(sha256: &str) -> String {
    format!("{sha256}.nothumb")
}

/// Every key derived from a blob, removed together with it.
pub fn derived_keys(sha256: &str) -> [String; 2] {
    [key(sha256), refused_key(sha256)]
}

fn reader(bytes: &[u8]) -> Result<ImageReader<Cursor<&[u8]>>, String> {
    ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())
}

/// Check the canvas, decode and shrink; an error means the image cannot have a thumbnail.
pub fn make(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let (width, height) = reader(bytes)?
        .into_dimensions()
        .map_err(|e| e.to_string())?;
    let pixels = u64::from(width) * u64::from(height);
    if pixels > MAX_PIXELS {
        return Err(format!(
            "{width}×{height} is {pixels} pixels, more than the {MAX_PIXELS} a thumbnail is made of"
        ));
    }
    let mut reader = reader(bytes)?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(16_384);
    limits.max_image_height = Some(16_384);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| e.to_string())?;
    let small = if img.width() <= SIZE && img.height() <= SIZE {
        img
    } else {
        img.thumbnail(SIZE, SIZE)
    };
    let mut out = Cursor::new(Vec::new());
    small
        .write_to(&mut out, ImageFormat::Png)
        .map_err(|e| e.to_string())?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PNG claiming `width`×`height` with an empty image data chunk.
    fn header_only(width: u32, height: u32) -> Vec<u8> {
        fn chunk(png: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
            let mut crc = flate2::Crc::new();
            crc.update(kind);
            crc.update(data);
            png.extend_from_slice(&(data.len() as u32).to_be_bytes());
            png.extend_from_slice(kind);
            png.extend_from_slice(data);
            png.extend_from_slice(&crc.sum().to_be_bytes());
        }
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(&width.to_be_bytes());
        ihdr.extend_from_slice(&height.to_be_bytes());
        ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        chunk(&mut png, b"IHDR", &ihdr);
        chunk(&mut png, b"IDAT", &[]);
        chunk(&mut png, b"IEND", &[]);
        png
    }

    #[test]
    fn a_canvas_over_the_pixel_limit_is_refused_before_decoding() {
        let err = make(&header_only(8000, 8000)).unwrap_err();
        assert!(err.contains("64000000 pixels"), "{err}");
        // Under the limit the same truncated file gets as far as the decoder.
        let err = make(&header_only(1000, 1000)).unwrap_err();
        assert!(!err.contains("pixels"), "{err}");
    }
}
