//! What other domains ask of user accounts, inside their own transaction: the actor a user
//! acts as, sign-in credentials, password hashes, the first account. Sign-in (`auth`), API keys,
//! tickets and notifications come here; the users store stays this domain's own.

use sqlx::AnyConnection;

use super::store;
use super::User;
use crate::auth::actor::{Actor, Via};
use crate::error::AppResult;

pub use super::store::{Credentials, UserFields};

/// The actor for an enabled user, or `None` when the user is gone or disabled.
pub async fn load_actor(
    conn: &mut AnyConnection,
    user_id: i64,
    via: Via,
    ip: &str,
) -> AppResult<Option<Actor>> {
    store::load_actor(conn, user_id, via, ip).await
}

/// The actors of those of `user_ids` who are enabled, by id.
pub async fn load_actors(
    conn: &mut AnyConnection,
    user_ids: &[i64],
    via: Via,
    ip: &str,
) -> AppResult<Vec<Actor>> {
    store::load_actors(conn, user_ids, via, ip).await
}

/// A user by id, enabled or not.
pub async fn get(conn: &mut AnyConnection, id: i64) -> AppResult<Option<User>> {
    store::get(conn, id).await
}

/// The id of the user with this (already lower-cased) email.
pub async fn id_by_email(conn: &mut AnyConnection, email: &str) -> AppResult<Option<i64>> {
    store::id_by_email(conn, email).await
}

/// How many accounts exist (none before first-run setup).
pub async fn count(conn: &mut AnyConnection) -> AppResult<i64> {
    store::count(conn).await
}

/// The first account, made by first-run setup.
pub async fn insert_first(
    conn: &mut AnyConnection,
    fields: &UserFields<'_>,
    password_hash: &str,
    now: i64,
) -> AppResult<i64> {
    store::insert(conn, fields, Some(password_hash), now).await
}

/// Id, stored hash and whether the account is usable, by email.
pub async fn credentials(conn: &mut AnyConnection, email: &str) -> AppResult<Option<Credentials>> {
    store::credentials(conn, email).await
}

/// The same, by id.
pub async fn credentials_by_id(
    conn: &mut AnyConnection,
    id: i64,
) -> AppResult<Option<Credentials>> {
    store::credentials_by_id(conn, id).await
}

/// Stores a new password hash (the caller has checked the old password or a reset token).
pub async fn set_password_hash(
    conn: &mut AnyConnection,
    id: i64,
    hash: &str,
    now: i64,
) -> AppResult<()> {
    store::set_password_hash(conn, id, hash, now).await
}

/// The account of an email sender Piket did not know: a requester with no password, so it can
/// sign in only once they set one through a reset link. Returns the id (an account made
/// meanwhile for the same address is used).
pub async fn requester_for_mail(
    conn: &mut AnyConnection,
    email: &str,
    name: &str,
    now: i64,
) -> crate::error::AppResult<i64> {
    if let Some(id) = store::id_by_email(conn, email).await? {
        return Ok(id);
    }
    let role = crate::roles::service::by_name_in(conn, "Requester")
        .await?
        .ok_or_else(|| crate::error::AppError::Internal("the Requester role is missing".into()))?;
    let name: String = if name.trim().is_empty() {
        email.split('@').next().unwrap_or(email).to_string()
    } else {
        name.trim()
            .chars()
            .filter(|c| !c.is_control())
            .take(100)
            .collect()
    };
    let fields = UserFields {
        email,
        name: &name,
        role_id: role.id,
        locale: None,
        phone: None,
        disabled: false,
    };
    store::insert(conn, &fields, None, now).await
}
