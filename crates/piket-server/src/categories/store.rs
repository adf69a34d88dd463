//! SQL for ticket categories.

use sqlx::AnyConnection;

use super::Category;
use crate::clock::format_ms;
use crate::db::fold;
use crate::error::AppResult;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    name: String,
    description: String,
    department_id: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl From<Row> for Category {
    fn from(r: Row) -> Self {
        Category {
            id: r.id,
            name: r.name,
            description: r.description,
            department_id: r.department_id,
            created_at: format_ms(r.created_at),
            updated_at: format_ms(r.updated_at),
        }
    }
}

const SELECT: &str =
    "SELECT id, name, description, department_id, created_at, updated_at FROM ticket_categories";

pub async fn all(conn: &mut AnyConnection) -> AppResult<Vec<Category>> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} ORDER BY lower(name)"
    )))
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Category::from).collect())
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> AppResult<Option<Category>> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE id = $1")))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(Category::from))
}

pub async fn name_taken(conn: &mut AnyConnection, name: &str, except: i64) -> AppResult<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM ticket_categories WHERE name_key = $1 AND id <> $2",
    )
    .bind(fold::key(name))
    .bind(except)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

pub async fn insert(
    conn: &mut AnyConnection,
    name: &str,
    description: &str,
    department_id: Option<i64>,
    now: i64,
) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO ticket_categories (name, description, department_id, created_at, updated_at, name_key) \
         VALUES ($1, $2, $3, $4, $4, $5) RETURNING id",
    )
    .bind(name)
    .bind(description)
    .bind(department_id)
    .bind(now)
    .bind(fold::key(name))
    .fetch_one(conn)
    .await?)
}

pub async fn update(
    conn: &mut AnyConnection,
    id: i64,
    name: &str,
    description: &str,
    department_id: Option<i64>,
    now: i64,
) -> AppResult<()> {
    sqlx::query(
        "UPDATE ticket_categories SET name = $2, description = $3, department_id = $4, updated_at = $5, \
         name_key = $6 WHERE id = $1",
    )
    .bind(id)
    .bind(name)
    .bind(description)
    .bind(department_id)
    .bind(now)
    .bind(fold::key(name))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete(conn: &mut AnyConnection, id: i64) -> AppResult<()> {
    sqlx::query("DELETE FROM ticket_categories WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
