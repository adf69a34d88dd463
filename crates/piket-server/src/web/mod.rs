//! The server-rendered web UI: shared request context, templates, middleware and static assets.

pub mod assets;
pub mod context;
pub mod cookies;
pub mod form;
pub mod form_flow;
pub mod layout;
pub mod middleware;
pub mod multipart_csrf;
pub mod redirect;
pub mod render;
pub mod shell_time;
pub mod views;
