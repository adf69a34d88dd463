//! The real `piket-agent` binary against this server over HTTP: enroll with a token an admin
//! made, report this machine (hostname, memory, every installed package), report again unchanged,
//! then the legacy `collect` flow lands on the same asset instead of creating a second one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Output};

use axum::http::{Method, StatusCode};
use common::TestApp;
use serde_json::{json, Value};

/// `piket-agent` sits next to `piket` in the target directory when the workspace was built.
fn agent_binary() -> Option<PathBuf> {
    let piket = PathBuf::from(env!("CARGO_BIN_EXE_piket"));
    let agent = piket.with_file_name("piket-agent");
    agent.exists().then_some(agent)
}

async fn run(agent: &PathBuf, config: &std::path::Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(agent);
    cmd.env("PIKET_AGENT_CONFIG", config)
        .env_remove("PIKET_AGENT_TOKEN")
        .args(args);
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

async fn count(app: &TestApp, sql: &'static str, id: i64) -> i64 {
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    sqlx::query_scalar(sql)
        .bind(id)
        .fetch_one(&mut *conn)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_agent_enrolls_reports_and_the_collector_finds_the_same_asset() {
    let Some(agent) = agent_binary() else {
        assert!(
            std::env::var("CI").is_err(),
            "piket-agent must be built in CI (cargo nextest run --workspace builds it)"
        );
        eprintln!("SKIPPED: target/…/piket-agent is not built (cargo build -p piket-agent)");
        return;
    };
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let it = app.department(&admin, "IT").await;
    let requester = app.user("ana@example.com", "requester", vec![it]).await;
    let r = app
        .json(
            Method::POST,
            "/api/v1/agent/enrollment-tokens",
            &admin,
            json!({"name": "lab", "department_id": it}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let token = r.json()["secret"].as_str().unwrap().to_string();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = format!("http://{}", listener.local_addr().unwrap());
    let router = app
        .router
        .clone()
        .into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, router).await });

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("agent").join("config.toml");

    // A wrong token: refused with the clear message, nothing written.
    let out = run(
        &agent,
        &config,
        &["enroll", "--server", &server, "--token", "enr_wrong"],
    )
    .await;
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(text(&out).contains("token was refused"), "{}", text(&out));
    assert!(!config.exists());

    let out = run(
        &agent,
        &config,
        &["enroll", "--server", &server, "--token", &token],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let mode = std::fs::metadata(&config).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "config must be owner-only");

    let out = run(&agent, &config, &["report"]).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("updated"), "{}", text(&out));

    // What the agent saw, to compare with what the server stored.
    let out = run(&agent, &config, &["inventory", "--json"]).await;
    assert!(out.status.success(), "{}", text(&out));
    let seen: Value = serde_json::from_slice(&out.stdout).unwrap();
    let packages: HashSet<(String, String, String)> = seen["software"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|s| {
                    let f = |k: &str| s[k].as_str().unwrap_or_default().to_string();
                    (
                        f("name").to_lowercase(),
                        f("vendor").to_lowercase(),
                        f("version"),
                    )
                })
                .collect()
        })
        .unwrap_or_default();

    let list = app
        .get("/api/v1/inventory/hardware?limit=100", &admin)
        .await
        .json();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    let asset = &items[0];
    let id = asset["id"].as_i64().unwrap();
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_eq!(asset["hostname"], hostname.trim());
    assert_eq!(asset["department_id"], it);
    let mem_kb: i64 = std::fs::read_to_string("/proc/meminfo")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap();
    assert_eq!(asset["ram_mb"], mem_kb / 1024);
    let installed = count(
        &app,
        "SELECT COUNT(*) FROM software_installations WHERE device_id = $1",
        id,
    )
    .await;
    assert_eq!(installed, packages.len() as i64);

    // The same machine again: unchanged, no history written.
    let history = count(
        &app,
        "SELECT COUNT(*) FROM hardware_history WHERE asset_id = $1",
        id,
    )
    .await;
    let out = run(&agent, &config, &["report"]).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("unchanged"), "{}", text(&out));
    let after = count(
        &app,
        "SELECT COUNT(*) FROM hardware_history WHERE asset_id = $1",
        id,
    )
    .await;
    assert_eq!(history, after);

    // The legacy collector flow from the same machine: the user's main device is this asset.
    let out = run(
        &agent,
        &config,
        &[
            "collect",
            "--server",
            &server,
            "--email",
            "ana@example.com",
            "--yes",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let list = app
        .get("/api/v1/inventory/hardware?limit=100", &admin)
        .await
        .json();
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    let asset = &list["items"][0];
    assert_eq!(asset["id"], id);
    assert_eq!(asset["owner_id"], requester.id);
    assert_eq!(asset["is_main"], true);
}
