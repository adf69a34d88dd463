//! The HTTP side of the legacy agent endpoints (`/ocsinventory`, `/plugins/fusioninventory/`,
//! `/front/inventory.php`): read the body under limits, answer in the protocol the agent spoke
//! (XML or JSON, compressed like the request), and hand inventories to the ingest service.
//! Agents sign in with HTTP Basic, an enrollment token as the password (401 with a Basic
//! challenge otherwise); an admin may also accept anonymous reports, or turn them off (403).

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::content::to_inventory;
use super::decode::{self, Encoding, Format};
use super::{glpi_json, ocs_xml, Refusal, MAX_COMPRESSED};
use crate::auth::basic::{self, Basic};
use crate::auth::extract::ClientIp;
use crate::error::{AppError, AppResult};
use crate::inventory::ingest::{self, map::clean, Origin, Trust};
use crate::inventory::settings;
use crate::state::AppState;

/// How often agents are told to come back, in hours.
pub const FREQ_HOURS: u32 = 24;
const AGENT_ID: &str = "glpi-agent-id";

/// How to answer one request.
struct Reply {
    format: Format,
    encoding: Encoding,
    /// The GLPI-Agent-ID to echo, when it looks like one.
    agent_id: Option<HeaderValue>,
}

impl Reply {
    fn send(&self, status: StatusCode, body: &str) -> Response {
        let bytes = decode::compress(self.encoding, body.as_bytes());
        let ct = decode::content_type(self.encoding, self.format);
        let mut response = (status, [(header::CONTENT_TYPE, ct)], bytes).into_response();
        if let Some(id) = &self.agent_id {
            response.headers_mut().insert(AGENT_ID, id.clone());
        }
        response
    }

    fn json(&self, status: StatusCode, v: &serde_json::Value) -> Response {
        self.send(status, &v.to_string())
    }

    fn error(&self, status: StatusCode, message: &str) -> Response {
        match self.format {
            Format::Xml => self.send(status, &ocs_xml::error_reply(message)),
            Format::Json => self.json(status, &glpi_json::error_reply(message)),
        }
    }

    /// 401 with the challenge that makes agents send their user and password.
    fn challenge(&self) -> Response {
        let mut r = self.error(
            StatusCode::UNAUTHORIZED,
            "Authentication required: the password is an enrollment token",
        );
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(basic::CHALLENGE),
        );
        r
    }

    fn refuse(&self, r: Refusal) -> Response {
        match r {
            Refusal::TooLarge(m) => self.error(StatusCode::PAYLOAD_TOO_LARGE, m),
            Refusal::Bad(m) => self.error(StatusCode::BAD_REQUEST, &m),
        }
    }
}

fn agent_id(headers: &HeaderMap) -> Option<HeaderValue> {
    let v = headers.get(AGENT_ID)?;
    let s = v.to_str().ok()?;
    let ok =
        !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    ok.then(|| v.clone())
}

/// Read and drop a body, at most `limit` bytes, keeping none of it in memory: an unsigned
/// client must not make the server hold megabytes before it is even asked to sign in.
async fn drain(body: Body, limit: usize) {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    let mut seen = 0usize;
    while let Some(Ok(chunk)) = stream.next().await {
        seen += chunk.len();
        if seen > limit {
            break;
        }
    }
}

/// `GET`: say what this URL is (agents only POST).
pub async fn info() -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "Piket inventory endpoint for FusionInventory, OCS and GLPI agents (POST).\n",
    )
        .into_response()
}

/// `POST`: one agent request in either protocol.
pub async fn receive(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let agent_id = agent_id(&headers);
    let mut reply = Reply {
        format: if agent_id.is_some() || ct.to_ascii_lowercase().contains("json") {
            Format::Json
        } else {
            Format::Xml
        },
        encoding: Encoding::Plain,
        agent_id,
    };
    let trust = match trust(&state, &ip, &headers).await {
        Ok(Admission::Trusted(t)) => t,
        Ok(Admission::Off) => {
            return reply.error(
                StatusCode::FORBIDDEN,
                "Agent inventory is turned off on this server",
            )
        }
        Ok(Admission::Refused) => {
            // Agents send a report without credentials first and again with them after the
            // challenge. Read the body (bounded) before answering: a connection closed while the
            // agent is still sending a large report resets it, and the agent loses the 401 and
            // never retries (seen with the real fusioninventory-agent under load).
            drain(body, MAX_COMPRESSED).await;
            return reply.challenge();
        }
        Ok(Admission::Limited) => {
            return reply.error(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many failed sign-ins; try again later",
            )
        }
        Err(e) => return e.into_response(),
    };
    let Ok(bytes) = axum::body::to_bytes(body, MAX_COMPRESSED).await else {
        return reply.refuse(Refusal::TooLarge("The request body is too large"));
    };
    reply.encoding = decode::encoding_of(&ct, &bytes);
    let data = match decode::decompress(reply.encoding, &bytes) {
        Ok(d) => d,
        Err(r) => return reply.refuse(r),
    };
    drop(bytes);
    match decode::format_of(&ct, &data) {
        Some(Format::Xml) => {
            reply.format = Format::Xml;
            ocs(&state, &ip, &reply, trust, &data).await
        }
        Some(Format::Json) => {
            reply.format = Format::Json;
            glpi(&state, &ip, &reply, trust, &headers, &data).await
        }
        None => reply.refuse(Refusal::bad("The body is neither XML nor JSON")),
    }
}

/// Whether a request may report at all, before its body is read.
enum Admission {
    Trusted(Trust),
    /// The endpoints are off.
    Off,
    /// No credentials (and anonymous reports are off), or wrong ones: answer with a challenge.
    Refused,
    /// Too many wrong credentials from this address lately.
    Limited,
}

async fn trust(state: &AppState, ip: &str, headers: &HeaderMap) -> AppResult<Admission> {
    let now = state.now();
    let mut conn = state.db.pool.acquire().await?;
    let config = settings::load(&mut conn).await?;
    if !config.legacy_agents {
        return Ok(Admission::Off);
    }
    let password = match basic::credentials(headers) {
        Basic::Absent if config.anonymous_agents => {
            return Ok(Admission::Trusted(Trust::Anonymous))
        }
        Basic::Absent => return Ok(Admission::Refused),
        Basic::Malformed => None,
        Basic::Given { password, .. } => Some(password),
    };
    // Wrong passwords count towards the limit enrollment uses; past it nothing is looked up.
    if state.enroll_limiter.check(ip, now).is_err() {
        return Ok(Admission::Limited);
    }
    let scope = match password {
        Some(p) => crate::agents::tokens::scope(&mut conn, &p, now).await?,
        None => None,
    };
    match scope {
        Some(s) => Ok(Admission::Trusted(Trust::Token(s))),
        None => {
            let _ = state.enroll_limiter.hit(ip, now);
            Ok(Admission::Refused)
        }
    }
}

/// The department a report that creates an asset puts it in: the token's.
fn department_of(trust: &Trust) -> Option<i64> {
    match trust {
        Trust::Token(t) => t.department_id,
        _ => None,
    }
}

async fn store(
    state: &AppState,
    reply: &Reply,
    origin: Origin,
    content: &super::content::Content,
    partial: bool,
) -> Option<Response> {
    let mut inventory = to_inventory(content);
    let result = match partial {
        true => super::partial::complete(state, &origin, content, &mut inventory).await,
        false => Ok(()),
    };
    let result = match result {
        Ok(()) => ingest::ingest(state, &origin, &inventory).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(done) => {
            tracing::info!(
                asset = done.asset_id,
                created = done.created,
                changed = done.changed,
                source = origin.kind,
                "agent inventory"
            );
            None
        }
        Err(AppError::Unauthorized) => {
            tracing::warn!(source = origin.kind, "agent inventory refused: credentials");
            Some(reply.challenge())
        }
        Err(e) => {
            tracing::warn!(error = %e, source = origin.kind, "agent inventory refused");
            let status = e.into_response().status();
            Some(reply.error(status, "The inventory could not be stored"))
        }
    }
}

async fn ocs(state: &AppState, ip: &str, reply: &Reply, trust: Trust, data: &[u8]) -> Response {
    let req = match ocs_xml::parse(data) {
        Ok(r) => r,
        Err(r) => return reply.refuse(r),
    };
    let deviceid = clean(&req.deviceid);
    match req.query.as_str() {
        "PROLOG" => reply.send(StatusCode::OK, &ocs_xml::prolog_reply(FREQ_HOURS)),
        "INVENTORY" => {
            if deviceid.is_empty() {
                return reply.refuse(Refusal::bad("DEVICEID is required"));
            }
            if req.content.sections.is_empty() {
                return reply.refuse(Refusal::bad("CONTENT is required"));
            }
            let origin = Origin {
                kind: "fusioninventory",
                label: clean(&format!("FusionInventory agent {deviceid}")),
                identity: Some(deviceid),
                asset: None,
                department_id: department_of(&trust),
                trust,
                ip: ip.to_string(),
            };
            match store(state, reply, origin, &req.content, false).await {
                Some(err) => err,
                None => reply.send(StatusCode::OK, &ocs_xml::inventory_reply()),
            }
        }
        _ => reply.send(StatusCode::OK, &ocs_xml::empty_reply()),
    }
}

async fn glpi(
    state: &AppState,
    ip: &str,
    reply: &Reply,
    trust: Trust,
    headers: &HeaderMap,
    data: &[u8],
) -> Response {
    let req = match glpi_json::parse(data) {
        Ok(r) => r,
        Err(r) => return reply.refuse(r),
    };
    let mut deviceid = clean(&req.deviceid);
    if deviceid.is_empty() {
        if let Some(id) = reply
            .agent_id
            .as_ref()
            .or(headers.get(AGENT_ID))
            .and_then(|v| v.to_str().ok())
        {
            deviceid = clean(id);
        }
    }
    match req.action.as_str() {
        "contact" => reply.json(StatusCode::OK, &glpi_json::contact_reply(FREQ_HOURS)),
        "inventory" => {
            if deviceid.is_empty() {
                return reply.refuse(Refusal::bad("deviceid is required"));
            }
            if req.content.sections.is_empty() {
                return reply.refuse(Refusal::bad("content is required"));
            }
            let origin = Origin {
                kind: "glpi",
                label: clean(&format!("GLPI agent {deviceid}")),
                identity: Some(deviceid),
                asset: None,
                department_id: department_of(&trust),
                trust,
                ip: ip.to_string(),
            };
            match store(state, reply, origin, &req.content, req.partial).await {
                Some(err) => err,
                None => reply.json(StatusCode::OK, &glpi_json::inventory_reply(FREQ_HOURS)),
            }
        }
        "" => reply.refuse(Refusal::bad("action is required")),
        _ => reply.refuse(Refusal::bad("Unknown action")),
    }
}
