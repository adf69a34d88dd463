//! The desktop helper's own state, in the user's profile (never the service's config): the
//! server, the link's credential, the hotkey and capture choices, and where the offline queue
//! lives. One OS account, one file; nothing here is a password.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use piket_agent::failure::Failure;

/// Contents of `desktop.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DesktopSettings {
    /// Base URL of the Piket server.
    pub server: String,
    /// `dsk_…`: this account's link, once asked for.
    pub link_key: String,
    pub secret: String,
    /// The global hotkey, e.g. `F8` or `ctrl+shift+F9`.
    pub hotkey: String,
    /// `all` (every monitor) or `pointer` (the monitor under the mouse pointer).
    pub capture: String,
    /// The linked user, as the server last said (shown read-only on the form).
    pub user_name: String,
    pub user_email: String,
    /// Categories the server last offered: `(id, name)`.
    pub categories: Vec<(i64, String)>,
}

impl Default for DesktopSettings {
    fn default() -> Self {
        Self {
            server: String::new(),
            link_key: String::new(),
            secret: String::new(),
            hotkey: "F8".into(),
            capture: "all".into(),
            user_name: String::new(),
            user_email: String::new(),
            categories: Vec::new(),
        }
    }
}

impl DesktopSettings {
    /// The `Authorization` value, once a link was asked for.
    pub fn bearer(&self) -> Option<String> {
        (!self.link_key.is_empty() && !self.secret.is_empty())
            .then(|| piket_protocol::desktop::desktop_bearer(&self.link_key, &self.secret))
    }
}

/// Where the helper keeps its files: `PIKET_DESKTOP_DIR` if set (tests, portable installs),
/// else `%LOCALAPPDATA%\Piket Desktop` on Windows (not the roaming `%APPDATA%`: a domain
/// profile would carry the link and the queue to other PCs, whose reports would then name the
/// first PC's device), `~/Library/Application Support/Piket` on macOS and
/// `$XDG_CONFIG_HOME/piket-agent` (or `~/.config/piket-agent`) elsewhere.
pub fn home_dir() -> Result<PathBuf, Failure> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if let Some(dir) = var("PIKET_DESKTOP_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let found = if cfg!(windows) {
        var("LOCALAPPDATA").map(|a| Path::new(&a).join("Piket Desktop"))
    } else if cfg!(target_os = "macos") {
        var("HOME").map(|h| Path::new(&h).join("Library/Application Support/Piket"))
    } else {
        var("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| var("HOME").map(|h| Path::new(&h).join(".config")))
            .map(|base| base.join("piket-agent"))
    };
    found.ok_or_else(|| Failure::general("cannot tell where the helper's files go (no HOME)"))
}

pub fn settings_path(home: &Path) -> PathBuf {
    home.join("desktop.toml")
}

pub fn queue_dir(home: &Path) -> PathBuf {
    home.join("queue")
}

/// Read the settings; a missing file is a first run.
pub fn load(path: &Path) -> Result<DesktopSettings, Failure> {
    match fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text)
            .map_err(|e| Failure::general(format!("{} is not valid: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(DesktopSettings::default()),
        Err(e) => Err(Failure::general(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

/// Write the settings (owner-only, atomically: the agent config's writer).
pub fn save(path: &Path, settings: &DesktopSettings) -> Result<(), Failure> {
    let text = toml::to_string(settings)
        .map_err(|e| Failure::general(format!("cannot encode the settings: {e}")))?;
    piket_agent::config::write_private(path, text.as_bytes())
}

/// The enrolled device of this PC (`dev_…`): the `device-id` file enrollment writes beside the
/// agent's config (readable by everyone), for the service's config (`%ProgramData%\Piket`,
/// `/etc/piket-agent`) or this account's own (`PIKET_AGENT_CONFIG`, or the per-user default).
pub fn device_id() -> String {
    let mut configs: Vec<PathBuf> = Vec::new();
    if let Ok(own) = piket_agent::config::resolve_path(None) {
        configs.push(own);
    }
    if cfg!(windows) {
        let base = std::env::var("ProgramData").unwrap_or_else(|_| r"C:\ProgramData".into());
        configs.push(Path::new(&base).join("Piket").join("config.toml"));
    } else {
        configs.push(PathBuf::from("/etc/piket-agent/config.toml"));
    }
    configs
        .iter()
        .filter_map(|c| fs::read_to_string(piket_agent::config::device_id_path(c)).ok())
        .map(|text| text.trim().to_string())
        .find(|id| id.starts_with(piket_protocol::DEVICE_ID_PREFIX) && id.len() <= 64)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_and_a_missing_file_is_a_first_run() {
        let dir = tempfile::tempdir().unwrap();
        let path = settings_path(dir.path());
        let first = load(&path).unwrap();
        assert_eq!(first.hotkey, "F8");
        assert_eq!(first.bearer(), None);
        let mut s = first;
        s.server = "https://desk.example".into();
        s.link_key = "dsk_abc".into();
        s.secret = "s3cret".into();
        s.categories = vec![(3, "Printers".into())];
        save(&path, &s).unwrap();
        let back = load(&path).unwrap();
        assert_eq!(back, s);
        assert_eq!(back.bearer().as_deref(), Some("Bearer dsk_abc.s3cret"));
        fs::write(&path, "hotkey = [").unwrap();
        assert!(load(&path).is_err());
    }
}
