//! One module per subcommand.

pub mod collect;
pub mod desktop;
pub mod enroll;
pub mod inventory;
pub mod report;
pub mod run;
