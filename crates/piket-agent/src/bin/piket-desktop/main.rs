//! `piket-desktop`: the Piket helper in the user's session (tray icon, F8, the report form,
//! the offline queue). A windowed program on Windows: no console appears at sign-in.
#![windows_subsystem = "windows"]

use std::process::ExitCode;

use clap::Parser;

mod desktop;

/// An allocator that gives freed memory back to the system: the form's screenshot and drawing
/// come and go, and the helper idles all day in everyone's session.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Piket desktop helper: press F8 to report a problem with a screenshot.
#[derive(Debug, Parser)]
#[command(name = "piket-desktop", version, about)]
struct Cli {
    /// Base URL of the Piket server (needed on first run; kept afterwards).
    #[arg(long, value_name = "URL")]
    server: Option<String>,
    /// Open the report form at once and quit when it closes (for a desktop shortcut where
    /// global hotkeys do not work, e.g. Wayland).
    #[arg(long)]
    report: bool,
}

/// mimalloc keeps freed memory for 10 ms and gives it back on a later allocation of the same
/// thread, which an idle helper never makes: the screenshot and the form's drawing (about 15 MB
/// a time) would stay resident all day. It reads its options once, from the environment, at
/// start; so on Unix, when the option is not set, the helper starts again with it (`exec`
/// replaces this process; it returns only on failure, and then we carry on as we are).
#[cfg(unix)]
fn with_prompt_purge() {
    if std::env::var_os(PURGE_DELAY).is_some() {
        return;
    }
    if let Ok(me) = std::env::current_exe() {
        use std::os::unix::process::CommandExt;
        let _ = std::process::Command::new(me)
            .args(std::env::args_os().skip(1))
            .env(PURGE_DELAY, "0")
            .exec();
    }
}

#[cfg(unix)]
const PURGE_DELAY: &str = "MIMALLOC_PURGE_DELAY";

fn main() -> ExitCode {
    #[cfg(unix)]
    with_prompt_purge();
    let cli = Cli::parse();
    let options = desktop::Options {
        server: cli.server,
        report: cli.report,
    };
    match desktop::run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("piket-desktop: error: {}", failure.message);
            ExitCode::from(failure.exit_code)
        }
    }
}
