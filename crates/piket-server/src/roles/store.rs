//! SQL for roles. Permissions are kept as a space-separated list in one column.

use sqlx::AnyConnection;

use super::Role;
use crate::auth::permissions::Scope;
use crate::clock::format_ms;
use crate::db::fold;
use crate::error::AppResult;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    name: String,
    description: String,
    scope: String,
    permissions: String,
    builtin: i64,
    created_at: i64,
    updated_at: i64,
}

impl From<Row> for Role {
    fn from(r: Row) -> Self {
        Role {
            id: r.id,
            name: r.name,
            description: r.description,
            scope: Scope::parse(&r.scope).unwrap_or(Scope::Own),
            permissions: r
                .permissions
                .split_whitespace()
                .map(str::to_string)
                .collect(),
            builtin: r.builtin != 0,
            created_at: format_ms(r.created_at),
            updated_at: format_ms(r.updated_at),
        }
    }
}

pub async fn all(conn: &mut AnyConnection) -> AppResult<Vec<Role>> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, name, description, scope, permissions, builtin, created_at, updated_at FROM roles ORDER BY builtin DESC, id",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Role::from).collect())
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> AppResult<Option<Role>> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT id, name, description, scope, permissions, builtin, created_at, updated_at FROM roles WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Role::from))
}

/// Case-insensitive lookup by name (`superadmin`, `Requester`, ...).
pub async fn by_name(conn: &mut AnyConnection, name: &str) -> AppResult<Option<Role>> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT id, name, description, scope, permissions, builtin, created_at, updated_at FROM roles WHERE name_key = $1",
    )
    .bind(fold::key(name))
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Role::from))
}

pub struct RoleFields<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub scope: Scope,
    pub permissions: &'a [String],
}

pub async fn insert(
    conn: &mut AnyConnection,
    f: &RoleFields<'_>,
    builtin: bool,
    now: i64,
) -> AppResult<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO roles (name, description, scope, permissions, builtin, created_at, updated_at, name_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7) RETURNING id",
    )
    .bind(f.name)
    .bind(f.description)
    .bind(f.scope.as_str())
    .bind(f.permissions.join(" "))
    .bind(i64::from(builtin))
    .bind(now)
    .bind(fold::key(f.name))
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn update(
    conn: &mut AnyConnection,
    id: i64,
    f: &RoleFields<'_>,
    now: i64,
) -> AppResult<()> {
    sqlx::query(
        "UPDATE roles SET name = $1, description = $2, scope = $3, permissions = $4, updated_at = $5, \
         name_key = $7 WHERE id = $6",
    )
        .bind(f.name)
        .bind(f.description)
        .bind(f.scope.as_str())
        .bind(f.permissions.join(" "))
        .bind(now)
        .bind(id)
        .bind(fold::key(f.name))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete(conn: &mut AnyConnection, id: i64) -> AppResult<()> {
    sqlx::query("DELETE FROM roles WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn user_count(conn: &mut AnyConnection, id: i64) -> AppResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role_id = $1")
            .bind(id)
            .fetch_one(conn)
            .await?,
    )
}

/// The department memberships of everyone holding the role: one `(user, department)` row per
/// membership, and `(user, None)` for a holder in no department.
pub async fn holder_departments(
    conn: &mut AnyConnection,
    id: i64,
) -> AppResult<Vec<(i64, Option<i64>)>> {
    Ok(sqlx::query_as(
        "SELECT u.id, ud.department_id FROM users u \
         LEFT JOIN user_departments ud ON ud.user_id = u.id WHERE u.role_id = $1",
    )
    .bind(id)
    .fetch_all(conn)
    .await?)
}
