//! The admin page for the collector endpoint (switch it off, or demand an enrollment token) and
//! the FusionInventory/OCS/GLPI agent endpoints (off, or open to anonymous reports).

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

use super::settings::{self, AgentSwitches, CollectorSettings, TokenChange};
use crate::auth::extract::WebActor;
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::context::WebCtx;
use crate::web::layout::Shell;
use crate::web::render::html;

#[derive(Template)]
#[template(path = "admin/collector.html")]
struct CollectorPage<'a> {
    shell: Shell<'a>,
    settings: &'a CollectorSettings,
    /// A token just made, shown this once.
    fresh_token: Option<String>,
    /// The collector's address.
    endpoint: String,
    /// Where FusionInventory/OCS agents report.
    agents_endpoint: String,
}

fn render(
    state: &AppState,
    ctx: &WebCtx,
    s: &CollectorSettings,
    fresh: Option<String>,
    saved: bool,
) -> AppResult<Response> {
    let base = state.config.base_url.trim_end_matches('/');
    let response = html(&CollectorPage {
        shell: Shell::new(state, ctx, "collector").with_flash(saved.then(|| "flash_saved".into())),
        settings: s,
        fresh_token: fresh,
        endpoint: format!("{base}/api/update-main-device"),
        agents_endpoint: format!("{base}/ocsinventory"),
    })?
    .into_response();
    Ok(crate::web::render::no_store(response))
}

pub async fn show(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
) -> AppResult<Response> {
    let s = settings::get(&state, &actor).await?;
    render(&state, &ctx, &s, None, false)
}

#[derive(Deserialize)]
pub struct Fields {
    #[serde(default)]
    pub enabled: Option<String>,
    #[serde(default)]
    pub legacy_agents: Option<String>,
    #[serde(default)]
    pub anonymous_agents: Option<String>,
    /// `keep`, `generate` or `remove`.
    #[serde(default)]
    pub token: String,
}

pub async fn save(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Form(f): Form<Fields>,
) -> AppResult<Response> {
    let change = match f.token.as_str() {
        "generate" => TokenChange::Generate,
        "remove" => TokenChange::Remove,
        _ => TokenChange::Keep,
    };
    let (s, fresh) = settings::save(
        &state,
        &actor,
        f.enabled.is_some(),
        AgentSwitches {
            legacy_agents: f.legacy_agents.is_some(),
            anonymous_agents: f.anonymous_agents.is_some(),
        },
        change,
    )
    .await?;
    render(&state, &ctx, &s, fresh, true)
}
