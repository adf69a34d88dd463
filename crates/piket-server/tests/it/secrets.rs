//! Secrets at rest (asset credentials, licence keys) through the real router and start-up, on
//! SQLite and PostgreSQL: sealed in the database under a key kept in a file apart from it, bound
//! to their row and column, sealed at start when an older version left them in the clear,
//! refused at start when the key file is missing or foreign, and re-sealed by a rotation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::path::PathBuf;
use std::sync::Arc;

use axum::http::{Method, StatusCode};
use common::{signed_in, Reply, TestApp};
use piket_server::secrets::keyfile::{self, KeyBytes};
use piket_server::secrets::{rotate, Column, SecretBox, HARDWARE_CREDENTIAL, LICENSE_KEY};
use serde_json::{json, Value};

const HW: &str = "/api/v1/inventory/hardware";
const LIC: &str = "/api/v1/inventory/licenses";

struct Desk {
    app: TestApp,
    admin: String,
}

async fn desk() -> Desk {
    desk_with(|_| {}).await
}

async fn desk_with(adjust: impl FnOnce(&mut piket_server::config::Settings)) -> Desk {
    let app = TestApp::with(adjust).await;
    let (_, admin) = app.admin().await;
    Desk { app, admin }
}

impl Desk {
    async fn send(&self, method: Method, path: &str, body: Value) -> Reply {
        self.app.json(method, path, &self.admin, body).await
    }

    async fn asset(&self, name: &str, credential: &str) -> i64 {
        let r = self
            .send(
                Method::POST,
                HW,
                json!({"name": name, "type": "server", "credential": credential}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.json()["id"].as_i64().unwrap()
    }

    async fn licence(&self, product: &str, key: &str) -> i64 {
        let r = self
            .send(
                Method::POST,
                LIC,
                json!({"product": product, "key": key, "seats": 3}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.json()["id"].as_i64().unwrap()
    }

    async fn reveal_credential(&self, id: i64) -> Reply {
        self.send(Method::POST, &format!("{HW}/{id}/reveal"), json!({}))
            .await
    }

    async fn reveal_key(&self, id: i64) -> Reply {
        self.send(Method::POST, &format!("{LIC}/{id}/reveal"), json!(null))
            .await
    }

    async fn credential(&self, id: i64) -> String {
        let r = self.reveal_credential(id).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.json()["credential"].as_str().unwrap().to_string()
    }

    async fn key(&self, id: i64) -> String {
        let r = self.reveal_key(id).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.json()["key"].as_str().unwrap().to_string()
    }

    /// The column's text as the database holds it.
    async fn raw(&self, col: Column, id: i64) -> String {
        let mut conn = self.app.state.db.pool.acquire().await.unwrap();
        let sql = format!("SELECT {} FROM {} WHERE id = $1", col.column, col.table);
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_one(&mut *conn)
            .await
            .unwrap()
    }

    async fn set_raw(&self, col: Column, id: i64, value: &str) {
        let mut conn = self.app.state.db.pool.acquire().await.unwrap();
        let sql = format!("UPDATE {} SET {} = $2 WHERE id = $1", col.table, col.column);
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(value.to_string())
            .execute(&mut *conn)
            .await
            .unwrap();
    }

    /// Every text the audit log and the asset history hold, in one string.
    async fn logged_text(&self) -> String {
        let mut conn = self.app.state.db.pool.acquire().await.unwrap();
        let audit: Vec<(Option<String>, Option<String>)> =
            sqlx::query_as("SELECT before_json, after_json FROM audit_log")
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        let history: Vec<(String, String)> =
            sqlx::query_as("SELECT old_value, new_value FROM hardware_history")
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        let mut all = String::new();
        for (a, b) in audit {
            all += &format!("{} {} ", a.unwrap_or_default(), b.unwrap_or_default());
        }
        for (a, b) in history {
            all += &format!("{a} {b} ");
        }
        all
    }

    fn key_path(&self) -> PathBuf {
        self.app.state.config.secret_key_file.clone()
    }

    /// Start again on the same database and data directory (what `piket serve` does after a
    /// restart or an upgrade).
    async fn start_again(&self) -> Result<piket_server::state::AppState, String> {
        piket_server::build_state(
            self.app.state.config.clone(),
            Arc::new(self.app.clock.clone()),
        )
        .await
    }

    async fn restart(&mut self) {
        let state = self.start_again().await.unwrap();
        self.app.router = piket_server::router(state.clone());
        self.app.state = state;
    }
}

fn assert_sealed(raw: &str, plain: &str, key_id: &str) {
    assert!(
        raw.starts_with(&format!("v1:{key_id}:")),
        "not sealed with {key_id}: {raw}"
    );
    assert!(!raw.contains(plain), "{raw} holds {plain}");
}

fn assert_unreadable(r: &Reply) {
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.json()["code"], "conflict");
    assert!(
        r.json()["detail"]
            .as_str()
            .unwrap()
            .contains("cannot be decrypted"),
        "{}",
        r.body
    );
}

/// Guards against credentials and licence keys stored in the clear (today's main keeps them as
/// typed, so every backup and database dump holds them readable).
#[tokio::test]
async fn secrets_are_sealed_in_the_database_and_revealed_in_the_clear() {
    let d = desk().await;
    let key_id = d.app.state.secrets.key_id().to_string();
    let hw = d.asset("Server", "admin:S3cret-hw").await;
    let lic = d.licence("Office", "LIC-S3cret-key").await;
    assert_sealed(&d.raw(HARDWARE_CREDENTIAL, hw).await, "S3cret", &key_id);
    assert_sealed(&d.raw(LICENSE_KEY, lic).await, "S3cret", &key_id);
    assert_eq!(d.credential(hw).await, "admin:S3cret-hw");
    assert_eq!(d.key(lic).await, "LIC-S3cret-key");

    // Changing them seals the new values too; the same value typed again changes nothing.
    let r = d
        .send(
            Method::PATCH,
            &format!("{HW}/{hw}"),
            json!({"credential": "root:N3w-S3cret"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = d
        .send(
            Method::PATCH,
            &format!("{LIC}/{lic}"),
            json!({"key": "LIC-N3w-S3cret"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let stored = d.raw(HARDWARE_CREDENTIAL, hw).await;
    assert_sealed(&stored, "S3cret", &key_id);
    assert_sealed(&d.raw(LICENSE_KEY, lic).await, "S3cret", &key_id);
    assert_eq!(d.credential(hw).await, "root:N3w-S3cret");
    assert_eq!(d.key(lic).await, "LIC-N3w-S3cret");
    let changes = d.logged_text().await.matches("••••••").count();
    let r = d
        .send(
            Method::PATCH,
            &format!("{HW}/{hw}"),
            json!({"credential": "root:N3w-S3cret"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(d.raw(HARDWARE_CREDENTIAL, hw).await, stored);
    assert_eq!(d.logged_text().await.matches("••••••").count(), changes);

    // Neither the audit log nor the history holds them.
    let logged = d.logged_text().await;
    assert!(!logged.contains("S3cret"), "{logged}");

    // On SQLite, not a byte of them in the database files either.
    if common::backend_name() == "sqlite" {
        for entry in std::fs::read_dir(&d.app.state.config.data_dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                let bytes = std::fs::read(&path).unwrap();
                let found = bytes.windows(6).any(|w| w == b"S3cret");
                assert!(!found, "{} holds a secret", path.display());
            }
        }
    }

    // The key file sits in the data directory, readable by its owner only.
    let path = d.key_path();
    assert_eq!(path, d.app.state.config.data_dir.join("secret.key"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

/// Guards against a ciphertext copied into another row or column being accepted (today a value
/// copied from one asset to another reveals the first asset's secret as the second's), and
/// against an altered one being a 500.
#[tokio::test]
async fn a_moved_or_altered_secret_is_refused_with_a_clear_error() {
    let d = desk().await;
    let a = d.asset("A", "cred-of-a").await;
    let b = d.asset("B", "cred-of-b").await;
    let lic = d.licence("Office", "key-of-lic").await;
    let sealed_a = d.raw(HARDWARE_CREDENTIAL, a).await;

    d.set_raw(HARDWARE_CREDENTIAL, b, &sealed_a).await;
    let reveals = d.app.audit_count("hardware.credential_reveal").await;
    assert_unreadable(&d.reveal_credential(b).await);
    assert_eq!(
        d.app.audit_count("hardware.credential_reveal").await,
        reveals,
        "a failed reveal revealed nothing"
    );
    d.set_raw(LICENSE_KEY, lic, &sealed_a).await;
    assert_unreadable(&d.reveal_key(lic).await);
    // One character of A's own value changed.
    let mut chars: Vec<char> = sealed_a.chars().collect();
    let i = chars.len() - 5;
    chars[i] = if chars[i] == 'Q' { 'R' } else { 'Q' };
    d.set_raw(HARDWARE_CREDENTIAL, a, &chars.iter().collect::<String>())
        .await;
    assert_unreadable(&d.reveal_credential(a).await);
    // Cut short.
    d.set_raw(HARDWARE_CREDENTIAL, a, &sealed_a[..20]).await;
    assert_unreadable(&d.reveal_credential(a).await);

    // The page says so in place of the secret, on the asset's own page.
    let mut web = signed_in(&d.app, "root@example.com").await;
    let r = web.post(&format!("/inventory/{b}/reveal"), &[]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        r.body.contains("The stored secret cannot be read"),
        "{}",
        r.body
    );
    assert!(r.body.contains("id=\"credential-masked\""));
    let r = web
        .post(&format!("/inventory/licenses/{lic}/reveal"), &[])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("The stored secret cannot be read"));

    // Setting it again mends it.
    let r = d
        .send(
            Method::PATCH,
            &format!("{HW}/{b}"),
            json!({"credential": "cred-of-b-again"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(d.credential(b).await, "cred-of-b-again");
}

/// Guards against an upgrade leaving the secrets an older version stored in the clear as they
/// were: the start seals them, once.
#[tokio::test]
async fn a_value_stored_in_the_clear_by_an_older_version_is_sealed_at_start() {
    let mut d = desk().await;
    let hw = d.asset("Old server", "").await;
    let empty = d.asset("No secret", "").await;
    let lic = d.licence("Old product", "").await;
    d.set_raw(HARDWARE_CREDENTIAL, hw, "legacy:pa55word").await;
    d.set_raw(LICENSE_KEY, lic, "LEGACY-KEY-0001").await;
    // Until the next start an older node's value still reads.
    assert_eq!(d.credential(hw).await, "legacy:pa55word");

    d.restart().await;
    let key_id = d.app.state.secrets.key_id().to_string();
    let sealed_hw = d.raw(HARDWARE_CREDENTIAL, hw).await;
    let sealed_lic = d.raw(LICENSE_KEY, lic).await;
    assert_sealed(&sealed_hw, "pa55word", &key_id);
    assert_sealed(&sealed_lic, "LEGACY", &key_id);
    assert_eq!(d.raw(HARDWARE_CREDENTIAL, empty).await, "");
    assert_eq!(d.credential(hw).await, "legacy:pa55word");
    assert_eq!(d.key(lic).await, "LEGACY-KEY-0001");

    // A second start finds nothing to do.
    d.restart().await;
    assert_eq!(d.raw(HARDWARE_CREDENTIAL, hw).await, sealed_hw);
    assert_eq!(d.raw(LICENSE_KEY, lic).await, sealed_lic);
}

/// Guards against a missing or foreign key file being replaced by a new key at start (which
/// would leave every stored secret unreadable for good).
#[tokio::test]
async fn a_missing_or_foreign_key_file_stops_the_start_with_a_clear_error() {
    let d = desk().await;
    let hw = d.asset("Server", "s3cret").await;
    let path = d.key_path();
    let saved = std::fs::read(&path).unwrap();

    std::fs::remove_file(&path).unwrap();
    let err = d
        .start_again()
        .await
        .err()
        .expect("a start without the key");
    assert!(err.contains("is missing"), "{err}");
    assert!(err.contains("1 secret"), "{err}");
    assert!(!path.exists(), "no new key was made");

    keyfile::create(&path, &KeyBytes::generate().unwrap()).unwrap();
    let err = d
        .start_again()
        .await
        .err()
        .expect("a start with another key");
    assert!(err.contains("not their key"), "{err}");

    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, saved).unwrap();
    assert!(d.start_again().await.is_ok());
    assert_eq!(d.credential(hw).await, "s3cret");
}

/// Guards the rotation: every value re-sealed under a new key that replaces the file, still
/// readable, and no longer opened by the old key.
#[tokio::test]
async fn rotate_reseals_every_secret_under_a_new_key() {
    let mut d = desk().await;
    let hw = d.asset("Server", "rotate-me").await;
    let lic = d.licence("Office", "ROTATE-KEY").await;
    let path = d.key_path();
    let old_key = keyfile::read(&path).unwrap().unwrap();
    let old_id = d.app.state.secrets.key_id().to_string();

    let done = rotate::run(&d.app.state.db, &path, &d.app.state.secrets)
        .await
        .unwrap();
    assert_eq!(done.resealed, 2);
    assert_eq!(done.old_key, old_id);
    assert_ne!(done.new_key, old_id);
    assert!(!keyfile::sibling(&path, "new").exists());
    assert!(!keyfile::sibling(&path, "old").exists());
    let new_key = keyfile::read(&path).unwrap().unwrap();
    assert_eq!(piket_server::secrets::key_id(&new_key), done.new_key);
    let raw_hw = d.raw(HARDWARE_CREDENTIAL, hw).await;
    let raw_lic = d.raw(LICENSE_KEY, lic).await;
    assert_sealed(&raw_hw, "rotate-me", &done.new_key);
    assert_sealed(&raw_lic, "ROTATE", &done.new_key);

    let old = SecretBox::new(&old_key);
    assert!(old.open(HARDWARE_CREDENTIAL.at(hw), &raw_hw).is_err());
    assert!(old.open(LICENSE_KEY.at(lic), &raw_lic).is_err());

    d.restart().await;
    assert_eq!(d.app.state.secrets.key_id(), done.new_key);
    assert_eq!(d.credential(hw).await, "rotate-me");
    assert_eq!(d.key(lic).await, "ROTATE-KEY");

    // A value that does not open would be stranded under the thrown-away key: the rotation
    // refuses, changing nothing and leaving no key files behind.
    let other = d.asset("Other", "other-secret").await;
    d.set_raw(HARDWARE_CREDENTIAL, other, &raw_hw).await;
    let key_before = std::fs::read(&path).unwrap();
    let err = rotate::run(&d.app.state.db, &path, &d.app.state.secrets)
        .await
        .unwrap_err();
    assert!(
        err.contains(&format!("hardware_assets.credential row {other}")),
        "{err}"
    );
    assert!(err.contains("nothing changed"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), key_before);
    assert!(!keyfile::sibling(&path, "new").exists());
    assert!(!keyfile::sibling(&path, "old").exists());
    assert_eq!(d.raw(HARDWARE_CREDENTIAL, hw).await, raw_hw);
    assert_eq!(d.raw(LICENSE_KEY, lic).await, raw_lic);
}

/// Guards against a rotation cut short leaving the database sealed under a key nobody loads:
/// before its commit the old key still serves, after it the next start finishes the rotation.
#[tokio::test]
async fn a_rotation_cut_short_is_safe_at_the_next_start() {
    let mut d = desk().await;
    let hw = d.asset("Server", "half-rotated").await;
    let path = d.key_path();
    let old_id = d.app.state.secrets.key_id().to_string();

    // Cut short before the commit: nothing changed.
    rotate::stage(&path).unwrap();
    d.restart().await;
    assert_eq!(d.app.state.secrets.key_id(), old_id);
    assert_eq!(d.credential(hw).await, "half-rotated");

    // Cut short after the commit, before the key file moved.
    let new_key = rotate::stage(&path).unwrap();
    let next = SecretBox::new(&new_key);
    rotate::reseal(&d.app.state.db, &d.app.state.secrets, &next)
        .await
        .unwrap();
    d.restart().await;
    assert_eq!(d.app.state.secrets.key_id(), next.key_id());
    assert!(!keyfile::sibling(&path, "new").exists());
    assert_eq!(
        piket_server::secrets::key_id(&keyfile::read(&path).unwrap().unwrap()),
        next.key_id()
    );
    assert_eq!(d.credential(hw).await, "half-rotated");
}

/// Guards the shared-key setting (several nodes on one PostgreSQL database read one key file)
/// and the merge path: a duplicate's credential, sealed for its own row, is sealed again for
/// the survivor's.
#[tokio::test]
async fn a_key_file_set_elsewhere_is_used_and_merges_carry_the_credential_over() {
    let keys = tempfile::tempdir().unwrap();
    let shared = keys.path().join("shared.key");
    let path = shared.clone();
    let d = desk_with(move |s| s.secret_key_file = Some(path)).await;
    assert!(shared.exists());
    assert!(!d.app.state.config.data_dir.join("secret.key").exists());
    let key = keyfile::read(&shared).unwrap().unwrap();
    assert_eq!(
        piket_server::secrets::key_id(&key),
        d.app.state.secrets.key_id()
    );

    let keep = d.asset("Keep", "").await;
    let dup = d.asset("Duplicate", "dup-s3cret").await;
    let r = d
        .send(
            Method::POST,
            &format!("{HW}/{keep}/merge"),
            json!({"from": dup}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["credential_set"], true);
    assert_sealed(
        &d.raw(HARDWARE_CREDENTIAL, keep).await,
        "dup-s3cret",
        d.app.state.secrets.key_id(),
    );
    assert_eq!(d.credential(keep).await, "dup-s3cret");
}

/// Guards the write path every reporter shares (`inventory::service::write`): a credential that
/// arrives unsealed (the legacy collector's `data.credential`) never lands in the column in the
/// clear, whatever the collector itself accepts.
#[tokio::test]
async fn a_reported_credential_is_never_stored_in_the_clear() {
    let d = desk().await;
    d.app.user("budi@example.com", "requester", vec![]).await;
    let body = r#"{"email":"budi@example.com","data":{"hostname":"PC-BUDI","credential":"budi:plain-s3cret"}}"#;
    let r = d
        .app
        .send(
            Method::POST,
            "/api/update-main-device",
            &[("content-type", "application/json")],
            axum::body::Body::from(body),
        )
        .await;
    assert!(
        r.status.is_success() || r.status.is_client_error(),
        "{}",
        r.body
    );
    let mut conn = d.app.state.db.pool.acquire().await.unwrap();
    let clear: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM hardware_assets WHERE credential LIKE '%plain-s3cret%'",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(clear, 0);
}
