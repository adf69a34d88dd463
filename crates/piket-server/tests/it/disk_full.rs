//! A full disk: writes answer 507 and change nothing, `/readyz` says so, and the server recovers
//! by itself when space returns. Before issue #17 writes answered 500 ("database or disk is
//! full", then "begin_with at non-zero transaction depth") and kept doing so after space was
//! freed, while `/readyz` said 200.
//!
//! The data directory is a small tmpfs mounted for the test, which needs root (CI runs as
//! root); elsewhere the test says SKIPPED.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::TestApp;
use serde_json::json;

/// A tmpfs mounted on a fresh directory, unmounted (lazily: the pool may still hold files) on
/// drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(megabytes: u32) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(dir.path())
            .output()
            .is_ok_and(|o| o.status.success());
        ok.then_some(Tmpfs { dir })
    }
    fn path(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Fill the file system until a write fails for lack of space.
fn fill(path: &Path) {
    let mut f = std::fs::File::create(path.join("filler")).unwrap();
    let chunk = vec![7u8; 64 * 1024];
    loop {
        match f.write_all(&chunk).and_then(|_| f.sync_all()) {
            Ok(()) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::StorageFull => break,
            Err(e) => panic!("filling: {e}"),
        }
    }
}

async fn ticket_count(app: &TestApp) -> i64 {
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    sqlx::query_scalar("SELECT COUNT(*) FROM tickets")
        .fetch_one(&mut *conn)
        .await
        .unwrap()
}

async fn upload(app: &TestApp, key: &str, ticket: i64, bytes: usize) -> common::Reply {
    let mut body = b"--XB\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\
                     Content-Type: text/plain\r\n\r\n"
        .to_vec();
    body.extend(std::iter::repeat_n(b'a', bytes));
    body.extend_from_slice(b"\r\n--XB--\r\n");
    app.send(
        Method::POST,
        &format!("/api/v1/tickets/{ticket}/attachments"),
        &[
            ("x-api-key", key),
            ("content-type", "multipart/form-data; boundary=XB"),
        ],
        Body::from(body),
    )
    .await
}

#[tokio::test]
async fn a_full_disk_answers_507_changes_nothing_and_recovers_when_space_returns() {
    let Some(fs) = Tmpfs::mount(24) else {
        eprintln!("SKIPPED: mounting a tmpfs needs root");
        return;
    };
    let data = fs.path();
    // No free-space floor for uploads: this test is about the disk actually filling up.
    let app = TestApp::with(|s| {
        s.data = Some(data.clone());
        s.attachment_min_free_bytes = Some(0);
        s.attachment_min_free_percent = Some(0);
    })
    .await;
    let (_, key) = app.admin().await;
    let r = app
        .json(
            Method::POST,
            "/api/v1/tickets",
            &key,
            json!({"title": "Before"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let ticket = r.json()["id"].as_i64().unwrap();
    assert_eq!(app.get("/readyz", "").await.status, StatusCode::OK);

    fill(&data);
    // Uploads are staged in the data directory on both backends.
    let r = upload(&app, &key, ticket, 256 * 1024).await;
    assert_eq!(r.status, StatusCode::INSUFFICIENT_STORAGE);
    assert_eq!(r.json()["code"], "storage_full", "{}", r.body);
    let before = ticket_count(&app).await;
    if common::backend_name() == "sqlite" {
        // The database lives on the full disk too. SQLite may still fit a few changes in
        // pages it already holds; it must fail with 507 (never 500) before long.
        let mut full = false;
        for i in 0..200 {
            let title = format!("During {i} {}", "x".repeat(2000));
            let r = app
                .json(
                    Method::POST,
                    "/api/v1/tickets",
                    &key,
                    json!({"title": &title[..200], "description": title}),
                )
                .await;
            assert!(
                r.status == StatusCode::CREATED || r.status == StatusCode::INSUFFICIENT_STORAGE,
                "{}: {}",
                r.status,
                r.body
            );
            if r.status == StatusCode::INSUFFICIENT_STORAGE {
                assert_eq!(r.json()["code"], "storage_full");
                full = true;
                // Nothing of the refused ticket was kept.
                assert!(!app
                    .get("/api/v1/tickets?q=During", &key)
                    .await
                    .body
                    .contains(&format!("During {i} ")));
                break;
            }
        }
        assert!(full, "200 tickets fit on a full disk");
    }
    let readyz = app.get("/readyz", "").await;
    assert_eq!(readyz.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(readyz.body, "disk full");

    std::fs::remove_file(data.join("filler")).unwrap();
    // Every pooled connection works again: no restart, no stuck transaction.
    for i in 0..12 {
        let r = app
            .json(
                Method::POST,
                "/api/v1/tickets",
                &key,
                json!({"title": format!("After {i}")}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    assert!(ticket_count(&app).await >= before + 12);
    assert_eq!(
        upload(&app, &key, ticket, 1024).await.status,
        StatusCode::CREATED
    );
    app.clock
        .advance_ms(piket_server::ops::health::DISK_FULL_MEMORY_MS);
    assert_eq!(app.get("/readyz", "").await.status, StatusCode::OK);
    drop(app);
}
