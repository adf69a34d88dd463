//! The agent's parts, shared by its two binaries: `piket-agent` (inventory, enrollment, the
//! `run` service, the legacy collector) and `piket-desktop` (the helper in the user's session:
//! tray, F8, the report form). The windowing code lives in that binary's own modules
//! (`src/bin/piket-desktop/`), never in this library: the Windows linker keeps whole objects,
//! so a library holding it put it in the service's executable too (22 MB instead of 7).

pub mod client;
pub mod collect;
pub mod commands;
pub mod config;
pub mod failure;
pub mod legacy;
pub mod log;
