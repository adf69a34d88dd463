//! `/agent`: the "Download agent" page for everyone signed in: per-platform instructions, the
//! binaries an admin placed in `<data_dir>/downloads/`, and a button that makes a personal
//! single-use enrollment command (the enrolled PC becomes the user's).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::pages::base_url;
use super::tokens;
use crate::auth::actor::Actor;
use crate::auth::extract::WebActor;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::context::WebCtx;
use crate::web::layout::Shell;
use crate::web::render::{html, no_store};

#[derive(Template)]
#[template(path = "agent.html")]
struct AgentPage<'a> {
    shell: Shell<'a>,
    /// The address agents should use.
    base: String,
    email: &'a str,
    downloads: Vec<Download>,
    /// A personal enrollment command just made, shown this once.
    command: Option<String>,
    /// The reader's computers linked to the desktop helper.
    links: Vec<crate::desktop::LinkView>,
}

impl AgentPage<'_> {
    fn linux(&self) -> Option<&Download> {
        download_for(&self.downloads, Os::Linux)
    }
    fn windows(&self) -> Option<&Download> {
        download_for(&self.downloads, Os::Windows)
    }
    fn macos(&self) -> Option<&Download> {
        download_for(&self.downloads, Os::MacOs)
    }
}

/// Largest file served from the downloads folder.
const MAX_DOWNLOAD: u64 = 256 * 1024 * 1024;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Download {
    pub name: String,
    pub size: u64,
}

/// The operating systems the page has steps for.
#[derive(Clone, Copy)]
pub enum Os {
    Linux,
    Windows,
    MacOs,
}

/// Which download is the agent for `os`, by the usual file names (the Windows package
/// `piket-agent-windows-x86_64.zip` before a bare `piket-agent.exe`, `piket-agent-macos`,
/// `piket-agent-darwin-arm64`, `piket-agent` or `…-linux-…`).
pub fn download_for(downloads: &[Download], os: Os) -> Option<&Download> {
    let named = |d: &&Download, words: &[&str]| {
        let name = d.name.to_lowercase();
        words.iter().any(|w| name.contains(w))
    };
    match os {
        Os::Windows => downloads
            .iter()
            .find(|d| named(d, &["windows"]) && d.name.to_lowercase().ends_with(".zip"))
            .or_else(|| {
                downloads
                    .iter()
                    .find(|d| d.name.to_lowercase().ends_with(".exe"))
            }),
        Os::MacOs => downloads
            .iter()
            .find(|d| named(d, &["macos", "darwin", "apple"])),
        Os::Linux => downloads
            .iter()
            .find(|d| named(d, &["linux"]))
            .or_else(|| downloads.iter().find(|d| d.name == "piket-agent")),
    }
}

/// A name we serve: plain file name characters only, no path, no leading dot.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

fn folder(state: &AppState) -> std::path::PathBuf {
    state.config.data_dir.join("downloads")
}

async fn downloads(state: &AppState) -> Vec<Download> {
    let mut out = Vec::new();
    let Ok(mut dir) = tokio::fs::read_dir(folder(state)).await else {
        return out;
    };
    while let Ok(Some(entry)) = dir.next_entry().await {
        let name = entry.file_name().to_string_lossy().to_string();
        let Ok(meta) = entry.metadata().await else {
            continue;
        };
        if meta.is_file() && valid_name(&name) && meta.len() <= MAX_DOWNLOAD {
            out.push(Download {
                name,
                size: meta.len(),
            });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

async fn render(
    state: &AppState,
    ctx: &WebCtx,
    actor: &Actor,
    headers: &HeaderMap,
    command: Option<String>,
) -> AppResult<Response> {
    let page = html(&AgentPage {
        shell: Shell::new(state, ctx, "agent"),
        base: base_url(state, headers),
        email: &actor.email,
        downloads: downloads(state).await,
        command,
        links: crate::desktop::service::mine(state, actor).await?,
    })?;
    Ok(no_store(page.into_response()))
}

pub async fn show(
    State(state): State<AppState>,
    ctx: WebCtx,
    headers: HeaderMap,
    WebActor(actor): WebActor,
) -> AppResult<Response> {
    render(&state, &ctx, &actor, &headers, None).await
}

/// Make a personal single-use token and show its command, once.
pub async fn create_command(
    State(state): State<AppState>,
    ctx: WebCtx,
    headers: HeaderMap,
    WebActor(actor): WebActor,
) -> AppResult<Response> {
    let created = tokens::personal(&state, &actor).await?;
    let command = tokens::command(&base_url(&state, &headers), &created.secret);
    render(&state, &ctx, &actor, &headers, Some(command)).await
}

pub async fn download(
    State(state): State<AppState>,
    WebActor(_actor): WebActor,
    Path(name): Path<String>,
) -> AppResult<Response> {
    if !valid_name(&name) {
        return Err(AppError::NotFound);
    }
    let path = folder(&state).join(&name);
    let meta = tokio::fs::metadata(&path)
        .await
        .map_err(|_| AppError::NotFound)?;
    if !meta.is_file() || meta.len() > MAX_DOWNLOAD {
        return Err(AppError::NotFound);
    }
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|_| AppError::NotFound)?;
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::{download_for, valid_name, Download, Os};

    #[test]
    fn each_system_gets_its_build_and_windows_prefers_the_package() {
        let d = |name: &str| Download {
            name: name.into(),
            size: 1,
        };
        let all = [
            d("piket-agent"),
            d("piket-agent.exe"),
            d("piket-agent-windows-x86_64.zip"),
        ];
        let pick = |os| download_for(&all, os).map(|x| x.name.clone());
        assert_eq!(
            pick(Os::Windows).as_deref(),
            Some("piket-agent-windows-x86_64.zip")
        );
        assert_eq!(pick(Os::Linux).as_deref(), Some("piket-agent"));
        assert_eq!(pick(Os::MacOs), None);
        let exe_only = [d("piket-agent.exe")];
        assert_eq!(
            download_for(&exe_only, Os::Windows).map(|x| x.name.as_str()),
            Some("piket-agent.exe")
        );
    }

    #[test]
    fn only_plain_file_names() {
        assert!(valid_name("piket-agent-linux-x86_64"));
        assert!(valid_name("piket-agent-windows-x86_64.exe"));
        assert!(!valid_name("../piket.db"));
        assert!(!valid_name(".hidden"));
        assert!(!valid_name("a/b"));
        assert!(!valid_name(""));
    }
}
