//! Sending the queue: oldest first, one report at a time, each removed only when the server
//! answered with its ticket. The server de-duplicates by the report's client id, so a report
//! sent again after a lost answer files nothing twice. A screenshot the server finds too large
//! (413) is sent again smaller, as JPEG, down to a floor; past it, without the picture.

use std::path::Path;
use std::time::Duration;

use piket_protocol::desktop::{Filed, REPORTS_PATH};

use super::queue::{self, Queued};
use piket_agent::client::{self, Answer};

/// One report's whole upload, connect included.
const SEND_TIMEOUT: Duration = Duration::from_secs(120);
/// The smaller copies tried after a 413: (longest side in pixels, JPEG quality).
pub const SMALLER: [(u32, u8); 2] = [(1920, 80), (1280, 60)];

/// What became of one report.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Filed (now or by an earlier try): it left the queue.
    Filed(Filed),
    /// Not now (the server away, busy, or the link not confirmed yet): it stays and is tried
    /// again later.
    Later(String),
    /// Never (the account disabled, the report invalid): it stays, marked, for the user.
    Refused(String),
    /// The link itself is gone (401): the user must link this computer again.
    Unlinked(String),
}

/// A multipart body with the report's JSON and, if any, its screenshot.
pub fn multipart(boundary: &str, json: &[u8], shot: Option<(&[u8], &str)>) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len() + shot.map_or(0, |s| s.0.len()) + 512);
    out.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"report\"\r\n\
             Content-Type: application/json\r\n\r\n"
        )
        .as_bytes(),
    );
    out.extend_from_slice(json);
    out.extend_from_slice(b"\r\n");
    if let Some((bytes, ext)) = shot {
        let mime = if ext == "png" {
            "image/png"
        } else {
            "image/jpeg"
        };
        out.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"screenshot\"; \
                 filename=\"screenshot.{ext}\"\r\nContent-Type: {mime}\r\n\r\n"
            )
            .as_bytes(),
        );
        out.extend_from_slice(bytes);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    out
}

/// What an answer means for the report (413 is handled by the caller).
pub fn outcome(answer: &Answer) -> Outcome {
    let said = client::server_message(&answer.body);
    match answer.status {
        200 | 201 => match serde_json::from_str::<Filed>(&answer.body) {
            Ok(filed) => Outcome::Filed(filed),
            Err(_) => Outcome::Later(format!("the server's answer was not understood: {said}")),
        },
        401 => Outcome::Unlinked(said),
        403 => Outcome::Refused(said),
        409 => Outcome::Later(said),
        400 | 404 | 422 => Outcome::Refused(said),
        413 => Outcome::Later(format!("the server takes no more uploads now: {said}")),
        _ => Outcome::Later(format!("HTTP {}: {said}", answer.status)),
    }
}

/// A smaller JPEG of an image file: its longest side at most `max_side`.
pub fn smaller_jpeg(bytes: &[u8], max_side: u32, quality: u8) -> Option<Vec<u8>> {
    let image = image::load_from_memory(bytes).ok()?;
    let small = if image.width().max(image.height()) > max_side {
        image.resize(max_side, max_side, image::imageops::FilterType::Triangle)
    } else {
        image
    };
    let mut out = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
    small.to_rgb8().write_with_encoder(encoder).ok()?;
    Some(out)
}

fn boundary(client_id: &str) -> String {
    format!("piket-desktop-{client_id}")
}

fn post(server: &str, bearer: &str, item: &Queued) -> Result<Answer, String> {
    let json = serde_json::to_vec(&item.report).map_err(|e| e.to_string())?;
    let shot = match &item.screenshot {
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
            let ext = path
                .extension()
                .map(|e| e.to_string_lossy().into_owned())
                .unwrap_or_default();
            Some((bytes, ext))
        }
        None => None,
    };
    let boundary = boundary(&item.report.client_id);
    let body = multipart(
        &boundary,
        &json,
        shot.as_ref().map(|(b, e)| (b.as_slice(), e.as_str())),
    );
    let content_type = format!("multipart/form-data; boundary={boundary}");
    eprintln!("piket-agent: sending a report of {} bytes", body.len());
    client::request(
        "POST",
        &client::endpoint(server, REPORTS_PATH),
        Some((&content_type, &body)),
        &[("Authorization", bearer.to_string())],
        SEND_TIMEOUT,
    )
    .map_err(|f| f.message)
}

/// Send one report, downsizing its screenshot while the server answers 413.
pub fn send_one(server: &str, bearer: &str, item: &mut Queued) -> Outcome {
    let mut steps = SMALLER.iter();
    loop {
        let answer = match post(server, bearer, item) {
            Ok(a) => a,
            Err(why) => return Outcome::Later(why),
        };
        // 413 also says "your uploads for today are used up": no picture is small enough for
        // that, so the report waits (review finding: it used to lose its screenshot).
        if answer.status != 413 || answer.body.contains("upload_quota_exceeded") {
            return outcome(&answer);
        }
        let original = item.screenshot.as_ref().and_then(|p| std::fs::read(p).ok());
        let smaller = match (original, steps.next()) {
            (Some(bytes), Some(&(side, quality))) => smaller_jpeg(&bytes, side, quality),
            _ => None,
        };
        if item.screenshot.is_none() {
            return Outcome::Refused(client::server_message(&answer.body));
        }
        let replaced = match &smaller {
            Some(jpeg) => queue::replace_screenshot(item, Some((jpeg, "jpg"))),
            // Past the floor: the report goes without its picture, and says so.
            None => {
                item.report
                    .description
                    .push_str("\n\n(The screenshot was left out: too large for the server.)");
                let json = serde_json::to_vec_pretty(&item.report).unwrap_or_default();
                let _ = std::fs::write(item.dir.join("report.json"), json);
                queue::replace_screenshot(item, None)
            }
        };
        if let Err(why) = replaced {
            return Outcome::Later(why);
        }
    }
}

/// Send what the queue holds, oldest first, until it is empty or the server is away; calls
/// `done` with each report's outcome. Refused reports are skipped (the user discards them).
pub fn drain(
    server: &str,
    bearer: &str,
    queue_dir: &Path,
    mut done: impl FnMut(&Queued, &Outcome),
) {
    for mut item in queue::list(queue_dir) {
        if item.refused.is_some() {
            continue;
        }
        let result = send_one(server, bearer, &mut item);
        match &result {
            Outcome::Filed(_) => {
                let _ = queue::remove(&item);
            }
            Outcome::Refused(why) => {
                let _ = queue::mark_refused(&item, why);
            }
            Outcome::Later(_) | Outcome::Unlinked(_) => {
                done(&item, &result);
                return;
            }
        }
        done(&item, &result);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desktop::answer;

    #[test]
    fn each_answer_decides_the_reports_fate() {
        let filed = r#"{"ticket_id":7,"path":"/tickets/7","created":true}"#;
        assert!(matches!(outcome(&answer(201, filed)), Outcome::Filed(f) if f.ticket_id == 7));
        assert!(matches!(outcome(&answer(200, filed)), Outcome::Filed(_)));
        assert!(matches!(outcome(&answer(503, "")), Outcome::Later(_)));
        assert!(matches!(outcome(&answer(429, "")), Outcome::Later(_)));
        assert!(matches!(outcome(&answer(409, "")), Outcome::Later(_)));
        let disabled = r#"{"title":"Forbidden","status":403,"message":"disabled"}"#;
        assert!(matches!(
            outcome(&answer(403, disabled)),
            Outcome::Refused(_)
        ));
        assert!(matches!(outcome(&answer(422, "{}")), Outcome::Refused(_)));
        assert!(matches!(outcome(&answer(401, "")), Outcome::Unlinked(_)));
        assert!(matches!(
            outcome(&answer(201, "not json")),
            Outcome::Later(_)
        ));
        let quota = r#"{"status":413,"code":"upload_quota_exceeded","detail":"quota"}"#;
        assert!(matches!(outcome(&answer(413, quota)), Outcome::Later(_)));
    }

    #[test]
    fn the_body_holds_the_report_and_the_picture_between_boundaries() {
        let body = multipart("b0", br#"{"a":1}"#, Some((b"\x89PNG", "png")));
        let text = String::from_utf8_lossy(&body);
        assert!(text.starts_with("--b0\r\nContent-Disposition: form-data; name=\"report\""));
        assert!(text.contains("filename=\"screenshot.png\"\r\nContent-Type: image/png"));
        assert!(text.ends_with("--b0--\r\n"));
        let without = multipart("b0", b"{}", None);
        assert!(!String::from_utf8_lossy(&without).contains("screenshot"));
    }

    /// A server on loopback that answers each request with `answer(body length)` and notes the
    /// lengths it saw.
    fn fake_server(
        answer: fn(usize) -> (u16, &'static str),
    ) -> (String, std::sync::Arc<std::sync::Mutex<Vec<usize>>>) {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let noted = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(stream);
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                noted.lock().unwrap().push(length);
                let (status, text) = answer(length);
                let reply = format!(
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                    text.len()
                );
                let _ = reader.get_mut().write_all(reply.as_bytes());
            }
        });
        (base, seen)
    }

    fn noisy_png(width: u32, height: u32) -> Vec<u8> {
        let mut seed = 11u32;
        let img = image::RgbImage::from_fn(width, height, |_, _| {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let [a, b, c, _] = seed.to_le_bytes();
            image::Rgb([a, b, c])
        });
        let mut png = std::io::Cursor::new(Vec::new());
        img.write_to(&mut png, image::ImageFormat::Png).unwrap();
        png.into_inner()
    }

    #[test]
    fn a_screen_too_big_for_the_server_is_sent_smaller_until_it_files() {
        // The server takes at most 3 MB: a 3-monitor 4K screen of noise (~100 MB as PNG would
        // be too slow here; 5760x1080 is ~18 MB) must shrink to fit.
        let (base, seen) = fake_server(|len| {
            if len > 3_000_000 {
                (413, r#"{"detail":"too large"}"#)
            } else {
                (201, r#"{"ticket_id":9,"path":"/tickets/9","created":true}"#)
            }
        });
        let dir = tempfile::tempdir().unwrap();
        let report = piket_protocol::desktop::Report {
            client_id: "big-screen-01".into(),
            title: "three monitors".into(),
            ..Default::default()
        };
        let png = noisy_png(5760, 1080);
        queue::put(dir.path(), 1, &report, Some((&png, "png"))).unwrap();
        let mut outcomes = Vec::new();
        drain(&base, "Bearer dsk_x.y", dir.path(), |_, o| {
            outcomes.push(o.clone())
        });
        assert!(
            matches!(&outcomes[..], [Outcome::Filed(f)] if f.ticket_id == 9),
            "{outcomes:?}"
        );
        let sizes = seen.lock().unwrap().clone();
        assert!(sizes.len() >= 2 && sizes[0] > 3_000_000, "{sizes:?}");
        assert!(*sizes.last().unwrap() <= 3_000_000, "{sizes:?}");
        assert!(
            queue::list(dir.path()).is_empty(),
            "a filed report leaves the queue"
        );
    }

    #[test]
    fn a_report_refused_for_good_stays_marked_and_is_not_sent_again() {
        let (base, seen) = fake_server(|_| (403, r#"{"detail":"This account is disabled."}"#));
        let dir = tempfile::tempdir().unwrap();
        let report = piket_protocol::desktop::Report {
            client_id: "disabled-0001".into(),
            title: "t".into(),
            ..Default::default()
        };
        queue::put(dir.path(), 1, &report, None).unwrap();
        drain(&base, "Bearer dsk_x.y", dir.path(), |_, _| {});
        drain(&base, "Bearer dsk_x.y", dir.path(), |_, _| {});
        assert_eq!(seen.lock().unwrap().len(), 1, "sent once, never retried");
        let left = queue::list(dir.path());
        assert_eq!(
            left[0].refused.as_deref(),
            Some("This account is disabled.")
        );
    }

    #[test]
    fn a_big_screen_shrinks_to_a_jpeg_within_the_side() {
        // A screen of noise (a photo, a busy page): PNG cannot squeeze it, JPEG can.
        let mut seed = 7u32;
        let img = image::RgbImage::from_fn(3840, 1080, |_, _| {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let [a, b, c, _] = seed.to_le_bytes();
            image::Rgb([a, b, c])
        });
        let mut png = std::io::Cursor::new(Vec::new());
        img.write_to(&mut png, image::ImageFormat::Png).unwrap();
        let jpeg = smaller_jpeg(png.get_ref(), 1920, 80).unwrap();
        let back = image::load_from_memory(&jpeg).unwrap();
        assert_eq!((back.width(), back.height()), (1920, 540));
        assert!(jpeg.len() < png.get_ref().len());
        assert!(smaller_jpeg(b"not an image", 1920, 80).is_none());
    }
}
