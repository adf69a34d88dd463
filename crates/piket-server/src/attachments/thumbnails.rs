//! Making thumbnails under load: one decode per image at a time (concurrent requests for the
//! same thumbnail wait for the same result), at most [`CONCURRENT`] decodes at once on blocking
//! threads, and an image that cannot have a thumbnail remembered in the store (`thumb::refused_key`)
//! so that it is decoded once, not on every request.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use futures_util::future::{BoxFuture, FutureExt, Shared};
use tokio::sync::Semaphore;

use super::thumb;
use crate::state::AppState;

/// Decodes at once, whatever the number of cores: each may allocate up to `thumb::MAX_ALLOC`
/// (and holds its original, up to `attachment_max_bytes`), so this bounds what a burst of
/// thumbnail requests can take to about 2 × 192 MiB.
pub const CONCURRENT: usize = 2;

/// What a request for a thumbnail gets.
#[derive(Clone, Debug)]
pub enum Outcome {
    Made(Bytes),
    /// This image gets no thumbnail (too large, damaged, or its blob is missing).
    Refused,
    /// Reading or writing the store failed; not remembered, the next request tries again.
    Failed(String),
}

type Flight = Shared<BoxFuture<'static, Outcome>>;

/// The thumbnail maker's shared state, one per node (in `AppState`).
pub struct Thumbnails {
    permits: Arc<Semaphore>,
    /// Thumbnails being made, by digest; each entry is removed by the task that makes it.
    flights: Mutex<HashMap<String, Flight>>,
    decodes: AtomicU64,
}

impl Default for Thumbnails {
    fn default() -> Self {
        Thumbnails {
            permits: Arc::new(Semaphore::new(CONCURRENT)),
            flights: Mutex::new(HashMap::new()),
            decodes: AtomicU64::new(0),
        }
    }
}

impl Thumbnails {
    /// Images decoded since start (each thumbnail should cost one).
    pub fn decodes(&self) -> u64 {
        self.decodes.load(Ordering::Relaxed)
    }

    fn flights(&self) -> MutexGuard<'_, HashMap<String, Flight>> {
        // Nothing panics while holding the lock, and the map stays consistent if it did.
        self.flights.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The thumbnail of blob `sha256`: from the store, or made once however many ask at the same time.
pub async fn get(state: &AppState, sha256: &str) -> Outcome {
    if let Some(known) = stored(state, sha256).await {
        return known;
    }
    let flight = {
        let thumbnails = state.parts.get::<Thumbnails>();
        let mut flights = thumbnails.flights();
        match flights.get(sha256) {
            Some(flight) => flight.clone(),
            None => {
                // A task of its own, so a caller that goes away does not cancel the work the
                // others wait for.
                let task = tokio::spawn(produce(state.clone(), sha256.to_string()));
                let flight = async move {
                    task.await
                        .unwrap_or_else(|e| Outcome::Failed(format!("thumbnail task: {e}")))
                }
                .boxed()
                .shared();
                flights.insert(sha256.to_string(), flight.clone());
                flight
            }
        }
    };
    flight.await
}

/// A thumbnail already made, or an image already refused.
async fn stored(state: &AppState, sha256: &str) -> Option<Outcome> {
    match state.blobs.read(&thumb::key(sha256)).await {
        Ok(Some(bytes)) => return Some(Outcome::Made(Bytes::from(bytes))),
        Ok(None) => {}
        Err(e) => return Some(Outcome::Failed(e.to_string())),
    }
    match state.blobs.exists(&thumb::refused_key(sha256)).await {
        Ok(true) => Some(Outcome::Refused),
        Ok(false) => None,
        Err(e) => Some(Outcome::Failed(e.to_string())),
    }
}

async fn produce(state: AppState, sha256: String) -> Outcome {
    let outcome = make_and_keep(&state, &sha256).await;
    // After the result is in the store: a request arriving from now on finds it there.
    state.parts.get::<Thumbnails>().flights().remove(&sha256);
    outcome
}

async fn make_and_keep(state: &AppState, sha256: &str) -> Outcome {
    // The flight before this one may have landed between our look and our take-off.
    if let Some(known) = stored(state, sha256).await {
        return known;
    }
    let t = state.parts.get::<Thumbnails>();
    // Taken before the original is read, so waiting requests hold no image bytes.
    let Ok(permit) = t.permits.clone().acquire_owned().await else {
        return Outcome::Failed("thumbnail permits closed".into());
    };
    let original = match state.blobs.read(sha256).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Outcome::Refused,
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    t.decodes.fetch_add(1, Ordering::Relaxed);
    let made = tokio::task::spawn_blocking(move || {
        let made = thumb::make(&original);
        drop(permit);
        made
    })
    .await;
    match made {
        Err(e) => Outcome::Failed(format!("thumbnail task: {e}")),
        Ok(Err(reason)) => {
            tracing::info!(sha256, reason = %reason, "no thumbnail for this image");
            if let Err(e) = state
                .blobs
                .put_bytes(&thumb::refused_key(sha256), Vec::new())
                .await
            {
                tracing::warn!(sha256, error = %e, "could not remember a refused thumbnail");
            }
            Outcome::Refused
        }
        Ok(Ok(png)) => {
            if let Err(e) = state
                .blobs
                .put_bytes(&thumb::key(sha256), png.clone())
                .await
            {
                tracing::warn!(sha256, error = %e, "could not keep a thumbnail");
            }
            Outcome::Made(Bytes::from(png))
        }
    }
}
