//! The real `piket` binary: crash safety under kill -9, and a clear failure when PostgreSQL is away.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::child;

use child::{wait_until, Server};
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_piket");

fn piket(data: &std::path::Path) -> Command {
    let mut c = Command::new(BIN);
    c.env_remove("PIKET_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .arg("--data")
        .arg(data);
    c
}

#[test]
fn an_unreachable_postgres_is_a_clear_error_and_a_non_zero_exit() {
    let started = Instant::now();
    let out = Command::new(BIN)
        .args([
            "migrate",
            "--database-url",
            "postgres://postgres@127.0.0.1:1/piket",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot connect to the database")
            || stderr.contains("timed out connecting"),
        "{stderr}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_writes_loses_no_acknowledged_write_and_the_database_stays_intact() {
    let dir = tempfile::tempdir().unwrap();
    let mut create = piket(dir.path())
        .args([
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
    let out = piket(dir.path())
        .args([
            "apikey",
            "create",
            "--user",
            "ops@example.com",
            "--name",
            "crash",
        ])
        .output()
        .unwrap();
    let key = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(key.starts_with("pk_"), "{key}");

    let mut serve = piket(dir.path());
    serve
        .arg("serve")
        // Writes as fast as it can until the kill: the API's budget must not end it first.
        .args(["--api-rate-per-minute", "1000000000"])
        .args(["--api-ip-rate-per-minute", "1000000000"])
        .stderr(Stdio::null());
    let (mut server, addr) = Server::serve(serve, Duration::from_secs(20));
    let base = format!("http://{addr}");
    let client = reqwest::Client::new();
    let written = Arc::new(AtomicUsize::new(0));
    let writer = {
        let client = client.clone();
        let base = base.clone();
        let written = written.clone();
        tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for i in 0..100_000 {
                let name = format!("crash-{i}");
                let r = client
                    .post(format!("{base}/api/v1/departments"))
                    .header("x-api-key", &key)
                    .json(&serde_json::json!({"name": name}))
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status().as_u16() == 201 => {
                        acknowledged.push(name);
                        written.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => break,
                }
            }
            acknowledged
        })
    };
    // Killed in the middle of a stream of writes, once a few hundred are acknowledged.
    wait_until(
        Duration::from_secs(30),
        "200 acknowledged writes",
        || async { written.load(Ordering::Relaxed) >= 200 },
    )
    .await;
    server.kill(); // SIGKILL
    let acknowledged = writer.await.unwrap();
    assert!(
        acknowledged.len() > 10,
        "only {} writes before the kill",
        acknowledged.len()
    );

    let url = format!("sqlite://{}?mode=rw", dir.path().join("piket.db").display());
    let db = piket_server::db::Db::connect(&url, None).await.unwrap();
    assert_eq!(db.integrity_check().await.unwrap(), "ok");
    let stored: Vec<String> = sqlx::query_scalar("SELECT name FROM departments")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    let missing: Vec<&String> = acknowledged
        .iter()
        .filter(|n| !stored.contains(n))
        .collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged writes lost: {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    db.close().await;

    // And an online backup of the recovered database is itself intact.
    let backup = dir.path().join("copy.db");
    let out = piket(dir.path())
        .args(["backup", "--out"])
        .arg(&backup)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let copy =
        piket_server::db::Db::connect(&format!("sqlite://{}?mode=rw", backup.display()), None)
            .await
            .unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM departments")
        .fetch_one(&copy.pool)
        .await
        .unwrap();
    assert_eq!(n as usize, stored.len());
}

/// `--log-dir`: the log also goes to a daily file in that directory, in the same format, and
/// a file from long ago beyond the retention is removed when the server starts writing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_dir_gets_daily_files_and_old_ones_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    for day in ["2020-01-01", "2020-01-02", "2020-01-03"] {
        std::fs::write(logs.join(format!("piket.{day}.log")), "old\n").unwrap();
    }
    let mut serve = piket(dir.path());
    serve
        .env("RUST_LOG", "info")
        .arg("serve")
        .arg("--log-dir")
        .arg(&logs)
        .args(["--log-retention-days", "2"])
        .stderr(Stdio::null());
    let (mut server, _) = Server::serve(serve, Duration::from_secs(20));
    let deadline = Instant::now() + Duration::from_secs(20);
    let today = loop {
        let files: Vec<String> = std::fs::read_dir(&logs)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| !n.starts_with("piket.2020-"))
            .collect();
        if let Some(name) = files.first() {
            let text = std::fs::read_to_string(logs.join(name)).unwrap();
            if text.contains("piket is serving") {
                break name.clone();
            }
        }
        assert!(Instant::now() < deadline, "no log file with the start line");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    server.kill();
    assert!(
        today.starts_with("piket.") && today.ends_with(".log"),
        "{today}"
    );
    let left: Vec<String> = std::fs::read_dir(&logs)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    assert!(left.len() <= 2, "retention of 2 kept {left:?}");
    assert!(left.contains(&today));
}
