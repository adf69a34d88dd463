//! The admin pages of mailboxes and the quarantine (to come in this UI part).

use axum::Router;

use crate::state::AppState;

pub fn pages() -> Router<AppState> {
    Router::new()
}
