//! The asset's page, a read view (issue #19): a summary with the warranty flagged (expired,
//! ending within 30 days, fine), hardware, software, licences, tickets and the history with
//! people by name, and an Edit button to the form (`/inventory/{id}/edit`) for those who may
//! write. Revealing the credential answers with this page; the form never shows it.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;

use super::asset_view::{HistoryLine, Warranty, Who};
use super::software::licenses::{self, Compliance};
use super::{service, Hardware};
use crate::auth::actor::Actor;
use crate::auth::extract::WebActor;
use crate::auth::pages::Msg;
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::context::WebCtx;
use crate::web::form_flow::form_page;
use crate::web::layout::Shell;
use crate::web::render::flash;

#[derive(Template)]
#[template(path = "inventory/asset.html")]
struct AssetPage<'a> {
    shell: Shell<'a>,
    asset: &'a Hardware,
    warranty: Warranty,
    history: &'a [HistoryLine],
    software: &'a [super::software::Installation],
    licenses: &'a [Compliance],
    tickets: &'a [crate::tickets::TicketSummary],
    can_read_tickets: bool,
    /// Licences are listed for those who read the inventory (an owner reading their own
    /// device does not).
    can_read_licenses: bool,
    /// Where the last agent report came from, and when.
    last_report: Option<(String, String)>,
    suggestions: &'a [super::suggestions::Suggestion],
    can_write: bool,
    can_reveal: bool,
    /// The credential, on the answer to "reveal" only.
    revealed: Option<String>,
}

impl AssetPage<'_> {
    /// Whether any hardware detail is recorded (else the section says there is none).
    fn has_hardware(&self) -> bool {
        let a = self.asset;
        a.ram_mb.is_some()
            || [
                &a.manufacturer,
                &a.model,
                &a.serial,
                &a.cpu,
                &a.storage,
                &a.os,
                &a.hostname,
                &a.ip_addresses,
                &a.mac_addresses,
                &a.jenis,
            ]
            .iter()
            .any(|v| !v.is_empty())
    }

    /// The author of a history entry in the reader's language.
    fn who(&self, who: &Who) -> String {
        match who {
            Who::Person(name) => name.clone(),
            Who::FormerUser => self.shell.t("inv_who_former").to_string(),
            Who::Collector(Some(name)) => format!("{} ({name})", self.shell.t("inv_who_collector")),
            Who::Collector(None) => self.shell.t("inv_who_collector").to_string(),
            Who::Program(label) => label.clone(),
        }
    }
}

async fn render(
    state: &AppState,
    ctx: &WebCtx,
    actor: &Actor,
    asset: &Hardware,
    msg: Option<&str>,
    revealed: Option<String>,
) -> AppResult<Response> {
    let rights = service::rights(actor);
    let history = service::history_named(state, actor, asset.id).await?;
    let software = super::software::service::installed(state, actor, asset.id).await?;
    let licenses = licenses::of_device(state, actor, asset.id).await?;
    let tickets = match rights.tickets {
        true => crate::tickets::assets::tickets_of(state, actor, asset.id).await?,
        false => Vec::new(),
    };
    let page = AssetPage {
        shell: Shell::new(state, ctx, "inventory").with_flash(flash(msg)),
        asset,
        warranty: service::warranty(state, asset),
        history: &history,
        software: &software,
        licenses: &licenses,
        tickets: &tickets,
        can_read_tickets: rights.tickets,
        can_read_licenses: rights.read,
        last_report: service::last_report(state, actor, asset.id).await?,
        suggestions: &super::suggestions::of_asset(state, actor, asset.id).await?,
        can_write: rights.write,
        can_reveal: rights.reveal,
        revealed,
    };
    form_page(&page, None)
}

pub async fn show(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
    Query(q): Query<Msg>,
) -> AppResult<Response> {
    let asset = service::get(&state, &actor, id).await?;
    render(&state, &ctx, &actor, &asset, q.msg.as_deref(), None).await
}

pub async fn reveal(
    State(state): State<AppState>,
    ctx: WebCtx,
    WebActor(actor): WebActor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let (secret, status) =
        crate::secrets::pages::revealed(service::reveal(&state, &actor, id).await)?;
    let asset = service::get(&state, &actor, id).await?;
    let msg = secret
        .is_none()
        .then_some(crate::secrets::pages::UNREADABLE_FLASH);
    let mut response = render(&state, &ctx, &actor, &asset, msg, secret).await?;
    *response.status_mut() = status;
    Ok(crate::web::render::no_store(response))
}
