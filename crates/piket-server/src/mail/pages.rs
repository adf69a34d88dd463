//! The admin pages of the email channel (`settings.manage`): the mailboxes with their state,
//! a mailbox's form (the password write-only) with "Test connection", "Fetch now" and the first
//! fetch's choice, and the quarantine with retry, delete and the original message.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

use super::{service, Mailbox, MailboxInput, Received, TestResult};
use crate::auth::actor::Actor;
use crate::auth::extract::WebActor;
use crate::auth::pages::Msg;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::context::WebCtx;
use crate::web::form_flow::{form_page, see_other, submitted_unique, Submitted};
use crate::web::layout::Shell;
use crate::web::render::{flash, translated_field_errors};

#[derive(Template)]
#[template(path = "admin/mailboxes.html")]
struct ListPage<'a> {
    shell: Shell<'a>,
    items: &'a [Mailbox],
    quarantined: usize,
}

#[derive(Template)]
#[template(path = "admin/mailbox_form.html")]
struct FormPage<'a> {
    shell: Shell<'a>,
    /// The mailbox being edited, as stored; none for a new one.
    mailbox: Option<&'a Mailbox>,
    values: &'a Fields,
    errors: std::collections::BTreeMap<String, String>,
    departments: &'a [crate::departments::Department],
    categories: &'a [crate::categories::Category],
    test: Option<&'a TestResult>,
}

#[derive(Template)]
#[template(path = "admin/quarantine.html")]
struct QuarantinePage<'a> {
    shell: Shell<'a>,
    items: &'a [Received],
}

/// The form as typed (every field a string, so a refused form comes back as sent).
#[derive(Deserialize, Default, Clone)]
pub struct Fields {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub protocol: String,
    #[serde(default)]
    pub host: String,
    #[serde(default)]
    pub port: String,
    #[serde(default)]
    pub tls: String,
    #[serde(default)]
    pub tls_verify: Option<String>,
    #[serde(default)]
    pub plain_understood: Option<String>,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub folder: String,
    #[serde(default)]
    pub after_fetch: String,
    #[serde(default)]
    pub move_to: String,
    #[serde(default)]
    pub poll_secs: String,
    #[serde(default)]
    pub department_id: String,
    #[serde(default)]
    pub category_id: String,
    #[serde(default)]
    pub priority: String,
    #[serde(default)]
    pub reply_address: String,
    #[serde(default)]
    pub unknown_senders: String,
    #[serde(default)]
    pub enabled: Option<String>,
}

fn number(field: &str, v: &str) -> AppResult<Option<i64>> {
    match v.trim() {
        "" => Ok(None),
        v => v
            .parse()
            .map(Some)
            .map_err(|_| AppError::invalid(field, "must be an id")),
    }
}

impl Fields {
    fn new_mailbox() -> Fields {
        Fields {
            protocol: "imap".into(),
            tls: "tls".into(),
            tls_verify: Some("on".into()),
            folder: "INBOX".into(),
            after_fetch: "seen".into(),
            poll_secs: "60".into(),
            priority: "normal".into(),
            unknown_senders: "create".into(),
            enabled: Some("on".into()),
            ..Fields::default()
        }
    }

    fn of(m: &Mailbox) -> Fields {
        Fields {
            name: m.name.clone(),
            protocol: m.protocol.clone(),
            host: m.host.clone(),
            port: m.port.to_string(),
            tls: m.tls.clone(),
            tls_verify: m.tls_verify.then(|| "on".into()),
            plain_understood: (m.tls == "plain").then(|| "on".into()),
            username: m.username.clone(),
            password: String::new(),
            folder: m.folder.clone(),
            after_fetch: m.after_fetch.clone(),
            move_to: m.move_to.clone(),
            poll_secs: m.poll_secs.to_string(),
            department_id: m.department_id.map(|d| d.to_string()).unwrap_or_default(),
            category_id: m.category_id.map(|d| d.to_string()).unwrap_or_default(),
            priority: m.priority.clone(),
            reply_address: m.reply_address.clone(),
            unknown_senders: m.unknown_senders.clone(),
            enabled: m.enabled.then(|| "on".into()),
        }
    }

    fn input(&self) -> AppResult<MailboxInput> {
        let port = match self.port.trim() {
            "" => None,
            v => Some(
                v.parse()
                    .map_err(|_| AppError::invalid("port", "must be between 1 and 65535"))?,
            ),
        };
        let poll_secs = match self.poll_secs.trim() {
            "" => None,
            v => Some(v.parse().map_err(|_| {
                AppError::invalid("poll_secs", "must be between 10 and 3600 seconds")
            })?),
        };
        Ok(MailboxInput {
            name: self.name.clone(),
            protocol: self.protocol.clone(),
            host: self.host.clone(),
            port,
            tls: self.tls.clone(),
            tls_verify: self.tls_verify.is_some(),
            plain_understood: self.plain_understood.is_some(),
            username: self.username.clone(),
            password: self.password.clone(),
            folder: Some(self.folder.clone()).filter(|f| !f.trim().is_empty()),
            after_fetch: self.after_fetch.clone(),
            move_to: self.move_to.clone(),
            poll_secs,
            department_id: number("department_id", &self.department_id)?,
            category_id: number("category_id", &self.category_id)?,
            priority: Some(self.priority.clone()).filter(|p| !p.is_empty()),
            reply_address: self.reply_address.clone(),
            unknown_senders: Some(self.unknown_senders.clone()).filter(|p| !p.is_empty()),
            enabled: self.enabled.is_some(),
        })
    }
}

pub async fn list(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Query(q): Query<Msg>,
) -> AppResult<Response> {
    let items = service::list(&state, &actor).await?;
    let quarantined = service::quarantine(&state, &actor).await?.len();
    let page = ListPage {
        shell: Shell::new(&state, &ctx, "mailboxes").with_flash(flash(q.msg.as_deref())),
        items: &items,
        quarantined,
    };
    form_page(&page, None)
}

#[allow(clippy::too_many_arguments)]
async fn render(
    state: &AppState,
    ctx: &WebCtx,
    actor: &Actor,
    mailbox: Option<&Mailbox>,
    values: &Fields,
    err: Option<&AppError>,
    test: Option<&TestResult>,
    msg: Option<&str>,
) -> AppResult<Response> {
    // Only a settings manager reaches the form (a new one has nothing else to ask).
    service::list(state, actor).await?;
    let departments = crate::departments::service::all(state).await?;
    let categories = crate::categories::service::all_cached(state).await?;
    let page = FormPage {
        shell: Shell::new(state, ctx, "mailboxes").with_flash(flash(msg)),
        mailbox,
        values,
        errors: translated_field_errors(state, ctx, err),
        departments: &departments,
        categories: &categories,
        test,
    };
    form_page(&page, err)
}

pub async fn new(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
) -> AppResult<Response> {
    let values = Fields::new_mailbox();
    render(&state, &ctx, &actor, None, &values, None, None, None).await
}

pub async fn edit(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
    Query(q): Query<Msg>,
) -> AppResult<Response> {
    let m = service::get(&state, &actor, id).await?;
    let values = Fields::of(&m);
    render(
        &state,
        &ctx,
        &actor,
        Some(&m),
        &values,
        None,
        None,
        q.msg.as_deref(),
    )
    .await
}

async fn save(
    state: AppState,
    ctx: WebCtx,
    actor: Actor,
    id: Option<i64>,
    f: Fields,
) -> AppResult<Response> {
    let result = match f.input() {
        Ok(input) => service::save(&state, &actor, id, input).await,
        Err(e) => Err(e),
    };
    match submitted_unique(result, "name")? {
        Submitted::Done(m) => see_other(&format!("/admin/mailboxes/{}?msg=saved", m.id)),
        Submitted::Again(e) => {
            let stored = match id {
                Some(id) => Some(service::get(&state, &actor, id).await?),
                None => None,
            };
            let mut f = f;
            f.password.clear();
            render(
                &state,
                &ctx,
                &actor,
                stored.as_ref(),
                &f,
                Some(&e),
                None,
                None,
            )
            .await
        }
    }
}

pub async fn create(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Form(f): Form<Fields>,
) -> AppResult<Response> {
    save(state, ctx, actor, None, f).await
}

pub async fn update(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
    Form(f): Form<Fields>,
) -> AppResult<Response> {
    save(state, ctx, actor, Some(id), f).await
}

pub async fn test(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let result = service::test(&state, &actor, id).await?;
    let m = service::get(&state, &actor, id).await?;
    let values = Fields::of(&m);
    render(
        &state,
        &ctx,
        &actor,
        Some(&m),
        &values,
        None,
        Some(&result),
        None,
    )
    .await
}

pub async fn fetch_now(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    // A failed round is shown on the page as the mailbox's last error.
    match service::fetch_now(&state, &actor, id).await {
        Ok(_) | Err(AppError::Conflict(_)) => {
            see_other(&format!("/admin/mailboxes/{id}?msg=fetched"))
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct Choice {
    #[serde(default)]
    pub choice: String,
}

pub async fn first_fetch(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
    Form(c): Form<Choice>,
) -> AppResult<Response> {
    service::choose_first_fetch(&state, &actor, id, &c.choice).await?;
    see_other(&format!("/admin/mailboxes/{id}?msg=saved"))
}

pub async fn delete(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    service::delete(&state, &actor, id).await?;
    see_other("/admin/mailboxes?msg=deleted")
}

pub async fn quarantine(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Query(q): Query<Msg>,
) -> AppResult<Response> {
    let items = service::quarantine(&state, &actor).await?;
    let page = QuarantinePage {
        shell: Shell::new(&state, &ctx, "mailboxes").with_flash(flash(q.msg.as_deref())),
        items: &items,
    };
    form_page(&page, None)
}

pub async fn retry(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let done = service::retry(&state, &actor, id).await?;
    match done.ticket_id {
        Some(t) => see_other(&format!("/tickets/{t}")),
        None => see_other("/admin/mail/quarantine?msg=retried"),
    }
}

pub async fn discard(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    service::discard(&state, &actor, id).await?;
    see_other("/admin/mail/quarantine?msg=deleted")
}

/// The original message, for staff on the ticket page and for the quarantine.
pub async fn original(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let bytes = service::original(&state, &actor, id).await?;
    Ok(super::api::eml_response(id, bytes).into_response())
}

pub fn pages() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/admin/mailboxes", get(list).post(create))
        .route("/admin/mailboxes/new", get(new))
        .route("/admin/mailboxes/{id}", get(edit).post(update))
        .route("/admin/mailboxes/{id}/test", post(test))
        .route("/admin/mailboxes/{id}/fetch", post(fetch_now))
        .route("/admin/mailboxes/{id}/first-fetch", post(first_fetch))
        .route("/admin/mailboxes/{id}/delete", post(delete))
        .route("/admin/mail/quarantine", get(quarantine))
        .route("/admin/mail/quarantine/{id}/retry", post(retry))
        .route("/admin/mail/quarantine/{id}/delete", post(discard))
        .route("/mail/{id}/original", get(original))
}
