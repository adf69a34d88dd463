//! Attachments under attack and after crashes (issue #17, parts 3, 4 and 7), through the real
//! router on SQLite (and PostgreSQL when configured): thumbnails of huge canvases, concurrent
//! thumbnail requests, daily upload quotas, the free-space floor, and the sweep of leftovers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::io::Write;
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::desk::{new_desk, Dept};
use common::{signed_in, Reply, TestApp};
use serde_json::json;

const BOUNDARY: &str = "----piket-limits-9f2c";
const DAY_MS: i64 = 86_400_000;

fn multipart(file_name: &str, data: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    out
}

async fn upload(app: &TestApp, key: &str, ticket: i64, file_name: &str, data: &[u8]) -> Reply {
    let body = multipart(file_name, data);
    let len = body.len().to_string();
    app.send(
        Method::POST,
        &format!("/api/v1/tickets/{ticket}/attachments"),
        &[
            ("x-api-key", key),
            (
                "content-type",
                &format!("multipart/form-data; boundary={BOUNDARY}"),
            ),
            ("content-length", &len),
        ],
        Body::from(body),
    )
    .await
}

/// `n` bytes of text that differ per `seed` (so each is its own blob).
fn text(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| b'a' + ((i + seed as usize) % 26) as u8)
        .collect()
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 7])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

/// A valid black-and-white PNG of `w`×`h` pixels: a few KiB on disk, `w`×`h` bytes once decoded.
fn huge_canvas_png(w: u32, h: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    }
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[1, 0, 0, 0, 0]); // 1 bit, greyscale
    let row = vec![0u8; 1 + w.div_ceil(8) as usize];
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    for _ in 0..h {
        z.write_all(&row).unwrap();
    }
    let idat = z.finish().unwrap();
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &idat);
    chunk(&mut out, b"IEND", b"");
    out
}

/// An admin, the IT department, a technician and two requesters with keys, and alice's ticket.
struct Desk {
    app: TestApp,
    tech: String,
    alice: String,
    ticket: i64,
}

async fn desk_with(
    adjust: impl FnOnce(&mut piket_server::config::Settings) + Send + 'static,
) -> Desk {
    let d = new_desk()
        .settings(adjust)
        .keyed("tech", "technician", Dept::It)
        .keyed("alice", "requester", Dept::It)
        .ticket("alice", "Screen flickers")
        .build()
        .await;
    Desk {
        tech: d.key("tech"),
        alice: d.key("alice"),
        ticket: d.ticket,
        app: d.app,
    }
}

async fn rows(app: &TestApp) -> i64 {
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    sqlx::query_scalar("SELECT COUNT(*) FROM ticket_attachments")
        .fetch_one(&mut *conn)
        .await
        .unwrap()
}

fn attachment_dir(app: &TestApp) -> std::path::PathBuf {
    app.state.config.data_dir.join("attachments")
}

/// Files anywhere under the attachment directory (blobs, thumbnails and staging files).
fn files_on_disk(app: &TestApp) -> usize {
    fn walk(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .map(|e| {
                        let p = e.unwrap().path();
                        if p.is_dir() {
                            walk(&p)
                        } else {
                            1
                        }
                    })
                    .sum()
            })
            .unwrap_or(0)
    }
    walk(&attachment_dir(app))
}

async fn exists(app: &TestApp, key: &str) -> bool {
    app.state.blobs.exists(key).await.unwrap()
}

fn thumbnail_path(ticket: i64, attachment: i64) -> String {
    format!("/api/v1/tickets/{ticket}/attachments/{attachment}/thumbnail")
}

/// Guards against the decompression bomb: a small PNG declaring a 64-megapixel canvas used to
/// be decoded whole for its thumbnail (256 MB each as RGBA; 12 requests took 3 GB). Its size is
/// now read from the header and refused before decoding, and the refusal is remembered in the
/// store, so asking again decodes nothing.
#[tokio::test]
async fn a_canvas_over_the_pixel_limit_gets_no_thumbnail_and_is_not_decoded_again() {
    let d = desk_with(|_| {}).await;
    let bomb = huge_canvas_png(8000, 8000);
    assert!(bomb.len() < 64 * 1024, "{} bytes", bomb.len());
    let r = upload(&d.app, &d.alice, d.ticket, "screen.png", &bomb).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let item = &r.json()["items"][0];
    assert_eq!(item["image"], true);
    let (id, sha) = (
        item["id"].as_i64().unwrap(),
        item["sha256"].as_str().unwrap().to_string(),
    );

    let first = d.app.get(&thumbnail_path(d.ticket, id), &d.alice).await;
    assert_eq!(first.status, StatusCode::NOT_FOUND, "{}", first.body);
    assert!(
        exists(&d.app, &format!("{sha}.nothumb")).await,
        "the refusal is remembered"
    );
    assert!(!exists(&d.app, &format!("{sha}.thumb256")).await);
    let again = d.app.get(&thumbnail_path(d.ticket, id), &d.tech).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(
        d.app
            .state
            .parts
            .get::<piket_server::attachments::thumbnails::Thumbnails>()
            .decodes(),
        1,
        "looked at once"
    );
    // The file itself still downloads.
    let file = d
        .app
        .get(
            &format!("/api/v1/tickets/{}/attachments/{id}", d.ticket),
            &d.alice,
        )
        .await;
    assert_eq!(file.status, StatusCode::OK);

    // An ordinary image still gets its thumbnail.
    let r = upload(&d.app, &d.alice, d.ticket, "photo.png", &png(640, 480)).await;
    let id = r.json()["items"][0]["id"].as_i64().unwrap();
    let thumb = d.app.get(&thumbnail_path(d.ticket, id), &d.alice).await;
    assert_eq!(thumb.status, StatusCode::OK);
}

/// Guards against one decode per request: twelve parallel requests for one new thumbnail each
/// decoded the image (twelve times the memory). They now wait for one result.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_requests_for_one_thumbnail_decode_the_image_once() {
    let d = desk_with(|_| {}).await;
    let r = upload(&d.app, &d.alice, d.ticket, "photo.png", &png(1600, 1200)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["items"][0]["id"].as_i64().unwrap();
    let path = thumbnail_path(d.ticket, id);
    let replies = futures_util::future::join_all((0..12).map(|_| d.app.get(&path, &d.alice))).await;
    for r in &replies {
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body, replies[0].body);
    }
    assert_eq!(
        d.app
            .state
            .parts
            .get::<piket_server::attachments::thumbnails::Thumbnails>()
            .decodes(),
        1
    );
}

/// Guards against one user filling the disk: uploads count against a per-user allowance per UTC
/// day; the one that would pass it is refused whole (413, nothing stored), other users are not
/// affected, and the allowance starts again the next day.
#[tokio::test]
async fn uploads_past_the_daily_quota_are_refused_whole_until_the_next_day() {
    let d = desk_with(|s| s.attachment_daily_quota_bytes = Some(10_000)).await;
    let r = upload(&d.app, &d.alice, d.ticket, "a.txt", &text(6_000, 1)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let (rows_before, files_before) = (rows(&d.app).await, files_on_disk(&d.app));

    let r = upload(&d.app, &d.alice, d.ticket, "b.txt", &text(6_000, 2)).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert_eq!(r.json()["code"], "upload_quota_exceeded");
    assert!(r.json()["detail"]
        .as_str()
        .unwrap()
        .contains("daily upload limit"));
    assert_eq!(rows(&d.app).await, rows_before, "no row");
    assert_eq!(
        files_on_disk(&d.app),
        files_before,
        "no blob, no staging file"
    );

    // A body declared far beyond what is left is refused before it is read: this one would be
    // a malformed upload (400) if it were.
    let broken = futures_util::stream::iter([Err::<Vec<u8>, std::io::Error>(
        std::io::Error::other("never read"),
    )]);
    let r = d
        .app
        .send(
            Method::POST,
            &format!("/api/v1/tickets/{}/attachments", d.ticket),
            &[
                ("x-api-key", &d.alice),
                (
                    "content-type",
                    &format!("multipart/form-data; boundary={BOUNDARY}"),
                ),
                ("content-length", "900000"),
            ],
            Body::from_stream(broken),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert_eq!(r.json()["code"], "upload_quota_exceeded");

    // Another user has an allowance of their own.
    let r = upload(&d.app, &d.tech, d.ticket, "c.txt", &text(6_000, 3)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

    d.app.clock.advance_ms(DAY_MS);
    let r = upload(&d.app, &d.alice, d.ticket, "b.txt", &text(6_000, 2)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

/// The reply box (a multipart page form) over the quota: the same refusal, as a page in the
/// reader's language that says what happened; the reply is not posted either, and a reply
/// without files still is.
#[tokio::test]
async fn the_reply_box_over_the_quota_says_so_and_posts_nothing() {
    let d = desk_with(|s| s.attachment_daily_quota_bytes = Some(1_000)).await;
    let b = signed_in(&d.app, "alice@example.com").await;
    let cookie = b.cookie_header();
    let post = |data: Vec<u8>, lang: &'static str| {
        let csrf = b.csrf();
        let mut body = format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n\
             --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\nSee attached\r\n"
        )
        .into_bytes();
        if !data.is_empty() {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"log.txt\"\r\n\
                     Content-Type: text/plain\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(&data);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        let len = body.len().to_string();
        let cookie = cookie.clone();
        let path = format!("/tickets/{}/comments", d.ticket);
        let app = &d.app;
        async move {
            app.send(
                Method::POST,
                &path,
                &[
                    ("cookie", &cookie),
                    (
                        "content-type",
                        &format!("multipart/form-data; boundary={BOUNDARY}"),
                    ),
                    ("content-length", &len),
                    ("accept-language", lang),
                ],
                Body::from(body),
            )
            .await
        }
    };
    let comments = || async {
        let mut conn = d.app.state.db.pool.acquire().await.unwrap();
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM ticket_comments")
            .fetch_one(&mut *conn)
            .await
            .unwrap()
    };
    let before = comments().await;
    let r = post(text(1_500, 4), "en").await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert!(r.body.contains("upload limit"), "{}", r.body);
    let r = post(text(1_500, 4), "id").await;
    assert!(r.body.contains("batas unggahan"), "{}", r.body);
    assert_eq!(comments().await, before, "the reply went nowhere");
    assert_eq!(rows(&d.app).await, 0);
    let r = post(Vec::new(), "en").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(comments().await, before + 1);
}

/// Guards against parallel uploads passing the quota together (each checking before the other
/// counted): the count is one conditional statement in the upload's transaction.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_uploads_cannot_pass_the_quota_together() {
    let d = desk_with(|s| s.attachment_daily_quota_bytes = Some(10_000)).await;
    let files: Vec<Vec<u8>> = (0..4).map(|i| text(4_000, 10 + i)).collect();
    let replies = futures_util::future::join_all(
        files
            .iter()
            .map(|f| upload(&d.app, &d.alice, d.ticket, "part.txt", f)),
    )
    .await;
    let created = replies
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    let refused = replies
        .iter()
        .filter(|r| r.status == StatusCode::PAYLOAD_TOO_LARGE)
        .count();
    assert_eq!(
        (created, refused),
        (2, 2),
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert_eq!(rows(&d.app).await, 2);
}

/// Guards against uploads filling the disk to the last byte: below the free-space floor every
/// upload is refused with 507 and nothing is stored; a reply without files still goes through.
#[tokio::test]
async fn uploads_are_refused_while_the_disk_is_below_its_floor() {
    for floor in [
        (|s: &mut piket_server::config::Settings| s.attachment_min_free_bytes = Some(u64::MAX))
            as fn(&mut piket_server::config::Settings),
        |s| s.attachment_min_free_percent = Some(100),
    ] {
        let d = desk_with(floor).await;
        let r = upload(&d.app, &d.alice, d.ticket, "a.txt", &text(500, 1)).await;
        assert_eq!(r.status, StatusCode::INSUFFICIENT_STORAGE, "{}", r.body);
        assert_eq!(r.json()["code"], "insufficient_storage");
        assert_eq!(rows(&d.app).await, 0);
        assert_eq!(files_on_disk(&d.app), 0);
        let r = d
            .app
            .json(
                Method::POST,
                &format!("/api/v1/tickets/{}/comments", d.ticket),
                &d.alice,
                json!({"body": "Still flickering"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let bad = piket_server::config::Settings {
        attachment_min_free_percent: Some(101),
        ..Default::default()
    };
    assert!(piket_server::config::Config::resolve(&bad).is_err());
}

fn age(path: &std::path::Path, by: Duration) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(SystemTime::now() - by)
        .unwrap();
}

fn blob_path(app: &TestApp, key: &str) -> std::path::PathBuf {
    attachment_dir(app).join(&key[..2]).join(key)
}

/// Guards against leftovers nothing ever removed: a blob whose upload died before its row was
/// committed, a blob (and thumbnail) whose removal after a committed delete never ran, and a
/// staging file of an upload killed mid-way. The periodic `attachments.sweep` job removes them
/// once they are an hour old, and leaves alone what rows use and what is younger.
#[tokio::test]
async fn the_sweep_job_removes_unused_blobs_and_stale_staging_files_after_an_hour() {
    let d = desk_with(|_| {}).await;
    let app = &d.app;
    let kept = upload(app, &d.alice, d.ticket, "kept.txt", &text(300, 1)).await;
    let kept_sha = kept.json()["items"][0]["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let gone = upload(app, &d.alice, d.ticket, "gone.png", &png(400, 300)).await;
    let gone = &gone.json()["items"][0];
    let (gone_id, gone_sha) = (
        gone["id"].as_i64().unwrap(),
        gone["sha256"].as_str().unwrap().to_string(),
    );
    let thumb = app.get(&thumbnail_path(d.ticket, gone_id), &d.alice).await;
    assert_eq!(thumb.status, StatusCode::OK);
    // The row went and the process died before removing the files.
    {
        let mut conn = app.state.db.pool.acquire().await.unwrap();
        sqlx::query("DELETE FROM ticket_attachments WHERE id = $1")
            .bind(gone_id)
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    // An upload moved its file in and died before committing; another just did so now.
    let (died, fresh) = ("d".repeat(64), "e".repeat(64));
    app.state
        .blobs
        .put_bytes(&died, b"half".to_vec())
        .await
        .unwrap();
    app.state
        .blobs
        .put_bytes(&fresh, b"busy".to_vec())
        .await
        .unwrap();
    let staging = attachment_dir(app).join("tmp");
    let (stale_part, busy_part) = (staging.join("killed.part"), staging.join("busy.part"));
    std::fs::write(&stale_part, b"partial").unwrap();
    std::fs::write(&busy_part, b"partial").unwrap();
    let two_hours = Duration::from_secs(2 * 3600);
    for key in [
        kept_sha.clone(),
        gone_sha.clone(),
        format!("{gone_sha}.thumb256"),
        died.clone(),
    ] {
        age(&blob_path(app, &key), two_hours);
    }
    age(&stale_part, two_hours);

    let jobs = piket_server::periodic_jobs();
    piket_server::jobs::run_due(&app.state, &jobs)
        .await
        .unwrap();

    assert!(
        exists(app, &kept_sha).await,
        "a used blob stays, however old"
    );
    assert!(!exists(app, &gone_sha).await);
    assert!(!exists(app, &format!("{gone_sha}.thumb256")).await);
    assert!(!exists(app, &died).await);
    assert!(
        exists(app, &fresh).await,
        "younger than an hour: maybe an upload committing"
    );
    assert!(!stale_part.exists());
    assert!(busy_part.exists());
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    let row = piket_server::jobs::rows(&mut conn)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name == "attachments.sweep")
        .expect("the sweep is a registered job");
    assert_eq!(row.last_error, None);
    // The kept file still downloads.
    let kept_id = kept.json()["items"][0]["id"].as_i64().unwrap();
    let r = app
        .get(
            &format!("/api/v1/tickets/{}/attachments/{kept_id}", d.ticket),
            &d.alice,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

/// Guards against the sweep's last race (#17): between its "no row uses this blob" check and the
/// delete, an upload of the same content could move its file in and commit, leaving a row whose
/// file is gone. An upload now holds the blob gate from moving its file in until its commit, and
/// the sweep checks and deletes under it, so it waits and then sees the row.
#[tokio::test]
async fn the_sweep_never_removes_a_blob_an_upload_of_the_same_content_is_committing() {
    let d = desk_with(|_| {}).await;
    let app = &d.app;
    let data = text(500, 7);
    let first = upload(app, &d.alice, d.ticket, "log.txt", &data).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let first = &first.json()["items"][0];
    let (first_id, sha) = (
        first["id"].as_i64().unwrap(),
        first["sha256"].as_str().unwrap().to_string(),
    );
    // Its row went long ago and the file stayed: unused, two hours old.
    {
        let mut conn = app.state.db.pool.acquire().await.unwrap();
        sqlx::query("DELETE FROM ticket_attachments WHERE id = $1")
            .bind(first_id)
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    age(&blob_path(app, &sha), Duration::from_secs(2 * 3600));

    // An upload of the same bytes has moved its file in and is about to commit.
    let writing = app.state.blob_gate.writing().await;
    let state = app.state.clone();
    let now = app.state.now();
    let sweep =
        tokio::spawn(async move { piket_server::attachments::sweep::run(&state, now).await });
    // A sleep on purpose: what is tested is that the sweep decides nothing during it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        exists(app, &sha).await,
        "the sweep waits for the upload's commit before it decides"
    );
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    sqlx::query(
        "INSERT INTO ticket_attachments \
         (ticket_id, comment_id, uploader_id, file_name, content_type, size, sha256, created_at) \
         VALUES ($1, NULL, NULL, 'again.txt', 'text/plain', $2, $3, $4)",
    )
    .bind(d.ticket)
    .bind(data.len() as i64)
    .bind(sha.clone())
    .bind(now)
    .execute(&mut *conn)
    .await
    .unwrap();
    drop(conn);
    drop(writing);
    let swept = sweep.await.unwrap().unwrap();
    assert_eq!(swept.objects, 0, "the committed row keeps its blob");
    assert!(exists(app, &sha).await);
}

/// Review finding: a body without a length (chunked) skipped the checks made before reading
/// and was staged up to the upload limit. With nothing left of the day's quota, or the disk
/// below its floor, such a body is refused before a byte of it is read.
#[tokio::test]
async fn a_chunked_upload_is_judged_before_it_is_read() {
    let d = desk_with(|s| s.attachment_daily_quota_bytes = Some(6_000)).await;
    let r = upload(&d.app, &d.alice, d.ticket, "a.txt", &text(6_000, 1)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = chunked_upload(&d).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert_eq!(r.json()["code"], "upload_quota_exceeded");

    let d = desk_with(|s| s.attachment_min_free_percent = Some(100)).await;
    let r = chunked_upload(&d).await;
    assert_eq!(r.status, StatusCode::INSUFFICIENT_STORAGE, "{}", r.body);
}

/// An upload with no length whose body fails if it is read at all.
async fn chunked_upload(d: &Desk) -> Reply {
    let broken = futures_util::stream::iter([Err::<Vec<u8>, std::io::Error>(
        std::io::Error::other("never read"),
    )]);
    let path = format!("/api/v1/tickets/{}/attachments", d.ticket);
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
    d.app
        .send(
            Method::POST,
            &path,
            &[("x-api-key", &d.alice), ("content-type", &content_type)],
            Body::from_stream(broken),
        )
        .await
}
