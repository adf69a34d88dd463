//! Typed configuration: command line > environment (`PIKET_*`) > `piket.toml` > defaults.
//!
//! One struct, [`Settings`], is both the clap argument group and the file format, so a flag, its
//! environment variable and its file key can never drift apart.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use ipnet::IpNet;
use serde::Deserialize;

/// Every setting, each optional so that the layers can be merged.
#[derive(Debug, Clone, Default, clap::Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Path of an optional TOML file (default: ./piket.toml if it exists)
    #[arg(long, env = "PIKET_CONFIG", global = true)]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Address to serve HTTP on
    #[arg(long, env = "PIKET_LISTEN", global = true)]
    pub listen: Option<SocketAddr>,
    /// Data directory (SQLite database, attachments)
    #[arg(long, env = "PIKET_DATA", global = true)]
    pub data: Option<PathBuf>,
    /// Database URL; empty means SQLite in <data>/piket.db, postgres://... means PostgreSQL
    #[arg(long, env = "PIKET_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Database connections kept (default: SQLite 8; PostgreSQL twice the CPU cores, 4 to 32)
    #[arg(long, env = "PIKET_DATABASE_POOL", global = true)]
    pub database_pool: Option<u32>,
    /// Public URL of this server, used in links (emails, setup link)
    #[arg(long, env = "PIKET_BASE_URL", global = true)]
    pub base_url: Option<String>,
    /// Log format: text or json
    #[arg(long, env = "PIKET_LOG_FORMAT", global = true)]
    pub log_format: Option<String>,
    /// Serve /metrics on this separate address without authentication
    #[arg(long, env = "PIKET_METRICS_LISTEN", global = true)]
    pub metrics_listen: Option<SocketAddr>,
    /// Proxies whose X-Forwarded-For is believed (comma-separated CIDRs)
    #[arg(
        long,
        env = "PIKET_TRUSTED_PROXIES",
        value_delimiter = ',',
        global = true
    )]
    pub trusted_proxies: Option<Vec<IpNet>>,
    /// Minimum password length
    #[arg(long, env = "PIKET_PASSWORD_MIN_LENGTH", global = true)]
    pub password_min_length: Option<usize>,
    /// Session lifetime in hours
    #[arg(long, env = "PIKET_SESSION_HOURS", global = true)]
    pub session_hours: Option<u64>,
    /// Login attempts allowed per client IP per minute
    #[arg(long, env = "PIKET_LOGIN_RATE_PER_MINUTE", global = true)]
    pub login_rate_per_minute: Option<u32>,
    /// Run the outbox sender (emails) on this node; `false` on nodes that should only serve
    #[arg(long, env = "PIKET_OUTBOX_WORKER", global = true)]
    pub outbox_worker: Option<bool>,
    /// SMTP server host; unset means emails are written to the log
    #[arg(long, env = "PIKET_SMTP_HOST", global = true)]
    pub smtp_host: Option<String>,
    #[arg(long, env = "PIKET_SMTP_PORT", global = true)]
    pub smtp_port: Option<u16>,
    #[arg(long, env = "PIKET_SMTP_USERNAME", global = true)]
    pub smtp_username: Option<String>,
    #[arg(
        long,
        env = "PIKET_SMTP_PASSWORD",
        global = true,
        hide_env_values = true
    )]
    pub smtp_password: Option<String>,
    /// SMTP transport security: starttls, tls or none
    #[arg(long, env = "PIKET_SMTP_TLS", global = true)]
    pub smtp_tls: Option<String>,
    /// Sender address of outgoing email
    #[arg(long, env = "PIKET_SMTP_FROM", global = true)]
    pub smtp_from: Option<String>,
    /// Largest upload in bytes (all files of one request together)
    #[arg(long, env = "PIKET_ATTACHMENT_MAX_BYTES", global = true)]
    pub attachment_max_bytes: Option<u64>,
    /// Attachment kinds accepted, judged by content (comma-separated, see docs/admin-guide.md)
    #[arg(
        long,
        env = "PIKET_ATTACHMENT_TYPES",
        value_delimiter = ',',
        global = true
    )]
    pub attachment_types: Option<Vec<String>>,
    /// Seconds a client has to send a request's headers, counted from the connection's start
    /// or, on a kept-alive connection, from the end of the previous response (so it is also
    /// how long an idle connection is kept)
    #[arg(long, env = "PIKET_HEADER_TIMEOUT_SECS", global = true)]
    pub header_timeout_secs: Option<u64>,
    /// Seconds a request body may go without sending anything before the request is refused
    #[arg(long, env = "PIKET_BODY_TIMEOUT_SECS", global = true)]
    pub body_timeout_secs: Option<u64>,
    /// Open connections served at once; more wait to be accepted
    #[arg(long, env = "PIKET_MAX_CONNECTIONS", global = true)]
    pub max_connections: Option<u32>,
    /// Open connections from one client address (trusted proxies are exempt); more are closed
    #[arg(long, env = "PIKET_MAX_CONNECTIONS_PER_IP", global = true)]
    pub max_connections_per_ip: Option<u32>,
    /// JSON API requests allowed per API key per minute (429 with Retry-After beyond)
    #[arg(long, env = "PIKET_API_RATE_PER_MINUTE", global = true)]
    pub api_rate_per_minute: Option<u32>,
    /// JSON API requests allowed per client address per minute, with or without a key
    #[arg(long, env = "PIKET_API_IP_RATE_PER_MINUTE", global = true)]
    pub api_ip_rate_per_minute: Option<u32>,
    /// Origins allowed to call the JSON API from a browser (CORS); none by default
    #[arg(long, env = "PIKET_CORS_ORIGINS", value_delimiter = ',', global = true)]
    pub cors_origins: Option<Vec<String>>,
    /// Also write the log to daily files in this directory (piket.log.YYYY-MM-DD)
    #[arg(long, env = "PIKET_LOG_DIR", global = true)]
    pub log_dir: Option<PathBuf>,
    /// Daily log files kept in log_dir
    #[arg(long, env = "PIKET_LOG_RETENTION_DAYS", global = true)]
    pub log_retention_days: Option<u32>,
    /// Character classes (lower case, upper case, digits, others) a password must mix; 0 = off
    #[arg(long, env = "PIKET_PASSWORD_CLASSES", global = true)]
    pub password_classes: Option<u8>,
    /// File holding the key that seals stored secrets (default: <data>/secret.key)
    #[arg(long, env = "PIKET_SECRET_KEY_FILE", global = true)]
    pub secret_key_file: Option<PathBuf>,
    /// Bytes each user may upload per UTC day (0: no limit)
    #[arg(long, env = "PIKET_ATTACHMENT_DAILY_QUOTA_BYTES", global = true)]
    pub attachment_daily_quota_bytes: Option<u64>,
    /// Refuse uploads while less than this many bytes are free on the attachment disk
    #[arg(long, env = "PIKET_ATTACHMENT_MIN_FREE_BYTES", global = true)]
    pub attachment_min_free_bytes: Option<u64>,
    /// Refuse uploads while less than this percentage of the attachment disk is free (0 to 100)
    #[arg(long, env = "PIKET_ATTACHMENT_MIN_FREE_PERCENT", global = true)]
    pub attachment_min_free_percent: Option<u8>,
}

macro_rules! merge_fields {
    ($hi:ident, $lo:ident, $($f:ident),*) => { $( if $hi.$f.is_none() { $hi.$f = $lo.$f.clone(); } )* };
}

impl Settings {
    /// Fill every unset field of `self` from `lower`.
    pub fn or(mut self, lower: &Settings) -> Settings {
        let me = &mut self;
        merge_fields!(
            me,
            lower,
            listen,
            data,
            database_url,
            database_pool,
            base_url,
            log_format,
            metrics_listen,
            trusted_proxies,
            password_min_length,
            session_hours,
            login_rate_per_minute,
            outbox_worker,
            smtp_host,
            smtp_port,
            smtp_username,
            smtp_password,
            smtp_tls,
            smtp_from,
            attachment_max_bytes,
            attachment_types,
            header_timeout_secs,
            body_timeout_secs,
            max_connections,
            max_connections_per_ip,
            api_rate_per_minute,
            api_ip_rate_per_minute,
            cors_origins,
            log_dir,
            log_retention_days,
            password_classes,
            secret_key_file,
            attachment_daily_quota_bytes,
            attachment_min_free_bytes,
            attachment_min_free_percent
        );
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    StartTls,
    Tls,
    None,
}

#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<String>,
    pub security: SmtpSecurity,
    pub from: String,
}

/// The resolved configuration the server runs with.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    /// Pool size; `None` leaves it to `db::default_pool_size`.
    pub database_pool: Option<u32>,
    pub base_url: String,
    pub log_format: LogFormat,
    pub metrics_listen: Option<SocketAddr>,
    pub trusted_proxies: Vec<IpNet>,
    pub password_min_length: usize,
    pub session_hours: u64,
    pub login_rate_per_minute: u32,
    pub smtp: Option<SmtpConfig>,
    /// Whether this node delivers the outbox.
    pub outbox_worker: bool,
    /// Largest upload body (all files of one request), in bytes.
    pub attachment_max_bytes: u64,
    /// Accepted attachment kinds (`attachments::kind` names).
    pub attachment_types: Vec<String>,
    /// Connection limits and timeouts (`listen`).
    pub connections: ConnectionLimits,
    /// JSON API requests per minute: per API key, and per client address.
    pub api_rate_per_minute: u32,
    pub api_ip_rate_per_minute: u32,
    /// Origins allowed to call the JSON API from a browser; empty: no CORS headers at all.
    pub cors_origins: Vec<axum::http::HeaderValue>,
    /// Daily log files, if any: the directory and how many days are kept.
    pub log_dir: Option<PathBuf>,
    pub log_retention_days: u32,
    /// Character classes a password must mix (0: no such rule).
    pub password_classes: u8,
    /// The key that seals stored secrets (`secrets`); never inside the database.
    pub secret_key_file: PathBuf,
    /// Bytes one user may upload per UTC day; 0 is no limit (`attachments::quota`).
    pub attachment_daily_quota_bytes: u64,
    /// Uploads are refused (507) while the attachment disk has less free than this...
    pub attachment_min_free_bytes: u64,
    /// ... or than this percentage of its size.
    pub attachment_min_free_percent: u8,
}

/// How the HTTP server treats slow or numerous clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    pub header_timeout: std::time::Duration,
    pub body_timeout: std::time::Duration,
    pub max_connections: u32,
    pub max_per_ip: u32,
}

impl Config {
    /// Resolve the layers: `cli` already holds command line and environment (clap did that).
    pub fn load(cli: &Settings) -> Result<Config, String> {
        let file = read_file(cli.config.as_deref())?;
        Config::resolve(&cli.clone().or(&file))
    }

    pub fn resolve(s: &Settings) -> Result<Config, String> {
        let listen = s
            .listen
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
        let data_dir = s
            .data
            .clone()
            .unwrap_or_else(|| PathBuf::from("piket-data"));
        let database_url = match s.database_url.as_deref().map(str::trim) {
            None | Some("") => sqlite_url(&data_dir.join("piket.db")),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                url.to_string()
            }
            Some(url) if url.starts_with("sqlite:") => url.to_string(),
            Some(_) => return Err("database URL must start with postgres:// or sqlite:".into()),
        };
        if let Some(n) = s.database_pool {
            if !(1..=500).contains(&n) {
                return Err("database_pool must be between 1 and 500".into());
            }
        }
        let base_url = s
            .base_url
            .clone()
            .unwrap_or_else(|| format!("http://{listen}"))
            .trim_end_matches('/')
            .to_string();
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err("base URL must start with http:// or https://".into());
        }
        let log_format = match s.log_format.as_deref().unwrap_or("text") {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => return Err(format!("unknown log format {other:?} (text or json)")),
        };
        let smtp = match &s.smtp_host {
            None => None,
            Some(host) => {
                let security = match s.smtp_tls.as_deref().unwrap_or("starttls") {
                    "starttls" => SmtpSecurity::StartTls,
                    "tls" => SmtpSecurity::Tls,
                    "none" => SmtpSecurity::None,
                    other => return Err(format!("unknown smtp_tls {other:?}")),
                };
                let default_port = match security {
                    SmtpSecurity::Tls => 465,
                    SmtpSecurity::StartTls => 587,
                    SmtpSecurity::None => 25,
                };
                Some(SmtpConfig {
                    host: host.clone(),
                    port: s.smtp_port.unwrap_or(default_port),
                    username: s.smtp_username.clone(),
                    password: s.smtp_password.clone(),
                    security,
                    from: s
                        .smtp_from
                        .clone()
                        .unwrap_or_else(|| "piket@localhost".to_string()),
                })
            }
        };
        let password_min_length = s.password_min_length.unwrap_or(10);
        if password_min_length < 8 {
            return Err("password_min_length must be at least 8".into());
        }
        let attachment_max_bytes = s.attachment_max_bytes.unwrap_or(20 * 1024 * 1024);
        if attachment_max_bytes == 0 {
            return Err("attachment_max_bytes must be above 0".into());
        }
        let attachment_types =
            crate::attachments::kind::parse_allow_list(s.attachment_types.as_deref())?;
        let connections = connection_limits(s)?;
        let cors_origins = cors_origins(s.cors_origins.as_deref().unwrap_or_default())?;
        let password_classes = s.password_classes.unwrap_or(0);
        if password_classes > 4 {
            return Err("password_classes must be between 0 and 4".into());
        }
        let secret_key_file = match &s.secret_key_file {
            Some(p) if p.as_os_str().is_empty() => {
                return Err("secret_key_file must not be empty".into())
            }
            Some(p) => p.clone(),
            None => data_dir.join("secret.key"),
        };
        let attachment_min_free_percent = s.attachment_min_free_percent.unwrap_or(5);
        if attachment_min_free_percent > 100 {
            return Err("attachment_min_free_percent must be between 0 and 100".into());
        }
        Ok(Config {
            listen,
            data_dir,
            database_url,
            database_pool: s.database_pool,
            base_url,
            log_format,
            metrics_listen: s.metrics_listen,
            trusted_proxies: s.trusted_proxies.clone().unwrap_or_default(),
            password_min_length,
            session_hours: s.session_hours.unwrap_or(24 * 7).max(1),
            login_rate_per_minute: s.login_rate_per_minute.unwrap_or(20).max(1),
            smtp,
            outbox_worker: s.outbox_worker.unwrap_or(true),
            attachment_max_bytes,
            attachment_types,
            connections,
            api_rate_per_minute: s.api_rate_per_minute.unwrap_or(600).max(1),
            api_ip_rate_per_minute: s.api_ip_rate_per_minute.unwrap_or(1200).max(1),
            cors_origins,
            log_dir: s.log_dir.clone(),
            log_retention_days: s.log_retention_days.unwrap_or(14).max(1),
            password_classes,
            secret_key_file,
            attachment_daily_quota_bytes: s
                .attachment_daily_quota_bytes
                .unwrap_or(200 * 1024 * 1024),
            attachment_min_free_bytes: s.attachment_min_free_bytes.unwrap_or(1024 * 1024 * 1024),
            attachment_min_free_percent,
        })
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }

    /// What new passwords must satisfy.
    pub fn password_policy(&self) -> crate::auth::password::Policy {
        crate::auth::password::Policy {
            min_length: self.password_min_length,
            classes: self.password_classes,
        }
    }

    /// Whether cookies must be `Secure` and `__Host-` prefixed.
    pub fn https(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}

fn connection_limits(s: &Settings) -> Result<ConnectionLimits, String> {
    let secs = |v: Option<u64>, default: u64, name: &str| match v.unwrap_or(default) {
        n @ 1..=3600 => Ok(std::time::Duration::from_secs(n)),
        _ => Err(format!("{name} must be between 1 and 3600")),
    };
    let limits = ConnectionLimits {
        header_timeout: secs(s.header_timeout_secs, 10, "header_timeout_secs")?,
        body_timeout: secs(s.body_timeout_secs, 30, "body_timeout_secs")?,
        max_connections: s.max_connections.unwrap_or(1024),
        max_per_ip: s.max_connections_per_ip.unwrap_or(256),
    };
    if limits.max_connections == 0 || limits.max_per_ip == 0 {
        return Err("max_connections and max_connections_per_ip must be above 0".into());
    }
    Ok(limits)
}

/// CORS origins as the browser sends them: `scheme://host[:port]`, no path; `*` is refused
/// (the API takes credentials in a header, and a wildcard would let any site use a key).
fn cors_origins(list: &[String]) -> Result<Vec<axum::http::HeaderValue>, String> {
    list.iter()
        .map(|o| o.trim().trim_end_matches('/'))
        .filter(|o| !o.is_empty())
        .map(|o| {
            let plain = (o.starts_with("http://") || o.starts_with("https://"))
                && !o
                    .split_once("://")
                    .is_some_and(|(_, rest)| rest.contains('/'));
            match axum::http::HeaderValue::from_str(o) {
                Ok(v) if plain => Ok(v),
                _ => Err(format!(
                    "cors_origins: {o:?} is not an origin like https://app.example.com"
                )),
            }
        })
        .collect()
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

fn read_file(explicit: Option<&Path>) -> Result<Settings, String> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => {
            let p = PathBuf::from("piket.toml");
            if !p.exists() {
                return Ok(Settings::default());
            }
            p
        }
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The commented default file printed by `piket config print-default`.
pub const DEFAULT_TOML: &str = include_str!("../piket.default.toml");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_beats_file_and_defaults_fill_the_rest() {
        let cli = Settings {
            listen: Some("127.0.0.1:9000".parse().unwrap()),
            ..Default::default()
        };
        let file: Settings =
            toml::from_str("listen = \"0.0.0.0:1\"\nbase_url = \"https://desk.example/\"").unwrap();
        let cfg = Config::resolve(&cli.or(&file)).unwrap();
        assert_eq!(cfg.listen.port(), 9000);
        assert_eq!(cfg.base_url, "https://desk.example");
        assert!(cfg.https());
        assert!(cfg.is_sqlite());
        assert_eq!(cfg.password_min_length, 10);
        assert_eq!(
            cfg.secret_key_file,
            PathBuf::from("piket-data").join("secret.key")
        );
        let shared: Settings =
            toml::from_str("secret_key_file = \"/etc/piket/secret.key\"").unwrap();
        let cfg = Config::resolve(&shared).unwrap();
        assert_eq!(cfg.secret_key_file, PathBuf::from("/etc/piket/secret.key"));
    }

    #[test]
    fn default_file_parses_and_unknown_keys_are_refused() {
        let parsed: Settings = toml::from_str(DEFAULT_TOML).unwrap();
        assert!(Config::resolve(&parsed).is_ok());
        assert!(toml::from_str::<Settings>("lisen = \"x\"").is_err());
        let bad = Settings {
            database_url: Some("mysql://x".into()),
            ..Default::default()
        };
        assert!(Config::resolve(&bad).is_err());
        for bad in [
            Settings {
                cors_origins: Some(vec!["*".into()]),
                ..Default::default()
            },
            Settings {
                cors_origins: Some(vec!["https://a.example/path".into()]),
                ..Default::default()
            },
            Settings {
                header_timeout_secs: Some(0),
                ..Default::default()
            },
            Settings {
                password_classes: Some(5),
                ..Default::default()
            },
        ] {
            assert!(Config::resolve(&bad).is_err(), "{bad:?}");
        }
        let cors = Settings {
            cors_origins: Some(vec!["https://app.example/".into()]),
            ..Default::default()
        };
        assert_eq!(
            Config::resolve(&cors).unwrap().cors_origins,
            ["https://app.example"]
        );
        for (pool, ok) in [(0, false), (1, true), (500, true), (501, false)] {
            let s = Settings {
                database_pool: Some(pool),
                ..Default::default()
            };
            assert_eq!(Config::resolve(&s).is_ok(), ok, "pool {pool}");
        }
    }
}
