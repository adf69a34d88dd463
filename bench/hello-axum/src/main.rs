//! The reference server for the benchmarks: a minimal axum hello-world on the same runtime.

use axum::{routing::get, Json, Router};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18081".to_string());
    let app = Router::new().route("/api/v1/status", get(|| async { Json(serde_json_like()) }));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(listener, app).await
}

fn serde_json_like() -> std::collections::BTreeMap<&'static str, &'static str> {
    [("status", "ok"), ("version", env!("CARGO_PKG_VERSION"))]
        .into_iter()
        .collect()
}
