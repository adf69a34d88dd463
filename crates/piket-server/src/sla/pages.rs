//! The admin page `/admin/sla`: targets per priority, working hours and holidays.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;

use super::model::DAYS;
use super::{service, Calendar, Holiday, PolicyInput, WorkingHours};
use crate::auth::actor::Actor;
use crate::auth::extract::WebActor;
use crate::auth::pages::Msg;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::tickets::PRIORITIES;
use crate::web::context::WebCtx;
use crate::web::layout::Shell;
use crate::web::render::{flash, html, translated_field_errors};

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

/// The form's text, by input name, as typed (so a failed form comes back as it was sent).
type Values = BTreeMap<String, String>;

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
    posted: Option<(&Values, &AppError)>,
    msg: Option<&str>,
) -> AppResult<Response> {
    actor.require("settings.manage")?;
    // Every input has a value (empty for a day off), so the template never prints undefined.
    let mut values: Values = DAYS
        .iter()
        .flat_map(|d| [format!("start.{d}"), format!("end.{d}")])
        .map(|k| (k, String::new()))
        .collect();
    values.extend(policy_values(&service::policies(state, actor).await?));
    values.extend(calendar_values(&service::calendar(state, actor).await?));
    let mut errors = BTreeMap::new();
    if let Some((sent, err)) = posted {
        values.extend(sent.iter().map(|(k, v)| (k.clone(), v.clone())));
        errors = translated_field_errors(state, ctx, Some(err));
    }
    let status = if posted.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let body = html(&SlaPage {
        shell: Shell::new(state, ctx, "sla").with_flash(flash(msg)),
        priorities: PRIORITIES,
        days: &DAYS,
        values,
        errors,
        job: service::escalation_job(state, actor).await?,
    })?;
    Ok((status, body).into_response())
}

pub async fn show(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Query(q): Query<Msg>,
) -> AppResult<Response> {
    render(&state, &ctx, &actor, None, q.msg.as_deref()).await
}

fn form_values(pairs: Vec<(String, String)>) -> Values {
    pairs.into_iter().filter(|(k, _)| k != "_csrf").collect()
}

/// Blank is `None`; anything but a whole number is a field error.
fn minutes(
    errors: &mut Vec<crate::error::FieldError>,
    field: &str,
    text: Option<&String>,
) -> Option<i64> {
    let t = text.map(|t| t.trim()).unwrap_or("");
    if t.is_empty() {
        return None;
    }
    match t.parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.push(crate::error::FieldError::new(
                field,
                "must be a whole number of minutes",
            ));
            None
        }
    }
}

async fn outcome(
    state: &AppState,
    ctx: &WebCtx,
    actor: &Actor,
    values: &Values,
    result: AppResult<()>,
) -> AppResult<Response> {
    match result {
        Ok(()) => Ok(Redirect::to("/admin/sla?msg=saved").into_response()),
        Err(e @ AppError::Invalid(_)) => render(state, ctx, actor, Some((values, &e)), None).await,
        Err(e) => Err(e),
    }
}

pub async fn save_policies(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let values = form_values(pairs);
    let mut errors = Vec::new();
    let mut inputs = Vec::new();
    for (rank, p) in PRIORITIES.iter().enumerate() {
        let first = format!("first_response_minutes.{p}");
        let resolution = format!("resolution_minutes.{p}");
        let input = PolicyInput {
            first_response_minutes: minutes(&mut errors, &first, values.get(&first)),
            resolution_minutes: minutes(&mut errors, &resolution, values.get(&resolution)),
        };
        inputs.push((rank as i64, input));
    }
    let result = if errors.is_empty() {
        service::set_policies(&state, &actor, &inputs)
            .await
            .map(|_| ())
    } else {
        Err(AppError::Invalid(errors))
    };
    outcome(&state, &ctx, &actor, &values, result).await
}

pub async fn save_calendar(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let values = form_values(pairs);
    let text = |k: &str| {
        values
            .get(k)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let mut errors = Vec::new();
    let offset = minutes(
        &mut errors,
        "utc_offset_minutes",
        values.get("utc_offset_minutes"),
    );
    let hours = DAYS
        .iter()
        .filter_map(|d| {
            let (start, end) = (text(&format!("start.{d}")), text(&format!("end.{d}")));
            (!start.is_empty() || !end.is_empty()).then(|| WorkingHours {
                day: (*d).to_string(),
                start,
                end,
            })
        })
        .collect();
    let holidays = text("holidays")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (date, name) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            Holiday {
                date: date.to_string(),
                name: name.trim().to_string(),
            }
        })
        .collect();
    if text("utc_offset_minutes").is_empty() {
        errors.push(crate::error::FieldError::new(
            "utc_offset_minutes",
            "is required",
        ));
    }
    let input = Calendar {
        utc_offset_minutes: offset.unwrap_or(420),
        hours,
        holidays,
    };
    let result = if errors.is_empty() {
        service::set_calendar(&state, &actor, input)
            .await
            .map(|_| ())
    } else {
        Err(AppError::Invalid(errors))
    };
    outcome(&state, &ctx, &actor, &values, result).await
}

/// This module's pages.
pub fn pages() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/admin/sla", get(show))
        .route("/admin/sla/policies", post(save_policies))
        .route("/admin/sla/calendar", post(save_calendar))
}
