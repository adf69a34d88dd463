//! Logging: every line to standard error, and with `log_dir` also to daily files
//! (`piket.YYYY-MM-DD.log`) of which `log_retention_days` are kept.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter, Layer};

use crate::config::LogFormat;

/// The daily file writer for `dir`, keeping `keep` files (older ones are removed as days pass).
pub fn daily_files(dir: &Path, keep: u32) -> Result<RollingFileAppender, String> {
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create log directory {}: {e}", dir.display()))?;
    RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix("piket")
        .filename_suffix("log")
        .max_log_files(keep as usize)
        .build(dir)
        .map_err(|e| format!("cannot open a log file in {}: {e}", dir.display()))
}

/// Install the process's logger. Keep the returned guard alive until exit: it flushes the file.
pub fn init(
    format: LogFormat,
    dir: Option<&Path>,
    keep: u32,
) -> Result<Option<WorkerGuard>, String> {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let stderr = match format {
        LogFormat::Json => fmt::layer()
            .json()
            .flatten_event(true)
            .with_writer(std::io::stderr)
            .boxed(),
        LogFormat::Text => fmt::layer()
            .with_ansi(ansi)
            .with_writer(std::io::stderr)
            .boxed(),
    };
    let (file, guard) = match dir {
        None => (None, None),
        Some(dir) => {
            let (writer, guard) = tracing_appender::non_blocking(daily_files(dir, keep)?);
            let layer = match format {
                LogFormat::Json => fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_writer(writer)
                    .boxed(),
                LogFormat::Text => fmt::layer().with_ansi(false).with_writer(writer).boxed(),
            };
            (Some(layer), Some(guard))
        }
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(stderr)
        .with(file)
        .try_init()
        .map_err(|e| format!("cannot install the logger: {e}"))?;
    Ok(guard)
}
