//! Drop-in endpoints for FusionInventory/OCS agents (XML) and GLPI agents (JSON): the wire
//! formats are decoded (`decode`, `ocs_xml`, `glpi_json`) into one `Content` of sections, which
//! `content::to_inventory` maps onto a `piket_protocol::Inventory` for the shared ingest service.

pub mod content;
pub mod decode;
pub mod glpi_json;
pub mod handlers;
pub mod ocs_xml;
pub mod partial;

/// Largest request body read as sent (compressed or not).
pub const MAX_COMPRESSED: usize = 8 * 1024 * 1024;
/// Largest body after decompression: more is a zip bomb and refused with 413.
pub const MAX_DECOMPRESSED: usize = 32 * 1024 * 1024;
/// Deepest nesting of XML elements or JSON values.
pub const MAX_DEPTH: usize = 32;
/// Most XML elements or JSON values in one report.
pub const MAX_NODES: usize = 1_000_000;
/// Longest text value kept, in characters (ingest cuts further when storing).
pub const MAX_TEXT: usize = 1000;
/// Most entries kept in one section (e.g. software).
pub const MAX_ENTRIES: usize = 10_000;

/// Why a request is refused: the status and a message in the protocol's own form.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// 413.
    TooLarge(&'static str),
    /// 400.
    Bad(String),
}

impl Refusal {
    pub fn bad(m: impl Into<String>) -> Self {
        Refusal::Bad(m.into())
    }
}

/// Cut `s` to `MAX_TEXT` characters.
pub fn cut(s: &str) -> String {
    s.chars().take(MAX_TEXT).collect()
}

/// FusionInventory/OCS and GLPI agents, at the URLs they are usually pointed at.
pub fn router() -> axum::Router<crate::state::AppState> {
    use axum::routing::get;
    let mut r = axum::Router::new();
    for path in [
        "/ocsinventory",
        "/ocsinventory/",
        "/plugins/fusioninventory",
        "/plugins/fusioninventory/",
        "/front/inventory.php",
    ] {
        r = r.route(path, get(handlers::info).post(handlers::receive));
    }
    r
}
