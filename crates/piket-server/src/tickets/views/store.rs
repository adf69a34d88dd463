//! SQL for saved views; every query is keyed by the owner, so one user never reaches another's.

use sqlx::AnyConnection;

use super::SavedView;
use crate::clock::format_ms;
use crate::error::AppResult;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    name: String,
    query: String,
    created_at: i64,
}

impl From<Row> for SavedView {
    fn from(r: Row) -> Self {
        SavedView {
            id: r.id,
            name: r.name,
            query: r.query,
            created_at: format_ms(r.created_at),
        }
    }
}

pub async fn for_user(conn: &mut AnyConnection, user_id: i64) -> AppResult<Vec<SavedView>> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, name, query, created_at FROM ticket_views WHERE user_id = $1 ORDER BY id",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(SavedView::from).collect())
}

pub async fn get(conn: &mut AnyConnection, user_id: i64, id: i64) -> AppResult<Option<SavedView>> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT id, name, query, created_at FROM ticket_views WHERE id = $1 AND user_id = $2",
    )
    .bind(id)
    .bind(user_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(SavedView::from))
}

pub async fn insert(
    conn: &mut AnyConnection,
    user_id: i64,
    name: &str,
    query: &str,
    now: i64,
) -> AppResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO ticket_views (user_id, name, query, created_at) VALUES ($1, $2, $3, $4) \
         RETURNING id",
    )
    .bind(user_id)
    .bind(name)
    .bind(query)
    .bind(now)
    .fetch_one(conn)
    .await?)
}

pub async fn delete(conn: &mut AnyConnection, user_id: i64, id: i64) -> AppResult<()> {
    sqlx::query("DELETE FROM ticket_views WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}
