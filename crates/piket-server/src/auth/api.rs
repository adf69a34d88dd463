//! JSON handlers about the caller: who am I, and changing my own profile.

use axum::extract::State;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::extract::ApiActor;
use crate::error::{AppResult, Problem};
use crate::state::AppState;
use crate::users::{service, ProfilePatch, User};

#[utoipa::path(get, path = "/api/v1/me", tag = "users", responses((status = 200, body = User), (status = 401, body = Problem)))]
pub async fn me(State(state): State<AppState>, ApiActor(actor): ApiActor) -> AppResult<Json<User>> {
    Ok(Json(service::get(&state, &actor, actor.user_id).await?))
}

/// Only `name` and `locale` can be changed here; any other field is refused.
#[utoipa::path(patch, path = "/api/v1/me", tag = "users", request_body = ProfilePatch,
    responses((status = 200, body = User), (status = 422, body = Problem)))]
pub async fn update_me(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Json(patch): Json<ProfilePatch>,
) -> AppResult<Json<User>> {
    Ok(Json(service::update_profile(&state, &actor, patch).await?))
}

/// This module's JSON routes, each with its OpenAPI entry.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default().routes(routes!(me, update_me))
}
