//! The sign-in and profile pages as typed askama templates (each extends `base.html`).

use std::collections::BTreeMap;

use askama::Template;

use crate::users::User;
use crate::web::layout::Shell;

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage<'a> {
    pub shell: Shell<'a>,
    /// The address typed before a failed attempt.
    pub email: &'a str,
    pub failed: bool,
    /// The local page to open after signing in (the one that sent the visitor here), or empty.
    pub next: &'a str,
}

#[derive(Template)]
#[template(path = "setup.html")]
pub struct SetupPage<'a> {
    pub shell: Shell<'a>,
    pub token: &'a str,
    pub name: &'a str,
    pub email: &'a str,
    /// Field errors, in the reader's language.
    pub errors: BTreeMap<String, String>,
}

#[derive(Template)]
#[template(path = "forgot.html")]
pub struct ForgotPage<'a> {
    pub shell: Shell<'a>,
}

#[derive(Template)]
#[template(path = "reset.html")]
pub struct ResetPage<'a> {
    pub shell: Shell<'a>,
    pub token: &'a str,
    /// Whether the link still works (else the page says so).
    pub valid: bool,
    pub errors: BTreeMap<String, String>,
}

#[derive(Template)]
#[template(path = "profile.html")]
pub struct ProfilePage<'a> {
    pub shell: Shell<'a>,
    pub user: &'a User,
    pub errors: BTreeMap<String, String>,
    /// The "also revoke my API keys" box was unchecked on the failed attempt.
    pub keep_keys: bool,
}
