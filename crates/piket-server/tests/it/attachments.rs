//! Ticket attachments through the real router on SQLite (and PostgreSQL when configured):
//! upload, list, download headers, thumbnails, size and type limits, sanitised names, scoping,
//! internal notes, blob clean-up on delete, and the multipart page forms with their CSRF rule.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use common::desk::{new_desk, Dept};
use common::{multipart, multipart_type as content_type, signed_in, Browser, TestApp};
use serde_json::{json, Value};
use tower::ServiceExt;

struct Raw {
    status: StatusCode,
    headers: HeaderMap,
    bytes: Vec<u8>,
}

impl Raw {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&self.bytes)))
    }
    fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    }
}

async fn raw(
    app: &TestApp,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Body,
) -> Raw {
    let mut req = Request::builder().method(method).uri(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = app
        .router
        .clone()
        .oneshot(req.body(body).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    Raw {
        status,
        headers,
        bytes,
    }
}

async fn upload(
    app: &TestApp,
    key: &str,
    ticket: i64,
    parts: &[(&str, Option<&str>, &[u8])],
) -> Raw {
    let body = multipart(parts);
    let len = body.len().to_string();
    raw(
        app,
        Method::POST,
        &format!("/api/v1/tickets/{ticket}/attachments"),
        &[
            ("x-api-key", key),
            ("content-type", &content_type()),
            ("content-length", &len),
        ],
        Body::from(body),
    )
    .await
}

async fn get(app: &TestApp, key: &str, path: &str) -> Raw {
    raw(app, Method::GET, path, &[("x-api-key", key)], Body::empty()).await
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// An admin, two departments, a technician in each, two requesters, and one ticket of alice's.
struct Desk {
    app: TestApp,
    admin: String,
    tech: String,
    hr_tech: String,
    alice: String,
    bob: String,
    ticket: i64,
}

async fn desk_with(
    adjust: impl FnOnce(&mut piket_server::config::Settings) + Send + 'static,
) -> Desk {
    let d = new_desk()
        .settings(adjust)
        .hr()
        .keyed("tech", "technician", Dept::It)
        .keyed("hrtech", "technician", Dept::Hr)
        .keyed("alice", "requester", Dept::It)
        .keyed("bob", "requester", Dept::Hr)
        .ticket("alice", "Printer jams")
        .build()
        .await;
    Desk {
        tech: d.key("tech"),
        hr_tech: d.key("hrtech"),
        alice: d.key("alice"),
        bob: d.key("bob"),
        admin: d.admin,
        ticket: d.ticket,
        app: d.app,
    }
}

async fn desk() -> Desk {
    desk_with(|_| {}).await
}

async fn rows(app: &TestApp) -> i64 {
    let mut conn = app.state.db.pool.acquire().await.unwrap();
    sqlx::query_scalar("SELECT COUNT(*) FROM ticket_attachments")
        .fetch_one(&mut *conn)
        .await
        .unwrap()
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
    walk(&app.state.config.data_dir.join("attachments"))
}

async fn blob_exists(app: &TestApp, key: &str) -> bool {
    app.state.blobs.exists(key).await.unwrap()
}

#[tokio::test]
async fn files_are_uploaded_listed_and_served_with_safe_headers_and_thumbnails() {
    let d = desk().await;
    let image = png(600, 400);
    let r = upload(
        &d.app,
        &d.tech,
        d.ticket,
        &[
            ("file", Some("report.pdf"), PDF),
            ("file", Some("errors.log"), b"2026-11-24 disk full\n"),
            ("file", Some("screen shot é.png"), &image),
        ],
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    let items = r.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["content_type"], "application/pdf");
    assert_eq!(items[1]["content_type"], "text/plain; charset=utf-8");
    assert_eq!(items[2]["content_type"], "image/png");
    assert_eq!(items[2]["image"], true);
    assert_eq!(items[0]["size"], PDF.len() as i64);
    assert_eq!(d.app.audit_count("attachment.create").await, 3);

    // The requester sees the same list.
    let list = get(
        &d.app,
        &d.alice,
        &format!("/api/v1/tickets/{}/attachments", d.ticket),
    )
    .await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.json()["items"].as_array().unwrap().len(), 3);

    let base = format!("/api/v1/tickets/{}/attachments", d.ticket);
    let pdf = get(&d.app, &d.alice, &format!("{base}/{}", items[0]["id"])).await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.bytes, PDF);
    assert_eq!(pdf.header("content-type"), "application/pdf");
    assert_eq!(pdf.header("x-content-type-options"), "nosniff");
    assert!(
        pdf.header("content-disposition").starts_with("attachment;"),
        "{}",
        pdf.header("content-disposition")
    );
    assert!(pdf
        .header("content-disposition")
        .contains("filename*=UTF-8''report.pdf"));

    let log = get(&d.app, &d.alice, &format!("{base}/{}", items[1]["id"])).await;
    assert_eq!(log.bytes, b"2026-11-24 disk full\n");
    assert!(log.header("content-disposition").starts_with("attachment;"));
    assert_eq!(log.header("x-content-type-options"), "nosniff");

    let shot = get(&d.app, &d.alice, &format!("{base}/{}", items[2]["id"])).await;
    assert_eq!(shot.bytes, image);
    assert_eq!(shot.header("content-type"), "image/png");
    assert!(shot.header("content-disposition").starts_with("inline;"));
    assert!(shot
        .header("content-disposition")
        .contains("filename*=UTF-8''screen%20shot%20%C3%A9.png"));

    // The thumbnail is a smaller PNG, made once and kept.
    let thumb = get(
        &d.app,
        &d.alice,
        &format!("{base}/{}/thumbnail", items[2]["id"]),
    )
    .await;
    assert_eq!(thumb.status, StatusCode::OK);
    assert_eq!(thumb.header("content-type"), "image/png");
    let decoded = image::load_from_memory(&thumb.bytes).unwrap();
    assert_eq!(decoded.width(), 256);
    assert!((170..=171).contains(&decoded.height()));
    let sha = items[2]["sha256"].as_str().unwrap();
    assert!(blob_exists(&d.app, &format!("{sha}.thumb256")).await);
    let again = get(
        &d.app,
        &d.alice,
        &format!("{base}/{}/thumbnail", items[2]["id"]),
    )
    .await;
    assert_eq!(again.bytes, thumb.bytes);
    // Only images have thumbnails.
    let none = get(
        &d.app,
        &d.alice,
        &format!("{base}/{}/thumbnail", items[0]["id"]),
    )
    .await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);

    // The OpenAPI document describes the endpoints.
    let doc = d.app.get("/api/v1/openapi.json", "").await;
    assert!(doc
        .body
        .contains("/api/v1/tickets/{id}/attachments/{attachment_id}/thumbnail"));
}

#[tokio::test]
async fn too_large_bodies_are_refused_with_413_before_or_while_reading() {
    let d = desk_with(|s| s.attachment_max_bytes = Some(10_000)).await;
    let path = format!("/api/v1/tickets/{}/attachments", d.ticket);
    // A declared length over the limit: refused without reading the body (which never ends).
    let never = Body::from_stream(futures_util::stream::pending::<
        Result<Vec<u8>, std::io::Error>,
    >());
    let r = tokio::time::timeout(
        Duration::from_secs(5),
        raw(
            &d.app,
            Method::POST,
            &path,
            &[
                ("x-api-key", &d.tech),
                ("content-type", &content_type()),
                ("content-length", "50000000"),
            ],
            never,
        ),
    )
    .await
    .expect("answered before reading the body");
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.json()["code"], "payload_too_large");

    // No length given, and the body grows past the limit: cut off, nothing left behind.
    let big = vec![b'a'; 30_000];
    let body = multipart(&[("file", Some("big.txt"), &big)]);
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        body.chunks(4096).map(|c| Ok(c.to_vec())).collect();
    let r = raw(
        &d.app,
        Method::POST,
        &path,
        &[("x-api-key", &d.tech), ("content-type", &content_type())],
        Body::from_stream(futures_util::stream::iter(chunks)),
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(rows(&d.app).await, 0);
    assert_eq!(files_on_disk(&d.app), 0);

    // Just under the limit is fine.
    let ok = vec![b'a'; 9_000];
    let r = upload(&d.app, &d.tech, d.ticket, &[("file", Some("ok.txt"), &ok)]).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(files_on_disk(&d.app), 1);
}

#[tokio::test]
async fn types_are_judged_by_content_and_names_are_sanitised() {
    let d = desk().await;
    for (name, payload) in [
        (
            "photo.png",
            b"<!DOCTYPE html><script>alert(1)</script>".as_slice(),
        ),
        (
            "logo.png",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>1</script></svg>".as_slice(),
        ),
        (
            "tool.png",
            b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0>\0".as_slice(),
        ),
        (
            "setup.pdf",
            b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0".as_slice(),
        ),
    ] {
        let r = upload(&d.app, &d.tech, d.ticket, &[("file", Some(name), payload)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert_eq!(r.json()["errors"][0]["field"], "file");
    }
    // A good file next to a bad one: none of them is kept.
    let r = upload(
        &d.app,
        &d.tech,
        d.ticket,
        &[
            ("file", Some("a.pdf"), PDF),
            ("file", Some("b.png"), b"<html><body>x"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(rows(&d.app).await, 0);
    assert_eq!(files_on_disk(&d.app), 0);

    // An allow-list without PDF refuses a real PDF.
    let strict = desk_with(|s| s.attachment_types = Some(vec!["png".into(), "txt".into()])).await;
    let r = upload(
        &strict.app,
        &strict.tech,
        strict.ticket,
        &[("file", Some("a.pdf"), PDF)],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Paths, control characters and leading dots go; the kind still comes from the content.
    let r = upload(
        &d.app,
        &d.tech,
        d.ticket,
        &[(
            "file",
            Some("../../etc/\tpass\u{85}w\u{202e}d.txt"),
            b"just text",
        )],
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    assert_eq!(r.json()["items"][0]["file_name"], "passwd.txt");
    let r = upload(
        &d.app,
        &d.tech,
        d.ticket,
        &[("file", Some("..\\..\\.bashrc"), b"x")],
    )
    .await;
    assert_eq!(r.json()["items"][0]["file_name"], "bashrc");
    // Raw control bytes in the part's headers are not even a valid multipart body: 400.
    let r = upload(
        &d.app,
        &d.tech,
        d.ticket,
        &[("file", Some("a\x01b.txt"), b"x")],
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Too many files at once.
    let many: Vec<(&str, Option<&str>, &[u8])> = (0..21)
        .map(|_| ("file", Some("a.txt"), b"a".as_slice()))
        .collect();
    let r = upload(&d.app, &d.tech, d.ticket, &many).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Not a multipart body, or files in the wrong field: a clear 400.
    let r = d
        .app
        .json(
            Method::POST,
            &format!("/api/v1/tickets/{}/attachments", d.ticket),
            &d.tech,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = upload(&d.app, &d.tech, d.ticket, &[("upload", Some("a.pdf"), PDF)]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn attachments_are_out_of_reach_for_other_departments_requesters_and_internal_notes() {
    let d = desk().await;
    let r = upload(&d.app, &d.alice, d.ticket, &[("file", Some("a.pdf"), PDF)]).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let id = r.json()["items"][0]["id"].as_i64().unwrap();
    let base = format!("/api/v1/tickets/{}/attachments", d.ticket);
    for key in [&d.hr_tech, &d.bob] {
        assert_eq!(get(&d.app, key, &base).await.status, StatusCode::NOT_FOUND);
        assert_eq!(
            get(&d.app, key, &format!("{base}/{id}")).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            get(&d.app, key, &format!("{base}/{id}/thumbnail"))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        let r = upload(&d.app, key, d.ticket, &[("file", Some("x.pdf"), PDF)]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = raw(
            &d.app,
            Method::DELETE,
            &format!("{base}/{id}"),
            &[("x-api-key", key)],
            Body::empty(),
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
    assert_eq!(
        get(&d.app, &d.tech, &format!("{base}/999999")).await.status,
        StatusCode::NOT_FOUND
    );

    // A file on an internal note is for staff only.
    let note = d
        .app
        .json(
            Method::POST,
            &format!("/api/v1/tickets/{}/comments", d.ticket),
            &d.tech,
            json!({"body": "vendor quote", "internal": true}),
        )
        .await;
    let note_id = note.json()["id"].as_i64().unwrap();
    let r = upload(
        &d.app,
        &d.tech,
        d.ticket,
        &[
            ("comment_id", None, note_id.to_string().as_bytes()),
            ("file", Some("quote.pdf"), b"%PDF-1.4 quote"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let secret = &r.json()["items"][0];
    assert_eq!(secret["internal"], true);
    assert_eq!(secret["comment_id"], note_id);
    let secret_id = secret["id"].as_i64().unwrap();
    let mine = get(&d.app, &d.alice, &base).await.json();
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        get(&d.app, &d.alice, &format!("{base}/{secret_id}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&d.app, &d.tech, &format!("{base}/{secret_id}"))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        get(&d.app, &d.tech, &base).await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Nobody attaches to someone else's comment.
    let r = upload(
        &d.app,
        &d.alice,
        d.ticket,
        &[
            ("comment_id", None, note_id.to_string().as_bytes()),
            ("file", Some("x.pdf"), PDF),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The uploader or staff remove a file; others may not.
    let r = raw(
        &d.app,
        Method::DELETE,
        &format!("{base}/{secret_id}"),
        &[("x-api-key", &d.tech)],
        Body::empty(),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(d.app.audit_count("attachment.delete").await, 1);

    // Every file added or removed is in the ticket's history; those on the note only for staff.
    let files = |key: &str| {
        let app = &d.app;
        let path = format!("/api/v1/tickets/{}/history", d.ticket);
        let key = key.to_string();
        async move {
            let h = get(app, &key, &path).await.json();
            h["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["field"] == "attachment")
                .map(|e| (e["old_value"].clone(), e["new_value"].clone()))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        files(&d.tech).await,
        vec![
            (json!(null), json!("a.pdf")),
            (json!(null), json!("quote.pdf")),
            (json!("quote.pdf"), json!(null)),
        ]
    );
    assert_eq!(files(&d.alice).await, vec![(json!(null), json!("a.pdf"))]);
}

#[tokio::test]
async fn deleting_a_ticket_removes_blobs_that_nothing_else_uses() {
    let d = desk().await;
    let image = png(300, 300);
    let second = d
        .app
        .json(
            Method::POST,
            "/api/v1/tickets",
            &d.alice,
            json!({"title": "Same screenshot"}),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let a = upload(
        &d.app,
        &d.alice,
        d.ticket,
        &[
            ("file", Some("shot.png"), &image),
            ("file", Some("r.pdf"), PDF),
        ],
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED);
    let b = upload(
        &d.app,
        &d.alice,
        second,
        &[("file", Some("shot-again.png"), &image)],
    )
    .await;
    assert_eq!(b.status, StatusCode::CREATED);
    let png_sha = a.json()["items"][0]["sha256"].as_str().unwrap().to_string();
    let pdf_sha = a.json()["items"][1]["sha256"].as_str().unwrap().to_string();
    assert_eq!(b.json()["items"][0]["sha256"], png_sha.as_str());
    // Same content is stored once.
    assert_eq!(files_on_disk(&d.app), 2);
    let thumb = get(
        &d.app,
        &d.alice,
        &format!(
            "/api/v1/tickets/{}/attachments/{}/thumbnail",
            d.ticket,
            a.json()["items"][0]["id"]
        ),
    )
    .await;
    assert_eq!(thumb.status, StatusCode::OK);

    let r = raw(
        &d.app,
        Method::DELETE,
        &format!("/api/v1/tickets/{}", d.ticket),
        &[("x-api-key", &d.admin)],
        Body::empty(),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(
        !blob_exists(&d.app, &pdf_sha).await,
        "the PDF was only on the deleted ticket"
    );
    assert!(
        blob_exists(&d.app, &png_sha).await,
        "the screenshot is still on the other ticket"
    );
    assert_eq!(rows(&d.app).await, 1);

    let r = raw(
        &d.app,
        Method::DELETE,
        &format!("/api/v1/tickets/{second}"),
        &[("x-api-key", &d.admin)],
        Body::empty(),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(!blob_exists(&d.app, &png_sha).await);
    assert_eq!(files_on_disk(&d.app), 0, "the thumbnail went too");
}

async fn post_multipart(b: &Browser<'_>, path: &str, parts: &[(&str, Option<&str>, &[u8])]) -> Raw {
    let cookie = b
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let body = multipart(parts);
    let len = body.len().to_string();
    raw(
        b.app,
        Method::POST,
        path,
        &[
            ("cookie", &cookie),
            ("content-type", &content_type()),
            ("content-length", &len),
            ("accept-language", "en"),
        ],
        Body::from(body),
    )
    .await
}

#[tokio::test]
async fn the_portal_and_the_reply_box_take_files_with_the_csrf_token_first() {
    let d = desk().await;
    let mut alice = signed_in(&d.app, "alice@example.com").await;
    let form = alice.get("/tickets/new").await;
    assert!(form.body.contains("enctype=\"multipart/form-data\""));
    assert!(form.body.contains("type=\"file\""));
    let csrf = alice.csrf();
    let image = png(64, 48);

    // Filing a ticket with a file.
    let r = post_multipart(
        &alice,
        "/tickets",
        &[
            ("_csrf", None, csrf.as_bytes()),
            ("title", None, b"Screen flickers"),
            ("description", None, b"see the photo"),
            ("priority", None, b"normal"),
            ("files", Some("flicker.png"), &image),
            ("files", Some(""), b""),
        ],
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    let location = r.header("location");
    let id: i64 = location
        .trim_start_matches("/tickets/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let page = alice.get(&format!("/tickets/{id}")).await;
    assert!(page.body.contains("flicker.png"), "{}", page.body);
    assert!(page.body.contains("/thumbnail"));
    let list = get(
        &d.app,
        &d.alice,
        &format!("/api/v1/tickets/{id}/attachments"),
    )
    .await
    .json();
    let att = &list["items"][0];
    assert_eq!(att["comment_id"], Value::Null);
    let dl = alice
        .get(&format!("/tickets/{id}/attachments/{}", att["id"]))
        .await;
    assert_eq!(dl.status, StatusCode::OK);
    assert_eq!(dl.header("content-type"), "image/png");

    // A reply with a file links it to the reply.
    let r = post_multipart(
        &alice,
        &format!("/tickets/{id}/comments"),
        &[
            ("_csrf", None, csrf.as_bytes()),
            ("body", None, b"and the log"),
            ("files", Some("x.log"), b"flicker at 10:02\n"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let list = get(
        &d.app,
        &d.alice,
        &format!("/api/v1/tickets/{id}/attachments"),
    )
    .await
    .json();
    let reply = list["items"][1]["comment_id"].as_i64().unwrap();
    // Each file shows under what it came with: the image on the ticket, the log in the reply.
    let page = alice.get(&format!("/tickets/{id}")).await;
    let (ticket_part, rest) = page.body.split_once("id=\"comments\"").unwrap();
    assert!(ticket_part.contains("flicker.png") && !ticket_part.contains("x.log"));
    let comments = rest.split("</ol>").next().unwrap();
    let in_reply = comments.split(&format!("id=\"c{reply}\"")).nth(1).unwrap();
    assert!(in_reply.contains("x.log"), "{comments}");

    // A refused file re-renders the form with the error and keeps the text; nothing is stored.
    let before = rows(&d.app).await;
    let r = post_multipart(
        &alice,
        &format!("/tickets/{id}/comments"),
        &[
            ("_csrf", None, csrf.as_bytes()),
            ("body", None, b"kept reply"),
            ("files", Some("evil.png"), b"<html><script>x</script>"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = String::from_utf8_lossy(&r.bytes);
    assert!(
        html.contains("kept reply") && html.contains("not accepted"),
        "{html}"
    );
    assert_eq!(rows(&d.app).await, before);
    assert_eq!(d.app.audit_count("attachment.create").await, 2);

    // Without the token, or with it anywhere but first: refused.
    for parts in [
        vec![
            ("body", None, b"x".as_slice()),
            ("files", Some("a.txt"), b"a".as_slice()),
        ],
        vec![
            ("body", None, b"x".as_slice()),
            ("_csrf", None, csrf.as_bytes()),
        ],
        vec![
            ("_csrf", None, b"0000".as_slice()),
            ("body", None, b"x".as_slice()),
        ],
    ] {
        let r = post_multipart(&alice, &format!("/tickets/{id}/comments"), &parts).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    // A declared body over the limit: 413 from the guard, before the token is even read.
    let cookie = format!("piket_csrf={csrf}");
    let r = tokio::time::timeout(
        Duration::from_secs(5),
        raw(
            &d.app,
            Method::POST,
            &format!("/tickets/{id}/comments"),
            &[
                ("cookie", &cookie),
                ("content-type", &content_type()),
                ("content-length", "900000000"),
            ],
            Body::from_stream(futures_util::stream::pending::<
                Result<Vec<u8>, std::io::Error>,
            >()),
        ),
    )
    .await
    .unwrap();
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);

    // The plain form without files still works.
    let r = alice
        .post(&format!("/tickets/{id}/comments"), &[("body", "no files")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // Staff remove a file from the ticket page; the requester has no such button.
    assert!(!alice
        .get(&format!("/tickets/{id}"))
        .await
        .body
        .contains("/delete\" class=\"remove-file\""));
    let mut tech = signed_in(&d.app, "tech@example.com").await;
    let page = tech.get(&format!("/tickets/{id}")).await;
    let remove = format!("/tickets/{id}/attachments/{}/delete", att["id"]);
    assert!(page.body.contains(&remove), "{}", page.body);
    let r = tech.post(&remove, &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(d.app.audit_count("attachment.delete").await, 1);
    let r = alice
        .get(&format!("/tickets/{id}/attachments/{}", att["id"]))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Another requester cannot fetch the file through the pages either.
    let mut bob = signed_in(&d.app, "bob@example.com").await;
    let r = bob
        .get(&format!("/tickets/{id}/attachments/{}", att["id"]))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
