//! Password hashing under load (issue #17, part 3), on SQLite (and PostgreSQL when configured).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use common::{Browser, TestApp};

async fn login(app: &TestApp) -> StatusCode {
    let mut b = Browser::new(app);
    b.get("/login").await;
    b.post(
        "/login",
        &[
            ("email", "budi@example.com"),
            ("password", "a-long-test-password"),
        ],
    )
    .await
    .status
}

/// Guards against argon2 running on the async worker threads: 200 concurrent logins stalled
/// every other request for 0.9 s. On this single-threaded runtime a hash done in place would
/// stop a 1 ms ticker for the whole hash; done on a blocking thread, the ticker keeps going.
#[tokio::test]
async fn logins_hash_passwords_off_the_async_threads() {
    let app = TestApp::new().await;
    app.user("budi@example.com", "requester", vec![]).await;
    // Yardstick: one login alone, of which the hash is most (~60 ms with argon2 optimised).
    let t0 = Instant::now();
    assert_eq!(login(&app).await, StatusCode::SEE_OTHER);
    let one_login = t0.elapsed();

    let done = AtomicBool::new(false);
    let logins = async {
        let statuses = futures_util::future::join_all((0..6).map(|_| login(&app))).await;
        done.store(true, Ordering::Relaxed);
        statuses
    };
    let ticker = async {
        let mut worst = Duration::ZERO;
        let mut last = Instant::now();
        while !done.load(Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_millis(1)).await;
            worst = worst.max(last.elapsed());
            last = Instant::now();
        }
        worst
    };
    let (statuses, worst_gap) = tokio::join!(logins, ticker);
    assert!(
        statuses.iter().all(|s| *s == StatusCode::SEE_OTHER),
        "{statuses:?}"
    );
    assert!(
        worst_gap < one_login / 2,
        "the runtime stalled for {worst_gap:?} (one login takes {one_login:?})"
    );
}
