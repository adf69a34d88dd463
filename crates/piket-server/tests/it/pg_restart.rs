//! The real `piket` binary on a PostgreSQL cluster of its own that the test stops and starts:
//! while the database is down requests fail fast with 503, and they recover when it is back.
//!
//! Runs in the PostgreSQL pass (`PIKET_TEST_DATABASE_URL` set) on a machine with PostgreSQL's
//! server binaries (`/usr/lib/postgresql/<version>/bin`, or `PIKET_TEST_PG_BIN`). The shared
//! server cannot be restarted under the other tests, so this one runs its own throwaway cluster.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::child;

use child::{wait_until, Server};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_piket");

/// The directory holding `initdb` and `pg_ctl`, newest version first.
fn pg_bin() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("PIKET_TEST_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("pg_ctl").exists() && p.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A PostgreSQL tool, run as the `postgres` user when we are root (initdb refuses root).
fn pg_tool(bin: &Path, tool: &str, args: &[&str]) -> std::process::Output {
    let path = bin.join(tool);
    let mut cmd = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(path);
        c
    } else {
        Command::new(path)
    };
    let out = cmd.args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{tool} {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

struct Cluster {
    bin: PathBuf,
    data: String,
    options: String,
    log: String,
}

impl Cluster {
    fn start(&self) {
        pg_tool(
            &self.bin,
            "pg_ctl",
            &[
                "-D",
                &self.data,
                "-o",
                &self.options,
                "-l",
                &self.log,
                "-w",
                "start",
            ],
        );
    }
    fn stop(&self) {
        pg_tool(
            &self.bin,
            "pg_ctl",
            &["-D", &self.data, "-m", "fast", "-w", "stop"],
        );
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .args(["-D", &self.data, "-m", "immediate", "stop"])
            .output();
    }
}

async fn status_of(client: &reqwest::Client, url: &str, key: &str) -> Option<u16> {
    client
        .get(url)
        .header("x-api-key", key)
        .timeout(Duration::from_secs(15))
        .send()
        .await
        .ok()
        .map(|r| r.status().as_u16())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_restart_while_serving_fails_fast_with_503_then_recovers() {
    if std::env::var("PIKET_TEST_DATABASE_URL").map_or(true, |u| u.is_empty()) {
        eprintln!("SKIPPED: the PostgreSQL restart test runs in the PostgreSQL pass (set PIKET_TEST_DATABASE_URL)");
        return;
    }
    let Some(bin) = pg_bin() else {
        eprintln!(
            "SKIPPED: no PostgreSQL server binaries (initdb, pg_ctl) found; set PIKET_TEST_PG_BIN"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_string_lossy().to_string();
    if is_root() {
        assert!(Command::new("chown")
            .args(["-R", "postgres", &root])
            .status()
            .unwrap()
            .success());
    }
    // The cluster listens on a Unix socket in the test's own directory only (no TCP port to
    // pick and race for).
    let cluster = Cluster {
        bin: bin.clone(),
        data: format!("{root}/pg"),
        options: format!(
            "-p 5432 -k {root} -c listen_addresses='' -c fsync=off -c shared_buffers=16MB"
        ),
        log: format!("{root}/pg.log"),
    };
    pg_tool(
        &bin,
        "initdb",
        &[
            "-D",
            &cluster.data,
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
        ],
    );
    cluster.start();
    let url = format!("postgres://postgres@localhost:5432/postgres?host={root}");
    let piket = |args: &[&str]| {
        let mut c = Command::new(BIN);
        c.env("RUST_LOG", "warn")
            .args(["--data", &format!("{root}/piket"), "--database-url", &url])
            .args(args);
        c
    };

    let mut create = piket(&[
        "user",
        "create",
        "--email",
        "ops@example.com",
        "--name",
        "Ops",
        "--role",
        "admin",
        "--password-stdin",
    ])
    .stdin(Stdio::piped())
    .spawn()
    .unwrap();
    create
        .stdin
        .take()
        .unwrap()
        .write_all(b"a-long-ops-password\n")
        .unwrap();
    assert!(create.wait().unwrap().success());
    let out = piket(&[
        "apikey",
        "create",
        "--user",
        "ops@example.com",
        "--name",
        "restart",
    ])
    .output()
    .unwrap();
    let key = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(key.starts_with("pk_"), "{key}");

    let mut serve = piket(&["serve"]);
    serve.stderr(Stdio::null());
    let (mut server, addr) = Server::serve(serve, Duration::from_secs(20));
    let base = format!("http://{addr}");
    let users = format!("{base}/api/v1/users");
    let client = reqwest::Client::new();
    wait_until(
        Duration::from_secs(20),
        "the server answering 200",
        || async { status_of(&client, &users, &key).await == Some(200) },
    )
    .await;

    cluster.stop();
    // Past the API-key cache, so the request has to reach the database (a sleep on purpose: the
    // cache expires by the real clock of another process, there is no condition to wait on).
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    for url in [users.as_str(), &format!("{base}/readyz")] {
        let started = Instant::now();
        let status = status_of(&client, url, &key).await;
        assert_eq!(status, Some(503), "{url} while the database is down");
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "{url} took {:?} to fail",
            started.elapsed()
        );
    }

    cluster.start();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match status_of(&client, &users, &key).await {
            Some(200) => break,
            Some(503) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await
            }
            other => panic!("after the restart: {other:?}"),
        }
    }
    // Writes work again too.
    let created = client
        .post(format!("{base}/api/v1/departments"))
        .header("x-api-key", &key)
        .json(&serde_json::json!({"name": "After the restart"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 201);
    server.kill();
}
