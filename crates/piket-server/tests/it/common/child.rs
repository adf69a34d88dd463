//! `piket` processes started by a test: a free port to give them, and a guard that kills the
//! process when the test ends, also when it fails (a leaked server keeps the port, the files and
//! even the build lock it inherited, and blocks the next build).
#![allow(dead_code, clippy::unwrap_used)]

use std::process::Child;

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running process, killed (SIGKILL) and reaped on drop.
pub struct Server(pub Child);

impl Server {
    /// Kill it now (SIGKILL, as a crash would) and wait for it.
    pub fn kill(&mut self) {
        self.0.kill().unwrap();
        self.0.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}
