//! `piket` processes started by a test: started on `--listen 127.0.0.1:0` and asked which port
//! they bound (the line `piket listening on …` on stdout), and a guard that kills the process
//! when the test ends, also when it fails (a leaked server keeps the port, the files and even
//! the build lock it inherited, and blocks the next build).
#![allow(dead_code, clippy::unwrap_used)]

use std::io::BufRead;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running process, killed (SIGKILL) and reaped on drop.
pub struct Server(pub Child);

impl Server {
    /// Start `command` (a `piket serve` without `--listen`) on `127.0.0.1:0` and wait, at most
    /// `within`, for the address it bound. Its stdout is read to the end on a thread of its own
    /// so the server never blocks on a full pipe.
    pub fn serve(mut command: Command, within: Duration) -> (Server, SocketAddr) {
        command
            .args(["--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped());
        let mut child = command.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let server = Server(child);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(addr) = line.strip_prefix("piket listening on ") {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(addr.trim().parse::<SocketAddr>().unwrap());
                    }
                }
            }
        });
        let addr = rx.recv_timeout(within).unwrap_or_else(|e| {
            panic!("piket did not say where it listens within {within:?}: {e}")
        });
        (server, addr)
    }

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

/// Wait until `ready` holds, checking every 20 ms; panic with `what` once `within` has passed.
pub async fn wait_until<F, Fut>(within: Duration, what: &str, mut ready: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    while !ready().await {
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A port held by this test that refuses every connection: bound, never listening (so no other
/// process can take it while the socket lives). Keep the socket for as long as the port is used.
pub fn refusing_port() -> (tokio::net::TcpSocket, u16) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = socket.local_addr().unwrap().port();
    (socket, port)
}
