//! Thumbnails of raster images: at most [`SIZE`] pixels on the long side, PNG, decoded under
//! limits so that a small file claiming a huge canvas cannot exhaust memory.

use std::io::Cursor;

use image::{ImageFormat, ImageReader, Limits};

pub const SIZE: u32 = 256;

/// The store key of a blob's thumbnail.
pub fn key(sha256: &str) -> String {
    format!("{sha256}.thumb{SIZE}")
}

/// Decode and shrink; an error means the image cannot be shown as a thumbnail.
pub fn make(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(16_384);
    limits.max_image_height = Some(16_384);
    limits.max_alloc = Some(256 * 1024 * 1024);
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
