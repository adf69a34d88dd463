//! Templates (minijinja, embedded at build time) and the page renderer every handler uses.

use axum::response::Html;
use minijinja::{context, Environment, Value};
use serde::Serialize;

use super::context::WebCtx;
use super::layout::{Layout, Shell};
use crate::error::{AppError, AppResult};
use crate::state::App;

macro_rules! templates {
    ($($name:literal),* $(,)?) => { &[ $( ($name, include_str!(concat!("../../templates/", $name))) ),* ] };
}

const TEMPLATES: &[(&str, &str)] = &[
    (
        "base.html",
        include_str!("../../templates/base.minijinja.html"),
    ),
    (
        "macros.html",
        include_str!("../../templates/macros.html"),
    ),
];

const PAGES: &[(&str, &str)] = templates![
    "email/ticket_event.txt",
];

pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    pub fn load() -> Result<Templates, String> {
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::SemiStrict);
        for (name, source) in TEMPLATES.iter().chain(PAGES) {
            env.add_template(name, source)
                .map_err(|e| format!("template {name}: {e}"))?;
        }
        Ok(Templates { env })
    }

    pub fn names() -> impl Iterator<Item = &'static str> {
        TEMPLATES.iter().chain(PAGES).map(|(n, _)| *n)
    }
}

/// The signed-in user as templates see it.
#[derive(Serialize)]
struct Me<'a> {
    id: i64,
    name: &'a str,
    email: &'a str,
    role: &'a str,
    can: std::collections::BTreeMap<&'a str, bool>,
}

/// Render the page template `name` with the common context (`t`, `me`, `csrf`) plus `extra`
/// (`nav` and `flash` there are also read by the layout), inside the layout.
pub fn page(app: &App, ctx: &WebCtx, name: &str, extra: Value) -> AppResult<Html<String>> {
    let me = ctx.actor.as_ref().map(|a| Me {
        id: a.user_id,
        name: &a.name,
        email: &a.email,
        role: &a.role_name,
        can: a.permissions.iter().map(|p| (p.as_str(), true)).collect(),
    });
    // What page templates read; the layout (`layout()`) has its own.
    let common = context! {
        t => app.catalog.value(ctx.locale),
        me => me,
        csrf => &ctx.csrf,
        flash => None::<String>,
    };
    let template = app
        .templates
        .env
        .get_template(name)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    // Field errors arrive in English from the services; show them in the reader's language.
    let errors: std::collections::BTreeMap<String, String> = extra
        .get_attr("errors")
        .ok()
        .and_then(|e| e.try_iter().ok().map(|keys| (e, keys)))
        .map(|(e, keys)| {
            keys.filter_map(|k| {
                let message = e.get_item(&k).ok()?;
                let message = message.as_str()?;
                let text = app.catalog.fields.translate(ctx.locale, message);
                Some((k.to_string(), text.into_owned()))
            })
            .collect()
        })
        .unwrap_or_default();
    let nav = extra.get_attr("nav").unwrap_or_default();
    let flash = extra.get_attr("flash").unwrap_or_default();
    let rendered = template
        .render(context! { errors => errors, ..context! { ..extra, ..common } })
        .map_err(|e| AppError::Internal(format!("rendering {name}: {e:#}")))?;
    let (title, content) = rendered
        .split_once(CONTENT_MARKER)
        .ok_or_else(|| AppError::Internal(format!("{name} does not extend base.html")))?;
    layout(
        app,
        ctx,
        nav.as_str().unwrap_or(""),
        flash.as_str(),
        title,
        content,
    )
}

/// Where `base.html` puts a page's content after its title.
const CONTENT_MARKER: &str = "<!--piket:content-->";

/// The page in the layout: `title_html` and `content_html` are HTML already.
fn layout(
    app: &App,
    ctx: &WebCtx,
    nav: &str,
    flash: Option<&str>,
    title_html: &str,
    content_html: &str,
) -> AppResult<Html<String>> {
    html(&Layout {
        shell: Shell::new(app, ctx, nav).with_flash(flash.map(str::to_string)),
        title_html,
        content_html,
    })
}

/// A page (an askama template that extends `base.html`) as the response body.
pub fn html<T: askama::Template>(page: &T) -> AppResult<Html<String>> {
    page.render()
        .map(Html)
        .map_err(|e| AppError::Internal(format!("rendering a page: {e}")))
}

/// Render `content_html`, made by a compiled (askama) template, in the layout with the plain
/// text `title`; `nav` names the current navigation entry, `flash` a one-time notice.
pub fn page_with_content(
    app: &App,
    ctx: &WebCtx,
    title: &str,
    content_html: &str,
    nav: &str,
    flash: Option<&str>,
) -> AppResult<Html<String>> {
    let title_html = askama::filters::escape(title, askama::filters::Html)
        .map(|t| t.to_string())
        .unwrap_or_default();
    layout(app, ctx, nav, flash, &title_html, content_html)
}

/// The field errors of `err` in the reader's language, for a compiled template.
pub fn translated_field_errors(
    app: &App,
    ctx: &WebCtx,
    err: Option<&AppError>,
) -> std::collections::BTreeMap<String, String> {
    let Some(err) = err else {
        return Default::default();
    };
    field_errors(err)
        .into_iter()
        .map(|(field, message)| {
            let text = app.catalog.fields.translate(ctx.locale, &message);
            (field, text.into_owned())
        })
        .collect()
}

/// A page that shows a secret (a revealed credential, a fresh token) must not be cached.
pub fn no_store(mut response: axum::response::Response) -> axum::response::Response {
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}

/// Render a plain-text template (an email) in `locale`, with the catalog as `t`.
pub fn text(app: &App, locale: crate::i18n::Locale, name: &str, extra: Value) -> AppResult<String> {
    let template = app
        .templates
        .env
        .get_template(name)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    template
        .render(context! { t => app.catalog.value(locale), ..extra })
        .map_err(|e| AppError::Internal(format!("rendering {name}: {e:#}")))
}

/// Field errors of a failed form, by field name, for the template to show beside each input.
pub fn field_errors(err: &AppError) -> std::collections::BTreeMap<String, String> {
    match err {
        AppError::Invalid(errors) => errors
            .iter()
            .map(|e| (e.field.clone(), e.message.clone()))
            .collect(),
        _ => Default::default(),
    }
}

/// Only known flash keys are shown, so a link cannot put arbitrary text on a page.
pub fn flash(key: Option<&str>) -> Option<String> {
    const KNOWN: &[&str] = &[
        "saved",
        "created",
        "deleted",
        "revoked",
        "password_changed",
        "password_changed_keys_revoked",
        "reset_sent",
        "reset_done",
        "merged",
        "secret_unreadable",
        "dismissed",
    ];
    key.filter(|k| KNOWN.contains(k))
        .map(|k| format!("flash_{k}"))
}
