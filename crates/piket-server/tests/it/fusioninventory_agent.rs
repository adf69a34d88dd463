//! The real `fusioninventory-agent` (Debian's package) reporting to the real `piket` binary:
//! PROLOG, then INVENTORY over zlib, answered so the agent accepts it; the device appears with
//! the hostname, serial, CPU, memory and software count of the agent's own `--local` XML.
//! Without a password it is refused with a Basic challenge; with the admin's anonymous switch
//! on it reports without one; given `--user`/`--password` (an enrollment token) it answers the
//! challenge and keeps reporting into the same asset once the switch is off again.
//! Prints `SKIPPED: fusioninventory-agent not installed` when the agent is missing (CI installs it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::child;

use child::Server;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_piket");
const AGENT: &str = "fusioninventory-agent";
/// Categories that only slow the run down and that Piket does not map.
const SKIP: &str = "printer,usb,process,environment,local_user,local_group";

/// The database the server in `data` uses.
fn database_url(data: &std::path::Path) -> String {
    match std::env::var("PIKET_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => fresh_pg_database(&url),
        _ => format!("sqlite://{}", data.join("piket.db").display()),
    }
}

/// Flip the admin's switch for anonymous agent reports, as the settings page does.
async fn anonymous_agents(data: &std::path::Path, on: bool) {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&database_url(data))
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO settings (key, value, updated_at) VALUES ('agents.anonymous', $1, 0) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(if on { "1" } else { "0" })
    .execute(&mut conn)
    .await
    .unwrap();
}

/// A count from the server's database.
async fn scalar(data: &std::path::Path, sql: &'static str) -> i64 {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&database_url(data))
        .await
        .unwrap();
    sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
}

/// Run the agent against `server`, with extra arguments; its exit status and whole log.
fn run_agent(server: &str, extra: &[&str]) -> (bool, String) {
    let run = agent()
        .args(["--server", server, "--force", "--debug", "--debug"])
        .args(extra)
        .output()
        .unwrap();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    (run.status.success(), log)
}

fn piket(data: &std::path::Path) -> Command {
    // PIKET_TEST_BIN: a copy of this checkout's binary, where several checkouts share a target
    // directory and another build may replace `target/debug/piket` while this test runs.
    let bin = std::env::var("PIKET_TEST_BIN").unwrap_or_else(|_| BIN.to_string());
    let mut c = Command::new(bin);
    c.env_remove("PIKET_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .arg("--data")
        .arg(data);
    if let Ok(url) = std::env::var("PIKET_TEST_DATABASE_URL") {
        if !url.is_empty() {
            c.arg("--database-url").arg(fresh_pg_database(&url));
        }
    }
    c
}

/// One PostgreSQL database per test run, created once (the binary migrates it).
fn fresh_pg_database(base: &str) -> String {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let name = NAME.get_or_init(|| {
        let name = format!("piket_fia_{}", std::process::id());
        let base = base.to_string();
        let n = name.clone();
        std::thread::spawn(move || {
            tokio::runtime::Runtime::new()
                .unwrap()
                .block_on(async move {
                    use sqlx::Connection;
                    let mut conn = sqlx::PgConnection::connect(&base).await.unwrap();
                    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {n}")))
                        .execute(&mut conn)
                        .await
                        .unwrap();
                })
        })
        .join()
        .unwrap();
        name
    });
    let (prefix, _) = base.rsplit_once('/').unwrap();
    format!("{prefix}/{name}")
}

fn agent() -> Command {
    let mut c = Command::new(AGENT);
    for proxy in [
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
    ] {
        c.env_remove(proxy);
    }
    c.args(["--tasks=Inventory", "--no-httpd", "--no-category", SKIP]);
    c
}

/// The text of `<tag>` in the first `<section>` block of an OCS XML document, "" when absent.
fn field(xml: &str, section: &str, tag: &str) -> String {
    let open = format!("<{section}>");
    let close = format!("</{section}>");
    let Some(start) = xml.find(&open) else {
        return String::new();
    };
    let block = &xml[start..];
    let block = &block[..block.find(&close).unwrap_or(block.len())];
    let (o, c) = (format!("<{tag}>"), format!("</{tag}>"));
    match (block.find(&o), block.find(&c)) {
        (Some(a), Some(b)) if b > a => block[a + o.len()..b].trim().to_string(),
        _ => String::new(),
    }
}

/// The agent's inventory of this machine, written with `--local` into `dir/name`.
fn local_inventory(dir: &std::path::Path, name: &str) -> String {
    let local = dir.join(name);
    std::fs::create_dir(&local).unwrap();
    let out = agent().arg("--local").arg(&local).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = std::fs::read_dir(&local)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::read_to_string(file).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_fusioninventory_agent_reports_its_machine() {
    if Command::new(AGENT).arg("--version").output().is_err() {
        println!("SKIPPED: fusioninventory-agent not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();

    // What the agent itself says about this machine.
    let xml = local_inventory(dir.path(), "local");
    let hostname = field(&xml, "HARDWARE", "NAME");
    let serial = field(&xml, "BIOS", "SSN");
    let cpu = field(&xml, "CPUS", "NAME");
    let memory: i64 = field(&xml, "HARDWARE", "MEMORY").parse().unwrap();
    let software = xml.matches("<SOFTWARES>").count();
    let kernel_hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert!(!hostname.is_empty());
    assert_eq!(
        kernel_hostname.trim().split('.').next().unwrap(),
        hostname.split('.').next().unwrap(),
        "the agent reports this machine"
    );

    // A Piket server with an admin key.
    let data = dir.path().join("data");
    let mut create = piket(&data)
        .args([
            "user",
            "create",
            "--email",
            "root@example.com",
            "--name",
            "Root",
        ])
        .args(["--role", "superadmin", "--password-stdin"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    create
        .stdin
        .take()
        .unwrap()
        .write_all(b"a-long-root-password\n")
        .unwrap();
    assert!(create.wait().unwrap().success());
    let out = piket(&data)
        .args([
            "apikey",
            "create",
            "--user",
            "root@example.com",
            "--name",
            "t",
        ])
        .output()
        .unwrap();
    let key = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(key.starts_with("pk_"), "{key}");
    // The server's log goes to a file, shown when the agent's run fails.
    let server_log = data.join("server.log");
    let mut serve = piket(&data);
    serve
        .env("RUST_LOG", "info")
        .arg("serve")
        .stderr(std::fs::File::create(&server_log).unwrap());
    let (_server, addr) = Server::serve(serve, Duration::from_secs(20));
    let base = format!("http://{addr}");
    let server_log = move || std::fs::read_to_string(&server_log).unwrap_or_default();
    let client = reqwest::Client::new();

    let server = format!("{base}/ocsinventory");
    let r = client
        .post(format!("{base}/api/v1/agent/enrollment-tokens"))
        .header("x-api-key", &key)
        .json(&serde_json::json!({"name": "FusionInventory agents"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let token: serde_json::Value = r.json().await.unwrap();
    let token = token["secret"].as_str().unwrap().to_string();

    // Without a password (the default): refused with a challenge, nothing stored.
    let (_, log) = run_agent(&server, &[]);
    assert!(
        log.contains("authentication required, no credentials available"),
        "{log}"
    );
    assert_eq!(
        scalar(&data, "SELECT COUNT(*) FROM hardware_assets").await,
        0
    );

    // The admin lets anonymous agents in: the agent reports without a password.
    anonymous_agents(&data, true).await;
    let (ok, log) = run_agent(&server, &[]);
    assert!(ok, "{log}");
    assert!(log.contains("no_account_update"), "{log}");
    assert_eq!(
        scalar(&data, "SELECT COUNT(*) FROM hardware_assets").await,
        1
    );
    assert_eq!(
        scalar(
            &data,
            "SELECT COUNT(*) FROM asset_identities WHERE token_id IS NULL"
        )
        .await,
        1
    );

    // Anonymous reports off again; the agent, pointed at Piket as at an OCS server, now with
    // the token as its password, answers the challenge and reports into the same asset.
    anonymous_agents(&data, false).await;
    let started = Instant::now();
    let (ok, log) = run_agent(&server, &["--user", "agent", "--password", &token]);
    println!("agent run took {:?}", started.elapsed());
    assert!(ok, "{log}\nserver:\n{}", server_log());
    assert!(!log.contains("[error]"), "{log}\nserver:\n{}", server_log());
    assert!(
        log.contains("authentication required, submitting credentials"),
        "the agent answered the challenge: {log}"
    );
    assert!(
        log.contains("<RESPONSE>SEND</RESPONSE>"),
        "the agent read our PROLOG reply: {log}"
    );
    assert!(
        log.contains("format: Zlib"),
        "zlib replies to zlib requests"
    );
    assert!(
        log.contains("no_account_update"),
        "the agent read our INVENTORY reply"
    );
    assert_eq!(
        scalar(
            &data,
            "SELECT COUNT(*) FROM asset_identities WHERE token_id IS NOT NULL"
        )
        .await,
        1,
        "the agent is bound to its token now"
    );

    let list: serde_json::Value = client
        .get(format!("{base}/api/v1/inventory/hardware"))
        .header("x-api-key", &key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    let a = &items[0];
    assert_eq!(a["hostname"], hostname.as_str());
    let expected_serial = piket_server::inventory::ingest::map::clean(&serial);
    assert_eq!(a["serial"], expected_serial.as_str());
    assert!(
        a["cpu"].as_str().unwrap().starts_with(&cpu),
        "{} vs {cpu}",
        a["cpu"]
    );
    assert_eq!(a["ram_mb"], memory);
    let id = a["id"].as_i64().unwrap();
    let sw: serde_json::Value = client
        .get(format!("{base}/api/v1/inventory/hardware/{id}/software"))
        .header("x-api-key", &key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let stored = sw["items"].as_array().unwrap().len();
    // Packages installed by something else on this machine while the test runs change the count:
    // the agent's own report from just after the run must then agree.
    if stored != software.min(5000) {
        let after = local_inventory(dir.path(), "local-after");
        assert_eq!(
            stored,
            after.matches("<SOFTWARES>").count().min(5000),
            "software count: before the run {software}, stored {stored}"
        );
    }

    // A second run changes nothing: still one asset.
    let (ok, log) = run_agent(&server, &["--user", "agent", "--password", &token]);
    assert!(ok, "{log}\nserver:\n{}", server_log());
    assert!(!log.contains("[error]"), "{log}\nserver:\n{}", server_log());
    let list: serde_json::Value = client
        .get(format!("{base}/api/v1/inventory/hardware"))
        .header("x-api-key", &key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["updated_at"], a["updated_at"]);
}
