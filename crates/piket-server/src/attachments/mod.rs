//! Ticket attachments: files on a ticket or on one of its replies, streamed to the blob store
//! (`crate::storage`) under their SHA-256, checked by content against an allow-list, served as
//! downloads (safe raster images inline, with thumbnails) to those who may see the ticket,
//! within daily upload quotas; a periodic sweep removes what crashes leave behind.

pub mod api;
pub mod form;
pub mod kind;
pub mod pages;
pub mod quota;
pub mod service;
mod store;
pub mod sweep;
pub mod thumb;
pub mod thumbnails;
pub mod upload;

/// A file's row in the order the store reads it; the ticket page reads it from packed JSON.
pub(crate) use store::Row;

use serde::Serialize;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Attachment {
    pub id: i64,
    pub ticket_id: i64,
    /// The reply or note this file came with; none for files on the ticket itself.
    pub comment_id: Option<i64>,
    pub uploader_id: Option<i64>,
    pub uploader_name: String,
    /// Sanitised: no path, no control characters.
    pub file_name: String,
    /// Decided from the content when it was uploaded.
    pub content_type: String,
    pub size: i64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    /// On an internal note: staff only.
    pub internal: bool,
    /// A safe raster image (PNG, JPEG, GIF, WebP): shown inline and has a thumbnail.
    pub image: bool,
    pub created_at: String,
}
