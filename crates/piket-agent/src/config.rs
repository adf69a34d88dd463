//! The agent's config file: where the server is, the device identity and secret it was given at
//! enrollment, and what it last reported. Written with owner-only permissions.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::failure::Failure;

/// Contents of `config.toml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentConfig {
    /// Base URL of the Piket server, e.g. `https://piket.example.com`.
    pub server: String,
    /// `dev_…`, from enrollment.
    pub device_id: String,
    /// The device secret, from enrollment.
    pub secret: String,
    /// Hours between reports in `run` mode, set by the admin of this machine; wins over the
    /// server's suggestion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_hours: Option<u32>,
    /// Hours between reports the server last asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_interval_hours: Option<u32>,
    /// Fingerprint of the last inventory the server acknowledged.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub last_fingerprint: String,
    /// When that report was acknowledged (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_report_unix: Option<u64>,
}

/// Where the config lives on Unix-likes when neither `--config` nor `PIKET_AGENT_CONFIG` says
/// otherwise: `/etc/piket-agent/config.toml` for root, else under `$XDG_CONFIG_HOME` or
/// `~/.config`. Windows: [`windows_default_path`].
#[cfg_attr(windows, allow(dead_code))]
pub fn default_path(
    is_root: bool,
    xdg_config_home: Option<&str>,
    home: Option<&str>,
) -> Option<PathBuf> {
    if is_root {
        return Some(PathBuf::from("/etc/piket-agent/config.toml"));
    }
    let base = match (xdg_config_home.filter(|s| !s.is_empty()), home) {
        (Some(xdg), _) => PathBuf::from(xdg),
        (None, Some(home)) if !home.is_empty() => Path::new(home).join(".config"),
        _ => return None,
    };
    Some(base.join("piket-agent").join("config.toml"))
}

/// Where the config lives on Windows by default: the machine's `%ProgramData%\Piket\config.toml`
/// for a process that may change machine-wide settings (an elevated prompt, SYSTEM), else the
/// user's own `%APPDATA%\Piket\config.toml`, so an unelevated run neither fails on the
/// machine's locked-down file nor enrolls over it. The installed service does not rely on this:
/// its scheduled task passes `--config` explicitly.
#[cfg_attr(not(windows), allow(dead_code))]
pub fn windows_default_path(
    elevated: bool,
    program_data: Option<&str>,
    app_data: Option<&str>,
) -> Option<PathBuf> {
    let base = if elevated {
        program_data
            .filter(|s| !s.is_empty())
            .unwrap_or(r"C:\ProgramData")
    } else {
        app_data.filter(|s| !s.is_empty())?
    };
    Some(Path::new(base).join("Piket").join("config.toml"))
}

/// Whether this process may change machine-wide settings, tested the way Windows itself
/// decides it: by asking for write access to `HKLM\SOFTWARE`, which only administrators (with
/// an elevated token) and SYSTEM get. Nothing is written; no `unsafe` token calls are needed.
#[cfg(windows)]
pub fn running_elevated() -> bool {
    use winreg::enums::{HKEY_LOCAL_MACHINE, KEY_SET_VALUE};
    winreg::RegKey::predef(HKEY_LOCAL_MACHINE)
        .open_subkey_with_flags("SOFTWARE", KEY_SET_VALUE)
        .is_ok()
}

/// The file holding just this device's `dev_…` id (no secret), next to the config file and
/// readable by every local user, so the desktop helper, running as the signed-in user, can name
/// its device without reading the config (which holds the secret).
pub fn device_id_path(config_path: &Path) -> PathBuf {
    config_path.with_file_name("device-id")
}

/// Whether this process runs as root, read from the `Uid:` line of `/proc/self/status`
/// (real uid), falling back to `USER=root` where there is no `/proc`.
#[cfg_attr(windows, allow(dead_code))]
pub fn running_as_root() -> bool {
    if let Ok(status) = fs::read_to_string("/proc/self/status") {
        return uid_from_proc_status(&status) == Some(0);
    }
    std::env::var("USER").is_ok_and(|u| u == "root")
}

/// The real uid from `/proc/self/status` text.
#[cfg_attr(windows, allow(dead_code))]
pub fn uid_from_proc_status(status: &str) -> Option<u32> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The config path to use: `--config`, else `$PIKET_AGENT_CONFIG`, else [`default_path`].
pub fn resolve_path(flag: Option<&Path>) -> Result<PathBuf, Failure> {
    if let Some(path) = flag {
        return Ok(path.to_path_buf());
    }
    if let Ok(env) = std::env::var("PIKET_AGENT_CONFIG") {
        if !env.is_empty() {
            return Ok(PathBuf::from(env));
        }
    }
    #[cfg(windows)]
    let default = windows_default_path(
        running_elevated(),
        std::env::var("ProgramData").ok().as_deref(),
        std::env::var("APPDATA").ok().as_deref(),
    );
    #[cfg(not(windows))]
    let default = default_path(
        running_as_root(),
        std::env::var("XDG_CONFIG_HOME").ok().as_deref(),
        std::env::var("HOME").ok().as_deref(),
    );
    default.ok_or_else(|| {
        Failure::general(
            "cannot tell where the config file goes (no home folder): pass --config PATH",
        )
    })
}

/// Read the config; a missing file means the machine was never enrolled.
pub fn load(path: &Path) -> Result<AgentConfig, Failure> {
    let text = fs::read_to_string(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Failure::general(format!(
                "no config file at {}: enroll this machine first with \
                 `piket-agent enroll --server URL --token TOKEN`",
                path.display()
            ))
        } else {
            Failure::general(format!("cannot read {}: {e}", path.display()))
        }
    })?;
    toml::from_str(&text).map_err(|e| {
        Failure::general(format!(
            "{} is not a valid config file: {e}",
            path.display()
        ))
    })
}

/// Write the config atomically (temporary file, then rename), the file created with mode 0600,
/// so the secret is never readable by others, not even briefly. Its directory is created with
/// mode 0711: others cannot list it, but can open the world-readable `device-id` beside it.
pub fn save(path: &Path, config: &AgentConfig) -> Result<(), Failure> {
    let text = toml::to_string(config)
        .map_err(|e| Failure::general(format!("cannot encode the config: {e}")))?;
    write_atomically(path, text.as_bytes(), create_private_file)
}

/// Write a file only its owner may read (the desktop helper's settings), atomically.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    write_atomically(path, bytes, create_private_file)
}

/// Write [`device_id_path`]: the bare `dev_…` id, no newline, readable by everyone (mode 0644
/// on Unix; on Windows the directory's inherited ACL, which `install.cmd` opens to Users for
/// this file). On Unix an existing config directory of mode 0700 (older agents made it so) is
/// opened to 0711 so the file can be reached.
pub fn save_device_id(config_path: &Path, device_id: &str) -> Result<PathBuf, Failure> {
    let path = device_id_path(config_path);
    write_atomically(&path, device_id.as_bytes(), create_public_file)?;
    #[cfg(unix)]
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = fs::metadata(dir) {
            let mode = meta.permissions().mode();
            if mode & 0o011 != 0o011 {
                fs::set_permissions(dir, fs::Permissions::from_mode(mode | 0o011)).map_err(
                    |e| Failure::general(format!("cannot open {} to others: {e}", dir.display())),
                )?;
            }
        }
    }
    Ok(path)
}

/// Write a file through a temporary one renamed into place, so a reader never sees half of
/// it; `create` makes the temporary file with the final file's permissions.
fn write_atomically(
    path: &Path,
    bytes: &[u8],
    create: fn(&Path) -> std::io::Result<fs::File>,
) -> Result<(), Failure> {
    let io_failure = |what: &str, p: &Path, e: std::io::Error| {
        Failure::general(format!("cannot {what} {}: {e}", p.display()))
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            create_private_dir(dir).map_err(|e| io_failure("create directory", dir, e))?;
        }
    }
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = PathBuf::from(tmp_name);
    let _ = fs::remove_file(&tmp);
    let mut file = create(&tmp).map_err(|e| io_failure("create", &tmp, e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| io_failure("write", &tmp, e))?;
    drop(file);
    fs::rename(&tmp, path).map_err(|e| io_failure("replace", path, e))
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o711)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)
}

#[cfg(unix)]
fn create_private_file(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_private_file(path: &Path) -> std::io::Result<fs::File> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(unix)]
fn create_public_file(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(path)
}

#[cfg(not(unix))]
fn create_public_file(path: &Path) -> std::io::Result<fs::File> {
    create_private_file(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> AgentConfig {
        AgentConfig {
            server: "https://piket.example.com".into(),
            device_id: "dev_abc".into(),
            secret: "s3cret".into(),
            interval_hours: None,
            server_interval_hours: Some(6),
            last_fingerprint: "00ff".into(),
            last_report_unix: Some(1_700_000_000),
        }
    }

    #[test]
    fn config_round_trips_with_owner_only_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("config.toml");
        save(&path, &sample()).unwrap();
        assert_eq!(load(&path).unwrap(), sample());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let file_mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            let dir_mode = fs::metadata(path.parent().unwrap())
                .unwrap()
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(file_mode, 0o600);
            assert_eq!(
                dir_mode, 0o711,
                "others may reach device-id, not list the folder"
            );
        }
        // Saving again replaces the file and keeps the mode.
        let mut changed = sample();
        changed.last_fingerprint = "abcd".into();
        save(&path, &changed).unwrap();
        assert_eq!(load(&path).unwrap().last_fingerprint, "abcd");
    }

    #[test]
    fn missing_config_says_to_enroll() {
        let err = load(Path::new("/nonexistent/piket/config.toml")).unwrap_err();
        assert!(
            err.message.contains("piket-agent enroll"),
            "{}",
            err.message
        );
    }

    #[test]
    fn default_path_depends_on_root_and_xdg() {
        assert_eq!(
            default_path(true, Some("/x"), Some("/root")),
            Some(PathBuf::from("/etc/piket-agent/config.toml"))
        );
        assert_eq!(
            default_path(false, Some("/xdg"), Some("/home/a")),
            Some(PathBuf::from("/xdg/piket-agent/config.toml"))
        );
        assert_eq!(
            default_path(false, None, Some("/home/a")),
            Some(PathBuf::from("/home/a/.config/piket-agent/config.toml"))
        );
        assert_eq!(default_path(false, None, None), None);
    }

    #[test]
    fn windows_default_depends_on_elevation() {
        let machine = Path::new(r"C:\ProgramData")
            .join("Piket")
            .join("config.toml");
        let user = Path::new(r"C:\Users\ana\AppData\Roaming")
            .join("Piket")
            .join("config.toml");
        let (pd, ad) = (
            Some(r"C:\ProgramData"),
            Some(r"C:\Users\ana\AppData\Roaming"),
        );
        assert_eq!(windows_default_path(true, pd, ad), Some(machine.clone()));
        assert_eq!(windows_default_path(false, pd, ad), Some(user));
        assert_eq!(
            windows_default_path(true, None, None),
            Some(machine),
            "SYSTEM without %ProgramData% still finds the machine's file"
        );
        assert_eq!(windows_default_path(false, pd, Some("")), None);
    }

    #[test]
    fn device_id_sits_next_to_the_config_readable_by_all() {
        assert_eq!(
            device_id_path(Path::new("/etc/piket-agent/config.toml")),
            PathBuf::from("/etc/piket-agent/device-id")
        );
        assert_eq!(
            device_id_path(Path::new("config.toml")),
            PathBuf::from("device-id")
        );
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("piket").join("config.toml");
        save(&config, &sample()).unwrap();
        let written = save_device_id(&config, "dev_abc").unwrap();
        assert_eq!(written, dir.path().join("piket").join("device-id"));
        assert_eq!(fs::read_to_string(&written).unwrap(), "dev_abc");
        // Enrolling again replaces it.
        save_device_id(&config, "dev_xyz").unwrap();
        assert_eq!(fs::read_to_string(&written).unwrap(), "dev_xyz");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&written), 0o644);
            assert_eq!(mode(&config), 0o600, "the secret stays private");
            // A folder made 0700 by an older agent is opened to 0711.
            let old = dir.path().join("old");
            fs::create_dir(&old).unwrap();
            fs::set_permissions(&old, fs::Permissions::from_mode(0o700)).unwrap();
            save_device_id(&old.join("config.toml"), "dev_abc").unwrap();
            assert_eq!(mode(&old), 0o711);
        }
    }

    #[test]
    fn uid_is_read_from_proc_status() {
        let status = "Name:\tcat\nUid:\t1000\t1000\t1000\t1000\nGid:\t100\n";
        assert_eq!(uid_from_proc_status(status), Some(1000));
        assert_eq!(uid_from_proc_status("Uid:\t0\t0\t0\t0\n"), Some(0));
        assert_eq!(uid_from_proc_status("Name:\tx\n"), None);
    }
}
