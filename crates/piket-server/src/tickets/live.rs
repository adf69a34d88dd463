//! `GET /events/tickets`: server-sent events telling an open list or ticket page that a ticket it
//! may see changed (`{"ticket": id, "actor": user id}`); the page then refreshes itself. A stream
//! lives at most [`STREAM_MS`]: the browser reconnects, which signs the caller in again, so a
//! disabled user or an expired session stops hearing within that time.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream};
use tokio::sync::broadcast::error::RecvError;

use crate::auth::extract::WebActor;
use crate::state::AppState;

pub const STREAM_MS: u64 = 5 * 60 * 1000;

pub async fn stream(
    State(state): State<AppState>,
    WebActor(actor): WebActor,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let receiver = state.events.subscribe();
    let deadline = tokio::time::Instant::now() + Duration::from_millis(STREAM_MS);
    let events = stream::unfold((receiver, actor), move |(mut receiver, actor)| async move {
        loop {
            let next = tokio::time::timeout_at(deadline, receiver.recv()).await;
            let event = match next {
                Err(_) | Ok(Err(RecvError::Closed)) => return None,
                // Missed some: tell the page to refresh anyway.
                Ok(Err(RecvError::Lagged(_))) => Event::default()
                    .event("ticket")
                    .data(r#"{"ticket":null,"actor":null}"#),
                Ok(Ok(e)) if e.visible_to(&actor) => Event::default()
                    .event("ticket")
                    .data(serde_json::json!({"ticket": e.ticket, "actor": e.actor}).to_string()),
                Ok(Ok(_)) => continue,
            };
            return Some((Ok(event), (receiver, actor)));
        }
    });
    Sse::new(events).keep_alive(KeepAlive::default())
}
