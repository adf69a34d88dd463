//! The layout around every page (head, navigation, user menu, notices), as a compiled (askama)
//! template: pages hand it their title and content as HTML.

use askama::Template;

use crate::auth::actor::Actor;
use crate::i18n::{Catalog, Locale};

#[derive(Template)]
#[template(path = "base.askama.html", escape = "html")]
pub struct Layout<'a> {
    pub catalog: &'a Catalog,
    pub locale: Locale,
    pub lang: &'a str,
    /// The signed-in user, if any.
    pub actor: Option<&'a Actor>,
    pub csrf: &'a str,
    /// Which navigation entry is the current page.
    pub nav: &'a str,
    /// A catalog key of a one-time notice ("saved", …).
    pub flash: Option<&'a str>,
    pub unread_notifications: i64,
    /// Admins are told when email goes nowhere but the log.
    pub smtp_missing: bool,
    /// The page's title, HTML-escaped (empty: the tagline).
    pub title_html: &'a str,
    /// The page's content, HTML.
    pub content_html: &'a str,
}

impl Layout<'_> {
    /// The catalog text for `key` in the reader's language.
    fn t<'k>(&'k self, key: &'k str) -> &'k str {
        self.catalog.get(self.locale, key)
    }

    fn can(&self, permission: &str) -> bool {
        self.actor.is_some_and(|a| a.can(permission))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_text_the_layout_names_is_in_both_catalogs() {
        let catalog = crate::i18n::Catalog::load().unwrap();
        let source = include_str!("../../templates/base.askama.html");
        assert_eq!(catalog.missing_template_keys(source), Vec::<String>::new());
    }
}
