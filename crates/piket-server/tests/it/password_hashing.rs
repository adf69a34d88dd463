//! Password hashing under load (issue #17, part 3), on SQLite (and PostgreSQL when configured).
//! Before, argon2 ran on the async worker threads: 200 concurrent logins stalled every other
//! request for 0.9 s (`bench/attack.py` measures that; these tests check the mechanism without
//! timing thresholds, which flaked on a loaded machine).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use axum::http::StatusCode;
use common::{Browser, TestApp};
use piket_server::auth::password;

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

/// Yields counted while `work` runs on this single-threaded runtime. A hash done in place
/// finishes inside its first poll, so nothing else runs meanwhile (0); one on a blocking thread
/// leaves the runtime free to run the counter until it is done.
async fn yields_during<F: std::future::Future>(work: F) -> (F::Output, u32) {
    let done = AtomicBool::new(false);
    let count = AtomicU32::new(0);
    let work = async {
        let out = work.await;
        done.store(true, Ordering::Relaxed);
        out
    };
    let counter = async {
        while !done.load(Ordering::Relaxed) {
            count.fetch_add(1, Ordering::Relaxed);
            tokio::task::yield_now().await;
        }
    };
    let (out, ()) = tokio::join!(work, counter);
    (out, count.load(Ordering::Relaxed))
}

#[tokio::test]
async fn hashing_and_verifying_leave_the_runtime_free() {
    let permits = password::permits();
    let (hash, n) = yields_during(password::hash(&permits, "correct horse battery")).await;
    let hash = hash.unwrap();
    assert!(n > 1, "the runtime ran nothing while hashing ({n})");
    let (ok, n) = yields_during(password::verify(&permits, "correct horse battery", &hash)).await;
    assert!(ok);
    assert!(n > 1, "the runtime ran nothing while verifying ({n})");
}

/// Hashing waits for a permit (one per core), and the waiting holds up nothing else: with every
/// permit taken, a login stays pending while the runtime goes on; once they are free it
/// completes.
#[tokio::test]
async fn logins_wait_for_a_hashing_permit_without_blocking_the_runtime() {
    let app = TestApp::new().await;
    app.user("budi@example.com", "requester", vec![]).await;
    let all = u32::try_from(app.state.password_permits.available_permits()).unwrap();
    assert!(all >= 1);
    let held = app
        .state
        .password_permits
        .clone()
        .acquire_many_owned(all)
        .await
        .unwrap();
    let pending = login(&app);
    tokio::pin!(pending);
    let waited = tokio::time::timeout(Duration::from_millis(300), &mut pending).await;
    assert!(waited.is_err(), "a login finished without a hashing permit");
    drop(held);
    assert_eq!(pending.await, StatusCode::SEE_OTHER);
    // Six at once all get through the permits.
    let statuses = futures_util::future::join_all((0..6).map(|_| login(&app))).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::SEE_OTHER),
        "{statuses:?}"
    );
}
