//! SQL for users, their departments, and the actor (user + role + departments) behind a request.

use std::collections::HashMap;

use sqlx::AnyConnection;

use super::{User, UserFilter};
use crate::auth::actor::{Actor, Via};
use crate::auth::permissions::Scope;
use crate::clock::format_ms;
use crate::db::scope::push_scope;
use crate::db::sql::{Arg, Sql};
use crate::error::AppResult;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    email: String,
    name: String,
    role_id: i64,
    role_name: String,
    locale: Option<String>,
    time_zone: Option<String>,
    phone: Option<String>,
    disabled: i64,
    has_password: i64,
    created_at: i64,
    updated_at: i64,
}

impl Row {
    fn into_user(self, departments: Vec<i64>) -> User {
        User {
            id: self.id,
            email: self.email,
            name: self.name,
            role_id: self.role_id,
            role_name: self.role_name,
            departments,
            locale: self.locale,
            time_zone: self.time_zone.filter(|z| !z.is_empty()),
            phone: self.phone,
            disabled: self.disabled != 0,
            has_password: self.has_password != 0,
            created_at: format_ms(self.created_at),
            updated_at: format_ms(self.updated_at),
        }
    }
}

const SELECT: &str = "SELECT u.id, u.email, u.name, u.role_id, r.name AS role_name, u.locale, u.time_zone, u.phone, u.disabled, \
     CASE WHEN u.password_hash IS NULL THEN 0 ELSE 1 END AS has_password, u.created_at, u.updated_at \
     FROM users u JOIN roles r ON r.id = u.role_id";

pub async fn list(
    conn: &mut AnyConnection,
    f: &UserFilter,
    (scope, departments, me): (Scope, &[i64], i64),
    after: i64,
    limit: i64,
) -> AppResult<Vec<User>> {
    let mut sql = Sql::new(SELECT);
    sql.push(" WHERE u.id > ").bind(Arg::Int(after));
    push_scope(&mut sql, &super::SCOPE_RULE, scope, departments, me);
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = format!("%{}%", q.to_lowercase().replace(['\\', '%', '_'], ""));
        sql.push(" AND (lower(u.name) LIKE ")
            .bind(Arg::Text(pattern.clone()));
        sql.push(" OR u.email LIKE ")
            .bind(Arg::Text(pattern))
            .push(")");
    }
    if let Some(role) = f.role_id {
        sql.push(" AND u.role_id = ").bind(Arg::Int(role));
    }
    if let Some(dept) = f.department_id {
        sql.push(" AND EXISTS (SELECT 1 FROM user_departments d WHERE d.user_id = u.id AND d.department_id = ").bind(Arg::Int(dept)).push(")");
    }
    if let Some(disabled) = f.disabled {
        sql.push(" AND u.disabled = ")
            .bind(Arg::Int(i64::from(disabled)));
    }
    sql.push(" ORDER BY u.id LIMIT ").bind(Arg::Int(limit));
    let rows: Vec<Row> = sql.query_as().fetch_all(&mut *conn).await?;
    with_departments(conn, rows).await
}

/// The rows as users, with their departments (one more query for all of them).
async fn with_departments(conn: &mut AnyConnection, rows: Vec<Row>) -> AppResult<Vec<User>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut depts = departments_of(conn, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let d = depts.remove(&r.id).unwrap_or_default();
            r.into_user(d)
        })
        .collect())
}

/// Those of `ids` (at most a few hundred) within the scope, by name.
pub async fn by_ids(
    conn: &mut AnyConnection,
    ids: &[i64],
    (scope, departments, me): (Scope, &[i64], i64),
) -> AppResult<Vec<User>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(SELECT);
    sql.push(" WHERE u.id IN ").bind_list(ids);
    push_scope(&mut sql, &super::SCOPE_RULE, scope, departments, me);
    sql.push(" ORDER BY u.name, u.id");
    let rows: Vec<Row> = sql.query_as().fetch_all(&mut *conn).await?;
    with_departments(conn, rows).await
}

async fn departments_of(
    conn: &mut AnyConnection,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<i64>>> {
    let mut map: HashMap<i64, Vec<i64>> = HashMap::new();
    if ids.is_empty() {
        return Ok(map);
    }
    let mut sql = Sql::new("SELECT user_id, department_id FROM user_departments WHERE user_id IN ");
    sql.bind_list(ids).push(" ORDER BY department_id");
    let rows: Vec<(i64, i64)> = sql.query_as().fetch_all(conn).await?;
    for (user, dept) in rows {
        map.entry(user).or_default().push(dept);
    }
    Ok(map)
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> AppResult<Option<User>> {
    let mut sql = Sql::new(SELECT);
    sql.push(" WHERE u.id = ").bind(Arg::Int(id));
    let Some(row) = sql.query_as::<Row>().fetch_optional(&mut *conn).await? else {
        return Ok(None);
    };
    let mut depts = departments_of(conn, &[id]).await?;
    Ok(Some(row.into_user(depts.remove(&id).unwrap_or_default())))
}

pub async fn id_by_email(conn: &mut AnyConnection, email: &str) -> AppResult<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(conn)
        .await?)
}

pub async fn count(conn: &mut AnyConnection) -> AppResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(conn)
        .await?)
}

/// Enabled users holding the Superadmin role.
pub async fn count_active_superadmins(conn: &mut AnyConnection) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM users u JOIN roles r ON r.id = u.role_id WHERE r.name = 'Superadmin' AND u.disabled = 0",
    )
    .fetch_one(conn)
    .await?)
}

pub struct UserFields<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role_id: i64,
    pub locale: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub disabled: bool,
}

pub async fn insert(
    conn: &mut AnyConnection,
    f: &UserFields<'_>,
    password_hash: Option<&str>,
    now: i64,
) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO users (email, name, password_hash, role_id, locale, disabled, created_at, updated_at, phone) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8) RETURNING id",
    )
    .bind(f.email)
    .bind(f.name)
    .bind(password_hash)
    .bind(f.role_id)
    .bind(f.locale)
    .bind(i64::from(f.disabled))
    .bind(now)
    .bind(f.phone)
    .fetch_one(conn)
    .await?)
}

/// A user's time zone: a zone name, '' for the organisation's by choice (see migration 0021).
pub async fn set_time_zone(
    conn: &mut AnyConnection,
    id: i64,
    zone: &str,
    now: i64,
) -> AppResult<()> {
    sqlx::query("UPDATE users SET time_zone = $1, updated_at = $2 WHERE id = $3")
        .bind(zone)
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn update(
    conn: &mut AnyConnection,
    id: i64,
    f: &UserFields<'_>,
    now: i64,
) -> AppResult<()> {
    sqlx::query("UPDATE users SET email = $1, name = $2, role_id = $3, locale = $4, disabled = $5, updated_at = $6, phone = $8 WHERE id = $7")
        .bind(f.email)
        .bind(f.name)
        .bind(f.role_id)
        .bind(f.locale)
        .bind(i64::from(f.disabled))
        .bind(now)
        .bind(id)
        .bind(f.phone)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_departments(
    conn: &mut AnyConnection,
    id: i64,
    departments: &[i64],
) -> AppResult<()> {
    sqlx::query("DELETE FROM user_departments WHERE user_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for dept in departments {
        sqlx::query("INSERT INTO user_departments (user_id, department_id) VALUES ($1, $2)")
            .bind(id)
            .bind(*dept)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn set_password_hash(
    conn: &mut AnyConnection,
    id: i64,
    hash: &str,
    now: i64,
) -> AppResult<()> {
    sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(hash)
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete(conn: &mut AnyConnection, id: i64) -> AppResult<()> {
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// What login needs: id, stored hash, and whether the account is usable.
#[derive(sqlx::FromRow)]
pub struct Credentials {
    pub id: i64,
    pub password_hash: Option<String>,
    pub disabled: i64,
}

pub async fn credentials(conn: &mut AnyConnection, email: &str) -> AppResult<Option<Credentials>> {
    Ok(
        sqlx::query_as("SELECT id, password_hash, disabled FROM users WHERE email = $1")
            .bind(email)
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn credentials_by_id(
    conn: &mut AnyConnection,
    id: i64,
) -> AppResult<Option<Credentials>> {
    Ok(
        sqlx::query_as("SELECT id, password_hash, disabled FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

#[derive(sqlx::FromRow)]
struct ActorRow {
    id: i64,
    email: String,
    name: String,
    locale: Option<String>,
    time_zone: Option<String>,
    role_id: i64,
    role_name: String,
    scope: String,
    permissions: String,
}

const ACTOR_ROW: &str = "SELECT u.id, u.email, u.name, u.locale, u.time_zone, r.id AS role_id, \
     r.name AS role_name, r.scope, r.permissions FROM users u JOIN roles r ON r.id = u.role_id";

impl ActorRow {
    fn into_actor(self, departments: Vec<i64>, via: Via, ip: &str) -> Actor {
        Actor {
            user_id: self.id,
            name: self.name,
            email: self.email,
            role_id: self.role_id,
            role_name: self.role_name,
            permissions: self
                .permissions
                .split_whitespace()
                .map(str::to_string)
                .collect(),
            scope: Scope::parse(&self.scope).unwrap_or(Scope::Own),
            departments,
            locale: self.locale,
            time_zone: self.time_zone,
            via,
            ip: ip.to_string(),
        }
    }
}

/// The actor for an enabled user, or `None` when the user is gone or disabled.
pub async fn load_actor(
    conn: &mut AnyConnection,
    user_id: i64,
    via: Via,
    ip: &str,
) -> AppResult<Option<Actor>> {
    Ok(load_actors(conn, &[user_id], via, ip).await?.pop())
}

/// The actors of those of `user_ids` who are enabled, by id, in two statements (for checks
/// over several people at once: who may hear of a ticket, who may watch it).
pub async fn load_actors(
    conn: &mut AnyConnection,
    user_ids: &[i64],
    via: Via,
    ip: &str,
) -> AppResult<Vec<Actor>> {
    if user_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(ACTOR_ROW);
    sql.push(" WHERE u.disabled = 0 AND u.id IN ")
        .bind_list(user_ids)
        .push(" ORDER BY u.id");
    let rows: Vec<ActorRow> = sql.query_as().fetch_all(&mut *conn).await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut sql = Sql::new("SELECT user_id, department_id FROM user_departments WHERE user_id IN ");
    sql.bind_list(&ids).push(" ORDER BY user_id, department_id");
    let memberships: Vec<(i64, i64)> = sql.query_as().fetch_all(conn).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let departments = memberships
                .iter()
                .filter(|(u, _)| *u == row.id)
                .map(|(_, d)| *d)
                .collect();
            row.into_actor(departments, via.clone(), ip)
        })
        .collect())
}
