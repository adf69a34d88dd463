//! `piket-agent desktop`: start the desktop helper, the `piket-desktop` binary installed beside
//! this one (on Unix it takes this process's place, so stopping one stops the helper).

use std::path::PathBuf;
use std::process::Command;

use crate::failure::Failure;

/// The helper's file name on this platform.
const HELPER: &str = if cfg!(windows) {
    "piket-desktop.exe"
} else {
    "piket-desktop"
};

fn helper_path() -> Result<PathBuf, Failure> {
    let me = std::env::current_exe()
        .map_err(|e| Failure::general(format!("cannot tell where piket-agent is: {e}")))?;
    let helper = me.with_file_name(HELPER);
    if helper.exists() {
        Ok(helper)
    } else {
        Err(Failure::general(format!(
            "the desktop helper {} is not installed beside piket-agent",
            helper.display()
        )))
    }
}

pub fn run(server: Option<String>, report: bool) -> Result<(), Failure> {
    let mut command = Command::new(helper_path()?);
    // Saves the helper starting itself again to set it (see `piket-desktop`).
    command.env("MIMALLOC_PURGE_DELAY", "0");
    if let Some(server) = server {
        command.arg("--server").arg(server);
    }
    if report {
        command.arg("--report");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let error = command.exec();
        Err(Failure::general(format!(
            "cannot start the desktop helper: {error}"
        )))
    }
    #[cfg(not(unix))]
    {
        let status = command
            .status()
            .map_err(|e| Failure::general(format!("cannot start the desktop helper: {e}")))?;
        if status.success() {
            Ok(())
        } else {
            Err(Failure::general(format!(
                "the desktop helper stopped: {status}"
            )))
        }
    }
}
