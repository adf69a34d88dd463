//! The error page, as a typed askama template (extends `base.html`).

use askama::Template;

use super::layout::Shell;

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub shell: Shell<'a>,
    /// The HTTP status, shown as the title.
    pub status: u16,
    /// What went wrong, in the reader's language.
    pub message: String,
}
