//! `GET /`: the start page (see `service`).

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::service::{self, Start};
use crate::auth::extract::WebActor;
use crate::error::AppResult;
use crate::state::AppState;
use crate::tickets::TicketSummary;
use crate::web::context::WebCtx;
use crate::web::layout::Shell;
use crate::web::render::html;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    shell: Shell<'a>,
    start: &'a Start,
}

impl HomePage<'_> {
    /// The per-status count, for the staff tiles.
    fn count(&self, status: &str) -> i64 {
        let Some(c) = &self.start.counts else {
            return 0;
        };
        match status {
            "new" => c.new,
            "open" => c.open,
            "pending" => c.pending,
            "resolved" => c.resolved,
            _ => c.closed,
        }
    }

    fn lists(&self) -> [(&'static str, &'static str, &[TicketSummary]); 3] {
        [
            (
                "home_assigned",
                "/tickets?assigned_to=me&status=new,open,pending",
                &self.start.assigned,
            ),
            (
                "home_breached",
                "/tickets?sla=breached",
                &self.start.breached,
            ),
            ("home_at_risk", "/tickets?sla=at_risk", &self.start.at_risk),
        ]
    }
}

pub async fn home(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
) -> AppResult<Response> {
    let start = service::start(&state, &actor).await?;
    Ok(html(&HomePage {
        shell: Shell::new(&state, &ctx, "home"),
        start: &start,
    })?
    .into_response())
}

/// This module's pages.
pub fn pages() -> axum::Router<AppState> {
    axum::Router::new().route("/", axum::routing::get(home))
}
