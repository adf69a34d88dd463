//! Runs the built binary against a tiny HTTP server on 127.0.0.1 that records each request and
//! answers canned responses shaped like the real protocol's.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use piket_protocol::{EnrollRequest, InventoryReport, COLLECTOR_PATH, ENROLL_PATH, INVENTORY_PATH};

/// One request as the fake server saw it.
#[derive(Debug)]
struct Recorded {
    method: String,
    path: String,
    /// Lowercased names.
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

/// A canned answer.
struct Canned {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
}

fn canned(status: u16, body: &str) -> Canned {
    Canned {
        status,
        headers: Vec::new(),
        body: body.to_string(),
    }
}

fn read_request(stream: &mut std::net::TcpStream) -> Recorded {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).unwrap();
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let mut headers = HashMap::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap();
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
    }
    let mut body = Vec::new();
    if let Some(length) = headers.get("content-length") {
        body.resize(length.parse().unwrap(), 0);
        reader.read_exact(&mut body).unwrap();
    } else if headers.get("transfer-encoding").map(String::as_str) == Some("chunked") {
        loop {
            let mut size_line = String::new();
            reader.read_line(&mut size_line).unwrap();
            let size = usize::from_str_radix(size_line.trim(), 16).unwrap();
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).unwrap();
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    }
    Recorded {
        method,
        path,
        headers,
        body,
    }
}

/// Serve the answers in order, one connection each; returns the base URL and the recordings.
fn serve(answers: Vec<Canned>) -> (String, Receiver<Recorded>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (sender, receiver) = channel();
    std::thread::spawn(move || {
        for answer in answers {
            let (mut stream, _) = listener.accept().unwrap();
            let recorded = read_request(&mut stream);
            let reason = match answer.status {
                200 => "OK",
                401 => "Unauthorized",
                404 => "Not Found",
                429 => "Too Many Requests",
                503 => "Service Unavailable",
                _ => "Whatever",
            };
            let mut head = format!(
                "HTTP/1.1 {} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
                answer.status,
                answer.body.len()
            );
            for (name, value) in &answer.headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("\r\n");
            stream.write_all(head.as_bytes()).unwrap();
            stream.write_all(answer.body.as_bytes()).unwrap();
            stream.flush().unwrap();
            let _ = sender.send(recorded);
        }
    });
    (url, receiver)
}

/// A port nothing listens on.
fn closed_port_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

fn agent(config: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_piket-agent"));
    command
        .env_remove("PIKET_AGENT_CONFIG")
        .env_remove("PIKET_AGENT_TOKEN")
        .arg("--config")
        .arg(config);
    command
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}

fn enrolled_config(dir: &Path, server: &str) -> PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        format!("server = \"{server}\"\ndevice_id = \"dev_abc\"\nsecret = \"s3cret\"\n"),
    )
    .unwrap();
    path
}

const ENROLLED: &str =
    r#"{"device_id":"dev_7f3a","secret":"S3cr3tS3cr3t","asset_id":42,"report_interval_hours":6}"#;

fn receipt(status: &str) -> String {
    format!(
        r#"{{"status":"{status}","asset_id":42,"fingerprint":"abc123","report_interval_hours":6}}"#
    )
}

#[test]
fn enroll_stores_identity_in_a_private_config() {
    let (url, requests) = serve(vec![canned(200, ENROLLED)]);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("etc").join("config.toml");
    let output = agent(&config)
        .args([
            "enroll",
            "--server",
            &format!("{url}/"),
            "--token",
            "enr_tok123",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));

    let request = requests.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, ENROLL_PATH);
    assert_eq!(request.headers["content-type"], "application/json");
    let body: EnrollRequest = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body.token, "enr_tok123");
    assert_eq!(body.hostname, hostname());
    assert_eq!(body.agent_version, env!("CARGO_PKG_VERSION"));

    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains("device_id = \"dev_7f3a\""), "{text}");
    assert!(text.contains("secret = \"S3cr3tS3cr3t\""), "{text}");
    assert!(text.contains(&format!("server = \"{url}\"")), "{text}");
    assert!(text.contains("server_interval_hours = 6"), "{text}");
    // The id alone, for the desktop helper, beside the config.
    let device_id = config.with_file_name("device-id");
    assert_eq!(std::fs::read_to_string(&device_id).unwrap(), "dev_7f3a");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&config), 0o600);
        assert_eq!(mode(&device_id), 0o644);
        assert_eq!(mode(config.parent().unwrap()), 0o711);
    }
}

#[test]
fn refused_enrollment_token_is_explained_and_exits_nonzero() {
    let (url, _requests) = serve(vec![canned(
        401,
        r#"{"error":"invalid_token","message":"This enrollment token is not valid"}"#,
    )]);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    let output = agent(&config)
        .args(["enroll", "--server", &url, "--token", "bad"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(4));
    let err = stderr(&output);
    assert!(
        err.contains("the enrollment token was refused: expired, revoked or mistyped — ask your admin for a new one"),
        "{err}"
    );
    assert!(err.contains("This enrollment token is not valid"), "{err}");
    assert!(!config.exists());
}

#[test]
fn report_sends_gzip_json_with_the_device_bearer_and_stores_the_fingerprint() {
    let (url, requests) = serve(vec![canned(200, &receipt("updated"))]);
    let dir = tempfile::tempdir().unwrap();
    let config = enrolled_config(dir.path(), &url);
    let output = agent(&config).arg("report").output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("updated"));

    let request = requests.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(request.path, INVENTORY_PATH);
    assert_eq!(request.headers["authorization"], "Bearer dev_abc.s3cret");
    assert_eq!(request.headers["content-encoding"], "gzip");
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(&request.body[..])
        .read_to_end(&mut json)
        .unwrap();
    let report: InventoryReport = serde_json::from_slice(&json).unwrap();
    assert_eq!(report.protocol, piket_protocol::PROTOCOL_VERSION);
    assert_eq!(report.inventory.hostname, hostname());

    let saved = std::fs::read_to_string(&config).unwrap();
    assert!(
        saved.contains(&format!(
            "last_fingerprint = \"{}\"",
            report.inventory.fingerprint()
        )),
        "{saved}"
    );
    assert!(saved.contains("last_report_unix = "), "{saved}");
}

#[test]
fn refused_device_credentials_and_rate_limits_are_explained() {
    let (url, _requests) = serve(vec![
        canned(
            401,
            r#"{"error":"invalid_credentials","message":"unknown device"}"#,
        ),
        Canned {
            status: 429,
            headers: vec![("Retry-After", "120".into())],
            body: r#"{"error":"rate_limited","message":"too many reports"}"#.into(),
        },
    ]);
    let dir = tempfile::tempdir().unwrap();
    let config = enrolled_config(dir.path(), &url);

    let output = agent(&config).arg("report").output().unwrap();
    assert_eq!(output.status.code(), Some(4));
    assert!(
        stderr(&output).contains("refused this device's credentials"),
        "{}",
        stderr(&output)
    );

    let output = agent(&config).arg("report").output().unwrap();
    assert_eq!(output.status.code(), Some(6));
    let err = stderr(&output);
    assert!(
        err.contains("rate-limited") && err.contains("retry in 120 seconds"),
        "{err}"
    );
    assert!(!std::fs::read_to_string(&config)
        .unwrap()
        .contains("last_fingerprint"));
}

#[test]
fn unreachable_server_names_the_url() {
    let dir = tempfile::tempdir().unwrap();
    let url = closed_port_url();
    let config = enrolled_config(dir.path(), &url);
    let output = agent(&config).arg("report").output().unwrap();
    assert_eq!(output.status.code(), Some(3));
    let err = stderr(&output);
    assert!(
        err.contains(&format!("cannot reach the server at {url}{INVENTORY_PATH}")),
        "{err}"
    );
    assert!(err.to_lowercase().contains("refused"), "{err}");
}

#[test]
fn report_without_enrollment_says_to_enroll() {
    let dir = tempfile::tempdir().unwrap();
    let output = agent(&dir.path().join("none.toml"))
        .arg("report")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("piket-agent enroll"));
}

/// Collect stderr lines of a running child until `done` says so or the time is up.
fn stderr_until(
    child: &mut std::process::Child,
    timeout: Duration,
    done: impl Fn(&[String]) -> bool,
) -> Vec<String> {
    let stderr = child.stderr.take().unwrap();
    let (sender, receiver) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + timeout;
    let mut lines = Vec::new();
    while !done(&lines) {
        let left = deadline.saturating_duration_since(Instant::now());
        match receiver.recv_timeout(left) {
            Ok(line) => lines.push(line),
            Err(_) => break,
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    lines
}

/// The delays in "retrying in X s" lines, in milliseconds.
fn retry_delays(lines: &[String]) -> Vec<u64> {
    lines
        .iter()
        .filter_map(|l| l.split("retrying in ").nth(1))
        .filter_map(|rest| rest.trim_end_matches(" s").parse::<f64>().ok())
        .map(|s| (s * 1000.0).round() as u64)
        .collect()
}

#[test]
fn run_backs_off_exponentially_while_the_server_is_down() {
    let dir = tempfile::tempdir().unwrap();
    let config = enrolled_config(dir.path(), &closed_port_url());
    let mut child = agent(&config)
        .arg("run")
        .env("PIKET_AGENT_BACKOFF_MS", "40")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = stderr_until(&mut child, Duration::from_secs(20), |l| {
        retry_delays(l).len() >= 5
    });
    let delays = retry_delays(&lines);
    assert!(delays.len() >= 5, "{lines:?}");
    // 40, 80, 160, 320, 640 ms ± 20 %: each strictly longer than the one before.
    assert!(delays.windows(2).take(4).all(|w| w[1] > w[0]), "{delays:?}");
    assert!((32..=48).contains(&delays[0]), "{delays:?}");
    assert!(
        lines
            .iter()
            .all(|l| l.ends_with(" s") || l.contains("piket-agent: ")),
        "{lines:?}"
    );
    assert!(lines[0].contains("started"), "{lines:?}");
}

#[test]
fn run_retries_until_the_server_answers_then_stores_the_report() {
    let (url, requests) = serve(vec![
        canned(503, r#"{"error":"unavailable","message":"database busy"}"#),
        canned(503, "oops"),
        canned(200, &receipt("updated")),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let config = enrolled_config(dir.path(), &url);
    let mut child = agent(&config)
        .args(["run", "--interval-hours", "5"])
        .env("PIKET_AGENT_BACKOFF_MS", "30")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = stderr_until(&mut child, Duration::from_secs(20), |l| {
        l.iter().any(|x| x.contains("next check in"))
    });
    assert_eq!(retry_delays(&lines).len(), 2, "{lines:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("503") && l.contains("database busy")),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("report updated (asset 42")),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("next check in 5 h")),
        "{lines:?}"
    );
    for _ in 0..3 {
        let request = requests.recv_timeout(Duration::from_secs(1)).unwrap();
        assert_eq!(request.headers["authorization"], "Bearer dev_abc.s3cret");
    }
    let saved = std::fs::read_to_string(&config).unwrap();
    assert!(saved.contains("last_fingerprint"), "{saved}");
    assert!(saved.contains("server_interval_hours = 6"), "{saved}");
}

#[test]
fn run_does_not_send_an_unchanged_inventory() {
    let (url, requests) = serve(vec![canned(200, &receipt("updated"))]);
    let dir = tempfile::tempdir().unwrap();
    let config = enrolled_config(dir.path(), &url);
    // First report stores the fingerprint and the time.
    let output = agent(&config).arg("report").output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    requests.recv_timeout(Duration::from_secs(5)).unwrap();

    let mut child = agent(&config)
        .arg("run")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = stderr_until(&mut child, Duration::from_secs(20), |l| {
        l.iter().any(|x| x.contains("next check in"))
    });
    assert!(lines.iter().any(|l| l.contains("unchanged")), "{lines:?}");
    assert!(
        lines.iter().any(|l| l.contains("next check in 6 h")),
        "{lines:?}"
    );
    assert!(requests.recv_timeout(Duration::from_millis(200)).is_err());
}

#[test]
fn collect_posts_the_legacy_body() {
    let (url, requests) = serve(vec![canned(
        200,
        r#"{"status":"success","message":"Main device data updated successfully","main_id":123}"#,
    )]);
    let dir = tempfile::tempdir().unwrap();
    let output = agent(&dir.path().join("unused.toml"))
        .args([
            "collect",
            "--server",
            &url,
            "--email",
            "Ana@Example.com",
            "--yes",
        ])
        .args(["--enrollment-token", "enr_x"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("Main device data updated successfully (device 123)"),
        "{stdout}"
    );

    let request = requests.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(request.path, COLLECTOR_PATH);
    assert_eq!(request.headers["x-enrollment-token"], "enr_x");
    assert!(!request.headers.contains_key("content-encoding"));
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body["email"], "Ana@Example.com");
    let data = body["data"].as_object().unwrap();
    let mut keys: Vec<&str> = data.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "cpu",
            "credential",
            "hostname",
            "ipaddress",
            "jenis",
            "lisensi_office",
            "lisensi_windows",
            "manufaktur",
            "office",
            "os",
            "ram",
            "storage"
        ]
    );
    for unknown in ["credential", "office", "lisensi_office", "lisensi_windows"] {
        assert!(data[unknown].is_null(), "{unknown}");
    }
    assert_eq!(data["hostname"], hostname().as_str());
    assert!(data["ram"].as_str().unwrap().ends_with(" GB"));
}

#[test]
fn collect_asks_for_confirmation_and_explains_unknown_email() {
    let (url, requests) = serve(vec![canned(
        404,
        r#"{"status":"error","message":"User not found"}"#,
    )]);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("unused.toml");

    // Answering "n" sends nothing.
    let mut child = agent(&config)
        .args(["collect", "--server", &url])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"ana@example.com\nn\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("Your registered email address"), "{stdout}");
    assert!(stdout.contains("Nothing sent."), "{stdout}");
    assert!(requests.recv_timeout(Duration::from_millis(200)).is_err());

    // An unknown email: the server's message and a nonzero exit.
    let output = agent(&config)
        .args([
            "collect",
            "--server",
            &url,
            "--email",
            "nobody@example.com",
            "--yes",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(5));
    assert!(
        stderr(&output).contains("User not found"),
        "{}",
        stderr(&output)
    );
}
