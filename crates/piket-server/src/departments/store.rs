//! SQL for departments.

use sqlx::AnyConnection;

use super::Department;
use crate::clock::format_ms;
use crate::db::fold;
use crate::error::AppResult;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    name: String,
    description: String,
    created_at: i64,
    updated_at: i64,
}

impl From<Row> for Department {
    fn from(r: Row) -> Self {
        Department {
            id: r.id,
            name: r.name,
            description: r.description,
            created_at: format_ms(r.created_at),
            updated_at: format_ms(r.updated_at),
        }
    }
}

pub async fn all(conn: &mut AnyConnection) -> AppResult<Vec<Department>> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, name, description, created_at, updated_at FROM departments ORDER BY lower(name)",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Department::from).collect())
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> AppResult<Option<Department>> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT id, name, description, created_at, updated_at FROM departments WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Department::from))
}

pub async fn insert(
    conn: &mut AnyConnection,
    name: &str,
    description: &str,
    now: i64,
) -> AppResult<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO departments (name, description, created_at, updated_at, name_key) \
         VALUES ($1, $2, $3, $3, $4) RETURNING id",
    )
    .bind(name)
    .bind(description)
    .bind(now)
    .bind(fold::key(name))
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn update(
    conn: &mut AnyConnection,
    id: i64,
    name: &str,
    description: &str,
    now: i64,
) -> AppResult<()> {
    sqlx::query(
        "UPDATE departments SET name = $1, description = $2, updated_at = $3, name_key = $5 \
         WHERE id = $4",
    )
    .bind(name)
    .bind(description)
    .bind(now)
    .bind(id)
    .bind(fold::key(name))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete(conn: &mut AnyConnection, id: i64) -> AppResult<()> {
    sqlx::query("DELETE FROM departments WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// How many of `ids` exist (to reject unknown department ids in user forms).
pub async fn count_existing(conn: &mut AnyConnection, ids: &[i64]) -> AppResult<i64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let mut sql = crate::db::sql::Sql::new("SELECT COUNT(*) FROM departments WHERE id IN ");
    sql.bind_list(ids);
    let row: (i64,) = sql.query_as().fetch_one(conn).await?;
    Ok(row.0)
}
