//! `piket-agent`: collects a machine's inventory and reports it to a Piket server. The
//! desktop helper is its own binary (`piket-desktop`), which `piket-agent desktop` starts, so
//! the service (`run`) carries none of the helper's windowing code in memory.

use piket_agent::commands;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Piket inventory agent: reports this machine's hardware and software to a Piket server.
#[derive(Debug, Parser)]
#[command(name = "piket-agent", version, about)]
struct Cli {
    /// Config file [default: /etc/piket-agent/config.toml as root, else
    /// ~/.config/piket-agent/config.toml; Windows: %ProgramData%\Piket\config.toml when
    /// elevated, else %APPDATA%\Piket\config.toml]
    #[arg(long, global = true, env = "PIKET_AGENT_CONFIG", value_name = "PATH")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the inventory that would be sent, without contacting any server.
    Inventory {
        /// Print the exact JSON instead of a summary.
        #[arg(long)]
        json: bool,
    },
    /// Exchange an enrollment token for this device's identity and secret.
    Enroll {
        /// Base URL of the Piket server, e.g. https://piket.example.com
        #[arg(long, value_name = "URL")]
        server: String,
        /// Enrollment token created by an admin.
        #[arg(
            long,
            env = "PIKET_AGENT_TOKEN",
            value_name = "TOKEN",
            hide_env_values = true
        )]
        token: String,
    },
    /// Send one inventory report now.
    Report,
    /// Service mode: report at start, then every N hours when something changed.
    Run {
        /// Hours between reports (overrides the config file and the server's suggestion).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=8760))]
        interval_hours: Option<u32>,
    },
    /// The desktop helper, in the user's session: tray icon, F8 to report a problem with a
    /// screenshot, offline queue.
    Desktop {
        /// Base URL of the Piket server (needed on first run; kept afterwards).
        #[arg(long, value_name = "URL")]
        server: Option<String>,
        /// Open the report form at once and quit when it closes (for a desktop shortcut where
        /// global hotkeys do not work, e.g. Wayland).
        #[arg(long)]
        report: bool,
    },
    /// The original collector: send this machine's data for a registered user's email.
    Collect {
        /// Base URL of the Piket server.
        #[arg(long, value_name = "URL")]
        server: String,
        /// The email you are registered with (asked for when not given).
        #[arg(long, value_name = "EMAIL")]
        email: Option<String>,
        /// Send without asking for confirmation.
        #[arg(long)]
        yes: bool,
        /// Token, when the server requires one for the collector.
        #[arg(long, value_name = "TOKEN")]
        enrollment_token: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = cli.config.as_deref();
    let result = match cli.command {
        Command::Inventory { json } => commands::inventory::run(json),
        Command::Enroll { server, token } => commands::enroll::run(config, &server, &token),
        Command::Report => commands::report::run(config),
        Command::Run { interval_hours } => commands::run::run(config, interval_hours),
        Command::Desktop { server, report } => commands::desktop::run(server, report),
        Command::Collect {
            server,
            email,
            yes,
            enrollment_token,
        } => commands::collect::run(&commands::collect::CollectOptions {
            server,
            email,
            yes,
            enrollment_token,
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("piket-agent: error: {}", failure.message);
            ExitCode::from(failure.exit_code)
        }
    }
}
