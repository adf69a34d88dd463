//! Slow and numerous clients against the real accept loop (`listen::serve`) on a loopback port.
//! Before issue #17 the server used `axum::serve`, which has no header or idle timeout and no
//! connection cap: a connection that never finished its headers was held for minutes and
//! 1 100 of them exhausted the file descriptors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::child::wait_until;
use common::TestApp;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn serve(app: &TestApp) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app.router.clone();
    let limits = app.state.config.connections;
    tokio::spawn(async move {
        piket_server::listen::serve(listener, router, limits, vec![], std::future::pending())
            .await
            .unwrap();
    });
    addr
}

async fn app() -> TestApp {
    TestApp::with(|s| {
        s.header_timeout_secs = Some(1);
        s.body_timeout_secs = Some(1);
        s.max_connections_per_ip = Some(4);
        s.max_connections = Some(16);
    })
    .await
}

/// Read until the server closes the connection (or `limit` passes): what it sent, and whether
/// it closed.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, bool) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&got).into(), true),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => return (String::from_utf8_lossy(&got).into(), false),
        }
    }
}

#[tokio::test]
async fn unfinished_headers_and_idle_connections_are_closed_after_the_header_timeout() {
    let app = app().await;
    let addr = serve(&app).await;
    // Headers that never end.
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let (_, closed) = read_until_closed(&mut slow, Duration::from_secs(5)).await;
    assert!(closed, "a connection with unfinished headers was kept");
    assert!(started.elapsed() < Duration::from_secs(4));
    // A kept-alive connection: one request answered, then idle.
    let mut idle = TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (answer, closed) = read_until_closed(&mut idle, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(closed, "an idle kept-alive connection was kept");
}

#[tokio::test]
async fn a_body_that_stops_arriving_ends_its_request() {
    let app = app().await;
    let (_, key) = app.admin().await;
    let addr = serve(&app).await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nx-api-key: {key}\r\n\
         content-type: application/json\r\ncontent-length: 100\r\n\r\n{{\"title\""
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let (answer, _) = read_until_closed(&mut s, Duration::from_secs(6)).await;
    assert!(
        answer.starts_with("HTTP/1.1 400"),
        "a stalled body got no client error: {answer:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tickets")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(n, 0);
}

#[tokio::test]
async fn one_address_cannot_take_every_connection() {
    let app = app().await;
    let addr = serve(&app).await;
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        held.push(s);
    }
    // The server must have accepted the four before the fifth arrives; nothing outside the
    // accept loop shows that (another probe would count against the same address), so a pause.
    tokio::time::sleep(Duration::from_millis(100)).await;
    // The fifth from the same address is closed at once, without an answer.
    let mut fifth = TcpStream::connect(addr).await.unwrap();
    let _ = fifth
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    let (answer, closed) = read_until_closed(&mut fifth, Duration::from_millis(800)).await;
    assert!(closed && answer.is_empty(), "{closed} {answer:?}");
    // Once the slow ones time out, the address is served again.
    drop(held);
    wait_until(Duration::from_secs(3), "the address served again", || {
        served(addr)
    })
    .await;
}

/// Whether a fresh connection to `addr` gets a 200 for `/healthz`.
async fn served(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect(addr).await else {
        return false;
    };
    let _ = s
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await;
    let (answer, _) = read_until_closed(&mut s, Duration::from_secs(1)).await;
    answer.starts_with("HTTP/1.1 200")
}

/// Review finding: a client that pipelines requests and never reads the answers blocked its
/// connection in a write for ever (the header timeout only runs while waiting for a request),
/// so a few addresses could hold every slot. A write that waits longer than the body timeout
/// now ends the connection.
#[tokio::test]
async fn a_client_that_never_reads_loses_its_connection() {
    let app = app().await;
    let addr = serve(&app).await;
    let burst = "GET /static/app.css HTTP/1.1\r\nHost: x\r\n\r\n".repeat(2000);
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        // The requests fit in the socket buffers; the answers (16 MB) do not.
        let _ =
            tokio::time::timeout(Duration::from_millis(500), s.write_all(burst.as_bytes())).await;
        held.push(s);
    }
    // Every slot of this address is taken by a connection stuck in a write...
    let mut refused = TcpStream::connect(addr).await.unwrap();
    let _ = refused
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await;
    let (answer, _) = read_until_closed(&mut refused, Duration::from_millis(500)).await;
    assert!(answer.is_empty(), "{answer:?}");
    // ...until the write timeout (the body timeout, 1 s here) ends them, while they are still
    // open on this side.
    wait_until(Duration::from_secs(5), "the stuck writes timed out", || {
        served(addr)
    })
    .await;
    drop(held);
}
