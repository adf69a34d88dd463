//! The admin page `/admin/sla`: targets per priority, working hours and holidays.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::Form;

use super::model::{FormText, DAYS};
use super::{service, Calendar};
use crate::auth::actor::Actor;
use crate::auth::extract::WebActor;
use crate::auth::pages::Msg;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::tickets::PRIORITIES;
use crate::web::context::WebCtx;
use crate::web::form_flow::{form_page, see_other, submitted, Submitted};
use crate::web::layout::Shell;
use crate::web::render::{flash, translated_field_errors};

#[derive(Template)]
#[template(path = "admin/sla.html")]
struct SlaPage<'a> {
    shell: Shell<'a>,
    priorities: &'static [&'static str],
    days: &'static [&'static str],
    values: Values,
    errors: BTreeMap<String, String>,
    job: Option<service::JobStatus>,
}

impl SlaPage<'_> {
    /// The text of input `prefix` + `name`, as stored or as typed.
    fn value(&self, prefix: &str, name: impl std::fmt::Display) -> &str {
        self.values
            .get(&format!("{prefix}{name}"))
            .map(String::as_str)
            .unwrap_or("")
    }

    /// The field error of input `prefix` + `name`, if any.
    fn error(&self, prefix: &str, name: impl std::fmt::Display) -> Option<&str> {
        self.errors
            .get(&format!("{prefix}{name}"))
            .map(String::as_str)
    }
}

/// The form's text, by input name, as stored or as typed (so a failed form comes back as it
/// was sent).
type Values = FormText;

fn policy_values(policies: &[super::Policy]) -> Values {
    let mut v = Values::new();
    for p in policies {
        let text = |m: Option<i64>| m.map(|m| m.to_string()).unwrap_or_default();
        v.insert(
            format!("first_response_minutes.{}", p.priority),
            text(p.first_response_minutes),
        );
        v.insert(
            format!("resolution_minutes.{}", p.priority),
            text(p.resolution_minutes),
        );
    }
    v
}

fn calendar_values(c: &Calendar) -> Values {
    let mut v = Values::new();
    v.insert(
        "utc_offset_minutes".into(),
        c.utc_offset_minutes.to_string(),
    );
    for h in &c.hours {
        v.insert(format!("start.{}", h.day), h.start.clone());
        v.insert(format!("end.{}", h.day), h.end.clone());
    }
    let holidays: Vec<String> = c
        .holidays
        .iter()
        .map(|h| format!("{} {}", h.date, h.name).trim().to_string())
        .collect();
    v.insert("holidays".into(), holidays.join("\n"));
    v
}

async fn render(
    state: &AppState,
    ctx: &WebCtx,
    actor: &Actor,
    posted: Option<(&FormText, &AppError)>,
    msg: Option<&str>,
) -> AppResult<Response> {
    let view = service::admin_view(state, actor).await?;
    // Every input has a value (empty for a day off), so the template never prints undefined.
    let mut values: Values = DAYS
        .iter()
        .flat_map(|d| [format!("start.{d}"), format!("end.{d}")])
        .map(|k| (k, String::new()))
        .collect();
    values.extend(policy_values(&view.policies));
    values.extend(calendar_values(&view.calendar));
    let mut errors = BTreeMap::new();
    if let Some((sent, err)) = posted {
        values.extend(sent.iter().map(|(k, v)| (k.clone(), v.clone())));
        errors = translated_field_errors(state, ctx, Some(err));
    }
    let page = SlaPage {
        shell: Shell::new(state, ctx, "sla").with_flash(flash(msg)),
        priorities: PRIORITIES,
        days: &DAYS,
        values,
        errors,
        job: view.job,
    };
    form_page(&page, posted.map(|(_, err)| err))
}

pub async fn show(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Query(q): Query<Msg>,
) -> AppResult<Response> {
    render(&state, &ctx, &actor, None, q.msg.as_deref()).await
}

/// The forms post text by input name (names made from the priority and day lists, each once);
/// the service reads the numbers and dates in them.
pub async fn save_policies(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Form(typed): Form<FormText>,
) -> AppResult<Response> {
    match submitted(service::set_policies_typed(&state, &actor, &typed).await)? {
        Submitted::Done(_) => see_other("/admin/sla?msg=saved"),
        Submitted::Again(e) => render(&state, &ctx, &actor, Some((&typed, &e)), None).await,
    }
}

pub async fn save_calendar(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Form(typed): Form<FormText>,
) -> AppResult<Response> {
    match submitted(service::set_calendar_typed(&state, &actor, &typed).await)? {
        Submitted::Done(_) => see_other("/admin/sla?msg=saved"),
        Submitted::Again(e) => render(&state, &ctx, &actor, Some((&typed, &e)), None).await,
    }
}

/// The page's one form: targets and calendar together.
pub async fn save(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Form(typed): Form<FormText>,
) -> AppResult<Response> {
    match submitted(service::set_all_typed(&state, &actor, &typed).await)? {
        Submitted::Done(()) => see_other("/admin/sla?msg=saved"),
        Submitted::Again(e) => render(&state, &ctx, &actor, Some((&typed, &e)), None).await,
    }
}

/// This module's pages.
pub fn pages() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/admin/sla", get(show).post(save))
        .route("/admin/sla/policies", post(save_policies))
        .route("/admin/sla/calendar", post(save_calendar))
}
